#pragma once
// The server end of the agent protocol (edgetwin/agent_wire/agent_wire.hpp) inside edgetwin-learn:
// one connection = one run of the simulator; the learner persists across connections.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "edgetwin/agent_wire/agent_wire.hpp"
#include "edgetwin/learn/factory.hpp"
#include "edgetwin/learn/learner.hpp"

namespace edgetwin::learn_app {

/// What one run (episode) did, as the server saw it.
struct EpisodeStats {
  long decisions = 0;
  double reward_sum = 0;  ///< the return (undiscounted), over every device of the run
  long updates = 0;       ///< gradient steps applied during the run
  double loss_sum = 0;    ///< over the updates, for the mean
  double q_sum = 0;
  double epsilon = 0;      ///< DQN: at the end of the run
  double alpha = 0;        ///< SAC: after the last update
  double entropy = 0;      ///< SAC: of the last update's batch
  nlohmann::json hello;    ///< the client's hello (request and run facts)
  nlohmann::json summary;  ///< the run's summary.json (end message); null if it never came
};

/// Serves one connection until the client closes it. `learner_for` is called at the hello with
/// the request and must return the learner to use, or throw std::invalid_argument with the reason
/// the request is refused (sent back to the client). `learning`: explore and learn, or greedy.
/// `after_update` is called after every gradient step (progress, MPI bookkeeping).
EpisodeStats serve(policies::wire::Channel& channel, bool learning,
                   const std::function<learn::DiscreteLearner&(const policies::AgentRequest&)>& learner_for,
                   const std::function<void(const learn::UpdateStats&)>& after_update = {});

using learn::spec_from_manifest;
using learn::spec_mismatch;

}  // namespace edgetwin::learn_app

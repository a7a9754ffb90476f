#pragma once
// The server end of the agent protocol (edgetwin/agent_wire/agent_wire.hpp) inside edgetwin-learn:
// one connection = one run of the simulator, serving every learned network of the run; the
// networks (learners and the examples gathered for supervised ones) persist across connections.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/agent_wire/agent_wire.hpp"
#include "edgetwin/agent_wire/greedy_network.hpp"
#include "edgetwin/learn/factory.hpp"
#include "edgetwin/learn/learner.hpp"
#include "edgetwin/learn/supervised.hpp"

namespace edgetwin::learn_app {

/// One learned network of a scenario, as the learner process holds it: a decision network (DQN,
/// SAC) or a supervised one (classification, regression) with the examples the runs sent.
struct Network {
  std::string name;
  std::string kind;  ///< "dqn", "sac" or "supervised"
  nlohmann::json spec;
  policies::AgentRequest request;  ///< of the first run that asked for it
  bool learning = false;           ///< trained by this process (else: greedy, from a checkpoint)
  std::string checkpoint;          ///< what it was loaded from ("" = fresh)
  std::unique_ptr<learn::DiscreteLearner> decider;
  std::unique_ptr<learn::SupervisedTrainer> supervised;
  /// Supervised: the examples kept (the last max_samples), in arrival order.
  std::deque<std::vector<float>> inputs, targets;
  std::size_t max_samples = 100000;

  bool is_supervised() const { return supervised != nullptr; }
  /// The kept examples as a dataset for the trainer.
  learn::Dataset dataset() const;
  /// Builds the learner from `spec` (and loads `checkpoint` when given).
  void build(const std::string& checkpoint_dir);
  void save(const std::string& dir, const nlohmann::json& user) const;
  /// save() through a temporary sibling renamed over `dir`, so that `dir` always holds a whole
  /// checkpoint (the old one or the new one).
  void save_atomically(const std::string& dir, const nlohmann::json& user) const;
  /// The branch sizes of a decision network ({action_count} without branches), read from the spec
  /// once at build(): what the wire's action tuples are made of.
  std::vector<int> heads;
};

/// A number for the curves: 10 significant digits, "" for NaN (unknown).
std::string csv_number(double x);

/// What one run (episode) did with one network, as the server saw it.
struct NetworkStats {
  long decisions = 0;     ///< observe() calls (decision networks) or predictions (supervised)
  long samples = 0;       ///< supervised: examples received
  double reward_sum = 0;  ///< the return (undiscounted), over every device of the run
  long updates = 0;       ///< gradient steps applied during the run
  double loss_sum = 0;    ///< over the updates, for the mean
  double q_sum = 0;
  double epsilon = 0;  ///< DQN: at the end of the run
  double alpha = 0;    ///< SAC: after the last update
  double entropy = 0;  ///< SAC: of the last update's batch
};

/// What one run did.
struct EpisodeStats {
  std::vector<Network*> networks;   ///< by id (hello order)
  std::vector<NetworkStats> stats;  ///< by id
  nlohmann::json run;               ///< the run facts of the first hello
  nlohmann::json summary;           ///< the run's summary.json (end message); null if it never came

  /// The stats of the network named `name` (zeros when the run did not use it).
  NetworkStats of(const std::string& name) const;
};

/// Serves one connection until the client closes it. `network_for` is called at each hello with
/// the request and must return the network to use, or throw std::invalid_argument with the
/// reason the request is refused (sent back to the client). `after_update` is called after every
/// gradient step of a decision network (progress, MPI bookkeeping).
EpisodeStats serve(policies::wire::Channel& channel,
                   const std::function<Network&(const policies::AgentRequest&)>& network_for,
                   const std::function<void(const learn::UpdateStats&)>& after_update = {});

using learn::spec_from_manifest;
using learn::spec_mismatch;
using policies::find_checkpoint;

}  // namespace edgetwin::learn_app

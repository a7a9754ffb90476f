#pragma once
/// Learned policies (zTT, and later DVFO and BCEdge) decide through an Agent: the policy turns
/// observations into state vectors and rewards, the agent picks actions and, while training,
/// learns from the transitions. The learner itself (libtorch) lives in another process, the
/// trainer or the checkpoint server `edgetwin-learn`, reached through a pipe (agent_wire.hpp), so
/// neither the policies nor the simulator link libtorch (docs/learning.md, "Training in the
/// simulation").

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace edgetwin::policies {

class Agent {
 public:
  virtual ~Agent() = default;
  /// Action index in [0, action_count) for `state`. The agent's mode decides how: exploring
  /// (training) or greedy (evaluation).
  virtual int act(const std::vector<float>& state) = 0;
  /// The outcome of an earlier act(): `reward` earned between `state` and `next_state`, `dt_s`
  /// simulated seconds apart. An agent that does not learn only counts the reward.
  virtual void observe(const std::vector<float>& state, int action, double reward,
                       const std::vector<float>& next_state, bool done, double dt_s) = 0;
};

/// What a learned policy asks for when it is built.
struct AgentRequest {
  std::string policy;  ///< registry name, e.g. "ztt"
  /// Learner spec (edgetwin/learn/factory.hpp): kind, state_dim, action_count, hyper-parameters.
  nlohmann::json learner;
  std::vector<std::string> state_names;   ///< one per state value, with units
  std::vector<std::string> action_names;  ///< one per action
  std::string checkpoint;                 ///< the policy's `checkpoint` parameter ("" = none)
};

/// Gives a learned policy its agent. Devices that share a learner get the same agent.
using AgentProvider = std::function<std::shared_ptr<Agent>(const AgentRequest& request)>;

}  // namespace edgetwin::policies

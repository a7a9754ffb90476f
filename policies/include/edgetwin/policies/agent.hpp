#pragma once
/// Learned policies (zTT, and later DVFO and BCEdge) decide through an Agent: the policy turns
/// observations into state vectors and rewards, the agent picks actions and, while training,
/// learns from the transitions. The learner itself (libtorch) lives in another process, the
/// trainer or the checkpoint server `edgetwin-learn`, reached through a pipe (agent_wire.hpp), so
/// neither the policies nor the simulator link libtorch (docs/learning.md, "Training in the
/// simulation").

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace edgetwin::policies {

/// One learned network as a policy sees it. A decision network (learner kind "dqn" or "sac")
/// answers act() and learns from observe(); a supervised network (kind "supervised") answers
/// predict() and, while training, learns from sample().
class Agent {
 public:
  virtual ~Agent() = default;
  /// Action index in [0, action_count) for `state`. The agent's mode decides how: exploring
  /// (training) or greedy (evaluation). For branched heads (learner spec "branches") this is the
  /// joint index of the action tuple (edgetwin/common/action_branches.hpp).
  virtual int act(const std::vector<float>& state) = 0;
  /// The outcome of an earlier act(): `reward` earned between `state` and `next_state`, `dt_s`
  /// simulated seconds apart. An agent that does not learn only counts the reward.
  virtual void observe(const std::vector<float>& state, int action, double reward,
                       const std::vector<float>& next_state, bool done, double dt_s) = 0;
  /// Supervised networks: the outputs for one input (class logits, or regression values).
  virtual std::vector<float> predict(const std::vector<float>& /*input*/) {
    throw std::logic_error("predict() on a decision network (learner kind dqn/sac)");
  }
  /// Supervised networks: one training example (a classification label as one float holding the
  /// class index, or the regression targets). Kept by the trainer; ignored in evaluation.
  virtual void sample(const std::vector<float>& /*input*/, const std::vector<float>& /*target*/) {
    throw std::logic_error("sample() on a decision network (learner kind dqn/sac)");
  }
};

/// What a learned policy asks for when it is built.
struct AgentRequest {
  std::string policy;  ///< registry name, e.g. "ztt"
  /// The learned network's name (the policy's "network" parameter; default: the policy's name).
  /// Policies that name the same network share it (and must ask for the same learner); each
  /// network is trained, checkpointed and served on its own (docs/learning.md).
  std::string network;
  /// Learner spec (edgetwin/learn/factory.hpp): kind (dqn, sac, supervised), dimensions,
  /// hyper-parameters.
  nlohmann::json learner;
  std::vector<std::string> state_names;   ///< one per state value, with units
  std::vector<std::string> action_names;  ///< one per action
  std::string checkpoint;                 ///< the policy's `checkpoint` parameter ("" = none)

  /// The network name to use: `network`, or the policy's name when empty.
  const std::string& network_name() const { return network.empty() ? policy : network; }
};

/// Gives a learned policy its agent. Devices that share a learner get the same agent.
using AgentProvider = std::function<std::shared_ptr<Agent>(const AgentRequest& request)>;

}  // namespace edgetwin::policies

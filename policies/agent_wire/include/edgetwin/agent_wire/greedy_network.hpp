#pragma once
/// Torch-free evaluation of a trained network (docs/learning.md, "Torch-free evaluation"). Every
/// checkpoint holds greedy.json: the network that decides (DQN: the online network; SAC: the
/// actor; supervised: the network), its state normaliser and how it decides. `edgetwin run
/// --checkpoint` evaluates it here, in the simulator's process, without starting libtorch
/// (about 0.7 s per run) or the checkpoint server; the arithmetic is the learners' own act()
/// path, operation for operation, so the decisions and outputs are the same bits. This is also
/// what a board without libtorch runs.
///
/// Also here, because both the simulator and the learner process need it: finding a network's
/// checkpoint among what the user gave (find_checkpoint).

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/policies/agent.hpp"

namespace edgetwin::policies {

class GreedyNetwork {
 public:
  /// Reads `dir`/greedy.json; throws common::DataError naming the file and the field.
  static GreedyNetwork load(const std::string& dir);
  /// From the parsed document (`file` names it in errors).
  static GreedyNetwork from_json(const nlohmann::json& doc, const std::string& file);

  /// The network's outputs for one input (normalised first when the learner normalised states):
  /// Q values (DQN; branched: the heads one after another), policy logits (SAC), class logits or
  /// regression values (supervised). Throws std::invalid_argument on a wrong input size.
  std::vector<float> forward(const std::vector<float>& input) const;
  /// The greedy action: the argmax, or for branched heads each head's argmax combined into the
  /// joint index (edgetwin/common/action_branches.hpp). Decision networks only.
  int act(const std::vector<float>& state) const;

  const std::string& kind() const { return kind_; }  ///< dqn, sac, supervised
  int inputs() const { return sizes_.front(); }
  int outputs() const { return sizes_.back(); }
  /// The joint action count (decision networks).
  int action_count() const;
  const std::vector<int>& branches() const { return branches_; }
  /// Why this network cannot serve a policy asking for `learner` (a learner spec); "" when it
  /// can. Kind, task, dimensions, branches and the network's shape must agree (absent sizes take
  /// the learners' defaults), with the learners' wording ("action_count is 9 in the checkpoint,
  /// 6 in the policy").
  std::string mismatch(const nlohmann::json& learner) const;

 private:
  std::string kind_, task_, activation_;
  std::vector<int> sizes_;  ///< inputs, hidden..., outputs
  std::vector<int> branches_;
  std::vector<std::vector<float>> weights_, biases_;  ///< per layer; weights [in, out] input-major
  bool normalize_ = false;
  std::vector<double> mean_, variance_;
  double epsilon_ = 0, clip_ = 0;
  mutable std::vector<float> a_, b_;  ///< scratch
};

/// An Agent that decides from a GreedyNetwork in this process: greedy actions or predictions;
/// observe() and sample() only count (nothing learns).
class LocalAgent final : public Agent {
 public:
  explicit LocalAgent(std::shared_ptr<const GreedyNetwork> network) : network_(std::move(network)) {}
  int act(const std::vector<float>& state) override { return network_->act(state); }
  void observe(const std::vector<float>&, int, double reward, const std::vector<float>&, bool, double) override {
    reward_sum_ += reward;
    ++decisions_;
  }
  std::vector<float> predict(const std::vector<float>& input) override { return network_->forward(input); }
  void sample(const std::vector<float>&, const std::vector<float>&) override {}
  long decisions() const { return decisions_; }
  double reward_sum() const { return reward_sum_; }

 private:
  std::shared_ptr<const GreedyNetwork> network_;
  long decisions_ = 0;
  double reward_sum_ = 0;
};

/// The checkpoint of network `network` (of policy `policy`) among `candidates`, in order:
/// "NET=DIR" entries naming it, then plain DIRs: a DIR holding manifest.json is a checkpoint, used
/// when its user.network (or, for checkpoints written before networks had names, user.policy)
/// matches; a DIR without one is an `edgetwin train` output folder, whose `<network>/<subfolder>`
/// is used. "" when none fits.
std::string find_checkpoint(const std::vector<std::string>& candidates, const std::string& network,
                            const std::string& policy, const std::string& subfolder = "best");

}  // namespace edgetwin::policies

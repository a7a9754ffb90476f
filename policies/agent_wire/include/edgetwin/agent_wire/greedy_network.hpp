#pragma once
/// Torch-free evaluation of a trained network (docs/learning.md, "Evaluate" and "greedy.json"). Every
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

namespace edgetwin::policies {

/// The sequence front of a network whose input is a window of feature vectors (docs/learning.md,
/// "Attention and sequence inputs"): the input row is `window` vectors of `features` values,
/// oldest first; the front feeds the MLP [last vector, pooled], pooled = the window's mean
/// ("mean", FrameExit-style accumulated pooling) or scaled dot-product attention of the last
/// vector over the window ("attention": q = W_q^T x_last, k_t = W_k^T x_t, v_t = W_v^T x_t,
/// a = softmax(q.k_t / sqrt(key_dim)), pooled = sum_t a_t v_t).
struct SequenceFront {
  int window = 0;
  int features = 0;
  std::string pool;               ///< "mean" or "attention"
  int key_dim = 0;                ///< attention only
  std::vector<float> wq, wk, wv;  ///< [features, key_dim] input-major (attention only)
  /// The MLP's input width: features + (key_dim for attention, features for mean).
  int pooled_width() const { return features + (pool == "attention" ? key_dim : features); }
  /// Writes [last, pooled] of one input row to `out` (pooled_width() values).
  void apply(const float* x, float* out) const;

 private:
  mutable std::vector<float> q_, k_, scores_;  ///< scratch of apply()
};

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
  int inputs() const { return raw_inputs_; }
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
  bool sequence_ = false;
  SequenceFront front_;
  int raw_inputs_ = 0;  ///< the input width (window x features with a sequence front)
  bool normalize_ = false;
  std::vector<double> mean_, variance_;
  double epsilon_ = 0, clip_ = 0;
  mutable std::vector<float> a_, b_;  ///< scratch
};

/// The checkpoint of network `network` (of policy `policy`) among `candidates`, in order:
/// "NET=DIR" entries naming it, then plain DIRs: a DIR holding manifest.json is a checkpoint, used
/// when its user.network (or, for checkpoints written before networks had names, user.policy)
/// matches; a DIR without one is an `edgetwin train` output folder, whose `<network>/<subfolder>`
/// is used. "" when none fits.
std::string find_checkpoint(const std::vector<std::string>& candidates, const std::string& network,
                            const std::string& policy, const std::string& subfolder = "best");

}  // namespace edgetwin::policies

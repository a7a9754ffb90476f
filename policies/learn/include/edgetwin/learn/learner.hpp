#pragma once
/// What every learner shares: the discrete-action learner interface (act / observe /
/// maybe_update), update statistics, the data-parallel gradient hook, checkpoint metadata and the
/// determinism switch. See docs/learning.md.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/learn/replay_buffer.hpp"

namespace edgetwin::learn {

/// Format version written to manifest.json ("format_version"); load() rejects newer versions.
inline constexpr int kLearnerFormatVersion = 1;

/// Receives the learner's flat gradient (every trainable parameter, in parameters_flat() order)
/// after backward and before clipping and the optimiser step, and replaces it in place; e.g. an
/// MPI allreduce followed by division by the number of ranks. Called once per gradient step.
/// Returns whether to apply the step: false skips the clipping, the optimiser step and the
/// update counter (every rank must answer alike; the data-parallel trainer uses it for rounds in
/// which no rank had data, docs/learning.md).
using GradientReducer = std::function<bool(std::vector<float>& gradient)>;

/// Makes libtorch run every op on the calling thread (at::set_num_threads(1)). Required for
/// bit-for-bit reproducibility (intra-op parallel reductions change the summation order) and the
/// fastest setting for these small networks. Process-wide: call once at start-up.
void use_single_torch_thread();
/// The libtorch version string the library was built with, e.g. "1.13.0".
std::string torch_version();

/// Statistics of one gradient step.
struct UpdateStats {
  double loss = 0;        ///< DQN: Huber TD loss; SAC: mean of the two critic losses
  double mean_q = 0;      ///< mean Q(s, a) of the batch for the actions taken (DQN: online net;
                          ///< SAC: min of the two critics)
  double epsilon = 0;     ///< DQN: exploration rate at this update; SAC: 0
  double actor_loss = 0;  ///< SAC only
  double alpha = 0;       ///< SAC only: entropy temperature after the step
  double entropy = 0;     ///< SAC only: mean policy entropy of the batch (nats)
  bool applied = true;    ///< false when the gradient reducer skipped the step
};

/// Counters saved in checkpoints and restored by load().
struct LearnerCounters {
  std::uint64_t decisions = 0;  ///< transitions observed (observe() calls)
  std::uint64_t updates = 0;    ///< gradient steps taken
};

/// A learner over a discrete action set that is fed one transition per decision. The caller owns
/// the environment: act() on the current state, apply the action, then observe() the outcome and
/// call maybe_update(). None of these advance simulated time.
class DiscreteLearner {
 public:
  virtual ~DiscreteLearner() = default;

  /// Action in [0, action_count) for `state` (state_dim values). explore = true: the training
  /// behaviour (DQN: epsilon-greedy; SAC: sample the policy); false: greedy (argmax).
  virtual int act(const std::vector<float>& state, bool explore) = 0;
  /// Stores one transition (and updates the state normaliser when enabled).
  virtual void observe(const Transition& t) = 0;
  /// Takes a gradient step if one is due (warm-up over and update_every decisions since the last
  /// one), sampling a batch from the replay buffer; nullopt when no step was taken.
  virtual std::optional<UpdateStats> maybe_update() = 0;
  /// One gradient step on exactly this batch (no replay sampling; counts as an update).
  virtual UpdateStats update_on(const TransitionBatch& batch) = 0;

  /// Per-action outputs for `state`: DQN Q values; SAC policy logits (argmax = greedy action).
  virtual std::vector<float> action_values(const std::vector<float>& state) = 0;

  /// All trainable parameters concatenated in a fixed order (docs/learning.md), and their
  /// replacement (which also resets target networks to the new values so that ranks can start
  /// identical). set_parameters_flat throws std::invalid_argument on a wrong size.
  virtual std::vector<float> parameters_flat() const = 0;
  virtual void set_parameters_flat(const std::vector<float>& flat) = 0;
  /// See GradientReducer; an empty function removes the hook.
  virtual void set_gradient_reducer(GradientReducer reducer) = 0;

  /// Writes a checkpoint into `dir` (created if missing): tensors (.pt, torch::save) and
  /// manifest.json; `user` (any JSON object: policy name, scenario hash, ...) is stored verbatim
  /// under "user". Throws std::runtime_error when the directory cannot be written.
  virtual void save(const std::string& dir, const nlohmann::json& user = nlohmann::json::object()) const = 0;
  /// Restores a checkpoint written by save() of the same kind and shape, including counters,
  /// optimiser state, normaliser, replay buffer and random streams, so training resumes where it
  /// stopped. Throws CheckpointError naming the file and the field. Returns the manifest.
  virtual nlohmann::json load(const std::string& dir) = 0;

  virtual std::string kind() const = 0;  ///< "dqn" or "sac"
  virtual int state_dim() const = 0;
  virtual int action_count() const = 0;
  virtual LearnerCounters counters() const = 0;
};

/// Reads and parses `dir`/manifest.json without loading any tensor (e.g. to pick the learner
/// kind, or to show the "user" object). Throws CheckpointError when missing or not JSON.
nlohmann::json read_manifest(const std::string& dir);

}  // namespace edgetwin::learn

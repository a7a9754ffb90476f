#pragma once
// Internal: what DQN and SAC share around their networks: replay buffer, optional state
// normaliser, exploration generator, counters, the update schedule, the gradient reducer, and the
// checkpoint parts that are not networks (replay.pt, normalizer.pt, counters and generators).

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/learn/learner.hpp"
#include "edgetwin/learn/mlp_spec.hpp"
#include "edgetwin/learn/normalizer.hpp"
#include "edgetwin/learn/replay_buffer.hpp"

#include "flat_adam.hpp"

namespace edgetwin::learn::detail {

struct CoreSettings {
  int state_dim = 0;
  int action_count = 0;
  std::size_t batch_size = 64;
  std::size_t replay_capacity = 100000;
  std::size_t warmup = 1000;
  std::size_t update_every = 4;
  bool normalize_states = false;
  double normalizer_clip = 5.0;
  double gamma = 0.99;
  bool discount_per_second = false;
  std::uint64_t seed = 1;
};

/// The settings every learner config (DqnConfig, SacConfig) shares, copied by field name.
template <typename Config>
CoreSettings core_settings_of(const Config& c) {
  CoreSettings s;
  s.state_dim = c.state_dim;
  s.action_count = c.action_count;
  s.batch_size = c.batch_size;
  s.replay_capacity = c.replay_capacity;
  s.warmup = c.warmup;
  s.update_every = c.update_every;
  s.normalize_states = c.normalize_states;
  s.normalizer_clip = c.normalizer_clip;
  s.gamma = c.gamma;
  s.discount_per_second = c.discount_per_second;
  s.seed = c.seed;
  return s;
}

/// A batch ready for a loss, in plain row-major arrays: states normalised when enabled, discount
/// per row. The learners keep one and refill it at each update (no allocation once warm).
struct BatchArrays {
  int rows = 0;
  int dim = 0;
  std::vector<float> both;       ///< [2B, dim]: states then next_states (one pass for both)
  std::vector<int> actions;      ///< [B]
  std::vector<float> rewards;    ///< [B]
  std::vector<float> bootstrap;  ///< [B]: discount * (1 - done), the weight of V(s')

  const float* states() const { return both.data(); }
  const float* next_states() const {
    return both.data() + static_cast<std::size_t>(rows) * static_cast<std::size_t>(dim);
  }
};

/// Staged non-network checkpoint state, committed only once every file has been read.
struct CoreSnapshot {
  LearnerCounters counters;
  std::uint64_t pending = 0;
  std::string explore_rng, replay_rng;
  std::vector<float> states, next_states, rewards, dones, dt_s;
  std::vector<std::int64_t> actions;
  std::size_t head = 0;
  std::uint64_t pushed = 0;
  std::uint64_t norm_count = 0;
  std::vector<double> norm_mean, norm_m2;
};

class LearnerCore {
 public:
  LearnerCore(const CoreSettings& settings, std::uint64_t explore_seed, std::uint64_t replay_seed);

  void check_state(const std::vector<float>& state, const char* what) const;
  /// `state` normalised into scratch (or the state itself when normalisation is off).
  const float* prepare_state(const std::vector<float>& state);
  void observe(const Transition& t);
  /// A sampled batch when an update is due (and the counter advanced), nullptr otherwise.
  const TransitionBatch* due_batch();
  /// Checks `batch` and fills `out` from it.
  void fill(const TransitionBatch& batch, BatchArrays& out) const;

  /// Applies the reducer (if any) to the flat gradient; throws std::logic_error if it changes
  /// the size. Returns whether the step is to be applied (true without a reducer).
  bool reduce(std::vector<float>& gradient);
  void set_reducer(GradientReducer reducer) { reducer_ = std::move(reducer); }

  void write_checkpoint_parts(const std::string& dir, nlohmann::json& manifest) const;
  CoreSnapshot read_checkpoint_parts(const std::string& dir, const nlohmann::json& manifest) const;
  void commit(CoreSnapshot snapshot);

  const CoreSettings& settings() const { return settings_; }
  /// The state normaliser, when enabled (nullptr otherwise).
  const RunningNormalizer* normalizer() const { return normalizer_ ? &*normalizer_ : nullptr; }
  ReplayBuffer& replay() { return replay_; }
  const ReplayBuffer& replay() const { return replay_; }
  std::mt19937_64& explore_rng() { return explore_rng_; }
  LearnerCounters counters;

 private:
  CoreSettings settings_;
  ReplayBuffer replay_;
  std::optional<RunningNormalizer> normalizer_;
  std::mt19937_64 explore_rng_;
  std::uint64_t pending_ = 0;  // decisions since the last update
  GradientReducer reducer_;
  std::vector<float> state_scratch_;
  TransitionBatch batch_scratch_;
};

class TorchMlp;

/// The greedy network for torch-free evaluation (docs/learning.md, "Evaluate" and "greedy.json"):
/// member `member` of `network` with the learner's normaliser (nullptr: none), written to
/// greedy.json and recorded in the manifest like the tensor files. `extra` (kind, task, branches,
/// decide) is merged into the document.
void write_greedy(const std::string& dir, const TorchMlp& network, int member,
                  const RunningNormalizer* normalizer, const nlohmann::json& extra, nlohmann::json& manifest);

/// The head of a greedy.json document for an MLP of shape `spec` (format, version, inputs,
/// hidden, outputs, activation, no normaliser), with `extra` merged in.
nlohmann::json greedy_header(const MlpSpec& spec, const nlohmann::json& extra);

/// Writes `doc` to dir/name and records it in the manifest (size and hash).
void write_json_file(const std::string& dir, const std::string& name, const nlohmann::json& doc,
                     nlohmann::json& manifest);

/// Adam state in its own tensor file (m, v, steps), recorded in the manifest like the others.
void write_adam(const std::string& dir, const std::string& name, const FlatAdam& adam,
                nlohmann::json& manifest);
struct AdamSnapshot {
  std::vector<float> m, v;
  std::int64_t steps = 0;
};
/// Reads and checks (sizes against `like`) the Adam state written by write_adam.
AdamSnapshot read_adam(const std::string& dir, const std::string& name, const nlohmann::json& manifest,
                       const FlatAdam& like);

/// The four streams derived from one seed: weights, exploration, replay sampling, spare.
std::vector<std::uint64_t> derive_seeds(std::uint64_t seed);

/// Index of the largest value (first one on ties).
int argmax(const float* values, int n);

}  // namespace edgetwin::learn::detail

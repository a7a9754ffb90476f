#pragma once
/// Soft actor-critic for discrete actions (Christodoulou 2019, arXiv 1910.07207): a categorical
/// actor, twin Q critics with Polyak-averaged target critics, and the entropy temperature tuned
/// towards target_entropy = target_entropy_ratio * log(action_count). Expectations over actions
/// are computed exactly from the policy's probabilities (no sampling in the losses).
/// libtorch is an implementation detail (pimpl): this header does not include it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "edgetwin/learn/learner.hpp"
#include "edgetwin/learn/mlp_spec.hpp"

namespace edgetwin::learn {

struct SacConfig {
  int state_dim = 0;
  int action_count = 0;
  std::vector<int> hidden{64, 64};  ///< actor and both critics
  Activation activation = Activation::kRelu;

  double gamma = 0.99;
  bool discount_per_second = false;  ///< semi-MDP: discount gamma^dt_s per transition
  double actor_learning_rate = 3e-4;
  double critic_learning_rate = 3e-4;
  double alpha_learning_rate = 3e-4;
  double initial_alpha = 1.0;
  bool auto_alpha = true;              ///< false: alpha stays initial_alpha
  double target_entropy_ratio = 0.98;  ///< target entropy = ratio * log(action_count) nats
  double polyak_tau = 0.005;           ///< target critics <- tau*critics + (1-tau)*targets per update
  std::size_t batch_size = 64;
  std::size_t replay_capacity = 100000;
  std::size_t warmup = 1000;
  std::size_t update_every = 4;
  double max_grad_norm = 10.0;  ///< per network; <= 0 disables
  bool normalize_states = false;
  double normalizer_clip = 5.0;
  std::uint64_t seed = 1;

  MlpSpec actor_network() const;   ///< {state_dim, hidden, action_count, activation}
  MlpSpec critic_network() const;  ///< same shape
  double target_entropy() const;
  void validate() const;  ///< throws ConfigError naming the field
  nlohmann::json hyper_parameters() const;
};

class SacLearner final : public DiscreteLearner {
 public:
  explicit SacLearner(const SacConfig& config);
  ~SacLearner() override;
  SacLearner(const SacLearner&) = delete;
  SacLearner& operator=(const SacLearner&) = delete;

  /// explore = true samples the policy (learner's own generator); false takes the argmax.
  int act(const std::vector<float>& state, bool explore) override;
  void observe(const Transition& t) override;
  std::optional<UpdateStats> maybe_update() override;
  /// Critic, actor and temperature gradients are all computed on the pre-step parameters, then
  /// one reduced gradient is applied (one allreduce per update).
  UpdateStats update_on(const TransitionBatch& batch) override;
  /// Policy logits (softmax = action probabilities).
  std::vector<float> action_values(const std::vector<float>& state) override;
  std::vector<float> probabilities(const std::vector<float>& state);
  /// min(Q1, Q2) per action.
  std::vector<float> q_values(const std::vector<float>& state);

  /// Order: actor (layer by layer, weight [in, out] then bias), the twin critics (layer by layer,
  /// weight [2, in, out] then bias [2, 1, out]: both critics per layer), then log(alpha).
  std::vector<float> parameters_flat() const override;
  void set_parameters_flat(const std::vector<float>& flat) override;
  void set_gradient_reducer(GradientReducer reducer) override;

  /// Files: manifest.json, actor.pt, critics.pt, targets.pt, alpha.pt, actor_optimizer.pt,
  /// critic_optimizer.pt, alpha_optimizer.pt, replay.pt, normalizer.pt (when normalize_states).
  void save(const std::string& dir, const nlohmann::json& user = nlohmann::json::object()) const override;
  nlohmann::json load(const std::string& dir) override;

  std::string kind() const override { return "sac"; }
  int state_dim() const override;
  int action_count() const override;
  LearnerCounters counters() const override;
  double alpha() const;
  const SacConfig& config() const;
  const ReplayBuffer& replay() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgetwin::learn

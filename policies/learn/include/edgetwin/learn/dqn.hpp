#pragma once
/// Deep Q-network learner (Mnih et al. 2015) with the usual options: target network (hard copy
/// every K updates or Polyak averaging), epsilon-greedy schedule, double DQN, Huber loss,
/// gradient-norm clipping, Adam, warm-up, an update every N decisions, semi-MDP discounting.
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

/// Exploration rate as a function of the number of decisions n (observe() calls).
struct EpsilonSchedule {
  enum class Shape { kLinear, kExponential };
  double start = 1.0;
  double end = 0.05;
  std::uint64_t decay_decisions = 10000;  ///< n at which epsilon reaches `end` (and stays)
  /// kLinear: start + (end - start) * n / N. kExponential: end + (start - end) * 0.01^(n / N),
  /// i.e. 99% of the way after N decisions, then exactly `end`.
  Shape shape = Shape::kLinear;

  double at(std::uint64_t decisions) const;
};

struct DqnConfig {
  int state_dim = 0;
  /// Joint actions: the product of `branches` when branched.
  int action_count = 0;
  /// Branched heads (Action Branching, Tavakoli et al. 2018): one head of n_d Q values per action
  /// dimension d on the shared trunk; empty = one head over action_count actions. The joint action
  /// index is the tuple in mixed radix, first branch most significant
  /// (edgetwin/common/action_branches.hpp). Targets use the mean over branches of each branch's
  /// max (docs/learning.md, "Branched heads").
  std::vector<int> branches;
  std::vector<int> hidden{64, 64};
  Activation activation = Activation::kRelu;

  double gamma = 0.99;               ///< per decision, or per simulated second (below)
  bool discount_per_second = false;  ///< semi-MDP: discount gamma^dt_s per transition
  double learning_rate = 1e-3;       ///< Adam
  std::size_t batch_size = 64;
  std::size_t replay_capacity = 100000;
  std::size_t warmup = 1000;              ///< transitions stored before the first update
  std::size_t update_every = 4;           ///< decisions between updates
  std::size_t target_update_every = 500;  ///< hard copy every K updates (when polyak_tau == 0)
  double polyak_tau = 0;                  ///< > 0: target <- tau*online + (1-tau)*target each update
  bool double_dqn = false;                ///< a' chosen by the online net, valued by the target net
  double huber_delta = 1.0;
  double max_grad_norm = 10.0;  ///< global L2 norm clip; <= 0 disables
  EpsilonSchedule epsilon;
  bool normalize_states = false;  ///< RunningNormalizer on states (updated in observe())
  double normalizer_clip = 5.0;
  std::uint64_t seed = 1;  ///< weights, exploration and replay sampling

  /// {state_dim, hidden, outputs, activation}; outputs = action_count, or the sum of the branch
  /// sizes when branched.
  MlpSpec network() const;
  /// The heads' sizes: `branches`, or {action_count} when not branched.
  std::vector<int> heads() const;
  void validate() const;                    ///< throws ConfigError naming the field
  nlohmann::json hyper_parameters() const;  ///< everything but the network shape, for manifests
};

class DqnLearner final : public DiscreteLearner {
 public:
  explicit DqnLearner(const DqnConfig& config);
  ~DqnLearner() override;
  DqnLearner(const DqnLearner&) = delete;
  DqnLearner& operator=(const DqnLearner&) = delete;

  int act(const std::vector<float>& state, bool explore) override;
  void observe(const Transition& t) override;
  std::optional<UpdateStats> maybe_update() override;
  UpdateStats update_on(const TransitionBatch& batch) override;
  /// Q values of the online network (= q_values); branched: the heads' values one after the
  /// other (sum of the branch sizes), head d's argmax being component d of the greedy action.
  std::vector<float> action_values(const std::vector<float>& state) override;
  std::vector<float> q_values(const std::vector<float>& state) { return action_values(state); }

  /// Order: online network, layer by layer, weight (input-major [in, out]) then bias.
  std::vector<float> parameters_flat() const override;
  void set_parameters_flat(const std::vector<float>& flat) override;
  void set_gradient_reducer(GradientReducer reducer) override;

  /// Files: manifest.json, online.pt, target.pt, optimizer.pt, replay.pt, normalizer.pt (when
  /// normalize_states).
  void save(const std::string& dir, const nlohmann::json& user = nlohmann::json::object()) const override;
  nlohmann::json load(const std::string& dir) override;

  std::string kind() const override { return "dqn"; }
  int state_dim() const override;
  int action_count() const override;
  LearnerCounters counters() const override;
  /// Exploration rate for the next act(explore = true).
  double epsilon() const;
  const DqnConfig& config() const;
  const ReplayBuffer& replay() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgetwin::learn

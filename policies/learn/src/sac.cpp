// Discrete soft actor-critic (Christodoulou 2019).

#include "edgetwin/learn/sac.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>
#include <torch/serialize.h>
#include <torch/torch.h>

#include "edgetwin/learn/error.hpp"

#include "batch_math.hpp"
#include "checkpoint_io.hpp"
#include "flat_adam.hpp"
#include "learner_core.hpp"
#include "torch_mlp.hpp"

namespace edgetwin::learn {

namespace {
void require(bool ok, const std::string& field, const std::string& found, const std::string& allowed) {
  if (!ok) throw ConfigError("sac config: " + field + ": found " + found + ", allowed " + allowed);
}

detail::NamedTensors named(const detail::TorchMlp& net) {
  detail::NamedTensors out;
  const auto names = net.parameter_names();
  for (std::size_t i = 0; i < names.size(); ++i) out.emplace_back(names[i], net.parameters()[i]);
  return out;
}

void softmax(const float* logits, int n, std::vector<double>& p) {
  p.resize(static_cast<std::size_t>(n));
  const float top = *std::max_element(logits, logits + n);
  double sum = 0;
  for (int i = 0; i < n; ++i)
    sum += (p[static_cast<std::size_t>(i)] = std::exp(static_cast<double>(logits[i] - top)));
  for (auto& v : p) v /= sum;
}
}  // namespace

MlpSpec SacConfig::actor_network() const {
  return MlpSpec{state_dim, hidden, action_count, activation};
}
MlpSpec SacConfig::critic_network() const {
  return MlpSpec{state_dim, hidden, action_count, activation};
}
double SacConfig::target_entropy() const {
  return target_entropy_ratio * std::log(static_cast<double>(action_count));
}

void SacConfig::validate() const {
  actor_network().validate("sac config: network");
  require(gamma >= 0 && gamma <= 1, "gamma", std::to_string(gamma), "[0, 1]");
  require(actor_learning_rate > 0, "actor_learning_rate", std::to_string(actor_learning_rate), "> 0");
  require(critic_learning_rate > 0, "critic_learning_rate", std::to_string(critic_learning_rate), "> 0");
  require(alpha_learning_rate > 0, "alpha_learning_rate", std::to_string(alpha_learning_rate), "> 0");
  require(initial_alpha > 0, "initial_alpha", std::to_string(initial_alpha), "> 0");
  require(target_entropy_ratio >= 0 && target_entropy_ratio <= 1, "target_entropy_ratio",
          std::to_string(target_entropy_ratio), "[0, 1]");
  require(polyak_tau > 0 && polyak_tau <= 1, "polyak_tau", std::to_string(polyak_tau), "(0, 1]");
  require(batch_size >= 1, "batch_size", std::to_string(batch_size), ">= 1");
  require(replay_capacity >= 1, "replay_capacity", std::to_string(replay_capacity), ">= 1");
  require(update_every >= 1, "update_every", std::to_string(update_every), ">= 1");
  require(normalizer_clip > 0, "normalizer_clip", std::to_string(normalizer_clip), "> 0");
}

nlohmann::json SacConfig::hyper_parameters() const {
  return {{"gamma", gamma},
          {"discount_per_second", discount_per_second},
          {"actor_learning_rate", actor_learning_rate},
          {"critic_learning_rate", critic_learning_rate},
          {"alpha_learning_rate", alpha_learning_rate},
          {"initial_alpha", initial_alpha},
          {"auto_alpha", auto_alpha},
          {"target_entropy_ratio", target_entropy_ratio},
          {"target_entropy", target_entropy()},
          {"polyak_tau", polyak_tau},
          {"batch_size", batch_size},
          {"replay_capacity", replay_capacity},
          {"warmup", warmup},
          {"update_every", update_every},
          {"max_grad_norm", max_grad_norm},
          {"normalize_states", normalize_states},
          {"normalizer_clip", normalizer_clip},
          {"seed", seed}};
}

struct SacLearner::Impl {
  static std::mt19937_64 weight_rng(const SacConfig& c) {
    c.validate();
    return std::mt19937_64(detail::derive_seeds(c.seed)[0]);
  }

  explicit Impl(const SacConfig& c)
      : config(c),
        rng(weight_rng(c)),
        actor(c.actor_network(), rng),
        critics(c.critic_network(), rng, 2),
        targets(c.critic_network(), rng, 2),
        log_alpha(static_cast<float>(std::log(c.initial_alpha))),
        core(detail::core_settings_of(c), detail::derive_seeds(c.seed)[1], detail::derive_seeds(c.seed)[2]),
        actor_adam(actor.size(), c.actor_learning_rate),
        critic_adam(critics.size(), c.critic_learning_rate),
        alpha_adam(1, c.alpha_learning_rate),
        grad(actor.size() + critics.size() + 1) {
    targets.copy_from(critics);
    logits_scratch.resize(static_cast<std::size_t>(c.action_count));
  }

  double alpha() const { return std::exp(static_cast<double>(log_alpha)); }
  std::size_t critic_offset() const { return actor.size(); }
  std::size_t alpha_offset() const { return actor.size() + critics.size(); }

  SacConfig config;
  std::mt19937_64 rng;  // weight initialisation only
  detail::TorchMlp actor;
  detail::TorchMlp critics;  // the twin critics as a 2-member ensemble
  detail::TorchMlp targets;  // their Polyak-averaged copies
  float log_alpha;           // the temperature is learned in log space
  detail::LearnerCore core;
  detail::FlatAdam actor_adam, critic_adam, alpha_adam;
  std::vector<float> grad;  // parameters_flat order: actor, critics, log_alpha
  std::vector<float> logits_scratch;
  std::vector<double> prob_scratch;
  // Update workspace, reused from update to update.
  detail::BatchArrays batch;
  detail::TorchMlp::Trace actor_trace, target_trace, critic_trace;
  std::vector<float> log_p, p;   // [2B, A]: states then next states
  std::vector<float> y;          // [B]
  std::vector<float> diff, d_q;  // [2, B] and [2, B, A]
  std::vector<float> d_logits;   // [B, A]
  std::vector<float> scratch;    // [A]
};

SacLearner::SacLearner(const SacConfig& config) : impl_(std::make_unique<Impl>(config)) {}
SacLearner::~SacLearner() = default;

int SacLearner::state_dim() const {
  return impl_->config.state_dim;
}
int SacLearner::action_count() const {
  return impl_->config.action_count;
}
LearnerCounters SacLearner::counters() const {
  return impl_->core.counters;
}
double SacLearner::alpha() const {
  return impl_->alpha();
}
const SacConfig& SacLearner::config() const {
  return impl_->config;
}
const ReplayBuffer& SacLearner::replay() const {
  return impl_->core.replay();
}

std::vector<float> SacLearner::action_values(const std::vector<float>& state) {
  impl_->core.check_state(state, "sac logits");
  std::vector<float> logits(static_cast<std::size_t>(impl_->config.action_count));
  impl_->actor.forward_fast(impl_->core.prepare_state(state), logits.data());
  return logits;
}

std::vector<float> SacLearner::probabilities(const std::vector<float>& state) {
  const auto logits = action_values(state);
  std::vector<double> p;
  softmax(logits.data(), impl_->config.action_count, p);
  return {p.begin(), p.end()};
}

std::vector<float> SacLearner::q_values(const std::vector<float>& state) {
  auto& m = *impl_;
  m.core.check_state(state, "sac q_values");
  const float* x = m.core.prepare_state(state);
  std::vector<float> q1(static_cast<std::size_t>(m.config.action_count));
  std::vector<float> q2(q1.size());
  m.critics.forward_fast(x, q1.data(), 0);
  m.critics.forward_fast(x, q2.data(), 1);
  for (std::size_t i = 0; i < q1.size(); ++i) q1[i] = std::min(q1[i], q2[i]);
  return q1;
}

int SacLearner::act(const std::vector<float>& state, bool explore) {
  auto& m = *impl_;
  m.core.check_state(state, "sac act");
  m.actor.forward_fast(m.core.prepare_state(state), m.logits_scratch.data());
  if (!explore) return detail::argmax(m.logits_scratch.data(), m.config.action_count);
  softmax(m.logits_scratch.data(), m.config.action_count, m.prob_scratch);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  double u = uniform(m.core.explore_rng());
  for (int a = 0; a < m.config.action_count; ++a) {
    u -= m.prob_scratch[static_cast<std::size_t>(a)];
    if (u < 0) return a;
  }
  return m.config.action_count - 1;  // rounding left u a hair above 0
}

void SacLearner::observe(const Transition& t) {
  impl_->core.observe(t);
}

std::optional<UpdateStats> SacLearner::maybe_update() {
  const TransitionBatch* batch = impl_->core.due_batch();
  if (batch == nullptr) return std::nullopt;
  return update_on(*batch);
}

UpdateStats SacLearner::update_on(const TransitionBatch& batch) {
  auto& m = *impl_;
  auto& b = m.batch;
  m.core.fill(batch, b);
  const int rows = b.rows;
  const auto r = static_cast<std::size_t>(rows);
  const auto n = static_cast<std::size_t>(m.config.action_count);
  const auto inv_rows = 1.0 / static_cast<double>(rows);
  const auto alpha = static_cast<float>(m.alpha());

  // Actor: one pass over [states; next_states]; the next-state half only feeds the critic target.
  const float* logits = m.actor.forward_batch(b.both.data(), 2 * rows, m.actor_trace);
  m.log_p.resize(2 * r * n);
  m.p.resize(2 * r * n);
  detail::log_softmax_rows(logits, 2 * r, n, m.log_p.data(), m.p.data());
  const float* log_p = m.log_p.data();
  const float* p = m.p.data();
  const float* log_p_next = log_p + r * n;
  const float* p_next = p + r * n;

  // Soft target: V(s') = sum_a' pi(a'|s') [min(Q1', Q2')(s', a') - alpha log pi(a'|s')].
  const float* q_next = m.targets.forward_batch(b.next_states(), rows, m.target_trace);  // [2, B, A]
  m.y.resize(r);
  m.scratch.resize(n);
  for (std::size_t i = 0; i < r; ++i) {
    const auto v =
        static_cast<float>(detail::sac_soft_value(p_next + i * n, log_p_next + i * n, q_next + i * n,
                                                  q_next + (r + i) * n, alpha, n, m.scratch.data()));
    m.y[i] = b.rewards[i] + b.bootstrap[i] * v;
  }

  // Critics (both at once): loss = MSE1 + MSE2 = sum over twins and rows of (Q - y)^2 / B, so
  // dL/dQ_c(s_i, a_i) = 2 (Q_c - y_i) / B and zero for the other actions.
  const float* q_all = m.critics.forward_batch(b.states(), rows, m.critic_trace);  // [2, B, A]
  m.d_q.assign(2 * r * n, 0.0F);
  m.diff.resize(2 * r);
  const auto critic_scale = static_cast<float>(2.0 * inv_rows);
  for (std::size_t c = 0; c < 2; ++c) {
    for (std::size_t i = 0; i < r; ++i) {
      const std::size_t k = c * r * n + i * n + static_cast<std::size_t>(b.actions[i]);
      m.diff[c * r + i] = q_all[k] - m.y[i];
      m.d_q[k] = m.diff[c * r + i] * critic_scale;
    }
  }
  m.critics.backward_batch(m.critic_trace, m.d_q.data(), rows, m.grad.data() + m.critic_offset());

  // Actor: L = mean_i sum_a p_a f_a with f = alpha log p - min(Q1, Q2) (critics held fixed).
  // With p = softmax(z): dL_i/dz_j = p_j (f_j - L_i) (the alpha d(log p) term sums to zero).
  // Statistics and the batch entropy in the same loop.
  m.d_logits.resize(r * n);
  const auto actor_scale = static_cast<float>(inv_rows);
  double entropy = 0;
  double critic_loss = 0;
  double actor_loss = 0;
  double mean_q = 0;
  for (std::size_t i = 0; i < r; ++i) {
    double row_entropy = 0;
    actor_loss +=
        detail::sac_actor_row(p + i * n, log_p + i * n, q_all + i * n, q_all + (r + i) * n, alpha,
                              actor_scale, n, m.d_logits.data() + i * n, m.scratch.data(), row_entropy);
    entropy += row_entropy;
    const float d1 = m.diff[i];
    const float d2 = m.diff[r + i];
    critic_loss += static_cast<double>(d1) * d1 + static_cast<double>(d2) * d2;
    const std::size_t k = i * n + static_cast<std::size_t>(b.actions[i]);
    mean_q += std::min(q_all[k], q_all[r * n + k]);
  }
  // Next-state rows carry no loss. The gradients go straight into the flat vector (actor, critics).
  m.actor.backward_batch(m.actor_trace, m.d_logits.data(), rows, m.grad.data());
  entropy *= inv_rows;
  // Temperature: L = mean_i log_alpha (H_i - target), so dL/dlog_alpha = mean H - target: alpha
  // falls while the policy is more random than the target entropy and rises when it is more
  // deterministic.

  float* g = m.grad.data();
  g[m.alpha_offset()] = m.config.auto_alpha ? static_cast<float>(entropy - m.config.target_entropy()) : 0.0F;
  UpdateStats stats;
  stats.loss = 0.5 * critic_loss * inv_rows;  // mean of the two critics' MSE
  stats.mean_q = mean_q * inv_rows;
  stats.actor_loss = actor_loss * inv_rows;
  stats.entropy = entropy;
  if (!m.core.reduce(m.grad)) {
    stats.applied = false;
    stats.alpha = m.alpha();
    return stats;
  }
  g = m.grad.data();
  if (m.config.max_grad_norm > 0) {
    detail::clip_grad_norm(g + m.critic_offset(), m.critics.size(), m.config.max_grad_norm);
    detail::clip_grad_norm(g, m.actor.size(), m.config.max_grad_norm);
  }
  m.critic_adam.step(m.critics.data(), g + m.critic_offset());
  m.actor_adam.step(m.actor.data(), g);
  if (m.config.auto_alpha) m.alpha_adam.step(&m.log_alpha, g + m.alpha_offset());
  m.targets.polyak_from(m.critics, m.config.polyak_tau);
  ++m.core.counters.updates;
  stats.alpha = m.alpha();
  return stats;
}

std::vector<float> SacLearner::parameters_flat() const {
  const auto& m = *impl_;
  std::vector<float> flat;
  flat.reserve(m.grad.size());
  for (const auto* net : {&m.actor, &m.critics})
    flat.insert(flat.end(), net->data(), net->data() + net->size());
  flat.push_back(m.log_alpha);
  return flat;
}

void SacLearner::set_parameters_flat(const std::vector<float>& flat) {
  auto& m = *impl_;
  if (flat.size() != m.grad.size()) {
    throw std::invalid_argument("sac set_parameters_flat: found " + std::to_string(flat.size()) +
                                " values, expected " + std::to_string(m.grad.size()));
  }
  auto it = flat.begin();
  for (auto* net : {&m.actor, &m.critics}) {
    std::copy(it, it + static_cast<std::ptrdiff_t>(net->size()), net->data());
    it += static_cast<std::ptrdiff_t>(net->size());
  }
  m.log_alpha = *it;
  m.targets.copy_from(m.critics);
}

void SacLearner::set_gradient_reducer(GradientReducer reducer) {
  impl_->core.set_reducer(std::move(reducer));
}

void SacLearner::save(const std::string& dir, const nlohmann::json& user) const {
  const auto& m = *impl_;
  detail::make_checkpoint_dir(dir);
  auto manifest = detail::manifest_header(kind(), m.config.state_dim, m.config.action_count, user);
  manifest["network"] = {{"actor", m.config.actor_network().to_json()},
                         {"critic", m.config.critic_network().to_json()}};
  manifest["hyper_parameters"] = m.config.hyper_parameters();
  detail::write_tensors(dir, "actor.pt", named(m.actor), manifest);
  detail::write_greedy(dir, m.actor, 0, m.core.normalizer(), {{"kind", "sac"}, {"decide", "argmax"}},
                       manifest);
  detail::write_tensors(dir, "critics.pt", named(m.critics), manifest);
  detail::write_tensors(dir, "targets.pt", named(m.targets), manifest);
  detail::write_tensors(dir, "alpha.pt", {{"log_alpha", torch::full({1}, m.log_alpha, torch::kFloat32)}},
                        manifest);
  detail::write_adam(dir, "actor_optimizer.pt", m.actor_adam, manifest);
  detail::write_adam(dir, "critic_optimizer.pt", m.critic_adam, manifest);
  detail::write_adam(dir, "alpha_optimizer.pt", m.alpha_adam, manifest);
  m.core.write_checkpoint_parts(dir, manifest);
  detail::write_manifest(dir, manifest);
}

nlohmann::json SacLearner::load(const std::string& dir) {
  auto& m = *impl_;
  auto manifest = detail::read_and_check_manifest(dir, kind(), m.config.state_dim, m.config.action_count);
  detail::check_network(dir, manifest, "/network/actor", m.config.actor_network());
  detail::check_network(dir, manifest, "/network/critic", m.config.critic_network());
  // Read and check everything before changing anything: a failed load leaves the learner intact.
  detail::TorchMlp* nets[] = {&m.actor, &m.critics, &m.targets};
  const char* files[] = {"actor.pt", "critics.pt", "targets.pt"};
  std::vector<std::vector<torch::Tensor>> loaded;
  for (std::size_t i = 0; i < 3; ++i) {
    loaded.push_back(
        detail::read_tensors(dir, files[i], manifest, nets[i]->parameter_names(), nets[i]->parameters()));
  }
  const auto alpha =
      detail::read_tensors(dir, "alpha.pt", manifest, {"log_alpha"}, {torch::zeros({1}, torch::kFloat32)});
  auto actor_adam = detail::read_adam(dir, "actor_optimizer.pt", manifest, m.actor_adam);
  auto critic_adam = detail::read_adam(dir, "critic_optimizer.pt", manifest, m.critic_adam);
  auto alpha_adam = detail::read_adam(dir, "alpha_optimizer.pt", manifest, m.alpha_adam);
  auto snapshot = m.core.read_checkpoint_parts(dir, manifest);
  {
    torch::NoGradGuard no_grad;
    for (std::size_t n = 0; n < 3; ++n) {
      for (std::size_t i = 0; i < loaded[n].size(); ++i) nets[n]->parameters()[i].copy_(loaded[n][i]);
    }
    m.log_alpha = alpha[0].data_ptr<float>()[0];
  }
  m.actor_adam.restore(std::move(actor_adam.m), std::move(actor_adam.v), actor_adam.steps);
  m.critic_adam.restore(std::move(critic_adam.m), std::move(critic_adam.v), critic_adam.steps);
  m.alpha_adam.restore(std::move(alpha_adam.m), std::move(alpha_adam.v), alpha_adam.steps);
  m.core.commit(std::move(snapshot));
  return manifest;
}

}  // namespace edgetwin::learn

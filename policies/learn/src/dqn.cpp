// DQN learner.

#include "edgetwin/learn/dqn.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>
#include <torch/serialize.h>
#include <torch/torch.h>

#include "edgetwin/common/action_branches.hpp"
#include "edgetwin/learn/error.hpp"

#include "checkpoint_io.hpp"
#include "flat_adam.hpp"
#include "learner_core.hpp"
#include "torch_mlp.hpp"

namespace edgetwin::learn {

namespace {
const char* shape_name(EpsilonSchedule::Shape s) {
  return s == EpsilonSchedule::Shape::kLinear ? "linear" : "exponential";
}

void require(bool ok, const std::string& field, const std::string& found, const std::string& allowed) {
  if (!ok) throw ConfigError("dqn config: " + field + ": found " + found + ", allowed " + allowed);
}

}  // namespace

std::vector<int> DqnConfig::heads() const {
  return branches.empty() ? std::vector<int>{action_count} : branches;
}

MlpSpec DqnConfig::network() const {
  int outputs = 0;
  for (const int n : heads()) outputs += n;
  return MlpSpec{state_dim, hidden, outputs, activation};
}

void DqnConfig::validate() const {
  if (!branches.empty()) {
    for (std::size_t d = 0; d < branches.size(); ++d) {
      require(branches[d] >= 1, "branches[" + std::to_string(d) + "]", std::to_string(branches[d]), ">= 1");
    }
    int joint = 0;
    try {
      joint = common::joint_action_count(branches);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(std::string("dqn config: ") + e.what());
    }
    require(action_count == joint, "action_count", std::to_string(action_count),
            std::to_string(joint) + " (the product of the branch sizes)");
  }
  network().validate("dqn config: network");
  require(gamma >= 0 && gamma <= 1, "gamma", std::to_string(gamma), "[0, 1]");
  require(learning_rate > 0, "learning_rate", std::to_string(learning_rate), "> 0");
  require(batch_size >= 1, "batch_size", std::to_string(batch_size), ">= 1");
  require(replay_capacity >= 1, "replay_capacity", std::to_string(replay_capacity), ">= 1");
  require(update_every >= 1, "update_every", std::to_string(update_every), ">= 1");
  require(polyak_tau >= 0 && polyak_tau <= 1, "polyak_tau", std::to_string(polyak_tau), "[0, 1]");
  require(polyak_tau > 0 || target_update_every >= 1, "target_update_every",
          std::to_string(target_update_every), ">= 1 when polyak_tau is 0");
  require(huber_delta > 0, "huber_delta", std::to_string(huber_delta), "> 0");
  require(epsilon.start >= 0 && epsilon.start <= 1, "epsilon.start", std::to_string(epsilon.start), "[0, 1]");
  require(epsilon.end >= 0 && epsilon.end <= 1, "epsilon.end", std::to_string(epsilon.end), "[0, 1]");
  require(normalizer_clip > 0, "normalizer_clip", std::to_string(normalizer_clip), "> 0");
}

nlohmann::json DqnConfig::hyper_parameters() const {
  return {{"gamma", gamma},
          {"discount_per_second", discount_per_second},
          {"learning_rate", learning_rate},
          {"batch_size", batch_size},
          {"replay_capacity", replay_capacity},
          {"warmup", warmup},
          {"update_every", update_every},
          {"target_update_every", target_update_every},
          {"polyak_tau", polyak_tau},
          {"double_dqn", double_dqn},
          {"huber_delta", huber_delta},
          {"max_grad_norm", max_grad_norm},
          {"epsilon",
           {{"start", epsilon.start},
            {"end", epsilon.end},
            {"decay_decisions", epsilon.decay_decisions},
            {"shape", shape_name(epsilon.shape)}}},
          {"normalize_states", normalize_states},
          {"normalizer_clip", normalizer_clip},
          {"seed", seed}};
}

namespace {

/// The branch offsets into the network's outputs: head d is outputs [offset[d], offset[d + 1]).
std::vector<int> head_offsets(const std::vector<int>& heads) {
  std::vector<int> offsets{0};
  for (const int n : heads) offsets.push_back(offsets.back() + n);
  return offsets;
}

}  // namespace

struct DqnLearner::Impl {
  static std::mt19937_64 weight_rng(const DqnConfig& c) {
    c.validate();
    return std::mt19937_64(detail::derive_seeds(c.seed)[0]);
  }

  explicit Impl(const DqnConfig& c)
      : config(c),
        rng(weight_rng(c)),
        online(c.network(), rng),
        target(c.network(), rng),
        core(detail::core_settings_of(c), detail::derive_seeds(c.seed)[1], detail::derive_seeds(c.seed)[2]),
        adam(online.size(), c.learning_rate),
        grad(online.size()),
        heads(c.heads()),
        offsets(head_offsets(heads)) {
    target.copy_from(online);
    q_scratch.resize(static_cast<std::size_t>(offsets.back()));
    tuple.resize(heads.size());
  }

  /// The greedy joint action of the outputs `q`: each head's argmax, combined.
  int greedy(const float* q) {
    if (heads.size() == 1) return detail::argmax(q, heads[0]);
    for (std::size_t d = 0; d < heads.size(); ++d) tuple[d] = detail::argmax(q + offsets[d], heads[d]);
    return common::joint_action(heads, tuple);
  }

  DqnConfig config;
  std::mt19937_64 rng;  // weight initialisation only
  detail::TorchMlp online;
  detail::TorchMlp target;
  detail::LearnerCore core;
  detail::FlatAdam adam;
  std::vector<float> grad;  // flat gradient of the online network
  std::vector<float> q_scratch;
  std::vector<int> heads;    // branch sizes ({action_count} when not branched)
  std::vector<int> offsets;  // head d's outputs start at offsets[d]; offsets.back() = outputs
  std::vector<int> tuple;    // scratch
  // Update workspace, reused from update to update.
  detail::BatchArrays batch;
  detail::TorchMlp::Trace trace, target_trace;
  std::vector<float> d_q;  // [B, A]
};

DqnLearner::DqnLearner(const DqnConfig& config) : impl_(std::make_unique<Impl>(config)) {}
DqnLearner::~DqnLearner() = default;

int DqnLearner::state_dim() const {
  return impl_->config.state_dim;
}
int DqnLearner::action_count() const {
  return impl_->config.action_count;
}
LearnerCounters DqnLearner::counters() const {
  return impl_->core.counters;
}
double DqnLearner::epsilon() const {
  return impl_->config.epsilon.at(impl_->core.counters.decisions);
}
const DqnConfig& DqnLearner::config() const {
  return impl_->config;
}
const ReplayBuffer& DqnLearner::replay() const {
  return impl_->core.replay();
}

std::vector<float> DqnLearner::action_values(const std::vector<float>& state) {
  impl_->core.check_state(state, "dqn q_values");
  std::vector<float> q(static_cast<std::size_t>(impl_->offsets.back()));
  impl_->online.forward_fast(impl_->core.prepare_state(state), q.data());
  return q;
}

int DqnLearner::act(const std::vector<float>& state, bool explore) {
  auto& m = *impl_;
  m.core.check_state(state, "dqn act");
  if (explore) {
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    if (coin(m.core.explore_rng()) < epsilon()) {
      std::uniform_int_distribution<int> pick(0, m.config.action_count - 1);
      return pick(m.core.explore_rng());
    }
  }
  m.online.forward_fast(m.core.prepare_state(state), m.q_scratch.data());
  return m.greedy(m.q_scratch.data());
}

void DqnLearner::observe(const Transition& t) {
  impl_->core.observe(t);
}

std::optional<UpdateStats> DqnLearner::maybe_update() {
  const TransitionBatch* batch = impl_->core.due_batch();
  if (batch == nullptr) return std::nullopt;
  return update_on(*batch);
}

UpdateStats DqnLearner::update_on(const TransitionBatch& batch) {
  auto& m = *impl_;
  auto& b = m.batch;
  m.core.fill(batch, b);
  const int rows = b.rows;
  const auto r = static_cast<std::size_t>(rows);
  const auto n = static_cast<std::size_t>(m.offsets.back());  // network outputs
  const auto branches = m.heads.size();
  const auto d_count = static_cast<float>(branches);
  // Double DQN: one online pass over [states; next_states]; the next-state half only picks a'.
  const float* q_online =
      m.online.forward_batch(b.both.data(), m.config.double_dqn ? 2 * rows : rows, m.trace);
  const float* q_next_target = m.target.forward_batch(b.next_states(), rows, m.target_trace);
  // One head: d(mean Huber)/dQ(s, a) = clamp(Q - y, -delta, delta) / B, zero for the other actions.
  // Branched (Tavakoli et al. 2018): y = r + discount * mean_d max_a' Q'_d(s', a'), the same target
  // for every head, and the loss is the mean over heads of each head's Huber loss at its component
  // a_d, so head d's gradient is clamp(Q_d(s, a_d) - y) / (B * D). With D = 1 this is exactly the
  // one-head update.
  m.d_q.assign(r * n, 0.0F);
  const auto delta = static_cast<float>(m.config.huber_delta);
  const double huber = m.config.huber_delta;
  double loss = 0;
  double sum_q = 0;
  for (std::size_t i = 0; i < r; ++i) {
    const float* next = q_next_target + i * n;
    float v_next = 0;
    for (std::size_t d = 0; d < branches; ++d) {
      const float* head = next + m.offsets[d];
      const int size = m.heads[d];
      v_next += m.config.double_dqn ? head[detail::argmax(q_online + (r + i) * n + m.offsets[d], size)]
                                    : *std::max_element(head, head + size);
    }
    v_next /= d_count;
    const float y = b.rewards[i] + b.bootstrap[i] * v_next;
    int joint = static_cast<int>(b.actions[i]);
    for (std::size_t d = branches; d-- > 0;) {  // the tuple's digits, last branch first
      const int component = joint % m.heads[d];
      joint /= m.heads[d];
      const std::size_t k = i * n + static_cast<std::size_t>(m.offsets[d] + component);
      const float diff = q_online[k] - y;
      m.d_q[k] = std::clamp(diff, -delta, delta) / (static_cast<float>(rows) * d_count);
      const double e = std::abs(static_cast<double>(diff));
      loss += (e <= huber ? 0.5 * e * e : huber * (e - 0.5 * huber)) / static_cast<double>(branches);
      sum_q += q_online[k] / static_cast<double>(branches);
    }
  }
  // Next-state rows (double DQN) carry no loss; the gradient goes straight into the flat vector.
  m.online.backward_batch(m.trace, m.d_q.data(), rows, m.grad.data());
  UpdateStats stats;
  stats.loss = loss / static_cast<double>(rows);
  stats.mean_q = sum_q / static_cast<double>(rows);
  stats.epsilon = epsilon();
  if (!m.core.reduce(m.grad)) {
    stats.applied = false;
    return stats;
  }
  if (m.config.max_grad_norm > 0)
    detail::clip_grad_norm(m.grad.data(), m.grad.size(), m.config.max_grad_norm);
  m.adam.step(m.online.data(), m.grad.data());
  auto& counters = m.core.counters;
  ++counters.updates;
  if (m.config.polyak_tau > 0) {
    m.target.polyak_from(m.online, m.config.polyak_tau);
  } else if (counters.updates % m.config.target_update_every == 0) {
    m.target.copy_from(m.online);
  }
  return stats;
}

std::vector<float> DqnLearner::parameters_flat() const {
  const auto& net = impl_->online;
  return {net.data(), net.data() + net.size()};
}

void DqnLearner::set_parameters_flat(const std::vector<float>& flat) {
  const auto expected = impl_->online.size();
  if (flat.size() != expected) {
    throw std::invalid_argument("dqn set_parameters_flat: found " + std::to_string(flat.size()) +
                                " values, expected " + std::to_string(expected));
  }
  std::copy(flat.begin(), flat.end(), impl_->online.data());
  impl_->target.copy_from(impl_->online);
}

void DqnLearner::set_gradient_reducer(GradientReducer reducer) {
  impl_->core.set_reducer(std::move(reducer));
}

void DqnLearner::save(const std::string& dir, const nlohmann::json& user) const {
  const auto& m = *impl_;
  detail::make_checkpoint_dir(dir);
  auto manifest = detail::manifest_header(kind(), m.config.state_dim, m.config.action_count, user);
  manifest["network"] = m.config.network().to_json();
  if (!m.config.branches.empty()) manifest["branches"] = m.config.branches;
  manifest["hyper_parameters"] = m.config.hyper_parameters();
  auto named = [](const detail::TorchMlp& net) {
    detail::NamedTensors out;
    const auto names = net.parameter_names();
    for (std::size_t i = 0; i < names.size(); ++i) out.emplace_back(names[i], net.parameters()[i]);
    return out;
  };
  detail::write_tensors(dir, "online.pt", named(m.online), manifest);
  detail::write_tensors(dir, "target.pt", named(m.target), manifest);
  nlohmann::json greedy = {{"kind", "dqn"},
                           {"decide", m.config.branches.empty() ? "argmax" : "branch_argmax"}};
  if (!m.config.branches.empty()) greedy["branches"] = m.config.branches;
  detail::write_greedy(dir, m.online, 0, m.core.normalizer(), greedy, manifest);
  detail::write_adam(dir, "optimizer.pt", m.adam, manifest);
  m.core.write_checkpoint_parts(dir, manifest);
  detail::write_manifest(dir, manifest);
}

nlohmann::json DqnLearner::load(const std::string& dir) {
  auto& m = *impl_;
  auto manifest = detail::read_and_check_manifest(dir, kind(), m.config.state_dim, m.config.action_count);
  const auto branches = manifest.value("branches", std::vector<int>{});
  if (branches != m.config.branches) {
    throw CheckpointError(dir + "/manifest.json", "/branches",
                          "found " + nlohmann::json(branches).dump() + ", expected " +
                              nlohmann::json(m.config.branches).dump() + " (the learner's config)");
  }
  detail::check_network(dir, manifest, "/network", m.config.network());
  // Read and check everything before changing anything: a failed load leaves the learner intact.
  const auto online =
      detail::read_tensors(dir, "online.pt", manifest, m.online.parameter_names(), m.online.parameters());
  const auto target =
      detail::read_tensors(dir, "target.pt", manifest, m.target.parameter_names(), m.target.parameters());
  auto adam = detail::read_adam(dir, "optimizer.pt", manifest, m.adam);
  auto snapshot = m.core.read_checkpoint_parts(dir, manifest);
  {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < online.size(); ++i) m.online.parameters()[i].copy_(online[i]);
    for (std::size_t i = 0; i < target.size(); ++i) m.target.parameters()[i].copy_(target[i]);
  }
  m.adam.restore(std::move(adam.m), std::move(adam.v), adam.steps);
  m.core.commit(std::move(snapshot));
  return manifest;
}

}  // namespace edgetwin::learn

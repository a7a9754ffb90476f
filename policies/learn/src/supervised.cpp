// Supervised MLP trainer (classification with cross-entropy, regression with MSE).

#include "edgetwin/learn/supervised.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/serialize.h>
#include <torch/torch.h>

#include "edgetwin/agent_wire/greedy_network.hpp"
#include "edgetwin/learn/error.hpp"

#include "checkpoint_io.hpp"
#include "flat_adam.hpp"
#include "learner_core.hpp"
#include "sequence_net.hpp"
#include "torch_mlp.hpp"

namespace edgetwin::learn {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void require(bool ok, const std::string& field, const std::string& found, const std::string& allowed) {
  if (!ok) throw ConfigError("supervised config: " + field + ": found " + found + ", allowed " + allowed);
}
}  // namespace

std::string to_string(SupervisedTask task) {
  return task == SupervisedTask::kClassification ? "classification" : "regression";
}

std::size_t Dataset::size() const {
  return input_dim > 0 ? inputs.size() / static_cast<std::size_t>(input_dim) : 0;
}

nlohmann::json SequenceSpec::to_json() const {
  nlohmann::json j = {{"window", window}, {"features", features}, {"pool", pool}};
  if (pool == "attention") j["key_dim"] = key_dim;
  return j;
}

MlpSpec SupervisedConfig::mlp() const {
  if (!sequence) return network;
  return MlpSpec{sequence->pooled_width(), network.hidden, network.outputs, network.activation};
}

void SupervisedConfig::validate() const {
  network.validate("supervised config: network");
  if (sequence) {
    require(sequence->window >= 1, "sequence.window", std::to_string(sequence->window), ">= 1");
    require(sequence->features >= 1, "sequence.features", std::to_string(sequence->features), ">= 1");
    require(sequence->pool == "attention" || sequence->pool == "mean", "sequence.pool", sequence->pool,
            "attention, mean");
    require(sequence->pool != "attention" || sequence->key_dim >= 1, "sequence.key_dim",
            std::to_string(sequence->key_dim), ">= 1");
    require(network.inputs == sequence->window * sequence->features, "network.inputs",
            std::to_string(network.inputs),
            std::to_string(sequence->window * sequence->features) + " (sequence.window x sequence.features)");
  }
  require(learning_rate > 0, "learning_rate", std::to_string(learning_rate), "> 0");
  require(batch_size >= 1, "batch_size", std::to_string(batch_size), ">= 1");
  require(epochs >= 0, "epochs", std::to_string(epochs), ">= 0");
  require(validation_fraction >= 0 && validation_fraction < 1, "validation_fraction",
          std::to_string(validation_fraction), "[0, 1)");
}

nlohmann::json SupervisedConfig::hyper_parameters() const {
  return {{"task", to_string(task)},
          {"learning_rate", learning_rate},
          {"batch_size", batch_size},
          {"epochs", epochs},
          {"validation_fraction", validation_fraction},
          {"max_grad_norm", max_grad_norm},
          {"seed", seed}};
}

struct SupervisedTrainer::Impl {
  static std::mt19937_64 weight_rng(const SupervisedConfig& c) {
    c.validate();
    return std::mt19937_64(detail::derive_seeds(c.seed)[0]);
  }

  explicit Impl(const SupervisedConfig& c)
      : config(c),
        rng(weight_rng(c)),
        net(c.sequence ? nullptr : std::make_unique<detail::TorchMlp>(c.network, rng)),
        seq(c.sequence ? std::make_unique<detail::SequenceNet>(*c.sequence, c.mlp(), rng) : nullptr),
        shuffle_rng(detail::derive_seeds(c.seed)[1]),
        adam(size(), c.learning_rate),
        grad(size()),
        split_seed(detail::derive_seeds(c.seed)[2]) {}

  std::size_t size() const { return net ? net->size() : seq->size(); }
  float* data() { return net ? net->data() : seq->data(); }
  const float* data() const { return net ? net->data() : seq->data(); }
  /// The torch-free form of the network (sequence models predict through it).
  nlohmann::json greedy_doc() const {
    return seq->greedy_doc({{"kind", "supervised"}, {"task", to_string(config.task)}, {"decide", "outputs"}});
  }
  const policies::GreedyNetwork& greedy() {
    if (!greedy_cache) greedy_cache = policies::GreedyNetwork::from_json(greedy_doc(), "(in memory)");
    return *greedy_cache;
  }

  bool classification() const { return config.task == SupervisedTask::kClassification; }

  void check(const Dataset& d) const {
    const int in = config.network.inputs;
    if (d.input_dim != in || d.inputs.size() % static_cast<std::size_t>(in) != 0) {
      throw std::invalid_argument("supervised data: input_dim " + std::to_string(d.input_dim) + " with " +
                                  std::to_string(d.inputs.size()) + " values, expected rows of " +
                                  std::to_string(in));
    }
    const auto rows = d.size();
    if (classification()) {
      if (d.labels.size() != rows) {
        throw std::invalid_argument("supervised data: " + std::to_string(d.labels.size()) + " labels for " +
                                    std::to_string(rows) + " rows");
      }
      for (auto label : d.labels) {
        if (label < 0 || label >= config.network.outputs) {
          throw std::invalid_argument("supervised data: label " + std::to_string(label) + " outside 0.." +
                                      std::to_string(config.network.outputs - 1));
        }
      }
    } else if (d.targets.size() != rows * static_cast<std::size_t>(config.network.outputs)) {
      throw std::invalid_argument("supervised data: " + std::to_string(d.targets.size()) + " targets for " +
                                  std::to_string(rows) + " rows of " +
                                  std::to_string(config.network.outputs) + " outputs");
    }
  }

  // Rows `idx` of `d` as tensors.
  std::pair<torch::Tensor, torch::Tensor> rows(const Dataset& d, const std::size_t* idx,
                                               std::size_t n) const {
    const auto in = static_cast<std::size_t>(config.network.inputs);
    const auto out = static_cast<std::size_t>(config.network.outputs);
    auto x = torch::empty({static_cast<std::int64_t>(n), static_cast<std::int64_t>(in)}, torch::kFloat32);
    float* xp = x.data_ptr<float>();
    for (std::size_t r = 0; r < n; ++r) std::copy_n(d.inputs.data() + idx[r] * in, in, xp + r * in);
    torch::Tensor y;
    if (classification()) {
      y = torch::empty({static_cast<std::int64_t>(n)}, torch::kInt64);
      auto* yp = y.data_ptr<std::int64_t>();
      for (std::size_t r = 0; r < n; ++r) yp[r] = d.labels[idx[r]];
    } else {
      y = torch::empty({static_cast<std::int64_t>(n), static_cast<std::int64_t>(out)}, torch::kFloat32);
      float* yp = y.data_ptr<float>();
      for (std::size_t r = 0; r < n; ++r) std::copy_n(d.targets.data() + idx[r] * out, out, yp + r * out);
    }
    return {x, y};
  }

  torch::Tensor loss(const torch::Tensor& outputs, const torch::Tensor& y) const {
    return classification() ? torch::cross_entropy_loss(outputs, y) : torch::mse_loss(outputs, y);
  }

  double step(const torch::Tensor& x, const torch::Tensor& y) {
    if (seq) return step_sequence(x, y);
    torch::NoGradGuard no_grad;  // gradients are computed explicitly (TorchMlp::backward)
    detail::TorchMlp::Trace trace;
    const auto out = net->forward_train(x, trace);
    const auto l = loss(out, y);
    const double rows = static_cast<double>(out.size(0));
    torch::Tensor d_out;
    if (classification()) {
      // d(mean cross-entropy)/dz = (softmax(z) - onehot(y)) / B
      d_out = torch::softmax(out, 1);
      const auto index = y.unsqueeze(1);
      d_out.scatter_(1, index, d_out.gather(1, index) - 1.0);
      d_out.div_(rows);
    } else {
      // d(mean squared error)/dz = 2 (z - y) / (B * outputs)
      d_out = (out - y) * (2.0 / static_cast<double>(out.numel()));
    }
    net->backward(trace, d_out);
    std::copy(net->gradient(), net->gradient() + net->size(), grad.begin());
    if (reducer) {
      const bool apply = reducer(grad);
      if (grad.size() != net->size()) throw std::logic_error("gradient reducer: changed the gradient size");
      if (!apply) return l.item<double>();
    }
    if (config.max_grad_norm > 0) detail::clip_grad_norm(grad.data(), grad.size(), config.max_grad_norm);
    adam.step(net->data(), grad.data());
    ++updates;
    return l.item<double>();
  }

  /// The same step for a sequence model, its gradient from autograd.
  double step_sequence(const torch::Tensor& x, const torch::Tensor& y) {
    const auto l = loss(seq->forward(x), y);
    l.backward();
    seq->take_gradient(grad);
    greedy_cache.reset();
    if (reducer) {
      const bool apply = reducer(grad);
      if (grad.size() != seq->size()) throw std::logic_error("gradient reducer: changed the gradient size");
      if (!apply) return l.item<double>();
    }
    if (config.max_grad_norm > 0) detail::clip_grad_norm(grad.data(), grad.size(), config.max_grad_norm);
    adam.step(seq->data(), grad.data());
    ++updates;
    return l.item<double>();
  }

  torch::Tensor outputs_of(const torch::Tensor& x) const { return net ? net->forward(x) : seq->forward(x); }

  // Mean loss and accuracy over rows idx.
  std::pair<double, double> measure(const Dataset& d, const std::vector<std::size_t>& idx) const {
    if (idx.empty()) return {kNaN, kNaN};
    torch::NoGradGuard no_grad;
    const auto [x, y] = rows(d, idx.data(), idx.size());
    const auto outputs = outputs_of(x);
    const double l = loss(outputs, y).item<double>();
    if (!classification()) return {l, kNaN};
    const double correct = outputs.argmax(1).eq(y).sum().item<double>();
    return {l, correct / static_cast<double>(idx.size())};
  }

  SupervisedConfig config;
  std::mt19937_64 rng;                       // weight initialisation only
  std::unique_ptr<detail::TorchMlp> net;     // plain MLP
  std::unique_ptr<detail::SequenceNet> seq;  // sequence model
  std::optional<policies::GreedyNetwork> greedy_cache;
  std::mt19937_64 shuffle_rng;
  detail::FlatAdam adam;
  std::vector<float> grad;
  std::uint64_t split_seed;  // saved: a resumed run keeps its validation rows
  GradientReducer reducer;
  std::uint64_t updates = 0;
  int epochs_done = 0;
};

SupervisedTrainer::SupervisedTrainer(const SupervisedConfig& config)
    : impl_(std::make_unique<Impl>(config)) {}
SupervisedTrainer::~SupervisedTrainer() = default;

std::vector<EpochStats> SupervisedTrainer::fit(const Dataset& data) {
  auto& m = *impl_;
  m.check(data);
  const std::size_t n = data.size();
  // The split is a seeded permutation of the rows, fixed for this data set size and seed.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 split_rng(m.split_seed);
  std::shuffle(order.begin(), order.end(), split_rng);
  const auto validation_rows =
      static_cast<std::size_t>(std::floor(m.config.validation_fraction * static_cast<double>(n)));
  std::vector<std::size_t> train(order.begin(), order.end() - static_cast<std::ptrdiff_t>(validation_rows));
  const std::vector<std::size_t> validation(order.end() - static_cast<std::ptrdiff_t>(validation_rows),
                                            order.end());
  if (train.empty())
    throw std::invalid_argument("supervised data: no training rows left after the validation split");

  std::vector<EpochStats> history;
  for (int e = 0; e < m.config.epochs; ++e) {
    std::shuffle(train.begin(), train.end(), m.shuffle_rng);
    double loss_sum = 0;
    for (std::size_t start = 0; start < train.size(); start += m.config.batch_size) {
      const std::size_t rows = std::min(m.config.batch_size, train.size() - start);
      const auto [x, y] = m.rows(data, train.data() + start, rows);
      loss_sum += m.step(x, y) * static_cast<double>(rows);
    }
    ++m.epochs_done;
    EpochStats stats;
    stats.epoch = m.epochs_done;
    stats.train_loss = loss_sum / static_cast<double>(train.size());
    stats.train_accuracy = m.measure(data, train).second;
    std::tie(stats.validation_loss, stats.validation_accuracy) = m.measure(data, validation);
    history.push_back(stats);
  }
  return history;
}

double SupervisedTrainer::train_step(const Dataset& batch) {
  auto& m = *impl_;
  m.check(batch);
  std::vector<std::size_t> idx(batch.size());
  std::iota(idx.begin(), idx.end(), 0);
  if (idx.empty()) throw std::invalid_argument("supervised train_step: empty batch");
  const auto [x, y] = m.rows(batch, idx.data(), idx.size());
  return m.step(x, y);
}

std::vector<float> SupervisedTrainer::predict(const std::vector<float>& input) {
  auto& m = *impl_;
  if (input.size() != static_cast<std::size_t>(m.config.network.inputs)) {
    throw std::invalid_argument("supervised predict: found " + std::to_string(input.size()) +
                                " values, expected " + std::to_string(m.config.network.inputs));
  }
  if (m.seq) return m.greedy().forward(input);
  std::vector<float> out(static_cast<std::size_t>(m.config.network.outputs));
  m.net->forward_fast(input.data(), out.data());
  return out;
}

int SupervisedTrainer::classify(const std::vector<float>& input) {
  const auto out = predict(input);
  return detail::argmax(out.data(), static_cast<int>(out.size()));
}

EpochStats SupervisedTrainer::evaluate(const Dataset& data) {
  auto& m = *impl_;
  m.check(data);
  std::vector<std::size_t> idx(data.size());
  std::iota(idx.begin(), idx.end(), 0);
  EpochStats stats;
  stats.epoch = m.epochs_done;
  std::tie(stats.validation_loss, stats.validation_accuracy) = m.measure(data, idx);
  stats.train_loss = kNaN;
  stats.train_accuracy = kNaN;
  return stats;
}

std::vector<float> SupervisedTrainer::parameters_flat() const {
  return {impl_->data(), impl_->data() + impl_->size()};
}

void SupervisedTrainer::set_parameters_flat(const std::vector<float>& flat) {
  const auto expected = impl_->size();
  if (flat.size() != expected) {
    throw std::invalid_argument("supervised set_parameters_flat: found " + std::to_string(flat.size()) +
                                " values, expected " + std::to_string(expected));
  }
  std::copy(flat.begin(), flat.end(), impl_->data());
  impl_->greedy_cache.reset();
}

void SupervisedTrainer::set_gradient_reducer(GradientReducer reducer) {
  impl_->reducer = std::move(reducer);
}
std::uint64_t SupervisedTrainer::updates() const {
  return impl_->updates;
}
int SupervisedTrainer::epochs_done() const {
  return impl_->epochs_done;
}
const SupervisedConfig& SupervisedTrainer::config() const {
  return impl_->config;
}

void SupervisedTrainer::save(const std::string& dir, const nlohmann::json& user) const {
  const auto& m = *impl_;
  detail::make_checkpoint_dir(dir);
  auto manifest =
      detail::manifest_header("supervised", m.config.network.inputs, m.config.network.outputs, user);
  manifest["network"] = m.config.network.to_json();
  if (m.config.sequence) manifest["sequence"] = m.config.sequence->to_json();
  manifest["hyper_parameters"] = m.config.hyper_parameters();
  manifest["counters"] = {{"updates", m.updates}, {"epochs", m.epochs_done}};
  std::ostringstream shuffle;
  shuffle << m.shuffle_rng;
  if (m.net) {
    detail::write_greedy(dir, *m.net, 0, nullptr,
                         {{"kind", "supervised"}, {"task", to_string(m.config.task)}, {"decide", "outputs"}},
                         manifest);
  } else {
    detail::write_json_file(dir, "greedy.json", m.greedy_doc(), manifest);
  }
  manifest["rng"] = {{"shuffle", shuffle.str()}, {"split_seed", m.split_seed}};
  detail::NamedTensors named;
  const auto names = m.net ? m.net->parameter_names() : m.seq->parameter_names();
  const auto& params = m.net ? m.net->parameters() : m.seq->parameters();
  for (std::size_t i = 0; i < names.size(); ++i) named.emplace_back(names[i], params[i]);
  detail::write_tensors(dir, "network.pt", named, manifest);
  detail::write_adam(dir, "optimizer.pt", m.adam, manifest);
  detail::write_manifest(dir, manifest);
}

nlohmann::json SupervisedTrainer::load(const std::string& dir) {
  auto& m = *impl_;
  auto manifest =
      detail::read_and_check_manifest(dir, "supervised", m.config.network.inputs, m.config.network.outputs);
  detail::check_network(dir, manifest, "/network", m.config.network);
  const auto sequence = manifest.value("sequence", nlohmann::json());
  const auto expected_sequence = m.config.sequence ? m.config.sequence->to_json() : nlohmann::json();
  if (sequence != expected_sequence) {
    throw CheckpointError(
        detail::join_path(dir, "manifest.json"), "/sequence",
        "found " + sequence.dump() + ", expected " + expected_sequence.dump() + " (the learner's config)");
  }
  const auto task = detail::field(dir, manifest, "/hyper_parameters/task");
  if (task != to_string(m.config.task)) {
    throw CheckpointError(detail::join_path(dir, "manifest.json"), "/hyper_parameters/task",
                          "found " + task.dump() + ", expected \"" + to_string(m.config.task) + "\"");
  }
  const auto params =
      m.net
          ? detail::read_tensors(dir, "network.pt", manifest, m.net->parameter_names(), m.net->parameters())
          : detail::read_tensors(dir, "network.pt", manifest, m.seq->parameter_names(), m.seq->parameters());
  auto adam = detail::read_adam(dir, "optimizer.pt", manifest, m.adam);
  const auto updates = detail::field(dir, manifest, "/counters/updates").get<std::uint64_t>();
  const auto epochs = detail::field(dir, manifest, "/counters/epochs").get<int>();
  const auto shuffle = detail::field(dir, manifest, "/rng/shuffle").get<std::string>();
  const auto split_seed = detail::field(dir, manifest, "/rng/split_seed").get<std::uint64_t>();
  {
    torch::NoGradGuard no_grad;
    const auto& mine = m.net ? m.net->parameters() : m.seq->parameters();
    for (std::size_t i = 0; i < params.size(); ++i) mine[i].detach().copy_(params[i]);
  }
  m.greedy_cache.reset();
  m.adam.restore(std::move(adam.m), std::move(adam.v), adam.steps);
  m.updates = updates;
  m.epochs_done = epochs;
  std::istringstream(shuffle) >> m.shuffle_rng;
  m.split_seed = split_seed;
  return manifest;
}

}  // namespace edgetwin::learn

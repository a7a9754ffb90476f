#include "sequence_net.hpp"

#include <cmath>

#include <torch/torch.h>

#include "learner_core.hpp"

namespace edgetwin::learn::detail {

SequenceNet::SequenceNet(const SequenceSpec& sequence, const MlpSpec& mlp, std::mt19937_64& rng)
    : sequence_(sequence), mlp_(mlp) {
  const std::int64_t f = sequence.features, d = sequence.key_dim;
  std::vector<std::int64_t> fan_in;
  if (sequence.pool == "attention") {
    for (const char* name : {"seq_wq", "seq_wk", "seq_wv"}) {
      names_.emplace_back(name);
      shapes_.push_back({f, d});
      fan_in.push_back(f);
    }
  }
  std::vector<int> sizes{mlp.inputs};
  sizes.insert(sizes.end(), mlp.hidden.begin(), mlp.hidden.end());
  sizes.push_back(mlp.outputs);
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    names_.push_back("layer" + std::to_string(l) + "_weight");
    shapes_.push_back({sizes[l], sizes[l + 1]});
    fan_in.push_back(sizes[l]);
    names_.push_back("layer" + std::to_string(l) + "_bias");
    shapes_.push_back({sizes[l + 1]});
    fan_in.push_back(sizes[l]);
  }
  std::size_t total = 0;
  for (const auto& s : shapes_) {
    std::size_t n = 1;
    for (const auto x : s) n *= static_cast<std::size_t>(x);
    total += n;
  }
  buffer_.resize(total);
  std::size_t offset = 0;
  for (std::size_t p = 0; p < shapes_.size(); ++p) {
    std::size_t n = 1;
    for (const auto x : shapes_[p]) n *= static_cast<std::size_t>(x);
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in[p]));
    std::uniform_real_distribution<double> init(-bound, bound);
    for (std::size_t i = 0; i < n; ++i) buffer_[offset + i] = static_cast<float>(init(rng));
    // A leaf that shares the buffer: FlatAdam's in-place steps are what forward() sees next.
    params_.push_back(
        torch::from_blob(buffer_.data() + offset, shapes_[p], torch::kFloat32).requires_grad_(true));
    offset += n;
  }
}

torch::Tensor SequenceNet::forward(const torch::Tensor& x) const {
  const std::int64_t b = x.size(0), w = sequence_.window, f = sequence_.features;
  const auto seq = x.view({b, w, f});
  const auto last = seq.select(1, w - 1);
  torch::Tensor pooled;
  std::size_t p = 0;
  if (sequence_.pool == "attention") {
    const auto& wq = params_[0];
    const auto& wk = params_[1];
    const auto& wv = params_[2];
    p = 3;
    const auto q = last.matmul(wq);  // [B, d]
    const auto k = seq.matmul(wk);   // [B, W, d]
    const auto v = seq.matmul(wv);   // [B, W, d]
    const auto scores = (k * q.unsqueeze(1)).sum(2) / std::sqrt(static_cast<double>(sequence_.key_dim));
    const auto a = torch::softmax(scores, 1);  // [B, W]
    pooled = (a.unsqueeze(2) * v).sum(1);      // [B, d]
  } else {
    pooled = seq.sum(1) / static_cast<double>(w);
  }
  auto h = torch::cat({last, pooled}, 1);
  const std::size_t layers = (params_.size() - p) / 2;
  for (std::size_t l = 0; l < layers; ++l) {
    h = h.matmul(params_[p + 2 * l]) + params_[p + 2 * l + 1];
    if (l + 1 < layers) {
      switch (mlp_.activation) {
        case Activation::kRelu:
          h = torch::relu(h);
          break;
        case Activation::kTanh:
          h = torch::tanh(h);
          break;
        case Activation::kElu:
          h = torch::elu(h);
          break;
      }
    }
  }
  return h;
}

void SequenceNet::take_gradient(std::vector<float>& gradient) {
  gradient.assign(buffer_.size(), 0.0F);
  std::size_t offset = 0;
  for (auto& p : params_) {
    const auto n = static_cast<std::size_t>(p.numel());
    if (p.grad().defined()) {
      const auto g = p.grad().contiguous();
      std::copy_n(g.data_ptr<float>(), n, gradient.data() + offset);
      p.mutable_grad().zero_();
    }
    offset += n;
  }
}

nlohmann::json SequenceNet::greedy_doc(const nlohmann::json& extra) const {
  nlohmann::json doc = greedy_header(mlp_, extra);
  std::size_t offset = 0;
  auto take = [&](std::size_t n) {
    std::vector<double> v(buffer_.begin() + static_cast<std::ptrdiff_t>(offset),
                          buffer_.begin() + static_cast<std::ptrdiff_t>(offset + n));
    offset += n;
    return v;
  };
  nlohmann::json seq = {
      {"window", sequence_.window}, {"features", sequence_.features}, {"pool", sequence_.pool}};
  const auto fd = static_cast<std::size_t>(sequence_.features) * static_cast<std::size_t>(sequence_.key_dim);
  if (sequence_.pool == "attention") {
    seq["key_dim"] = sequence_.key_dim;
    seq["wq"] = take(fd);
    seq["wk"] = take(fd);
    seq["wv"] = take(fd);
  }
  doc["sequence"] = seq;
  nlohmann::json layers = nlohmann::json::array();
  std::vector<int> sizes{mlp_.inputs};
  sizes.insert(sizes.end(), mlp_.hidden.begin(), mlp_.hidden.end());
  sizes.push_back(mlp_.outputs);
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    const auto in = static_cast<std::size_t>(sizes[l]), out = static_cast<std::size_t>(sizes[l + 1]);
    auto weight = take(in * out);
    layers.push_back({{"weight", weight}, {"bias", take(out)}});
  }
  doc["layers"] = layers;
  return doc;
}

}  // namespace edgetwin::learn::detail

#include "edgetwin/zoo/attention.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include <torch/nn/functional/activation.h>

namespace edgetwin::zoo {

SpatialChannelAttentionImpl::SpatialChannelAttentionImpl(std::int64_t channels, std::int64_t reduction,
                                                         std::int64_t spatial_kernel) {
  if (channels < 1 || reduction < 1 || spatial_kernel < 1 || spatial_kernel % 2 == 0) {
    throw std::invalid_argument("SpatialChannelAttention: found channels " + std::to_string(channels) +
                                ", reduction " + std::to_string(reduction) + ", kernel " +
                                std::to_string(spatial_kernel) +
                                "; allowed: channels >= 1, reduction >= 1, an odd kernel >= 1");
  }
  const std::int64_t hidden = std::max<std::int64_t>(1, channels / reduction);
  fc1 = register_module("fc1", torch::nn::Linear(torch::nn::LinearOptions(channels, hidden).bias(false)));
  fc2 = register_module("fc2", torch::nn::Linear(torch::nn::LinearOptions(hidden, channels).bias(false)));
  spatial = register_module(
      "spatial", torch::nn::Conv2d(
                     torch::nn::Conv2dOptions(2, 1, spatial_kernel).padding(spatial_kernel / 2).bias(false)));
}

torch::Tensor SpatialChannelAttentionImpl::channel_weights(const torch::Tensor& x) {
  const auto avg = x.mean({2, 3});
  const auto max = x.amax({2, 3});
  auto mlp = [&](const torch::Tensor& v) { return fc2->forward(torch::relu(fc1->forward(v))); };
  return torch::sigmoid(mlp(avg) + mlp(max));
}

torch::Tensor SpatialChannelAttentionImpl::spatial_weights(const torch::Tensor& y) {
  const auto pooled = torch::cat({y.mean(1, true), y.amax(1, true)}, 1);
  return torch::sigmoid(spatial->forward(pooled));
}

torch::Tensor SpatialChannelAttentionImpl::forward(const torch::Tensor& x) {
  const auto y = x * channel_weights(x).unsqueeze(2).unsqueeze(3);
  return y * spatial_weights(y);
}

torch::Tensor SpatialChannelAttentionImpl::channel_importance(const torch::Tensor& x) {
  return forward(x).abs().mean({0, 2, 3});
}

std::vector<std::int64_t> rank_channels(const torch::Tensor& importance) {
  const auto imp = importance.to(torch::kDouble).contiguous();
  const double* v = imp.data_ptr<double>();
  std::vector<std::int64_t> order(static_cast<std::size_t>(imp.numel()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [v](std::int64_t a, std::int64_t b) { return v[a] > v[b]; });
  return order;
}

std::vector<std::int64_t> offloaded_channels(const torch::Tensor& importance, double share) {
  const auto order = rank_channels(importance);
  const auto n =
      static_cast<std::size_t>(std::llround(std::clamp(share, 0.0, 1.0) * static_cast<double>(order.size())));
  return {order.rbegin(), order.rbegin() + static_cast<std::ptrdiff_t>(n)};
}

}  // namespace edgetwin::zoo

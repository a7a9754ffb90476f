#pragma once
/// Counted building blocks: thin wrappers around torch::nn layers and functional ops that add
/// their MACs and one kernel launch each to the thread-local counters of mac_counter.hpp.
/// Every architecture of the zoo is built from these, so a forward pass measures its own cost.

#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/functional.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace edgetwin::zoo {

/// Activation applied after a conv/bn pair; kNone launches nothing.
enum class Act { kNone, kReLU, kReLU6, kSiLU, kGELU, kSigmoid };

/// Applies `act` (one kernel unless kNone).
torch::Tensor activate(const torch::Tensor& x, Act act);
/// Counted functional ops (call them qualified, op::add, so ADL cannot pick at::add).
namespace op {
/// Elementwise ops, one kernel each, no MACs.
torch::Tensor add(const torch::Tensor& a, const torch::Tensor& b);
torch::Tensor mul(const torch::Tensor& a, const torch::Tensor& b);
torch::Tensor cat(const std::vector<torch::Tensor>& xs, std::int64_t dim);
torch::Tensor softmax(const torch::Tensor& x, std::int64_t dim);
torch::Tensor max_pool2d(const torch::Tensor& x, std::int64_t kernel, std::int64_t stride,
                         std::int64_t padding, bool ceil_mode = false);
torch::Tensor avg_pool2d(const torch::Tensor& x, std::int64_t kernel, std::int64_t stride,
                         std::int64_t padding);
/// Adaptive average pool to `size` x `size`.
torch::Tensor adaptive_avg_pool2d(const torch::Tensor& x, std::int64_t size);
/// Nearest-neighbour upsampling by an integer factor.
torch::Tensor upsample_nearest(const torch::Tensor& x, double factor);
/// Batched matmul; counts numel(result) * a.size(-1) MACs (attention's QK^T and AV).
torch::Tensor matmul(const torch::Tensor& a, const torch::Tensor& b);
}  // namespace op

/// Conv2d; MACs = output elements * (in_channels / groups) * kernel area (bias not counted).
class CountedConv2dImpl : public torch::nn::Module {
 public:
  explicit CountedConv2dImpl(const torch::nn::Conv2dOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv_{nullptr};
  std::int64_t macs_per_output_ = 0;
};
TORCH_MODULE(CountedConv2d);

/// BatchNorm2d (one kernel, no MACs).
class CountedBatchNorm2dImpl : public torch::nn::Module {
 public:
  explicit CountedBatchNorm2dImpl(std::int64_t channels, double eps = 1e-5);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(CountedBatchNorm2d);

/// Linear; MACs = (numel(x) / in_features) * in_features * out_features.
class CountedLinearImpl : public torch::nn::Module {
 public:
  CountedLinearImpl(std::int64_t in_features, std::int64_t out_features, bool bias = true);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Linear linear_{nullptr};
};
TORCH_MODULE(CountedLinear);

/// LayerNorm over the last dimension (one kernel, no MACs).
class CountedLayerNormImpl : public torch::nn::Module {
 public:
  explicit CountedLayerNormImpl(std::int64_t features, double eps = 1e-6);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::LayerNorm ln_{nullptr};
};
TORCH_MODULE(CountedLayerNorm);

/// Geometry of a ConvBnAct: square or rectangular kernel, stride, padding, groups.
struct ConvSpec {
  std::int64_t in = 0;
  std::int64_t out = 0;
  std::int64_t kh = 1;
  std::int64_t kw = 1;
  std::int64_t stride = 1;
  std::int64_t pad_h = 0;
  std::int64_t pad_w = 0;
  std::int64_t groups = 1;
};
/// Square kernel `k` with "same" padding k/2 (the common case).
ConvSpec conv_spec(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride = 1,
                   std::int64_t groups = 1);

/// Conv (no bias) + BatchNorm + activation: torchvision's Conv2dNormActivation, BasicConv2d,
/// Ultralytics' Conv.
class ConvBnActImpl : public torch::nn::Module {
 public:
  ConvBnActImpl(const ConvSpec& spec, Act act, double bn_eps = 1e-5);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  CountedConv2d conv_{nullptr};
  CountedBatchNorm2d bn_{nullptr};
  Act act_;
};
TORCH_MODULE(ConvBnAct);

/// Plain Conv2d with bias (no norm), e.g. VGG convs and detection-head output convs.
CountedConv2d conv_with_bias(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride = 1,
                             std::int64_t padding = 0);

}  // namespace edgetwin::zoo

#include "edgetwin/zoo/layers.hpp"

#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/functional/upsampling.h>

#include "edgetwin/zoo/mac_counter.hpp"

namespace edgetwin::zoo {

namespace F = torch::nn::functional;

torch::Tensor activate(const torch::Tensor& x, Act act) {
  if (act == Act::kNone) return x;
  count_kernels(1);
  switch (act) {
    case Act::kReLU:
      return torch::relu(x);
    case Act::kReLU6:
      return torch::hardtanh(x, 0.0, 6.0);
    case Act::kSiLU:
      return torch::silu(x);
    case Act::kGELU:
      return torch::gelu(x);
    case Act::kSigmoid:
      return torch::sigmoid(x);
    case Act::kNone:
      break;
  }
  return x;
}

namespace op {

torch::Tensor add(const torch::Tensor& a, const torch::Tensor& b) {
  count_kernels(1);
  return a + b;
}

torch::Tensor mul(const torch::Tensor& a, const torch::Tensor& b) {
  count_kernels(1);
  return a * b;
}

torch::Tensor cat(const std::vector<torch::Tensor>& xs, std::int64_t dim) {
  count_kernels(1);
  return torch::cat(xs, dim);
}

torch::Tensor softmax(const torch::Tensor& x, std::int64_t dim) {
  count_kernels(1);
  return torch::softmax(x, dim);
}

torch::Tensor max_pool2d(const torch::Tensor& x, std::int64_t kernel, std::int64_t stride,
                         std::int64_t padding, bool ceil_mode) {
  count_kernels(1);
  return torch::max_pool2d(x, {kernel, kernel}, {stride, stride}, {padding, padding}, {1, 1}, ceil_mode);
}

torch::Tensor avg_pool2d(const torch::Tensor& x, std::int64_t kernel, std::int64_t stride,
                         std::int64_t padding) {
  count_kernels(1);
  return torch::avg_pool2d(x, {kernel, kernel}, {stride, stride}, {padding, padding});
}

torch::Tensor adaptive_avg_pool2d(const torch::Tensor& x, std::int64_t size) {
  count_kernels(1);
  return torch::adaptive_avg_pool2d(x, {size, size});
}

torch::Tensor upsample_nearest(const torch::Tensor& x, double factor) {
  count_kernels(1);
  return F::interpolate(
      x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{factor, factor}).mode(torch::kNearest));
}

torch::Tensor matmul(const torch::Tensor& a, const torch::Tensor& b) {
  auto out = torch::matmul(a, b);
  count_kernels(1);
  count_macs(out.numel() * a.size(-1));
  return out;
}

}  // namespace op

CountedConv2dImpl::CountedConv2dImpl(const torch::nn::Conv2dOptions& options)
    : conv_(register_module("conv", torch::nn::Conv2d(options))) {
  const auto& k = options.kernel_size();
  macs_per_output_ = options.in_channels() / options.groups() * (*k)[0] * (*k)[1];
}

torch::Tensor CountedConv2dImpl::forward(const torch::Tensor& x) {
  auto out = conv_->forward(x);
  count_kernels(1);
  count_macs(out.numel() * macs_per_output_);
  return out;
}

CountedBatchNorm2dImpl::CountedBatchNorm2dImpl(std::int64_t channels, double eps)
    : bn_(register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(channels).eps(eps)))) {}

torch::Tensor CountedBatchNorm2dImpl::forward(const torch::Tensor& x) {
  count_kernels(1);
  return bn_->forward(x);
}

CountedLinearImpl::CountedLinearImpl(std::int64_t in_features, std::int64_t out_features, bool bias)
    : linear_(register_module(
          "linear", torch::nn::Linear(torch::nn::LinearOptions(in_features, out_features).bias(bias)))) {}

torch::Tensor CountedLinearImpl::forward(const torch::Tensor& x) {
  auto out = linear_->forward(x);
  count_kernels(1);
  count_macs(x.numel() * linear_->options.out_features());
  return out;
}

CountedLayerNormImpl::CountedLayerNormImpl(std::int64_t features, double eps)
    : ln_(register_module("ln", torch::nn::LayerNorm(torch::nn::LayerNormOptions({features}).eps(eps)))) {}

torch::Tensor CountedLayerNormImpl::forward(const torch::Tensor& x) {
  count_kernels(1);
  return ln_->forward(x);
}

ConvSpec conv_spec(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride,
                   std::int64_t groups) {
  return ConvSpec{in, out, k, k, stride, k / 2, k / 2, groups};
}

ConvBnActImpl::ConvBnActImpl(const ConvSpec& spec, Act act, double bn_eps)
    : conv_(register_module("conv",
                            CountedConv2d(torch::nn::Conv2dOptions(spec.in, spec.out, {spec.kh, spec.kw})
                                              .stride(spec.stride)
                                              .padding({spec.pad_h, spec.pad_w})
                                              .groups(spec.groups)
                                              .bias(false)))),
      bn_(register_module("bn", CountedBatchNorm2d(spec.out, bn_eps))),
      act_(act) {}

torch::Tensor ConvBnActImpl::forward(const torch::Tensor& x) {
  return activate(bn_->forward(conv_->forward(x)), act_);
}

CountedConv2d conv_with_bias(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride,
                             std::int64_t padding) {
  return CountedConv2d(torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(padding).bias(true));
}

}  // namespace edgetwin::zoo

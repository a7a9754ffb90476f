// EfficientNet-B0 (Tan & Le 2019), torchvision layout. Units: stem, the 16 MBConv blocks
// (squeeze-excitation, SiLU; stochastic depth is the identity in eval), the 1x1 head conv to
// 1280, classifier (pool + dropout + fc).

#include <algorithm>
#include <memory>
#include <string>

#include "edgetwin/zoo/architectures.hpp"
#include "edgetwin/zoo/layers.hpp"

namespace edgetwin::zoo {
namespace {

/// Squeeze-excitation: GAP, 1x1 conv (bias) to `squeeze`, SiLU, 1x1 conv back, sigmoid, scale.
class SqueezeExcitationImpl : public torch::nn::Module {
 public:
  SqueezeExcitationImpl(std::int64_t channels, std::int64_t squeeze)
      : fc1_(register_module("fc1", conv_with_bias(channels, squeeze, 1))),
        fc2_(register_module("fc2", conv_with_bias(squeeze, channels, 1))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    auto s = activate(fc1_->forward(op::adaptive_avg_pool2d(x, 1)), Act::kSiLU);
    return op::mul(x, activate(fc2_->forward(s), Act::kSigmoid));
  }

 private:
  CountedConv2d fc1_;
  CountedConv2d fc2_;
};
TORCH_MODULE(SqueezeExcitation);

class MBConv : public SingleInputUnit {
 public:
  MBConv(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride, std::int64_t expand)
      : use_residual_(stride == 1 && in == out) {
    const std::int64_t hidden = in * expand;
    if (expand != 1) body_->push_back(ConvBnAct(conv_spec(in, hidden, 1), Act::kSiLU, 1e-3));
    body_->push_back(ConvBnAct(conv_spec(hidden, hidden, kernel, stride, hidden), Act::kSiLU, 1e-3));
    body_->push_back(SqueezeExcitation(hidden, std::max<std::int64_t>(1, in / 4)));
    body_->push_back(ConvBnAct(conv_spec(hidden, out, 1), Act::kNone, 1e-3));
    register_module("block", body_);
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    auto y = body_->forward(x);
    return use_residual_ ? op::add(y, x) : y;
  }

 private:
  torch::nn::Sequential body_;
  bool use_residual_;
};

}  // namespace

ZooNetwork build_efficientnet_b0() {
  ZooNetwork net;
  net.id = "efficientnet_b0";
  net.name = "EfficientNet-B0";
  net.input_shape = {1, 3, 224, 224};
  net.published = {5288548, 0.39e9,
                   "torchvision 0.15+ model docs, EfficientNet_B0_Weights.IMAGENET1K_V1: params "
                   "5,288,548, GFLOPS 0.39 (GMACs) at 224x224; "
                   "https://pytorch.org/vision/stable/models.html"};

  net.add_unit("features.0", "stem",
               std::make_shared<SequentialUnit>(
                   torch::nn::Sequential(ConvBnAct(conv_spec(3, 32, 3, 2), Act::kSiLU, 1e-3))));
  // (expand, kernel, first stride, output channels, repeats), Table 1 of the paper.
  struct Stage {
    std::int64_t expand, kernel, stride, out, repeats;
  };
  const Stage stages[] = {{1, 3, 1, 16, 1},  {6, 3, 2, 24, 2},  {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3},
                          {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1}};
  std::int64_t in = 32;
  int stage_index = 1;
  for (const auto& st : stages) {
    for (std::int64_t r = 0; r < st.repeats; ++r) {
      net.add_unit("features." + std::to_string(stage_index) + "." + std::to_string(r), "mbconv",
                   std::make_shared<MBConv>(in, st.out, st.kernel, r == 0 ? st.stride : 1, st.expand));
      in = st.out;
    }
    ++stage_index;
  }
  net.add_unit("features.8", "conv",
               std::make_shared<SequentialUnit>(
                   torch::nn::Sequential(ConvBnAct(conv_spec(in, 1280, 1), Act::kSiLU, 1e-3))));
  net.add_unit(
      "head", "head",
      std::make_shared<SequentialUnit>(torch::nn::Sequential(
          torch::nn::Functional([](const torch::Tensor& x) { return op::adaptive_avg_pool2d(x, 1); }),
          torch::nn::Flatten(), CountedLinear(1280, 1000))));
  return net;
}

}  // namespace edgetwin::zoo

// MobileNet-v2 (Sandler et al. 2018), torchvision layout at width 1.0. Units: stem conv, the 17
// inverted residual blocks, the final 1x1 conv to 1280, head (pool + dropout + fc).

#include <memory>
#include <string>

#include "edgetwin/zoo/architectures.hpp"
#include "edgetwin/zoo/layers.hpp"

namespace edgetwin::zoo {
namespace {

class InvertedResidual : public SingleInputUnit {
 public:
  InvertedResidual(std::int64_t in, std::int64_t out, std::int64_t stride, std::int64_t expand)
      : use_residual_(stride == 1 && in == out) {
    const std::int64_t hidden = in * expand;
    if (expand != 1) body_->push_back(ConvBnAct(conv_spec(in, hidden, 1), Act::kReLU6));
    body_->push_back(ConvBnAct(conv_spec(hidden, hidden, 3, stride, hidden), Act::kReLU6));
    body_->push_back(ConvBnAct(conv_spec(hidden, out, 1), Act::kNone));
    register_module("conv", body_);
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    auto y = body_->forward(x);
    return use_residual_ ? op::add(x, y) : y;
  }

 private:
  torch::nn::Sequential body_;
  bool use_residual_;
};

}  // namespace

ZooNetwork build_mobilenet_v2() {
  ZooNetwork net;
  net.id = "mobilenet_v2";
  net.name = "MobileNet-v2";
  net.input_shape = {1, 3, 224, 224};
  net.published = {3504872, 0.30e9,
                   "torchvision 0.15+ model docs, MobileNet_V2_Weights.IMAGENET1K_V1: params "
                   "3,504,872, GFLOPS 0.30 (GMACs) at 224x224; "
                   "https://pytorch.org/vision/stable/models.html"};

  net.add_unit("features.0", "stem",
               std::make_shared<SequentialUnit>(
                   torch::nn::Sequential(ConvBnAct(conv_spec(3, 32, 3, 2), Act::kReLU6))));
  // (expansion t, output channels c, repeats n, first stride s), Table 2 of the paper.
  struct Stage {
    std::int64_t t, c, n, s;
  };
  const Stage stages[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                          {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  std::int64_t in = 32;
  int index = 1;
  for (const auto& st : stages) {
    for (std::int64_t r = 0; r < st.n; ++r) {
      net.add_unit("features." + std::to_string(index++), "inverted_residual",
                   std::make_shared<InvertedResidual>(in, st.c, r == 0 ? st.s : 1, st.t));
      in = st.c;
    }
  }
  net.add_unit("features.18", "conv",
               std::make_shared<SequentialUnit>(
                   torch::nn::Sequential(ConvBnAct(conv_spec(in, 1280, 1), Act::kReLU6))));
  net.add_unit(
      "head", "head",
      std::make_shared<SequentialUnit>(torch::nn::Sequential(
          torch::nn::Functional([](const torch::Tensor& x) { return op::adaptive_avg_pool2d(x, 1); }),
          torch::nn::Flatten(), CountedLinear(1280, 1000))));
  return net;
}

}  // namespace edgetwin::zoo

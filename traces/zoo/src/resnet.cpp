// ResNet-18/50 (He et al. 2016) in torchvision's layout (v1.5: stride on the 3x3 conv of the
// bottleneck). Units: stem, every BasicBlock/Bottleneck, head (avgpool + fc).

#include <memory>
#include <string>

#include "edgetwin/zoo/architectures.hpp"
#include "edgetwin/zoo/layers.hpp"

namespace edgetwin::zoo {
namespace {

/// A residual block: main path of ConvBnAct layers (last one without activation), optional
/// 1x1 projection shortcut, add, ReLU.
class ResidualBlock : public SingleInputUnit {
 public:
  ResidualBlock(std::int64_t in, std::int64_t width, std::int64_t out, std::int64_t stride, bool bottleneck) {
    if (bottleneck) {
      main_->push_back(ConvBnAct(conv_spec(in, width, 1), Act::kReLU));
      main_->push_back(ConvBnAct(conv_spec(width, width, 3, stride), Act::kReLU));
      main_->push_back(ConvBnAct(conv_spec(width, out, 1), Act::kNone));
    } else {
      main_->push_back(ConvBnAct(conv_spec(in, out, 3, stride), Act::kReLU));
      main_->push_back(ConvBnAct(conv_spec(out, out, 3), Act::kNone));
    }
    register_module("main", main_);
    if (stride != 1 || in != out) {
      downsample_ =
          register_module("downsample", ConvBnAct(ConvSpec{in, out, 1, 1, stride, 0, 0, 1}, Act::kNone));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    auto identity = downsample_ ? downsample_->forward(x) : x;
    return activate(op::add(main_->forward(x), identity), Act::kReLU);
  }

 private:
  torch::nn::Sequential main_;
  ConvBnAct downsample_{nullptr};
};

ZooNetwork build_resnet(const std::string& id, const std::string& name, const int (&blocks)[4],
                        bool bottleneck) {
  ZooNetwork net;
  net.id = id;
  net.name = name;
  net.input_shape = {1, 3, 224, 224};

  torch::nn::Sequential stem(
      ConvBnAct(ConvSpec{3, 64, 7, 7, 2, 3, 3, 1}, Act::kReLU),
      torch::nn::Functional([](const torch::Tensor& x) { return op::max_pool2d(x, 3, 2, 1); }));
  net.add_unit("stem", "stem", std::make_shared<SequentialUnit>(stem));

  const std::int64_t expansion = bottleneck ? 4 : 1;
  std::int64_t in = 64;
  for (int layer = 0; layer < 4; ++layer) {
    const std::int64_t width = 64LL << layer;
    for (int b = 0; b < blocks[layer]; ++b) {
      const std::int64_t stride = (layer > 0 && b == 0) ? 2 : 1;
      const std::int64_t out = width * expansion;
      net.add_unit("layer" + std::to_string(layer + 1) + "." + std::to_string(b),
                   bottleneck ? "bottleneck" : "basic_block",
                   std::make_shared<ResidualBlock>(in, width, out, stride, bottleneck));
      in = out;
    }
  }

  torch::nn::Sequential head(
      torch::nn::Functional([](const torch::Tensor& x) { return op::adaptive_avg_pool2d(x, 1); }),
      torch::nn::Flatten(), CountedLinear(in, 1000));
  net.add_unit("head", "head", std::make_shared<SequentialUnit>(head));
  return net;
}

}  // namespace

ZooNetwork build_resnet18() {
  static const int kBlocks[4] = {2, 2, 2, 2};
  auto net = build_resnet("resnet18", "ResNet-18", kBlocks, /*bottleneck=*/false);
  net.published = {11689512, 1.81e9,
                   "torchvision 0.15+ model docs, ResNet18_Weights.IMAGENET1K_V1: params "
                   "11,689,512, GFLOPS 1.81 (GMACs) at 224x224; "
                   "https://pytorch.org/vision/stable/models.html"};
  return net;
}

ZooNetwork build_resnet50() {
  static const int kBlocks[4] = {3, 4, 6, 3};
  auto net = build_resnet("resnet50", "ResNet-50", kBlocks, /*bottleneck=*/true);
  net.published = {25557032, 4.09e9,
                   "torchvision 0.15+ model docs, ResNet50_Weights.IMAGENET1K_V1: params "
                   "25,557,032, GFLOPS 4.09 (GMACs) at 224x224; "
                   "https://pytorch.org/vision/stable/models.html"};
  return net;
}

}  // namespace edgetwin::zoo

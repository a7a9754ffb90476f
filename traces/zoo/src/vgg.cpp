// VGG-16 (Simonyan & Zisserman 2015, configuration D), torchvision layout without BN. Units: each
// conv + ReLU (with the following max-pool merged into it), fc6 (with avgpool/flatten), fc7, fc8.

#include <memory>
#include <string>

#include "edgetwin/zoo/architectures.hpp"
#include "edgetwin/zoo/layers.hpp"

namespace edgetwin::zoo {

ZooNetwork build_vgg16() {
  ZooNetwork net;
  net.id = "vgg16";
  net.name = "VGG-16";
  net.input_shape = {1, 3, 224, 224};
  net.published = {138357544, 15.47e9,
                   "torchvision 0.15+ model docs, VGG16_Weights.IMAGENET1K_V1: params "
                   "138,357,544, GFLOPS 15.47 (GMACs) at 224x224; "
                   "https://pytorch.org/vision/stable/models.html"};

  const std::int64_t widths[5] = {64, 128, 256, 512, 512};
  const int convs_per_stage[5] = {2, 2, 3, 3, 3};
  std::int64_t in = 3;
  for (int stage = 0; stage < 5; ++stage) {
    for (int c = 0; c < convs_per_stage[stage]; ++c) {
      torch::nn::Sequential body(
          conv_with_bias(in, widths[stage], 3, 1, 1),
          torch::nn::Functional([](const torch::Tensor& x) { return activate(x, Act::kReLU); }));
      if (c + 1 == convs_per_stage[stage]) {
        body->push_back(
            torch::nn::Functional([](const torch::Tensor& x) { return op::max_pool2d(x, 2, 2, 0); }));
      }
      net.add_unit("conv" + std::to_string(stage + 1) + "_" + std::to_string(c + 1), "conv",
                   std::make_shared<SequentialUnit>(body));
      in = widths[stage];
    }
  }
  auto relu = [] {
    return torch::nn::Functional([](const torch::Tensor& x) { return activate(x, Act::kReLU); });
  };
  // Dropout is the identity in eval mode and launches nothing, so it is not modelled.
  net.add_unit(
      "fc6", "fc",
      std::make_shared<SequentialUnit>(torch::nn::Sequential(
          torch::nn::Functional([](const torch::Tensor& x) { return op::adaptive_avg_pool2d(x, 7); }),
          torch::nn::Flatten(), CountedLinear(512 * 7 * 7, 4096), relu())));
  net.add_unit("fc7", "fc",
               std::make_shared<SequentialUnit>(torch::nn::Sequential(CountedLinear(4096, 4096), relu())));
  net.add_unit("fc8", "head",
               std::make_shared<SequentialUnit>(torch::nn::Sequential(CountedLinear(4096, 1000))));
  return net;
}

}  // namespace edgetwin::zoo

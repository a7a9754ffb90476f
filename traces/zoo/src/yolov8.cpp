// YOLOv8n (Ultralytics yolov8.yaml at scale n: depth 0.33, width 0.25, max_channels 1024, so
// channels 16/32/64/128/256). Conv = conv (no bias) + BN + SiLU; C2f; SPPF; upsample + concat
// neck; Detect head with reg_max 16, DFL and nc = 80. Units: the 22 layers of the yaml, then the
// Detect head (inference path: box decoding with DFL and dist2bbox, class sigmoid).

#include <algorithm>
#include <memory>
#include <string>

#include <torch/utils.h>

#include "edgetwin/zoo/architectures.hpp"
#include "edgetwin/zoo/layers.hpp"
#include "edgetwin/zoo/mac_counter.hpp"

namespace edgetwin::zoo {
namespace {

constexpr std::int64_t kClasses = 80;
constexpr std::int64_t kRegMax = 16;
constexpr double kBnEps = 1e-3;

ConvBnAct conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride = 1) {
  return ConvBnAct(conv_spec(in, out, k, stride), Act::kSiLU, kBnEps);
}

class ConvUnit : public SingleInputUnit {
 public:
  ConvUnit(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride)
      : conv_(register_module("conv", conv(in, out, k, stride))) {}
  torch::Tensor forward(const torch::Tensor& x) override { return conv_->forward(x); }

 private:
  ConvBnAct conv_;
};

/// Ultralytics Bottleneck with k = (3, 3), e = 1.0.
class BottleneckImpl : public torch::nn::Module {
 public:
  BottleneckImpl(std::int64_t c, bool shortcut)
      : cv1_(register_module("cv1", conv(c, c, 3))),
        cv2_(register_module("cv2", conv(c, c, 3))),
        shortcut_(shortcut) {}
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = cv2_->forward(cv1_->forward(x));
    return shortcut_ ? op::add(x, y) : y;
  }

 private:
  ConvBnAct cv1_;
  ConvBnAct cv2_;
  bool shortcut_;
};
TORCH_MODULE(Bottleneck);

/// C2f: 1x1 conv to 2c, split, n bottlenecks chained on the second half, concat all, 1x1 conv.
class C2f : public SingleInputUnit {
 public:
  C2f(std::int64_t in, std::int64_t out, int n, bool shortcut) : hidden_(out / 2) {
    cv1_ = register_module("cv1", conv(in, 2 * hidden_, 1));
    cv2_ = register_module("cv2", conv((2 + n) * hidden_, out, 1));
    for (int i = 0; i < n; ++i) m_->push_back(Bottleneck(hidden_, shortcut));
    register_module("m", m_);
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    auto halves = cv1_->forward(x).chunk(2, 1);
    std::vector<torch::Tensor> ys(halves.begin(), halves.end());
    for (const auto& b : *m_) ys.push_back(b->as<BottleneckImpl>()->forward(ys.back()));
    return cv2_->forward(op::cat(ys, 1));
  }

 private:
  std::int64_t hidden_;
  ConvBnAct cv1_{nullptr};
  ConvBnAct cv2_{nullptr};
  torch::nn::ModuleList m_;
};

/// SPPF: 1x1 conv to c/2, three chained 5x5 max-pools, concat, 1x1 conv.
class Sppf : public SingleInputUnit {
 public:
  Sppf(std::int64_t in, std::int64_t out)
      : cv1_(register_module("cv1", conv(in, in / 2, 1))),
        cv2_(register_module("cv2", conv(in / 2 * 4, out, 1))) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    std::vector<torch::Tensor> ys{cv1_->forward(x)};
    for (int i = 0; i < 3; ++i) ys.push_back(op::max_pool2d(ys.back(), 5, 1, 2));
    return cv2_->forward(op::cat(ys, 1));
  }

 private:
  ConvBnAct cv1_;
  ConvBnAct cv2_;
};

class ConcatUnit : public UnitModule {
 public:
  torch::Tensor run(const std::vector<torch::Tensor>& inputs) override { return op::cat(inputs, 1); }
};

/// Detect: per level a box branch (2 Conv + 1x1 conv to 4*reg_max) and a class branch (2 Conv +
/// 1x1 conv to nc); inference decodes boxes with DFL (softmax + fixed 1x1 conv) and dist2bbox.
class Detect : public UnitModule {
 public:
  Detect(const std::vector<std::int64_t>& channels, std::int64_t image_size) : image_size_(image_size) {
    const std::int64_t c2 = std::max<std::int64_t>({16, channels[0] / 4, kRegMax * 4});
    const std::int64_t c3 = std::max<std::int64_t>(channels[0], std::min<std::int64_t>(kClasses, 100));
    for (std::size_t i = 0; i < channels.size(); ++i) {
      const auto ch = channels[i];
      box_->push_back(
          torch::nn::Sequential(conv(ch, c2, 3), conv(c2, c2, 3), conv_with_bias(c2, 4 * kRegMax, 1)));
      cls_->push_back(
          torch::nn::Sequential(conv(ch, c3, 3), conv(c3, c3, 3), conv_with_bias(c3, kClasses, 1)));
    }
    register_module("cv2", box_);
    register_module("cv3", cls_);
    dfl_ = register_module("dfl", CountedConv2d(torch::nn::Conv2dOptions(kRegMax, 1, 1).bias(false)));
    torch::NoGradGuard no_grad;
    for (auto& p : dfl_->parameters()) {
      p.copy_(torch::arange(kRegMax, torch::kFloat).view({1, kRegMax, 1, 1}));
    }
  }

  torch::Tensor run(const std::vector<torch::Tensor>& inputs) override {
    std::vector<torch::Tensor> levels;
    std::vector<torch::Tensor> anchors;
    std::vector<torch::Tensor> strides;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const auto& x = inputs[i];
      auto box = box_[i]->as<torch::nn::SequentialImpl>()->forward(x);
      auto cls = cls_[i]->as<torch::nn::SequentialImpl>()->forward(x);
      levels.push_back(op::cat({box, cls}, 1).flatten(2));
      // Anchor centres and strides depend only on the shapes (Ultralytics caches them).
      const auto h = x.size(2);
      const auto w = x.size(3);
      auto sy = torch::arange(h, torch::kFloat) + 0.5;
      auto sx = torch::arange(w, torch::kFloat) + 0.5;
      auto grid = torch::meshgrid({sy, sx}, "ij");
      anchors.push_back(torch::stack({grid[1], grid[0]}, -1).view({-1, 2}));
      strides.push_back(torch::full({h * w, 1}, static_cast<double>(image_size_ / h)));
    }
    auto all = op::cat(levels, 2);  // (N, 4*reg_max + nc, anchors)
    const auto n = all.size(0);
    const auto a = all.size(2);
    auto box = all.narrow(1, 0, 4 * kRegMax);
    auto cls = all.narrow(1, 4 * kRegMax, kClasses);
    // DFL: expected value of the discretised distance distribution.
    auto dist = op::softmax(box.reshape({n, 4, kRegMax, a}).transpose(2, 1), 1);
    dist = dfl_->forward(dist).view({n, 4, a});
    auto anchor_points = torch::cat(anchors, 0).transpose(0, 1).unsqueeze(0);
    auto stride_tensor = torch::cat(strides, 0).transpose(0, 1);
    auto lt = dist.narrow(1, 0, 2);
    auto rb = dist.narrow(1, 2, 2);
    count_kernels(4);  // dist2bbox: x1y1, x2y2, centre, size
    auto x1y1 = anchor_points - lt;
    auto x2y2 = anchor_points + rb;
    auto dbox = op::cat({(x1y1 + x2y2) / 2, x2y2 - x1y1}, 1);
    dbox = op::mul(dbox, stride_tensor);
    return op::cat({dbox, activate(cls, Act::kSigmoid)}, 1);
  }

 private:
  std::int64_t image_size_;
  torch::nn::ModuleList box_;
  torch::nn::ModuleList cls_;
  CountedConv2d dfl_{nullptr};
};

}  // namespace

ZooNetwork build_yolov8n() {
  ZooNetwork net;
  net.id = "yolov8n";
  net.name = "YOLOv8n";
  net.task = "detection";
  net.num_classes = static_cast<int>(kClasses);
  net.input_shape = {1, 3, 640, 640};
  net.exit_rule = ExitRule::kNone;
  net.published = {3.2e6, 4.35e9,
                   "Ultralytics YOLOv8 README / docs.ultralytics.com/models/yolov8 table: "
                   "YOLOv8n params 3.2 M, 8.7 GFLOPs at 640 (Ultralytics FLOPs = 2 x MACs, "
                   "so 4.35 GMACs); the model summary prints 3,157,200 parameters"};

  auto unit = [&net](const std::string& kind, std::shared_ptr<UnitModule> m, std::vector<int> from) {
    net.add_unit("model." + std::to_string(net.units.size()), kind, std::move(m), std::move(from));
  };
  auto upsample = [] {
    return std::make_shared<LambdaUnit>([](const torch::Tensor& x) { return op::upsample_nearest(x, 2.0); });
  };
  // Backbone.
  unit("conv", std::make_shared<ConvUnit>(3, 16, 3, 2), {kModelInput});  // 0  P1/2
  unit("conv", std::make_shared<ConvUnit>(16, 32, 3, 2), {0});           // 1  P2/4
  unit("c2f", std::make_shared<C2f>(32, 32, 1, true), {1});              // 2
  unit("conv", std::make_shared<ConvUnit>(32, 64, 3, 2), {2});           // 3  P3/8
  unit("c2f", std::make_shared<C2f>(64, 64, 2, true), {3});              // 4
  unit("conv", std::make_shared<ConvUnit>(64, 128, 3, 2), {4});          // 5  P4/16
  unit("c2f", std::make_shared<C2f>(128, 128, 2, true), {5});            // 6
  unit("conv", std::make_shared<ConvUnit>(128, 256, 3, 2), {6});         // 7  P5/32
  unit("c2f", std::make_shared<C2f>(256, 256, 1, true), {7});            // 8
  unit("sppf", std::make_shared<Sppf>(256, 256), {8});                   // 9
  // Neck (PAN).
  unit("upsample", upsample(), {9});                               // 10
  unit("concat", std::make_shared<ConcatUnit>(), {10, 6});         // 11
  unit("c2f", std::make_shared<C2f>(384, 128, 1, false), {11});    // 12
  unit("upsample", upsample(), {12});                              // 13
  unit("concat", std::make_shared<ConcatUnit>(), {13, 4});         // 14
  unit("c2f", std::make_shared<C2f>(192, 64, 1, false), {14});     // 15 P3 out
  unit("conv", std::make_shared<ConvUnit>(64, 64, 3, 2), {15});    // 16
  unit("concat", std::make_shared<ConcatUnit>(), {16, 12});        // 17
  unit("c2f", std::make_shared<C2f>(192, 128, 1, false), {17});    // 18 P4 out
  unit("conv", std::make_shared<ConvUnit>(128, 128, 3, 2), {18});  // 19
  unit("concat", std::make_shared<ConcatUnit>(), {19, 9});         // 20
  unit("c2f", std::make_shared<C2f>(384, 256, 1, false), {20});    // 21 P5 out
  unit("detect", std::make_shared<Detect>(std::vector<std::int64_t>{64, 128, 256}, 640), {15, 18, 21});  // 22
  return net;
}

}  // namespace edgetwin::zoo

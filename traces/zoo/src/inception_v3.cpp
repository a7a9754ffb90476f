// Inception-v3 (Szegedy et al. 2016), torchvision layout (transform_input is an input
// normalisation and irrelevant to cost). Units: stem_a (Conv2d_1a, 2a, 2b, maxpool1), stem_b
// (Conv2d_3b, 4a, maxpool2), Mixed_5b..Mixed_7c, head (avgpool + dropout + fc). AuxLogits is an
// architecture-defined exit after Mixed_6e (it is part of torchvision's 27,161,264 parameters).

#include <memory>
#include <string>

#include "edgetwin/zoo/architectures.hpp"
#include "edgetwin/zoo/layers.hpp"

namespace edgetwin::zoo {
namespace {

/// torchvision's BasicConv2d: conv (no bias) + BN(eps 0.001) + ReLU.
ConvBnAct basic(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride = 1,
                std::int64_t pad = 0) {
  return ConvBnAct(ConvSpec{in, out, k, k, stride, pad, pad, 1}, Act::kReLU, 1e-3);
}
/// Factorised kh x kw conv (1x7, 7x1, 1x3, 3x1), stride 1.
ConvBnAct basic_rect(std::int64_t in, std::int64_t out, std::int64_t kh, std::int64_t kw, std::int64_t ph,
                     std::int64_t pw) {
  return ConvBnAct(ConvSpec{in, out, kh, kw, 1, ph, pw, 1}, Act::kReLU, 1e-3);
}

/// A multi-branch block: each branch a Sequential on the block input, outputs concatenated.
/// Branches may end in a split into two parallel convs (InceptionE) whose outputs are
/// concatenated in place.
class MultiBranch : public SingleInputUnit {
 public:
  struct Branch {
    Branch(torch::nn::Sequential t, torch::nn::Sequential a = nullptr, torch::nn::Sequential b = nullptr)
        : trunk(std::move(t)), split_a(std::move(a)), split_b(std::move(b)) {}
    torch::nn::Sequential trunk;
    torch::nn::Sequential split_a{nullptr};  ///< optional parallel tails (InceptionE)
    torch::nn::Sequential split_b{nullptr};
  };

  explicit MultiBranch(std::vector<Branch> branches) : branches_(std::move(branches)) {
    for (std::size_t i = 0; i < branches_.size(); ++i) {
      const auto prefix = "branch" + std::to_string(i);
      register_module(prefix, branches_[i].trunk);
      if (branches_[i].split_a) {
        register_module(prefix + "_a", branches_[i].split_a);
        register_module(prefix + "_b", branches_[i].split_b);
      }
    }
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    std::vector<torch::Tensor> outs;
    for (auto& b : branches_) {
      auto y = b.trunk->forward(x);
      if (b.split_a) {
        outs.push_back(b.split_a->forward(y));
        outs.push_back(b.split_b->forward(y));
      } else {
        outs.push_back(y);
      }
    }
    return op::cat(outs, 1);
  }

 private:
  std::vector<Branch> branches_;
};

using Branch = MultiBranch::Branch;
using Seq = torch::nn::Sequential;

torch::nn::Functional avg_pool_3x3() {
  return torch::nn::Functional([](const torch::Tensor& x) { return op::avg_pool2d(x, 3, 1, 1); });
}
torch::nn::Functional max_pool_3x3_s2() {
  return torch::nn::Functional([](const torch::Tensor& x) { return op::max_pool2d(x, 3, 2, 0); });
}

std::shared_ptr<UnitModule> inception_a(std::int64_t in, std::int64_t pool_features) {
  return std::make_shared<MultiBranch>(std::vector<Branch>{
      {Seq(basic(in, 64, 1))},
      {Seq(basic(in, 48, 1), basic(48, 64, 5, 1, 2))},
      {Seq(basic(in, 64, 1), basic(64, 96, 3, 1, 1), basic(96, 96, 3, 1, 1))},
      {Seq(avg_pool_3x3(), basic(in, pool_features, 1))},
  });
}

std::shared_ptr<UnitModule> inception_b(std::int64_t in) {
  return std::make_shared<MultiBranch>(std::vector<Branch>{
      {Seq(basic(in, 384, 3, 2))},
      {Seq(basic(in, 64, 1), basic(64, 96, 3, 1, 1), basic(96, 96, 3, 2))},
      {Seq(max_pool_3x3_s2())},
  });
}

std::shared_ptr<UnitModule> inception_c(std::int64_t in, std::int64_t c7) {
  return std::make_shared<MultiBranch>(std::vector<Branch>{
      {Seq(basic(in, 192, 1))},
      {Seq(basic(in, c7, 1), basic_rect(c7, c7, 1, 7, 0, 3), basic_rect(c7, 192, 7, 1, 3, 0))},
      {Seq(basic(in, c7, 1), basic_rect(c7, c7, 7, 1, 3, 0), basic_rect(c7, c7, 1, 7, 0, 3),
           basic_rect(c7, c7, 7, 1, 3, 0), basic_rect(c7, 192, 1, 7, 0, 3))},
      {Seq(avg_pool_3x3(), basic(in, 192, 1))},
  });
}

std::shared_ptr<UnitModule> inception_d(std::int64_t in) {
  return std::make_shared<MultiBranch>(std::vector<Branch>{
      {Seq(basic(in, 192, 1), basic(192, 320, 3, 2))},
      {Seq(basic(in, 192, 1), basic_rect(192, 192, 1, 7, 0, 3), basic_rect(192, 192, 7, 1, 3, 0),
           basic(192, 192, 3, 2))},
      {Seq(max_pool_3x3_s2())},
  });
}

std::shared_ptr<UnitModule> inception_e(std::int64_t in) {
  return std::make_shared<MultiBranch>(std::vector<Branch>{
      {Seq(basic(in, 320, 1))},
      {Seq(basic(in, 384, 1)), Seq(basic_rect(384, 384, 1, 3, 0, 1)), Seq(basic_rect(384, 384, 3, 1, 1, 0))},
      {Seq(basic(in, 448, 1), basic(448, 384, 3, 1, 1)), Seq(basic_rect(384, 384, 1, 3, 0, 1)),
       Seq(basic_rect(384, 384, 3, 1, 1, 0))},
      {Seq(avg_pool_3x3(), basic(in, 192, 1))},
  });
}

/// torchvision's InceptionAux: avgpool 5/3, 1x1 conv 128, 5x5 conv 768, GAP, fc.
std::shared_ptr<UnitModule> inception_aux(std::int64_t in, std::int64_t classes) {
  return std::make_shared<SequentialUnit>(
      Seq(torch::nn::Functional([](const torch::Tensor& x) { return op::avg_pool2d(x, 5, 3, 0); }),
          basic(in, 128, 1), basic(128, 768, 5),
          torch::nn::Functional([](const torch::Tensor& x) { return op::adaptive_avg_pool2d(x, 1); }),
          torch::nn::Flatten(), CountedLinear(768, classes)));
}

}  // namespace

ZooNetwork build_inception_v3() {
  ZooNetwork net;
  net.id = "inception_v3";
  net.name = "Inception-v3";
  net.input_shape = {1, 3, 299, 299};
  net.published = {27161264, 5.71e9,
                   "torchvision 0.15+ model docs, Inception_V3_Weights.IMAGENET1K_V1: params "
                   "27,161,264 (including AuxLogits, 3,326,696 of them), GFLOPS 5.71 (GMACs, "
                   "eval-mode forward without AuxLogits) at 299x299; "
                   "https://pytorch.org/vision/stable/models.html"};

  net.add_unit("stem_a", "stem",
               std::make_shared<SequentialUnit>(
                   Seq(basic(3, 32, 3, 2), basic(32, 32, 3), basic(32, 64, 3, 1, 1), max_pool_3x3_s2())));
  net.add_unit("stem_b", "stem",
               std::make_shared<SequentialUnit>(Seq(basic(64, 80, 1), basic(80, 192, 3), max_pool_3x3_s2())));
  net.add_unit("Mixed_5b", "inception_a", inception_a(192, 32));
  net.add_unit("Mixed_5c", "inception_a", inception_a(256, 64));
  net.add_unit("Mixed_5d", "inception_a", inception_a(288, 64));
  net.add_unit("Mixed_6a", "inception_b", inception_b(288));
  net.add_unit("Mixed_6b", "inception_c", inception_c(768, 128));
  net.add_unit("Mixed_6c", "inception_c", inception_c(768, 160));
  net.add_unit("Mixed_6d", "inception_c", inception_c(768, 160));
  net.add_unit("Mixed_6e", "inception_c", inception_c(768, 192));
  net.add_unit("Mixed_7a", "inception_d", inception_d(768));
  net.add_unit("Mixed_7b", "inception_e", inception_e(1280));
  net.add_unit("Mixed_7c", "inception_e", inception_e(2048));
  net.add_unit("head", "head",
               std::make_shared<SequentialUnit>(Seq(torch::nn::Functional([](const torch::Tensor& x) {
                                                      return op::adaptive_avg_pool2d(x, 1);
                                                    }),
                                                    torch::nn::Flatten(), CountedLinear(2048, 1000))));
  net.extra_exits.push_back(ExtraExit{"Mixed_6e", "inception_aux", inception_aux(768, 1000)});
  return net;
}

}  // namespace edgetwin::zoo

// ViT-B/16 (Dosovitskiy et al. 2021), torchvision layout. Units: patch embedding (+ class token +
// position embedding), the 12 encoder blocks, head (final LayerNorm + linear on the class token).

#include <cmath>
#include <memory>
#include <string>

#include "edgetwin/zoo/architectures.hpp"
#include "edgetwin/zoo/layers.hpp"
#include "edgetwin/zoo/mac_counter.hpp"

namespace edgetwin::zoo {
namespace {

constexpr std::int64_t kDim = 768;
constexpr std::int64_t kHeads = 12;
constexpr std::int64_t kMlpDim = 3072;
constexpr std::int64_t kPatch = 16;
constexpr std::int64_t kImage = 224;
constexpr std::int64_t kTokens = (kImage / kPatch) * (kImage / kPatch) + 1;

class PatchEmbedding : public SingleInputUnit {
 public:
  PatchEmbedding()
      : proj_(register_module(
            "conv_proj", CountedConv2d(torch::nn::Conv2dOptions(3, kDim, kPatch).stride(kPatch).bias(true)))),
        class_token_(register_parameter("class_token", torch::zeros({1, 1, kDim}))),
        pos_embedding_(register_parameter("pos_embedding", torch::randn({1, kTokens, kDim}) * 0.02)) {}

  torch::Tensor forward(const torch::Tensor& x) override {
    auto patches = proj_->forward(x).flatten(2).transpose(1, 2);  // (N, 196, D)
    auto tokens = op::cat({class_token_.expand({x.size(0), 1, kDim}), patches}, 1);
    return op::add(tokens, pos_embedding_);
  }

 private:
  CountedConv2d proj_;
  torch::Tensor class_token_;
  torch::Tensor pos_embedding_;
};

/// Pre-norm encoder block: x + MHA(LN(x)), then y + MLP(LN(y)).
class EncoderBlock : public SingleInputUnit {
 public:
  EncoderBlock()
      : ln1_(register_module("ln_1", CountedLayerNorm(kDim))),
        qkv_(register_module("in_proj", CountedLinear(kDim, 3 * kDim))),
        out_proj_(register_module("out_proj", CountedLinear(kDim, kDim))),
        ln2_(register_module("ln_2", CountedLayerNorm(kDim))),
        fc1_(register_module("mlp_fc1", CountedLinear(kDim, kMlpDim))),
        fc2_(register_module("mlp_fc2", CountedLinear(kMlpDim, kDim))) {}

  torch::Tensor forward(const torch::Tensor& x) override {
    const auto n = x.size(0);
    const auto t = x.size(1);
    constexpr std::int64_t kHeadDim = kDim / kHeads;
    // (N, T, 3D) -> 3 x (N, heads, T, head_dim)
    auto qkv = qkv_->forward(ln1_->forward(x)).reshape({n, t, 3, kHeads, kHeadDim});
    qkv = qkv.permute({2, 0, 3, 1, 4});
    auto q = qkv[0];
    auto k = qkv[1];
    auto v = qkv[2];
    count_kernels(1);  // the 1/sqrt(head_dim) scaling
    q = q * (1.0 / std::sqrt(static_cast<double>(kHeadDim)));
    auto attn = op::softmax(op::matmul(q, k.transpose(-2, -1)), -1);
    auto ctx = op::matmul(attn, v).transpose(1, 2).reshape({n, t, kDim});
    auto y = op::add(x, out_proj_->forward(ctx));
    auto h = activate(fc1_->forward(ln2_->forward(y)), Act::kGELU);
    return op::add(y, fc2_->forward(h));
  }

 private:
  CountedLayerNorm ln1_;
  CountedLinear qkv_;
  CountedLinear out_proj_;
  CountedLayerNorm ln2_;
  CountedLinear fc1_;
  CountedLinear fc2_;
};

class ClassTokenHead : public SingleInputUnit {
 public:
  ClassTokenHead()
      : ln_(register_module("ln", CountedLayerNorm(kDim))),
        fc_(register_module("head", CountedLinear(kDim, 1000))) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    return fc_->forward(ln_->forward(x).select(1, 0));
  }

 private:
  CountedLayerNorm ln_;
  CountedLinear fc_;
};

}  // namespace

ZooNetwork build_vit_b_16() {
  ZooNetwork net;
  net.id = "vit_b_16";
  net.name = "ViT-B/16";
  net.input_shape = {1, 3, kImage, kImage};
  net.exit_rule = ExitRule::kLnFcCls;
  net.published = {86567656, 17.56e9,
                   "torchvision 0.15+ model docs, ViT_B_16_Weights.IMAGENET1K_V1: params "
                   "86,567,656, GFLOPS 17.56 (GMACs) at 224x224; "
                   "https://pytorch.org/vision/stable/models.html"};
  net.add_unit("patch_embedding", "patch_embedding", std::make_shared<PatchEmbedding>());
  for (int b = 0; b < 12; ++b) {
    net.add_unit("encoder.block" + std::to_string(b), "encoder_block", std::make_shared<EncoderBlock>());
  }
  net.add_unit("head", "head", std::make_shared<ClassTokenHead>());
  return net;
}

}  // namespace edgetwin::zoo

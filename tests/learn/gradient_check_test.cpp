// The hand-written backward pass of the learners' networks against libtorch autograd, for every
// activation, single networks and the two-member ensemble (SAC's twin critics). White-box: uses
// the library's internal header.

#include <random>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "torch_mlp.hpp"

namespace edgetwin::learn::detail {
namespace {

// Reference forward with autograd on copies of the parameters.
torch::Tensor reference_forward(const torch::Tensor& x, const std::vector<torch::Tensor>& p, Activation act,
                                int members) {
  torch::Tensor h = members == 1 ? x : x.unsqueeze(0).expand({members, x.size(0), x.size(1)});
  const std::size_t layers = p.size() / 2;
  for (std::size_t l = 0; l < layers; ++l) {
    h = torch::matmul(h, p[2 * l]) + p[2 * l + 1];
    if (l + 1 == layers) break;
    h = act == Activation::kRelu ? torch::relu(h) : act == Activation::kTanh ? torch::tanh(h) : torch::elu(h);
  }
  return h;
}

void check(Activation act, int members) {
  std::mt19937_64 rng(4);
  TorchMlp net(MlpSpec{5, {7, 6}, 4, act}, rng, members);
  torch::manual_seed(1);
  const auto x = torch::randn({3, 5});
  TorchMlp::Trace trace;
  const auto out = net.forward_train(x, trace);
  const auto d_out = torch::randn(out.sizes());
  net.backward(trace, d_out);

  std::vector<torch::Tensor> leaves;
  for (const auto& p : net.parameters()) leaves.push_back(p.detach().clone().requires_grad_(true));
  const auto ref = reference_forward(x, leaves, act, members);
  EXPECT_TRUE(torch::allclose(ref.detach(), out, 1e-5, 1e-6));
  (ref * d_out).sum().backward();
  std::size_t offset = 0;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    const auto n = static_cast<std::size_t>(leaves[i].numel());
    const auto mine =
        torch::from_blob(const_cast<float*>(net.gradient() + offset), leaves[i].sizes()).clone();
    EXPECT_TRUE(torch::allclose(mine, leaves[i].grad(), 1e-5, 1e-6))
        << "parameter " << i << " activation " << to_string(act) << " members " << members;
    offset += n;
  }
  EXPECT_EQ(offset, net.size());
}

TEST(GradientCheck, BackwardMatchesAutograd) {
  for (auto act : {Activation::kRelu, Activation::kTanh, Activation::kElu}) {
    check(act, 1);
    check(act, 2);
  }
}

TEST(GradientCheck, RowLimitedBackwardIgnoresTheOtherRows) {
  std::mt19937_64 rng(4);
  TorchMlp net(MlpSpec{3, {5}, 2, Activation::kRelu}, rng);
  torch::manual_seed(2);
  const auto x = torch::randn({6, 3});
  TorchMlp::Trace trace;
  net.forward_train(x, trace);
  const auto d = torch::randn({2, 2});
  net.backward(trace, d, 2);
  const std::vector<float> limited(net.gradient(), net.gradient() + net.size());
  auto full = torch::zeros({6, 2});
  full.narrow(0, 0, 2).copy_(d);
  net.backward(trace, full);
  for (std::size_t i = 0; i < limited.size(); ++i) EXPECT_NEAR(limited[i], net.gradient()[i], 1e-6);
}

}  // namespace
}  // namespace edgetwin::learn::detail

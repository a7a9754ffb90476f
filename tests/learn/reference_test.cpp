// Reference tests: the learners' hand-written maths against libtorch. The library computes its
// updates with cblas_sgemm and plain loops instead of libtorch calls (docs/learning.md,
// "Implementation notes": at these sizes libtorch's per-call cost was most of an update); these
// tests check, on small seeded random inputs, that the rewrite computes what libtorch computes:
// torch::optim::Adam, torch::nn::utils::clip_grad_norm_, torch::exp, torch::log_softmax /
// torch::softmax, and autograd through an identical torch network for the MLP's backward pass
// and for the DQN, discrete-SAC and supervised losses.
//
// The library side is always the real code: the internal headers for the loops (FlatAdam,
// clip_grad_norm, exp_nonpositive, log_softmax_rows, TorchMlp), and for the losses the learners'
// public update_on() with a gradient reducer that captures the flat gradient (the reducer sees it
// after the backward pass and before clipping and Adam, docs/learning.md "Data-parallel
// training") and declines the step, plus that update's UpdateStats. The reference side is written
// here, independently, from the formulas in docs/learning.md.
//
// Tolerances (float32, unit roundoff u = 2^-24 ~ 6e-8). The two sides evaluate the same formulas
// in a different order (OpenBLAS kernels vs libtorch's, explicit partial sums vs libtorch's
// reductions, fused multiply-adds in libtorch's vectorised kernels, none in the library), so
// agreement is to rounding, never bit for bit:
// - kOpRtol = 1e-5 per element for a single element-wise op or a short formula (Adam's update,
//   clipping, one softmax row): a few u of rounding each side, with a margin of about 20 over
//   what is measured; a wrong constant or a missing term (bias correction, eps placement, a
//   factor 2) shows up at 1e-3 or more.
// - chains (network forward, loss, backward through two hidden layers: dot products of up to 100
//   terms, sums over the batch) use kChainRtol = 1e-4 per element plus an absolute floor of
//   kChainFloor = 1e-5 times the largest reference magnitude of that tensor. The floor is needed
//   because a gradient entry that is a sum of terms of both signs has a relative error that is
//   not bounded by u (cancellation): its absolute error is bounded by ~K u max|term|, K <= 100.
// - several optimiser steps compound these; the multi-step tests check the parameters after each
//   step against a floor scaled by the learning rate (an Adam step moves a parameter by at most
//   about lr, so a relative error e of the step is an absolute error e lr of the parameter).
// Set EDGETWIN_REFERENCE_VERBOSE=1 to print the worst error/allowance ratio of every comparison.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "edgetwin/learn/dqn.hpp"
#include "edgetwin/learn/normalizer.hpp"
#include "edgetwin/learn/sac.hpp"
#include "edgetwin/learn/supervised.hpp"

#include "batch_math.hpp"
#include "flat_adam.hpp"
#include "torch_mlp.hpp"

namespace edgetwin::learn {
namespace {

constexpr double kOpRtol = 1e-5;
constexpr double kChainRtol = 1e-4;
constexpr double kChainFloor = 1e-5;

bool verbose() {
  static const bool on = std::getenv("EDGETWIN_REFERENCE_VERBOSE") != nullptr;
  return on;
}

torch::Tensor tensor_of(const float* data, std::int64_t n) {
  return torch::from_blob(const_cast<float*>(data), {n}, torch::kFloat32).clone();
}
torch::Tensor tensor_of(const std::vector<float>& v) {
  return tensor_of(v.data(), static_cast<std::int64_t>(v.size()));
}

/// |actual - expected| <= atol + rtol |expected| element by element (compared in double), with the
/// worst element in the message. NaN anywhere fails.
::testing::AssertionResult all_close(const torch::Tensor& actual, const torch::Tensor& expected, double rtol,
                                     double atol, const std::string& what = "") {
  const auto a = actual.detach().to(torch::kFloat64).flatten();
  const auto e = expected.detach().to(torch::kFloat64).flatten();
  if (a.numel() != e.numel()) {
    return ::testing::AssertionFailure() << what << ": " << a.numel() << " values, expected " << e.numel();
  }
  if (a.numel() == 0) return ::testing::AssertionSuccess();
  if (torch::isnan(a).any().item<bool>() || torch::isnan(e).any().item<bool>()) {
    return ::testing::AssertionFailure() << what << ": NaN";
  }
  const auto err = (a - e).abs();
  const auto allowed = atol + rtol * e.abs();
  const auto ratio = err / allowed.clamp_min(std::numeric_limits<double>::min());
  const auto worst = ratio.argmax().item<std::int64_t>();
  const double worst_ratio = ratio[worst].item<double>();
  if (verbose()) {
    std::cerr << "  [reference] " << what << ": worst error/allowance " << worst_ratio << " (|diff| "
              << err[worst].item<double>() << " at " << worst << ", rtol " << rtol << ", atol " << atol
              << ")\n";
  }
  if (worst_ratio <= 1.0) return ::testing::AssertionSuccess();
  const auto failing = (err > allowed).sum().item<std::int64_t>();
  return ::testing::AssertionFailure()
         << what << ": " << failing << " of " << a.numel() << " values differ by more than " << atol << " + "
         << rtol << " |expected|; worst [" << worst << "]: " << a[worst].item<double>() << " vs "
         << e[worst].item<double>() << " (|diff| " << err[worst].item<double>() << ")";
}

/// all_close with the chain tolerance: kChainRtol per element and an absolute floor of
/// floor * max |expected| (cancellation in sums, see the file comment).
::testing::AssertionResult chain_close(const torch::Tensor& actual, const torch::Tensor& expected,
                                       const std::string& what, double floor = kChainFloor) {
  const double scale = expected.detach().abs().max().item<double>();
  return all_close(actual, expected, kChainRtol, floor * std::max(scale, 1e-30), what);
}

::testing::AssertionResult scalar_close(double actual, double expected, double rtol,
                                        const std::string& what) {
  return all_close(torch::tensor({actual}, torch::kFloat64), torch::tensor({expected}, torch::kFloat64), rtol,
                   1e-12, what);
}

// ---------------------------------------------------------------------------------------------
// A torch network with the library's parameter layout (docs/learning.md, "Data-parallel
// training"): per layer the weight, input-major [in, out] ([members, in, out] for an ensemble),
// then the bias ([out], or [members, 1, out]); hidden layers Linear + activation, the last Linear
// only. The parameters are autograd leaves.

struct RefNet {
  MlpSpec spec;
  std::int64_t members = 1;
  std::vector<torch::Tensor> params;

  RefNet(const MlpSpec& s, const float* flat, int m = 1) : spec(s), members(m) {
    std::vector<std::int64_t> sizes{s.inputs};
    sizes.insert(sizes.end(), s.hidden.begin(), s.hidden.end());
    sizes.push_back(s.outputs);
    std::int64_t offset = 0;
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
      const std::int64_t in = sizes[l];
      const std::int64_t out = sizes[l + 1];
      auto w = tensor_of(flat + offset, members * in * out);
      offset += members * in * out;
      auto b = tensor_of(flat + offset, members * out);
      offset += members * out;
      w = members == 1 ? w.view({in, out}) : w.view({members, in, out});
      b = members == 1 ? b.view({out}) : b.view({members, 1, out});
      params.push_back(w.clone().requires_grad_(true));
      params.push_back(b.clone().requires_grad_(true));
    }
  }
  RefNet(const MlpSpec& s, const torch::Tensor& flat, int m = 1)
      : RefNet(s, flat.contiguous().to(torch::kFloat32).data_ptr<float>(), m) {}

  torch::Tensor forward(const torch::Tensor& x) const {
    torch::Tensor h = members == 1 ? x : x.unsqueeze(0).expand({members, x.size(0), x.size(1)});
    const std::size_t layers = params.size() / 2;
    for (std::size_t l = 0; l < layers; ++l) {
      h = torch::matmul(h, params[2 * l]) + params[2 * l + 1];
      if (l + 1 == layers) break;
      switch (spec.activation) {
        case Activation::kRelu:
          h = torch::relu(h);
          break;
        case Activation::kTanh:
          h = torch::tanh(h);
          break;
        case Activation::kElu:
          h = torch::elu(h);
          break;
      }
    }
    return h;
  }

  torch::Tensor flat() const {
    std::vector<torch::Tensor> parts;
    for (const auto& p : params) parts.push_back(p.detach().flatten());
    return torch::cat(parts);
  }
  torch::Tensor flat_grad() const {
    std::vector<torch::Tensor> parts;
    for (const auto& p : params)
      parts.push_back(p.grad().defined() ? p.grad().flatten() : torch::zeros({p.numel()}));
    return torch::cat(parts);
  }
  void zero_grad() {
    for (auto& p : params) {
      if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
    }
  }
  /// Copies (hard target update) or Polyak-averages (this <- tau other + (1 - tau) this) `other`.
  void copy_from(const RefNet& other) {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(other.params[i]);
  }
  void polyak_from(const RefNet& other, double tau) {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < params.size(); ++i) params[i].mul_(1.0 - tau).add_(other.params[i] * tau);
  }
};

// ---------------------------------------------------------------------------------------------
// Seeded batches.

/// `rows` transitions: states in [-2, 2], every action at least once (rows >= actions), rewards
/// N(0, 1), about a third terminal (at least one, and at least one not), dt_s in [0.2, 3].
TransitionBatch random_batch(int rows, int dim, int actions, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> state(-2.0F, 2.0F);
  std::uniform_int_distribution<int> action(0, actions - 1);
  std::normal_distribution<float> reward(0.0F, 1.0F);
  std::uniform_real_distribution<float> dt(0.2F, 3.0F);
  std::bernoulli_distribution done(1.0 / 3);
  TransitionBatch b;
  b.state_dim = dim;
  for (int i = 0; i < rows; ++i) {
    for (int k = 0; k < dim; ++k) b.states.push_back(state(rng));
    for (int k = 0; k < dim; ++k) b.next_states.push_back(state(rng));
    b.actions.push_back(i < actions ? i : action(rng));
    b.rewards.push_back(reward(rng));
    b.dones.push_back(i == 0 ? 1.0F : i == 1 ? 0.0F : (done(rng) ? 1.0F : 0.0F));
    b.dt_s.push_back(dt(rng));
  }
  return b;
}

struct BatchTensors {
  torch::Tensor s, s2, a, r, bootstrap;
};

/// The batch as tensors, with the weight of V(s') in the target: (1 - done) gamma^dt_s per
/// second, or (1 - done) gamma per decision (docs/learning.md, "Reusable parts": the semi-MDP discount),
/// computed in double and rounded once.
BatchTensors tensors_of(const TransitionBatch& b, double gamma, bool per_second) {
  const auto rows = static_cast<std::int64_t>(b.size());
  BatchTensors t;
  t.s = tensor_of(b.states).view({rows, b.state_dim});
  t.s2 = tensor_of(b.next_states).view({rows, b.state_dim});
  t.a = torch::tensor(b.actions, torch::kInt64);
  t.r = tensor_of(b.rewards);
  const auto not_done = 1.0 - tensor_of(b.dones).to(torch::kFloat64);
  const auto discount = per_second ? torch::pow(gamma, tensor_of(b.dt_s).to(torch::kFloat64))
                                   : torch::full({rows}, gamma, torch::kFloat64);
  t.bootstrap = (not_done * discount).to(torch::kFloat32);
  return t;
}

std::vector<float> randn(std::size_t n, std::uint64_t seed, float scale = 1.0F) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0F, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

class Reference : public ::testing::Test {
 protected:
  void SetUp() override { use_single_torch_thread(); }
};

// ---------------------------------------------------------------------------------------------
// Adam (policies/learn/src/flat_adam.cpp). The library implements torch.optim.Adam without
// weight decay and without amsgrad, with both bias corrections always on (there is no option to
// turn them off), so the reference is torch::optim::Adam with weight_decay 0 and amsgrad false,
// the defaults.

torch::optim::AdamParamState& adam_state(torch::optim::Adam& opt, const torch::Tensor& p) {
  return static_cast<torch::optim::AdamParamState&>(
      *opt.state().at(c10::guts::to_string(p.unsafeGetTensorImpl())));
}

struct AdamCase {
  double lr, beta1, beta2, eps;
};

/// Runs `steps` steps of FlatAdam and of torch::optim::Adam from the same parameters with the same
/// gradients (gradient(k) for step k) and compares the parameters and the first moment after
/// each of the steps in `check_at`. First-moment tolerance: kOpRtol relative with a floor of
/// kOpRtol of its largest element. Parameter tolerance: kOpRtol of the accumulated movement (at
/// most about lr per step) plus 1e-6 relative for the rounding of the parameter itself over the
/// steps. The second moment has its own test, AdamSecondMomentMatchesTorchOptimAdam.
void compare_adam(const AdamCase& c, std::size_t n, int steps,
                  const std::function<std::vector<float>(int)>& gradient, const std::vector<int>& check_at) {
  auto params = randn(n, 11);
  const auto start = tensor_of(params);
  detail::FlatAdam flat(n, c.lr, c.beta1, c.beta2, c.eps);
  auto p = start.clone().requires_grad_(true);
  torch::optim::Adam opt({p}, torch::optim::AdamOptions(c.lr).betas({c.beta1, c.beta2}).eps(c.eps));
  for (int k = 1; k <= steps; ++k) {
    const auto g = gradient(k);
    flat.step(params.data(), g.data());
    p.mutable_grad() = tensor_of(g);
    opt.step();
    if (std::find(check_at.begin(), check_at.end(), k) == check_at.end()) continue;
    SCOPED_TRACE("after step " + std::to_string(k));
    EXPECT_EQ(flat.steps(), k);
    auto& st = adam_state(opt, p);
    EXPECT_EQ(st.step(), k);
    // The first moment is a running sum of gradients of mixed signs: an element near zero by
    // cancellation keeps the absolute rounding of the larger terms, hence a floor of kOpRtol of the
    // largest element (torch's add kernel may also fuse the multiply-add that ours does not).
    const double moment_floor = kOpRtol * st.exp_avg().abs().max().item<double>();
    EXPECT_TRUE(
        all_close(tensor_of(flat.first_moment()), st.exp_avg(), kOpRtol, moment_floor, "first moment"));
    EXPECT_TRUE(all_close(tensor_of(params), p.detach(), 1e-6, kOpRtol * c.lr * k, "parameters"));
  }
}

TEST_F(Reference, AdamOneStepMatchesTorchOptimAdam) {
  // 37 parameters: not a multiple of any vector width, so the loops' tails run too. Gradients
  // over six orders of magnitude; with bias correction the first step is lr * g / (|g| + eps')
  // ~ lr sign(g) for every |g| >> eps.
  const std::size_t n = 37;
  auto g = randn(n, 12);
  for (std::size_t i = 0; i < n; ++i) g[i] *= std::pow(10.0F, static_cast<float>(i % 7) - 4.0F);
  compare_adam({1e-3, 0.9, 0.999, 1e-8}, n, 1, [&](int) { return g; }, {1});
  compare_adam({0.05, 0.9, 0.999, 1e-8}, n, 1, [&](int) { return g; }, {1});  // zTT's learning rate
}

TEST_F(Reference, AdamManyStepsMatchTorchOptimAdamWithOtherHyperParameters) {
  // Non-default betas and eps, gradients that change every step, some entries zero for a while
  // (the moments decay and the parameter keeps moving on momentum), 400 steps so that the bias
  // corrections go from dominant (1 - 0.8^1) to negligible (1 - 0.99^400).
  const std::size_t n = 53;
  const auto gradient = [n](int k) {
    auto g = randn(n, 100 + static_cast<std::uint64_t>(k), 0.5F);
    for (std::size_t i = 0; i < n; ++i) {
      if (i % 5 == 0 && k > 10) g[i] = 0.0F;  // gradient stops: momentum only
      if (i % 5 == 1) g[i] += 0.3F;           // a steady component
      if (i % 5 == 2) g[i] *= 1e-3F;          // small, comparable to nothing else
    }
    return g;
  };
  compare_adam({0.01, 0.8, 0.99, 1e-6}, n, 400, gradient, {1, 2, 3, 10, 11, 50, 400});
  compare_adam({3e-4, 0.9, 0.999, 1e-8}, n, 400, gradient, {1, 2, 10, 400});  // SAC's defaults
}

// torch::optim::Adam updates v <- beta2 v + (1 - beta2) g^2 with (1 - beta2) computed in double
// and rounded once to float: 0.001 for beta2 = 0.999. FlatAdam did 1 - float(0.999) in float,
// 0.00099998713 (float(0.999) is 1.3e-8 above 0.999, 1.3e-5 of 1 - beta2), so its second moment was
// 1.3e-5 (relative) below torch's at every step and each step 6.4e-6 larger: two hundred times
// float rounding. This test found it; FlatAdam::step now rounds 1 - beta once from double.
TEST_F(Reference, AdamSecondMomentMatchesTorchOptimAdam) {
  const std::size_t n = 37;
  auto params = randn(n, 11);
  detail::FlatAdam flat(n, 1e-3);  // PyTorch's defaults: betas (0.9, 0.999), eps 1e-8
  auto p = tensor_of(params).requires_grad_(true);
  torch::optim::Adam opt({p}, torch::optim::AdamOptions(1e-3));
  for (int k = 1; k <= 100; ++k) {
    const auto g = randn(n, 300 + static_cast<std::uint64_t>(k));
    flat.step(params.data(), g.data());
    p.mutable_grad() = tensor_of(g);
    opt.step();
    if (k != 1 && k != 100) continue;
    SCOPED_TRACE("after step " + std::to_string(k));
    EXPECT_TRUE(all_close(tensor_of(flat.second_moment()), adam_state(opt, p).exp_avg_sq(), kOpRtol, 1e-20,
                          "second moment"));
  }
}

TEST_F(Reference, AdamWithoutWeightDecayLeavesParametersWithZeroGradientUntouchedLikeTorch) {
  // No weight decay: a parameter whose gradient has always been zero has m = v = 0 and does not
  // move, exactly, on both sides (torch::optim::Adam with weight_decay 0; with weight decay it
  // would shrink towards zero).
  const std::size_t n = 16;
  const auto gradient = [n](int k) {
    auto g = randn(n, 200 + static_cast<std::uint64_t>(k));
    for (std::size_t i = 0; i < n; i += 2) g[i] = 0.0F;
    return g;
  };
  auto params = randn(n, 11);
  const auto before = params;
  detail::FlatAdam flat(n, 0.1);
  for (int k = 1; k <= 20; ++k) flat.step(params.data(), gradient(k).data());
  for (std::size_t i = 0; i < n; i += 2) EXPECT_EQ(params[i], before[i]) << i;
  compare_adam({0.1, 0.9, 0.999, 1e-8}, n, 20, gradient, {20});
}

// ---------------------------------------------------------------------------------------------
// Gradient clipping by global norm (flat_adam.cpp) vs torch::nn::utils::clip_grad_norm_ over
// the same values split into several parameter tensors (the norm is global over all of them).

void compare_clip(const std::vector<std::int64_t>& sizes, double max_norm, float scale, std::uint64_t seed) {
  std::int64_t total = 0;
  for (auto s : sizes) total += s;
  auto g = randn(static_cast<std::size_t>(total), seed, scale);
  std::vector<torch::Tensor> params;
  std::int64_t offset = 0;
  for (auto s : sizes) {
    auto p = torch::zeros({s}).requires_grad_(true);
    p.mutable_grad() = tensor_of(g.data() + offset, s);
    params.push_back(p);
    offset += s;
  }
  const auto before = g;
  const double norm = detail::clip_grad_norm(g.data(), g.size(), max_norm);
  const double torch_norm = torch::nn::utils::clip_grad_norm_(params, max_norm);
  std::vector<torch::Tensor> grads;
  for (const auto& p : params) grads.push_back(p.grad());
  // torch reduces in float (per tensor, then the norm of the norms), the library in double.
  EXPECT_TRUE(scalar_close(norm, torch_norm, kOpRtol, "norm"));
  EXPECT_TRUE(all_close(tensor_of(g), torch::cat(grads), kOpRtol, 0.0, "clipped gradient"));
  if (norm <= max_norm) {
    EXPECT_EQ(g, before) << "no clipping below the threshold";
  }
}

TEST_F(Reference, GradientClipByGlobalNormMatchesClipGradNorm) {
  // Clipping active (norm ~ 10 vs 1 and vs 0.01), inactive (norm ~ 10 vs 100), on a DQN-sized
  // gradient (zTT network: 7*64+64+64*64+64+64*9+9 = 5257) and a tiny one.
  compare_clip({448, 64, 4096, 64, 576, 9}, 1.0, 0.15F, 21);
  compare_clip({448, 64, 4096, 64, 576, 9}, 0.01, 0.15F, 22);
  compare_clip({448, 64, 4096, 64, 576, 9}, 100.0, 0.15F, 23);
  compare_clip({3, 1, 5}, 0.5, 1.0F, 24);
  compare_clip({7}, 1e3, 1e-3F, 25);
}

// ---------------------------------------------------------------------------------------------
// The softmax's exponential (batch_math.cpp: exp_nonpositive, for x <= 0). Documented bound:
// "to about float rounding" (docs/learning.md), the degree-7 Taylor truncation below 1e-8
// relative (batch_math.cpp); 0 below -87. Reference: torch::exp in double of the same float
// inputs (exact to double rounding), and torch::exp in float.

TEST_F(Reference, FastExpMatchesTorchExpWithinItsDocumentedBound) {
  std::vector<float> x;
  // A dense grid of [-87, 0] (300,000 points, spacing 2.9e-4: every reduction interval
  // n ln2 +- ln2/2 is sampled about 2,400 times), the interval ends, the rounding boundaries
  // of n = round(x / ln2), and tiny magnitudes.
  const int points = 300'000;
  for (int i = 0; i <= points; ++i) x.push_back(-87.0F * static_cast<float>(i) / static_cast<float>(points));
  for (int n = 0; n <= 125; ++n) {
    const float boundary = -(static_cast<float>(n) + 0.5F) * 0.69314718F;
    for (float d : {-1e-6F, 0.0F, 1e-6F}) x.push_back(std::min(0.0F, boundary + d));
  }
  for (float v : {0.0F, -0.0F, -1e-30F, -1e-7F, -86.999F, -87.0F}) x.push_back(v);
  const auto xs = tensor_of(x);
  std::vector<float> mine(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) mine[i] = detail::exp_nonpositive(x[i]);
  const auto exact = torch::exp(xs.to(torch::kFloat64));
  // Measured: at most 1.7 u (relative 1.0e-7: the rounding of the reduction r = x - n ln2 and of
  // the polynomial's eight steps; the truncation is below 1e-8). Bound: 4 u = 2.4e-7 relative,
  // "about float rounding" as documented. The smallest results (x near -87, e^x ~ 1.6e-38) are float normals,
  // so relative error is meaningful there too.
  const double bound = 4.0 * std::ldexp(1.0, -24);
  EXPECT_TRUE(all_close(tensor_of(mine), exact, bound, 0.0, "exp_nonpositive vs exact e^x"));
  // Against libtorch's own float exp: both within a few u of the exact value.
  EXPECT_TRUE(
      all_close(tensor_of(mine), torch::exp(xs), 2 * bound, 0.0, "exp_nonpositive vs torch::exp (float)"));
  // Below -87: exactly 0 (e^x < 1.7e-38 there; torch gives denormals or 0).
  for (float v : {-87.001F, -88.0F, -100.0F, -1e4F, -std::numeric_limits<float>::infinity()}) {
    EXPECT_EQ(detail::exp_nonpositive(v), 0.0F) << v;
    EXPECT_LT(torch::exp(torch::tensor({v})).item<float>(), 1.7e-38F) << v;
  }
  EXPECT_EQ(detail::exp_nonpositive(0.0F), 1.0F);
}

// ---------------------------------------------------------------------------------------------
// log-softmax and softmax rows (batch_math.cpp: log_softmax_rows) vs torch::log_softmax and
// torch::softmax computed in double from the same float logits: the exact result for those
// inputs, so the tolerance measures the library's error alone, not libtorch's float rounding
// too (which for logits of magnitude 1e4 is of the order of their ulp, 1e-3).

void compare_log_softmax(const torch::Tensor& logits, const std::string& what) {
  const auto z = logits.contiguous();
  const auto rows = z.size(0);
  const auto n = z.size(1);
  std::vector<float> lp(static_cast<std::size_t>(rows * n)), p(lp.size());
  detail::log_softmax_rows(z.data_ptr<float>(), static_cast<std::size_t>(rows), static_cast<std::size_t>(n),
                           lp.data(), p.data());
  const auto zd = z.to(torch::kFloat64);
  // log p: the log-sum carries exp_nonpositive's few u; z - max is exact or one rounding.
  EXPECT_TRUE(
      all_close(tensor_of(lp).view({rows, n}), torch::log_softmax(zd, 1), kOpRtol, 1e-6, what + " log p"));
  // p: relative kOpRtol; the absolute floor 1e-30 covers terms with z - max < -87, which the
  // library sets to 0 (true value below 1.7e-38) and whose float results near -87 are denormal.
  EXPECT_TRUE(all_close(tensor_of(p).view({rows, n}), torch::softmax(zd, 1), kOpRtol, 1e-30, what + " p"));
  const auto row_sums = tensor_of(p).view({rows, n}).to(torch::kFloat64).sum(1);
  EXPECT_TRUE(all_close(row_sums, torch::ones({rows}, torch::kFloat64), 1e-6, 0.0, what + " sum of p"));
}

TEST_F(Reference, LogSoftmaxAndSoftmaxRowsMatchTorch) {
  torch::manual_seed(31);
  // Row lengths around the 8-wide partial maxima and sums: 1, 3, 8, 9, 17, and DVFO's 100.
  for (std::int64_t n : {1, 3, 8, 9, 17, 100}) {
    compare_log_softmax(torch::randn({6, n}) * 3.0, "n=" + std::to_string(n));
  }
}

TEST_F(Reference, LogSoftmaxMatchesTorchForLargeMagnitudeLogits) {
  torch::manual_seed(32);
  const std::int64_t n = 13;
  std::vector<torch::Tensor> rows{
      torch::randn({n}) * 1e4,       // most terms underflow to 0
      torch::randn({n}) * 50 + 1e4,  // large offset, moderate spread
      torch::randn({n}) * 50 - 1e4,
      torch::full({n}, 3e4F),                                        // all equal: uniform
      torch::randn({n}) * 1e30,                                      // extreme magnitudes
      torch::cat({torch::full({1}, 1e30F), torch::zeros({n - 1})}),  // one dominates completely
      torch::cat({torch::full({1}, -1e30F), torch::zeros({n - 1})}),
      torch::randn({n}) * 1e-6,  // nearly uniform
  };
  compare_log_softmax(torch::stack(rows), "large logits");
}

// ---------------------------------------------------------------------------------------------
// The MLP's forward pass and hand-written backward pass (torch_mlp.cpp) against autograd on an
// identical torch network, at the learners' sizes (zTT 7 -> 64 -> 64 -> 9, DVFO 12 -> 64 -> 64 ->
// 100, batch 64) and with odd sizes, every activation, the twin-critic ensemble, and a backward
// pass limited to the first rows of a pass over twice as many (what double DQN and SAC do with
// [states; next_states]). tests/learn/gradient_check_test.cpp checks a 5 -> 7 -> 6 -> 4 network;
// this one adds the sizes at which OpenBLAS's kernels and the 8-wide loops run in full.
//
// The library computes no gradient with respect to the network's input (backward_batch skips dh
// for the first layer: no learner needs it), so there is none to compare. The gradients with
// respect to the hidden layers' inputs (dh = dz W^T) are checked through the weight gradients of
// the layers below them.

void compare_mlp(const MlpSpec& spec, int members, std::int64_t rows, std::int64_t loss_rows,
                 std::uint64_t seed) {
  SCOPED_TRACE(spec.to_json().dump() + " members " + std::to_string(members) + " rows " +
               std::to_string(rows) + "/" + std::to_string(loss_rows));
  std::mt19937_64 rng(seed);
  detail::TorchMlp net(spec, rng, members);
  torch::manual_seed(static_cast<std::uint64_t>(seed));
  const auto x = torch::randn({rows, spec.inputs}) * 1.5;
  detail::TorchMlp::Trace trace;
  const auto out = net.forward_train(x, trace);
  const auto d_out = members == 1 ? torch::randn({loss_rows, spec.outputs})
                                  : torch::randn({members, loss_rows, spec.outputs});
  net.backward(trace, d_out, loss_rows);

  RefNet ref(spec, net.data(), members);
  const auto ref_out = ref.forward(x);
  EXPECT_TRUE(chain_close(out, ref_out.detach(), "forward"));
  // Loss = sum(d_out * output over the first loss_rows rows): its gradient w.r.t. the output is d_out.
  const auto used = members == 1 ? ref_out.narrow(0, 0, loss_rows) : ref_out.narrow(1, 0, loss_rows);
  (used * d_out).sum().backward();
  const auto mine = tensor_of(net.gradient(), static_cast<std::int64_t>(net.size()));
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < ref.params.size(); ++i) {
    const auto count = ref.params[i].numel();
    EXPECT_TRUE(chain_close(mine.narrow(0, offset, count), ref.params[i].grad().flatten(),
                            "gradient of " + net.parameter_names()[i]));
    offset += count;
  }
  EXPECT_EQ(offset, static_cast<std::int64_t>(net.size()));
  // act()'s batch-1 path on the raw buffer (affine_row), row by row and member by member.
  std::vector<float> row_out(static_cast<std::size_t>(spec.outputs));
  for (std::int64_t r = 0; r < std::min<std::int64_t>(rows, 5); ++r) {
    for (int m = 0; m < members; ++m) {
      const auto xr = x[r].contiguous();
      net.forward_fast(xr.data_ptr<float>(), row_out.data(), m);
      const auto expected = members == 1 ? ref_out[r] : ref_out[m][r];
      EXPECT_TRUE(
          chain_close(tensor_of(row_out), expected.detach(), "forward_fast row " + std::to_string(r)));
    }
  }
}

TEST_F(Reference, MlpForwardAndBackwardMatchAutogradAtTheLearnersSizes) {
  std::uint64_t seed = 40;
  for (auto act : {Activation::kRelu, Activation::kTanh, Activation::kElu}) {
    compare_mlp(MlpSpec{7, {64, 64}, 9, act}, 1, 64, 64, ++seed);      // zTT
    compare_mlp(MlpSpec{12, {64, 64}, 100, act}, 1, 128, 64, ++seed);  // DVFO, double-DQN-style rows
    compare_mlp(MlpSpec{12, {64, 64}, 100, act}, 2, 64, 64, ++seed);   // DVFO twin critics
    compare_mlp(MlpSpec{5, {13, 11}, 3, act}, 2, 38, 19, ++seed);      // odd sizes everywhere
    compare_mlp(MlpSpec{3, {}, 4, act}, 1, 9, 9, ++seed);              // no hidden layer
    compare_mlp(MlpSpec{6, {6, 6, 6}, 6, act}, 1, 1, 1, ++seed);       // batch of one, three layers
  }
}

// ---------------------------------------------------------------------------------------------
// DQN (dqn.cpp). docs/learning.md: Huber loss (delta) on Q(s, a) - y, batch mean, with
// y = r + gamma^dt (1 - done) max_a' Q_target(s', a'), or with double DQN the online network's
// argmax valued by the target network (van Hasselt et al. 2016); the target is a constant.
// torch::huber_loss(Q(s, a), y, mean, delta) is exactly that loss.

struct DqnReference {
  torch::Tensor loss, q_sa, y, disagree;
};

DqnReference dqn_reference(const RefNet& online, const RefNet& target, const BatchTensors& t,
                           const DqnConfig& c) {
  DqnReference out;
  const auto q = online.forward(t.s);
  out.q_sa = q.gather(1, t.a.unsqueeze(1)).squeeze(1);
  {
    torch::NoGradGuard no_grad;
    const auto q_next = target.forward(t.s2);
    const auto own_choice = q_next.argmax(1, true);
    const auto online_choice = online.forward(t.s2).argmax(1, true);
    const auto choice = c.double_dqn ? online_choice : own_choice;
    out.y = t.r + t.bootstrap * q_next.gather(1, choice).squeeze(1);
    out.disagree = (own_choice != online_choice).sum();
  }
  out.loss = torch::huber_loss(out.q_sa, out.y, at::Reduction::Mean, c.huber_delta);
  return out;
}

DqnConfig small_dqn_config(bool double_dqn, bool per_second) {
  DqnConfig c;
  c.state_dim = 5;
  c.action_count = 7;
  c.hidden = {16, 12};
  c.gamma = per_second ? 0.8 : 0.9;
  c.discount_per_second = per_second;
  c.double_dqn = double_dqn;
  c.huber_delta = 0.5;  // both branches of the Huber loss occur
  c.seed = 5;
  return c;
}

void check_dqn_loss(bool double_dqn, bool per_second) {
  SCOPED_TRACE(std::string(double_dqn ? "double DQN" : "max target") +
               (per_second ? ", per second" : ", per decision"));
  auto c = small_dqn_config(double_dqn, per_second);
  c.learning_rate = 0.5;  // the first step moves every parameter by ~0.5: online and target differ
  c.target_update_every = 1000;
  c.max_grad_norm = 0;
  DqnLearner dqn(c);
  const auto theta0 = dqn.parameters_flat();  // the target network's parameters from here on
  dqn.update_on(random_batch(24, c.state_dim, c.action_count, 1));
  const auto theta1 = dqn.parameters_flat();
  ASSERT_NE(theta0, theta1);

  std::vector<float> gradient;
  dqn.set_gradient_reducer([&](std::vector<float>& g) {
    gradient = g;
    return false;  // capture only
  });
  const auto batch = random_batch(24, c.state_dim, c.action_count, 2);
  const auto stats = dqn.update_on(batch);
  ASSERT_FALSE(stats.applied);
  ASSERT_EQ(dqn.parameters_flat(), theta1);

  RefNet online(c.network(), theta1.data());
  const RefNet target(c.network(), theta0.data());
  const auto t = tensors_of(batch, c.gamma, c.discount_per_second);
  const auto ref = dqn_reference(online, target, t, c);
  // The batch exercises what it should: terminal rows, both Huber branches, and (for the
  // double-DQN case to mean anything) next states where the two networks choose differently.
  const auto abs_td = (ref.q_sa - ref.y).abs();
  ASSERT_GT((abs_td > c.huber_delta).sum().item<int>(), 0);
  ASSERT_GT((abs_td < c.huber_delta).sum().item<int>(), 0);
  ASSERT_GT(ref.disagree.item<int>(), 0);
  // smooth_l1_loss with beta = delta is the Huber loss divided by delta: the two references agree.
  EXPECT_TRUE(scalar_close(
      ref.loss.item<double>(),
      c.huber_delta *
          torch::smooth_l1_loss(ref.q_sa, ref.y, at::Reduction::Mean, c.huber_delta).item<double>(),
      kOpRtol, "huber_loss vs delta * smooth_l1_loss"));
  ref.loss.backward();
  EXPECT_TRUE(scalar_close(stats.loss, ref.loss.item<double>(), kChainRtol, "Huber TD loss"));
  EXPECT_TRUE(scalar_close(stats.mean_q, ref.q_sa.mean().item<double>(), kChainRtol, "mean Q(s, a)"));
  EXPECT_TRUE(chain_close(tensor_of(gradient), online.flat_grad(), "gradient of the online network"));
}

TEST_F(Reference, DqnHuberTdLossAndGradientMatchAutogradWithTheMaxTarget) {
  check_dqn_loss(false, false);
  check_dqn_loss(false, true);
}

TEST_F(Reference, DqnHuberTdLossAndGradientMatchAutogradWithTheDoubleDqnTarget) {
  check_dqn_loss(true, false);
  check_dqn_loss(true, true);
}

// Branched heads (Tavakoli et al. 2018, docs/learning.md): head d holds Q_d(s, .) over its n_d
// components; the joint action decodes to (a_0, ..., a_{D-1}), first branch most significant;
// y = r + discount * mean_d Q'_d(s', a'_d) with a'_d the target head's argmax (or, double DQN, the
// online head's), and the loss is the mean over heads of torch::huber_loss(Q_d(s, a_d), y).
void check_branched_dqn_loss(bool double_dqn) {
  SCOPED_TRACE(double_dqn ? "branched, double DQN" : "branched, max target");
  auto c = small_dqn_config(double_dqn, false);
  c.branches = {3, 2, 4};
  c.action_count = 24;
  c.learning_rate = 0.5;
  c.target_update_every = 1000;
  c.max_grad_norm = 0;
  DqnLearner dqn(c);
  const auto theta0 = dqn.parameters_flat();
  dqn.update_on(random_batch(24, c.state_dim, c.action_count, 1));
  const auto theta1 = dqn.parameters_flat();
  std::vector<float> gradient;
  dqn.set_gradient_reducer([&](std::vector<float>& g) {
    gradient = g;
    return false;
  });
  const auto batch = random_batch(32, c.state_dim, c.action_count, 2);
  const auto stats = dqn.update_on(batch);
  ASSERT_FALSE(stats.applied);

  RefNet online(c.network(), theta1.data());
  const RefNet target(c.network(), theta0.data());
  const auto t = tensors_of(batch, c.gamma, c.discount_per_second);
  const auto q = online.forward(t.s);
  const std::vector<std::int64_t> sizes{3, 2, 4};
  const auto heads = q.split_with_sizes(sizes, 1);
  torch::Tensor y;
  int disagree = 0;
  {
    torch::NoGradGuard no_grad;
    const auto next = target.forward(t.s2).split_with_sizes(sizes, 1);
    const auto next_online = online.forward(t.s2).split_with_sizes(sizes, 1);
    auto v = torch::zeros_like(t.r);
    for (std::size_t d = 0; d < sizes.size(); ++d) {
      const auto own = next[d].argmax(1, true), theirs = next_online[d].argmax(1, true);
      disagree += (own != theirs).sum().item<int>();
      v = v + next[d].gather(1, double_dqn ? theirs : own).squeeze(1);
    }
    y = t.r + t.bootstrap * v / 3.0;
  }
  // The components of each joint action: a_0 = a / 8, a_1 = (a / 4) % 2, a_2 = a % 4.
  const std::vector<torch::Tensor> components{t.a.div(8, "floor"), t.a.div(4, "floor").remainder(2),
                                              t.a.remainder(4)};
  auto loss = torch::zeros({});
  auto q_mean = torch::zeros({});
  for (std::size_t d = 0; d < sizes.size(); ++d) {
    const auto q_d = heads[d].gather(1, components[d].unsqueeze(1)).squeeze(1);
    loss = loss + torch::huber_loss(q_d, y, at::Reduction::Mean, c.huber_delta) / 3.0;
    q_mean = q_mean + q_d.mean().detach() / 3.0;
  }
  ASSERT_GT(disagree, 0);
  loss.backward();
  EXPECT_TRUE(scalar_close(stats.loss, loss.item<double>(), kChainRtol, "branched Huber TD loss"));
  EXPECT_TRUE(scalar_close(stats.mean_q, q_mean.item<double>(), kChainRtol, "mean Q_d(s, a_d)"));
  EXPECT_TRUE(chain_close(tensor_of(gradient), online.flat_grad(), "gradient of the branched network"));
}

TEST_F(Reference, BranchedDqnLossAndGradientMatchAutograd) {
  check_branched_dqn_loss(false);
  check_branched_dqn_loss(true);
}

TEST_F(Reference, DqnClippedAdamStepsWithHardTargetCopiesMatchTorchOptimAdam) {
  // Four whole updates: loss, backward, global-norm clipping (active), Adam, and a hard target
  // copy every 2 updates, against autograd + clip_grad_norm_ + torch::optim::Adam.
  auto c = small_dqn_config(true, true);
  c.learning_rate = 0.01;
  c.target_update_every = 2;
  c.max_grad_norm = 0.05;
  DqnLearner dqn(c);
  const auto theta0 = dqn.parameters_flat();
  RefNet online(c.network(), theta0.data());
  RefNet target(c.network(), theta0.data());
  torch::optim::Adam opt(online.params, torch::optim::AdamOptions(c.learning_rate));
  for (int k = 1; k <= 4; ++k) {
    SCOPED_TRACE("update " + std::to_string(k));
    const auto batch = random_batch(24, c.state_dim, c.action_count, 10 + static_cast<std::uint64_t>(k));
    const auto stats = dqn.update_on(batch);
    online.zero_grad();
    const auto ref = dqn_reference(online, target, tensors_of(batch, c.gamma, true), c);
    ref.loss.backward();
    const double norm = torch::nn::utils::clip_grad_norm_(online.params, c.max_grad_norm);
    EXPECT_GT(norm, c.max_grad_norm) << "clipping is active";
    opt.step();
    if (k % c.target_update_every == 0) target.copy_from(online);
    EXPECT_TRUE(scalar_close(stats.loss, ref.loss.item<double>(), kChainRtol, "loss"));
    EXPECT_TRUE(chain_close(tensor_of(dqn.parameters_flat()) - tensor_of(theta0),
                            online.flat() - tensor_of(theta0), "parameter change since the start", 1e-4));
  }
}

// ---------------------------------------------------------------------------------------------
// Discrete SAC (sac.cpp), Christodoulou 2019, "Soft Actor-Critic for Discrete Action Settings"
// (arXiv 1910.07207), with the expectations over actions as exact sums (docs/learning.md):
//   critic target  V(s') = sum_a' pi(a'|s') [min(Q1', Q2')(s', a') - alpha log pi(a'|s')],
//                  y = r + gamma^dt (1 - done) V(s')                     (paper eq. 10; constant)
//   critic loss    MSE(Q1(s, a), y) + MSE(Q2(s, a), y)                   (UpdateStats::loss is half)
//   actor loss     mean_s sum_a pi(a|s) [alpha log pi(a|s) - min(Q1, Q2)(s, a)]  (eq. 12; critics
//                  and alpha constant)
//   temperature    mean_s log alpha (H(pi(.|s)) - target), H = -sum_a pi log pi constant,
//                  target = target_entropy_ratio log |A|. The paper's eq. 11 is
//                  pi(s)^T [-alpha (log pi(s) + target)] = alpha (H - target); like the paper's
//                  reference code, the library takes log alpha as the parameter and multiplies
//                  it (not alpha) by (H - target), so d/d(log alpha) = mean H - target (same sign,
//                  without the factor alpha). docs/learning.md documents this form; it is what the
//                  reference below implements.
// All three use the pre-step parameters.

struct SacReference {
  torch::Tensor critic_loss, actor_loss, alpha_loss, entropy, mean_q;
};

SacReference sac_reference(const RefNet& actor, const RefNet& critics, const RefNet& targets,
                           const torch::Tensor& log_alpha, const BatchTensors& t, const SacConfig& c) {
  SacReference out;
  const auto alpha = log_alpha.detach().exp();
  torch::Tensor y;
  {
    torch::NoGradGuard no_grad;
    const auto logits_next = actor.forward(t.s2);
    const auto log_pi_next = torch::log_softmax(logits_next, 1);
    const auto pi_next = torch::softmax(logits_next, 1);
    const auto q_next = targets.forward(t.s2);  // [2, B, A]
    const auto v = (pi_next * (torch::min(q_next[0], q_next[1]) - alpha * log_pi_next)).sum(1);
    y = t.r + t.bootstrap * v;
  }
  const auto q = critics.forward(t.s);  // [2, B, A]
  const auto rows = t.a.size(0);
  const auto q_sa = q.gather(2, t.a.view({1, rows, 1}).expand({2, rows, 1})).squeeze(2);  // [2, B]
  out.critic_loss = torch::mse_loss(q_sa[0], y) + torch::mse_loss(q_sa[1], y);
  out.mean_q = torch::min(q_sa[0], q_sa[1]).mean().detach();
  const auto logits = actor.forward(t.s);
  const auto log_pi = torch::log_softmax(logits, 1);
  const auto pi = torch::softmax(logits, 1);
  const auto q_min = torch::min(q[0], q[1]).detach();
  out.actor_loss = (pi * (alpha * log_pi - q_min)).sum(1).mean();
  const auto entropy = -(pi * log_pi).sum(1).detach();
  out.entropy = entropy.mean();
  out.alpha_loss = (log_alpha * (entropy - c.target_entropy())).mean();
  return out;
}

SacConfig small_sac_config(bool auto_alpha, bool per_second) {
  SacConfig c;
  c.state_dim = 6;
  c.action_count = 11;  // more than 8: the row loops' 8-wide parts and tails both run
  c.hidden = {16, 12};
  c.activation = Activation::kTanh;
  c.gamma = per_second ? 0.8 : 0.95;
  c.discount_per_second = per_second;
  c.initial_alpha = 0.3;
  c.auto_alpha = auto_alpha;
  c.target_entropy_ratio = 0.3;
  c.seed = 7;
  return c;
}

/// The flat vector's parts: actor, critics, log alpha (SacLearner::parameters_flat).
struct SacParts {
  torch::Tensor actor, critics, log_alpha;
};
SacParts split_sac(const std::vector<float>& flat, const SacConfig& c) {
  const auto a = c.actor_network().parameter_count();
  const auto q = 2 * c.critic_network().parameter_count();
  const auto v = tensor_of(flat);
  return {v.narrow(0, 0, a), v.narrow(0, a, q), v.narrow(0, a + q, 1)};
}

void check_sac_losses(bool auto_alpha, bool per_second) {
  SCOPED_TRACE(std::string(auto_alpha ? "auto alpha" : "fixed alpha") +
               (per_second ? ", per second" : ", per decision"));
  auto c = small_sac_config(auto_alpha, per_second);
  // A first, applied step with large learning rates moves every parameter by ~0.3, and Polyak
  // 0.5 leaves the target critics halfway: critics, targets and alpha all differ from the start.
  c.actor_learning_rate = c.critic_learning_rate = c.alpha_learning_rate = 0.3;
  c.polyak_tau = 0.5;
  c.max_grad_norm = 0;
  SacLearner sac(c);
  const auto theta0 = sac.parameters_flat();
  sac.update_on(random_batch(24, c.state_dim, c.action_count, 3));
  const auto theta1 = sac.parameters_flat();

  std::vector<float> gradient;
  sac.set_gradient_reducer([&](std::vector<float>& g) {
    gradient = g;
    return false;
  });
  const auto batch = random_batch(24, c.state_dim, c.action_count, 4);
  const auto stats = sac.update_on(batch);
  ASSERT_FALSE(stats.applied);
  ASSERT_EQ(sac.parameters_flat(), theta1);

  const auto p0 = split_sac(theta0, c);
  const auto p1 = split_sac(theta1, c);
  RefNet actor(c.actor_network(), p1.actor);
  RefNet critics(c.critic_network(), p1.critics, 2);
  const RefNet targets(c.critic_network(), p0.critics * (1.0F - 0.5F) + p1.critics * 0.5F, 2);
  auto log_alpha = p1.log_alpha.clone().requires_grad_(true);
  if (auto_alpha) {
    ASSERT_NE(p1.log_alpha.item<float>(), p0.log_alpha.item<float>());
  }
  const auto t = tensors_of(batch, c.gamma, per_second);
  const auto ref = sac_reference(actor, critics, targets, log_alpha, t, c);
  (ref.critic_loss + ref.actor_loss + (auto_alpha ? ref.alpha_loss : ref.alpha_loss * 0)).backward();

  EXPECT_TRUE(scalar_close(stats.loss, 0.5 * ref.critic_loss.item<double>(), kChainRtol,
                           "critic loss (mean of two)"));
  EXPECT_TRUE(scalar_close(stats.actor_loss, ref.actor_loss.item<double>(), kChainRtol, "actor loss"));
  EXPECT_TRUE(scalar_close(stats.entropy, ref.entropy.item<double>(), kChainRtol, "entropy"));
  EXPECT_TRUE(scalar_close(stats.mean_q, ref.mean_q.item<double>(), kChainRtol, "mean min Q(s, a)"));
  EXPECT_TRUE(scalar_close(stats.alpha, std::exp(p1.log_alpha.item<double>()), kOpRtol, "alpha"));
  const auto mine = split_sac(gradient, c);
  EXPECT_TRUE(chain_close(mine.actor, actor.flat_grad(), "actor gradient"));
  EXPECT_TRUE(chain_close(mine.critics, critics.flat_grad(), "critic gradient"));
  EXPECT_TRUE(chain_close(mine.log_alpha, log_alpha.grad(), "log alpha gradient"));
  if (!auto_alpha) {
    EXPECT_EQ(mine.log_alpha.item<float>(), 0.0F);
  }
}

TEST_F(Reference, SacCriticActorAndTemperatureLossesAndGradientsMatchAutograd) {
  check_sac_losses(true, false);
  check_sac_losses(true, true);
}

TEST_F(Reference, SacLossesAndGradientsMatchAutogradWithAFixedTemperature) {
  check_sac_losses(false, false);
}

TEST_F(Reference, SacClippedAdamStepsWithPolyakTargetsMatchTorchOptimAdam) {
  // Three whole updates: the three losses, backward, clipping per network (actor, both critics
  // together; log alpha unclipped), three Adams with their own learning rates, Polyak targets.
  auto c = small_sac_config(true, true);
  c.actor_learning_rate = 0.01;
  c.critic_learning_rate = 0.02;
  c.alpha_learning_rate = 0.05;
  c.polyak_tau = 0.3;
  c.max_grad_norm = 0.5;
  SacLearner sac(c);
  const auto theta0 = sac.parameters_flat();
  const auto p0 = split_sac(theta0, c);
  RefNet actor(c.actor_network(), p0.actor);
  RefNet critics(c.critic_network(), p0.critics, 2);
  RefNet targets(c.critic_network(), p0.critics, 2);
  auto log_alpha = p0.log_alpha.clone().requires_grad_(true);
  torch::optim::Adam actor_opt(actor.params, torch::optim::AdamOptions(c.actor_learning_rate));
  torch::optim::Adam critic_opt(critics.params, torch::optim::AdamOptions(c.critic_learning_rate));
  torch::optim::Adam alpha_opt({log_alpha}, torch::optim::AdamOptions(c.alpha_learning_rate));
  bool clipped = false;
  for (int k = 1; k <= 3; ++k) {
    SCOPED_TRACE("update " + std::to_string(k));
    const auto batch = random_batch(24, c.state_dim, c.action_count, 20 + static_cast<std::uint64_t>(k));
    const auto stats = sac.update_on(batch);
    actor.zero_grad();
    critics.zero_grad();
    if (log_alpha.grad().defined()) log_alpha.mutable_grad() = torch::Tensor();
    const auto ref = sac_reference(actor, critics, targets, log_alpha, tensors_of(batch, c.gamma, true), c);
    (ref.critic_loss + ref.actor_loss + ref.alpha_loss).backward();
    clipped |= torch::nn::utils::clip_grad_norm_(critics.params, c.max_grad_norm) > c.max_grad_norm;
    clipped |= torch::nn::utils::clip_grad_norm_(actor.params, c.max_grad_norm) > c.max_grad_norm;
    critic_opt.step();
    actor_opt.step();
    alpha_opt.step();
    targets.polyak_from(critics, c.polyak_tau);
    EXPECT_TRUE(scalar_close(stats.loss, 0.5 * ref.critic_loss.item<double>(), kChainRtol, "critic loss"));
    EXPECT_TRUE(scalar_close(stats.actor_loss, ref.actor_loss.item<double>(), kChainRtol, "actor loss"));
    const auto mine = split_sac(sac.parameters_flat(), c);
    EXPECT_TRUE(
        chain_close(mine.actor - p0.actor, actor.flat() - p0.actor, "actor change since the start", 1e-4));
    EXPECT_TRUE(chain_close(mine.critics - p0.critics, critics.flat() - p0.critics,
                            "critic change since the start", 1e-4));
    EXPECT_TRUE(chain_close(mine.log_alpha, log_alpha.detach(), "log alpha"));
    EXPECT_TRUE(scalar_close(stats.alpha, std::exp(log_alpha.item<double>()), kChainRtol, "alpha"));
  }
  EXPECT_TRUE(clipped) << "clipping was active at least once";
}

// ---------------------------------------------------------------------------------------------
// Supervised trainer (supervised.cpp): the hand-written output gradients of the mean
// cross-entropy, (softmax(z) - onehot(y)) / B, and of the MSE, 2 (z - y) / (B outputs), through
// the network's backward pass, against autograd on torch::cross_entropy_loss / torch::mse_loss.

void check_supervised(SupervisedTask task) {
  SCOPED_TRACE(to_string(task));
  SupervisedConfig c;
  c.task = task;
  c.network = MlpSpec{5, {16, 12}, 4, Activation::kElu};
  c.seed = 9;
  SupervisedTrainer trainer(c);
  const auto theta = trainer.parameters_flat();
  std::vector<float> gradient;
  trainer.set_gradient_reducer([&](std::vector<float>& g) {
    gradient = g;
    return false;
  });
  const std::int64_t rows = 21;
  Dataset d;
  d.input_dim = 5;
  d.inputs = randn(static_cast<std::size_t>(rows * 5), 50, 1.5F);
  std::mt19937_64 rng(51);
  for (std::int64_t i = 0; i < rows; ++i) d.labels.push_back(static_cast<std::int64_t>(rng() % 4));
  d.targets = randn(static_cast<std::size_t>(rows * 4), 52);
  const double loss = trainer.train_step(d);
  ASSERT_EQ(trainer.parameters_flat(), theta);

  RefNet net(c.network, theta.data());
  const auto out = net.forward(tensor_of(d.inputs).view({rows, 5}));
  const auto ref = task == SupervisedTask::kClassification
                       ? torch::cross_entropy_loss(out, torch::tensor(d.labels, torch::kInt64))
                       : torch::mse_loss(out, tensor_of(d.targets).view({rows, 4}));
  ref.backward();
  EXPECT_TRUE(scalar_close(loss, ref.item<double>(), kChainRtol, "loss"));
  EXPECT_TRUE(chain_close(tensor_of(gradient), net.flat_grad(), "gradient"));
}

TEST_F(Reference, SupervisedCrossEntropyAndMseGradientsMatchAutograd) {
  check_supervised(SupervisedTask::kClassification);
  check_supervised(SupervisedTask::kRegression);
}

// ---------------------------------------------------------------------------------------------
// Running normaliser (normalizer.cpp): Welford mean and population variance against torch's
// two-pass mean and var(unbiased = false) in double, on data with a large offset (where a naive
// sum-of-squares variance loses everything), and the clipped normalisation.

TEST_F(Reference, RunningNormalizerWelfordStatisticsMatchTorchMeanAndVariance) {
  const int dim = 4;
  const int rows = 1000;
  auto values = randn(static_cast<std::size_t>(rows * dim), 60);
  for (int i = 0; i < rows; ++i) {
    values[static_cast<std::size_t>(i * dim + 1)] =
        values[static_cast<std::size_t>(i * dim + 1)] * 0.01F + 1e4F;
    values[static_cast<std::size_t>(i * dim + 2)] *= 100.0F;
    values[static_cast<std::size_t>(i * dim + 3)] = 2.5F;  // constant
  }
  RunningNormalizer norm(dim, 3.0);
  for (int i = 0; i < rows; ++i) norm.update(values.data() + i * dim);
  const auto x = tensor_of(values).view({rows, dim}).to(torch::kFloat64);
  const auto mean = x.mean(0);
  const auto var = x.var(0, /*unbiased=*/false);
  EXPECT_TRUE(all_close(torch::tensor(norm.mean(), torch::kFloat64), mean, 1e-12, 1e-12, "mean"));
  // Welford in double vs two passes in double: agreement to ~1e-12 relative.
  EXPECT_TRUE(all_close(torch::tensor(norm.variance(), torch::kFloat64), var, 1e-9, 1e-12, "variance"));
  const std::vector<float> probe{0.3F, 1e4F + 0.005F, -90.0F, 2.5F};  // none clipped
  const auto expected =
      ((tensor_of(probe).to(torch::kFloat64) - mean) / torch::sqrt(var + 1e-8)).clamp(-3.0, 3.0);
  EXPECT_TRUE(all_close(tensor_of(norm.normalize(probe)), expected, kOpRtol, 1e-6, "normalised probe"));
}

}  // namespace
}  // namespace edgetwin::learn

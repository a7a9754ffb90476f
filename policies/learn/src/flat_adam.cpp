// Flat-buffer Adam and gradient clipping.

#include "flat_adam.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "batch_math.hpp"

namespace edgetwin::learn::detail {

namespace {
// The update of torch.optim.Adam (no weight decay, no amsgrad), element by element.
EDGETWIN_LEARN_VECTOR_CLONES
void adam_update(float* params, const float* grad, float* m, float* v, std::size_t n, float step_size,
                 float bias2_sqrt, float b1, float b2, float one_minus_b1, float one_minus_b2, float eps) {
  for (std::size_t i = 0; i < n; ++i) {
    const float g = grad[i];
    m[i] = b1 * m[i] + one_minus_b1 * g;
    v[i] = b2 * v[i] + one_minus_b2 * g * g;
    params[i] -= step_size * m[i] / (std::sqrt(v[i]) / bias2_sqrt + eps);
  }
}
}  // namespace

FlatAdam::FlatAdam(std::size_t size, double learning_rate, double beta1, double beta2, double eps)
    : lr_(learning_rate), beta1_(beta1), beta2_(beta2), eps_(eps), m_(size, 0.0F), v_(size, 0.0F) {}

void FlatAdam::step(float* params, const float* grad) {
  ++steps_;
  const double bias1 = 1.0 - std::pow(beta1_, static_cast<double>(steps_));
  const double bias2 = 1.0 - std::pow(beta2_, static_cast<double>(steps_));
  const auto step_size = static_cast<float>(lr_ / bias1);
  const auto bias2_sqrt = static_cast<float>(std::sqrt(bias2));
  const auto b1 = static_cast<float>(beta1_);
  const auto b2 = static_cast<float>(beta2_);
  // 1 - beta rounded once from double, as torch.optim.Adam does: 1.0F - float(0.999) would be
  // 0.00099998713, a second moment 1.3e-5 (relative) too small at every step
  // (tests/learn/reference_test.cpp, AdamSecondMomentMatchesTorchOptimAdam).
  const auto one_minus_b1 = static_cast<float>(1.0 - beta1_);
  const auto one_minus_b2 = static_cast<float>(1.0 - beta2_);
  const auto eps = static_cast<float>(eps_);
  adam_update(params, grad, m_.data(), v_.data(), m_.size(), step_size, bias2_sqrt, b1, b2, one_minus_b1,
              one_minus_b2, eps);
}

void FlatAdam::restore(std::vector<float> m, std::vector<float> v, std::int64_t steps) {
  if (m.size() != m_.size() || v.size() != v_.size() || steps < 0) {
    throw std::invalid_argument("adam state: found " + std::to_string(m.size()) + " moments, expected " +
                                std::to_string(m_.size()));
  }
  m_ = std::move(m);
  v_ = std::move(v);
  steps_ = steps;
}

double clip_grad_norm(float* grad, std::size_t n, double max_norm) {
  // Eight interleaved partial sums: they vectorise, where one running sum is a chain of dependent
  // additions (the norm then differs from a sequential sum in the last bits only).
  const double sum = sum_squares(grad, n);
  const double norm = std::sqrt(sum);
  const double factor = max_norm / (norm + 1e-6);
  if (max_norm > 0 && factor < 1) {
    const auto f = static_cast<float>(factor);
    for (std::size_t k = 0; k < n; ++k) grad[k] *= f;
  }
  return norm;
}

}  // namespace edgetwin::learn::detail

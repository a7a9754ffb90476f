// Flat-buffer Adam and gradient clipping.

#include "flat_adam.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace edgetwin::learn::detail {

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
  const auto eps = static_cast<float>(eps_);
  for (std::size_t i = 0; i < m_.size(); ++i) {
    const float g = grad[i];
    m_[i] = b1 * m_[i] + (1.0F - b1) * g;
    v_[i] = b2 * v_[i] + (1.0F - b2) * g * g;
    params[i] -= step_size * m_[i] / (std::sqrt(v_[i]) / bias2_sqrt + eps);
  }
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
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(grad[i]) * grad[i];
  const double norm = std::sqrt(sum);
  const double factor = max_norm / (norm + 1e-6);
  if (max_norm > 0 && factor < 1) {
    const auto f = static_cast<float>(factor);
    for (std::size_t i = 0; i < n; ++i) grad[i] *= f;
  }
  return norm;
}

}  // namespace edgetwin::learn::detail

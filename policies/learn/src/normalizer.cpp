// Welford running mean/variance normaliser.

#include "edgetwin/learn/normalizer.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace edgetwin::learn {

RunningNormalizer::RunningNormalizer(int dim, double clip, double epsilon)
    : dim_(dim),
      clip_(clip),
      epsilon_(epsilon),
      mean_(static_cast<std::size_t>(std::max(dim, 0)), 0.0),
      m2_(static_cast<std::size_t>(std::max(dim, 0)), 0.0) {
  if (dim < 1)
    throw std::invalid_argument("normalizer: dim: found " + std::to_string(dim) + ", allowed >= 1");
  if (!(clip > 0))
    throw std::invalid_argument("normalizer: clip: found " + std::to_string(clip) + ", allowed > 0");
}

void RunningNormalizer::update(const std::vector<float>& x) {
  if (x.size() != static_cast<std::size_t>(dim_)) {
    throw std::invalid_argument("normalizer: found " + std::to_string(x.size()) + " values, expected " +
                                std::to_string(dim_));
  }
  update(x.data());
}

void RunningNormalizer::update(const float* x) {
  ++count_;
  const double n = static_cast<double>(count_);
  for (std::size_t i = 0; i < mean_.size(); ++i) {
    const double delta = x[i] - mean_[i];
    mean_[i] += delta / n;
    m2_[i] += delta * (x[i] - mean_[i]);
  }
}

std::vector<double> RunningNormalizer::variance() const {
  std::vector<double> var(mean_.size(), 1.0);
  if (count_ == 0) return var;
  for (std::size_t i = 0; i < var.size(); ++i) var[i] = m2_[i] / static_cast<double>(count_);
  return var;
}

void RunningNormalizer::normalize_in_place(float* x, std::size_t rows) const {
  const auto var = variance();
  const auto dim = mean_.size();
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t i = 0; i < dim; ++i) {
      const double scale = std::sqrt(var[i] + epsilon_);
      // A constant feature (zero variance, epsilon 0) maps to 0 rather than 0/0.
      const double z = scale > 0 ? (x[r * dim + i] - mean_[i]) / scale : 0.0;
      x[r * dim + i] = static_cast<float>(std::clamp(z, -clip_, clip_));
    }
  }
}

std::vector<float> RunningNormalizer::normalize(const std::vector<float>& x) const {
  if (x.size() != mean_.size()) {
    throw std::invalid_argument("normalizer: found " + std::to_string(x.size()) + " values, expected " +
                                std::to_string(dim_));
  }
  std::vector<float> out = x;
  normalize_in_place(out.data(), 1);
  return out;
}

nlohmann::json RunningNormalizer::to_json() const {
  return {{"dim", dim_},     {"clip", clip_}, {"epsilon", epsilon_},
          {"count", count_}, {"mean", mean_}, {"m2", m2_}};
}

void RunningNormalizer::load_json(const nlohmann::json& j) {
  const int dim = j.at("dim").get<int>();
  if (dim != dim_) {
    throw std::invalid_argument("normalizer: /dim: found " + std::to_string(dim) + ", expected " +
                                std::to_string(dim_));
  }
  clip_ = j.at("clip").get<double>();
  epsilon_ = j.at("epsilon").get<double>();
  restore(j.at("count").get<std::uint64_t>(), j.at("mean").get<std::vector<double>>(),
          j.at("m2").get<std::vector<double>>());
}

void RunningNormalizer::restore(std::uint64_t count, std::vector<double> mean, std::vector<double> m2) {
  if (mean.size() != mean_.size() || m2.size() != m2_.size()) {
    throw std::invalid_argument("normalizer: found " + std::to_string(mean.size()) + " means and " +
                                std::to_string(m2.size()) + " m2 values, expected " + std::to_string(dim_));
  }
  count_ = count;
  mean_ = std::move(mean);
  m2_ = std::move(m2);
}

}  // namespace edgetwin::learn

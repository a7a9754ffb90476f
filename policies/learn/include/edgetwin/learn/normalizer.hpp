#pragma once
/// Running per-feature normaliser: Welford mean and variance over everything seen, then
/// (x - mean) / sqrt(var + epsilon) clipped to [-clip, clip].

#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace edgetwin::learn {

class RunningNormalizer {
 public:
  /// `clip` > 0 bounds the normalised value; `epsilon` keeps constant features finite.
  explicit RunningNormalizer(int dim, double clip = 5.0, double epsilon = 1e-8);

  /// Adds one observation (dim values; throws std::invalid_argument otherwise).
  void update(const std::vector<float>& x);
  void update(const float* x);
  /// Normalised copy of x with the current statistics (identity mean 0 / var 1 before any update).
  std::vector<float> normalize(const std::vector<float>& x) const;
  /// In place, `rows` rows of dim values.
  void normalize_in_place(float* x, std::size_t rows) const;

  int dim() const { return dim_; }
  double clip() const { return clip_; }
  double epsilon() const { return epsilon_; }
  std::uint64_t count() const { return count_; }
  const std::vector<double>& mean() const { return mean_; }
  /// Population variance (sum of squared deviations / count); 1 before any update.
  std::vector<double> variance() const;

  /// {"dim", "clip", "epsilon", "count", "mean": [...], "m2": [...]}, doubles round-trip exactly.
  nlohmann::json to_json() const;
  /// Restores the state; throws std::invalid_argument when "dim" differs from this normaliser's.
  void load_json(const nlohmann::json& j);
  /// Raw Welford state for checkpoints.
  const std::vector<double>& m2() const { return m2_; }
  void restore(std::uint64_t count, std::vector<double> mean, std::vector<double> m2);

 private:
  int dim_;
  double clip_;
  double epsilon_;
  std::uint64_t count_ = 0;
  std::vector<double> mean_;
  std::vector<double> m2_;
};

}  // namespace edgetwin::learn

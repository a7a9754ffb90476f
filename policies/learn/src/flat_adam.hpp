#pragma once
// Internal: Adam (Kingma & Ba 2015, the update of torch.optim.Adam without weight decay or
// amsgrad) and global-norm gradient clipping on one contiguous float range. The learners keep all
// parameters of a network in one buffer, so an optimiser step is one loop instead of a dozen
// libtorch calls per tensor: at these network sizes the dispatch, not the arithmetic, was the cost.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgetwin::learn::detail {

class FlatAdam {
 public:
  FlatAdam(std::size_t size, double learning_rate, double beta1 = 0.9, double beta2 = 0.999,
           double eps = 1e-8);

  /// params -= lr * m_hat / (sqrt(v_hat) + eps), with the moments updated from `grad`.
  void step(float* params, const float* grad);

  std::size_t size() const { return m_.size(); }
  double learning_rate() const { return lr_; }
  /// State for checkpoints: first and second moments and the step count.
  const std::vector<float>& first_moment() const { return m_; }
  const std::vector<float>& second_moment() const { return v_; }
  std::int64_t steps() const { return steps_; }
  void restore(std::vector<float> m, std::vector<float> v, std::int64_t steps);

 private:
  double lr_, beta1_, beta2_, eps_;
  std::vector<float> m_, v_;
  std::int64_t steps_ = 0;
};

/// Scales grad[0..n) so that its L2 norm is at most max_norm (torch's clip_grad_norm_ rule:
/// factor max_norm / (norm + 1e-6) when below 1). Returns the norm before clipping.
double clip_grad_norm(float* grad, std::size_t n, double max_norm);

}  // namespace edgetwin::learn::detail

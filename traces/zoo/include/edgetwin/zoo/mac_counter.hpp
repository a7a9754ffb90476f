#pragma once
/// Thread-local cost counters that the counted layers (layers.hpp) add to during a forward pass.
/// Convention (docs/models.md): 1 MAC = one multiply-accumulate of a convolution, a linear layer
/// or an explicit matmul; every framework op launched (conv, bn, activation, pool, add, ...) is one
/// kernel. Nothing here advances simulated time.

#include <cstdint>

namespace edgetwin::zoo {

/// Costs accumulated on this thread since the last reset.
struct OpCounts {
  std::int64_t macs = 0;
  std::int64_t kernels = 0;
};

/// Adds to this thread's counters; called by the counted layers' forward.
void count_macs(std::int64_t macs);
void count_kernels(std::int64_t kernels);

/// Counts what runs on this thread while it lives (nesting-safe: restores the outer counts
/// plus the inner ones on destruction).
class CountScope {
 public:
  CountScope();
  ~CountScope();
  CountScope(const CountScope&) = delete;
  CountScope& operator=(const CountScope&) = delete;
  /// Costs counted since construction.
  OpCounts counts() const;

 private:
  OpCounts saved_;
};

}  // namespace edgetwin::zoo

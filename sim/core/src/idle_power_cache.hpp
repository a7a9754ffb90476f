#pragma once
// Internal to the simulation core: a device's idle power at its current clocks, computed once per
// clock setting.

#include <vector>

#include "edgetwin/policies/decision.hpp"
#include "edgetwin/traces/board.hpp"
#include "edgetwin/traces/synth.hpp"

namespace edgetwin::sim::detail {

/// Idle power is a pure function of the clocks: computed when the clocks differ from the last
/// question's, not per frame.
class IdlePowerCache {
 public:
  IdlePowerCache(const traces::Synthesizer& power_model, const traces::Board& board)
      : power_model_(power_model), board_(board) {}
  /// The board's idle power at `clocks` (W).
  double total_w(const policies::Clocks& clocks) {
    refresh(clocks);
    return total_w_;
  }
  /// The idle power of each board rail at `clocks` (W), in the board's rail order.
  const std::vector<double>& rails_w(const policies::Clocks& clocks) {
    refresh(clocks);
    return rails_w_;
  }

 private:
  void refresh(const policies::Clocks& clocks);

  const traces::Synthesizer& power_model_;
  const traces::Board& board_;
  bool known_ = false;
  policies::Clocks clocks_;
  double total_w_ = 0;
  std::vector<double> rails_w_;
};

}  // namespace edgetwin::sim::detail

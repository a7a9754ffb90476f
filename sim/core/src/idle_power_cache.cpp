#include "idle_power_cache.hpp"

namespace edgetwin::sim::detail {

void IdlePowerCache::refresh(const policies::Clocks& clocks) {
  if (known_ && clocks_ == clocks) return;
  const traces::ClockSetting setting{clocks.cpu_khz, clocks.gpu_hz, clocks.emc_hz};
  total_w_ = power_model_.idle_power_w(board_, setting);
  const auto components = power_model_.idle_components(board_, setting);
  rails_w_.clear();
  for (const auto& rail : board_.rails) rails_w_.push_back(traces::rail_power_w(board_, rail, components));
  clocks_ = clocks;
  known_ = true;
}

}  // namespace edgetwin::sim::detail

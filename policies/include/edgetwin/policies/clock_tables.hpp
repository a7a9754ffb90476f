#pragma once
/// The frequencies a device may use: the board's tables cut at its power mode's caps, and the
/// table rounding that governors and policies share.

#include <cstdint>
#include <vector>

#include "edgetwin/policies/decision.hpp"
#include "edgetwin/traces/board.hpp"

namespace edgetwin::policies {

/// Per domain, the ascending table values at or below the power mode's cap.
struct ClockTables {
  std::vector<std::int64_t> cpu_khz;
  std::vector<std::int64_t> gpu_hz;
  std::vector<std::int64_t> emc_hz;

  /// `power_mode` -1 = the board's default mode. Throws std::out_of_range for an unknown mode,
  /// std::invalid_argument when a cap is below a domain's lowest table value.
  static ClockTables for_mode(const traces::Board& board, int power_mode);

  const std::vector<std::int64_t>& domain(traces::ClockDomain d) const;
  Clocks max() const;  ///< the highest allowed value of each domain
  Clocks min() const;
};

/// Smallest table value >= `value`, or the table's largest when none is (cpufreq's
/// CPUFREQ_RELATION_L). `table` ascending, non-empty.
std::int64_t table_ceil(const std::vector<std::int64_t>& table, double value);
/// Largest table value <= `value`, or the table's smallest when none is.
std::int64_t table_floor(const std::vector<std::int64_t>& table, double value);
/// Position of `value` in `table`, or -1.
int table_index(const std::vector<std::int64_t>& table, std::int64_t value);
/// `count` values of an ascending table, evenly spaced by index (round(k (n - 1) / (count - 1)),
/// k = 0 .. count - 1), lowest and highest included; the whole table when it has no more than
/// `count`; the highest alone when `count` is 1.
std::vector<std::int64_t> spread_levels(const std::vector<std::int64_t>& table, int count);

}  // namespace edgetwin::policies

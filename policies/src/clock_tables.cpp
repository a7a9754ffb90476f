// Board tables cut at the power mode caps, and table rounding.

#include "edgetwin/policies/clock_tables.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace edgetwin::policies {

namespace {

std::vector<std::int64_t> capped(const std::vector<std::int64_t>& table, std::int64_t cap,
                                 const traces::Board& board, const char* domain) {
  std::vector<std::int64_t> out;
  for (auto f : table) {
    if (f <= cap) out.push_back(f);
  }
  if (out.empty()) {
    throw std::invalid_argument("board " + board.id + ": power mode cap " + std::to_string(cap) +
                                " is below the lowest " + domain + " table value");
  }
  return out;
}

}  // namespace

ClockTables ClockTables::for_mode(const traces::Board& board, int power_mode) {
  const auto& mode = board.power_mode(power_mode < 0 ? board.default_power_mode : power_mode);
  ClockTables t;
  t.cpu_khz = capped(board.cpu_freqs_khz, mode.cpu_max_khz, board, "cpu");
  t.gpu_hz = capped(board.gpu_freqs_hz, mode.gpu_max_hz, board, "gpu");
  t.emc_hz = capped(board.emc_freqs_hz, mode.emc_max_hz, board, "emc");
  return t;
}

const std::vector<std::int64_t>& ClockTables::domain(traces::ClockDomain d) const {
  switch (d) {
    case traces::ClockDomain::cpu:
      return cpu_khz;
    case traces::ClockDomain::gpu:
      return gpu_hz;
    case traces::ClockDomain::emc:
      return emc_hz;
  }
  throw std::invalid_argument("unknown clock domain");
}

Clocks ClockTables::max() const {
  return Clocks{cpu_khz.back(), gpu_hz.back(), emc_hz.back()};
}
Clocks ClockTables::min() const {
  return Clocks{cpu_khz.front(), gpu_hz.front(), emc_hz.front()};
}

std::int64_t table_ceil(const std::vector<std::int64_t>& table, double value) {
  for (auto f : table) {
    // A tiny tolerance so that 0.5 x 1000 lands on a table value of 500, not the next one.
    if (static_cast<double>(f) >= value * (1 - 1e-12)) return f;
  }
  return table.back();
}

std::int64_t table_floor(const std::vector<std::int64_t>& table, double value) {
  for (auto it = table.rbegin(); it != table.rend(); ++it) {
    if (static_cast<double>(*it) <= value * (1 + 1e-12)) return *it;
  }
  return table.front();
}

int table_index(const std::vector<std::int64_t>& table, std::int64_t value) {
  auto it = std::find(table.begin(), table.end(), value);
  return it == table.end() ? -1 : static_cast<int>(it - table.begin());
}

std::vector<std::int64_t> spread_levels(const std::vector<std::int64_t>& table, int count) {
  const int n = static_cast<int>(table.size());
  if (count >= n) return table;
  std::vector<std::int64_t> out;
  for (int i = 0; i < count; ++i) {
    const int idx =
        count == 1 ? n - 1 : static_cast<int>(std::lround(static_cast<double>(i) * (n - 1) / (count - 1)));
    if (out.empty() || out.back() != table[static_cast<std::size_t>(idx)])
      out.push_back(table[static_cast<std::size_t>(idx)]);
  }
  return out;
}

}  // namespace edgetwin::policies

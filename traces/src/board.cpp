#include "edgetwin/traces/board.hpp"

#include <stdexcept>

namespace edgetwin::traces {

const char* to_string(ClockDomain domain) {
  switch (domain) {
    case ClockDomain::cpu:
      return "cpu";
    case ClockDomain::gpu:
      return "gpu";
    case ClockDomain::emc:
      return "emc";
  }
  return "?";
}

const std::vector<std::int64_t>& Board::freqs(ClockDomain domain) const {
  switch (domain) {
    case ClockDomain::cpu:
      return cpu_freqs_khz;
    case ClockDomain::gpu:
      return gpu_freqs_hz;
    case ClockDomain::emc:
      return emc_freqs_hz;
  }
  throw std::invalid_argument("unknown clock domain");
}

const DvfsTransition& Board::transition(ClockDomain domain) const {
  switch (domain) {
    case ClockDomain::cpu:
      return cpu_transition;
    case ClockDomain::gpu:
      return gpu_transition;
    case ClockDomain::emc:
      return emc_transition;
  }
  throw std::invalid_argument("unknown clock domain");
}

const PowerMode& Board::power_mode(int mode_id) const {
  for (const auto& m : power_modes) {
    if (m.id == mode_id) return m;
  }
  std::string ids;
  for (const auto& m : power_modes)
    ids += (ids.empty() ? "" : ", ") + std::to_string(m.id) + " (" + m.name + ")";
  throw std::out_of_range("board " + id + " has no power mode " + std::to_string(mode_id) +
                          "; modes: " + ids);
}

int Board::total_core_count() const {
  int n = 0;
  for (const auto& c : cpu_clusters) n += c.core_count;
  return n;
}

}  // namespace edgetwin::traces

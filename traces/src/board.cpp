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

namespace {

/// "R32.7.4" -> {32, 7, 4}; empty when it is not "R" and dot-separated numbers.
std::vector<long> l4t_components(const std::string& text) {
  std::vector<long> out;
  if (text.size() < 2 || text[0] != 'R') return {};
  std::size_t i = 1;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    if (j == i || j - i > 6) return {};
    out.push_back(std::stol(text.substr(i, j - i)));
    if (j == text.size()) break;
    if (text[j] != '.' || j + 1 == text.size()) return {};
    i = j + 1;
  }
  return out;
}

}  // namespace

bool valid_l4t_pattern(const std::string& pattern) {
  const bool open = !pattern.empty() && pattern.back() == '+';
  return !l4t_components(open ? pattern.substr(0, pattern.size() - 1) : pattern).empty();
}

int l4t_match(const std::string& pattern, const std::string& version) {
  const bool open = !pattern.empty() && pattern.back() == '+';
  const auto p = l4t_components(open ? pattern.substr(0, pattern.size() - 1) : pattern);
  const auto v = l4t_components(version);
  if (p.empty() || v.empty()) return 0;
  if (!open) {
    if (p.size() > v.size()) return 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i] != v[i]) return 0;
    }
    return static_cast<int>(p.size());
  }
  // "R36.4.3+": the same major release, and a version at least the pattern's.
  if (p.front() != v.front()) return 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const long vi = i < v.size() ? v[i] : 0;
    if (vi != p[i]) return vi > p[i] ? static_cast<int>(p.size()) : 0;
  }
  return static_cast<int>(p.size());
}

}  // namespace edgetwin::traces

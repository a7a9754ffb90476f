#include "edgetwin/traces/model.hpp"

namespace edgetwin::traces {

std::int64_t Model::total_macs() const {
  std::int64_t total = 0;
  for (const auto& u : units) total += u.macs;
  return total;
}

std::int64_t Model::total_params() const {
  std::int64_t total = 0;
  for (const auto& u : units) total += u.param_count;
  return total;
}

int Model::unit_index(const std::string& unit_name) const {
  for (const auto& u : units) {
    if (u.name == unit_name) return u.index;
  }
  return -1;
}

}  // namespace edgetwin::traces

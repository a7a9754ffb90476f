#pragma once
// Internal to the simulation core: the summed cost of a run of units, computed once per key.

#include <cstdint>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "edgetwin/traces/model.hpp"

namespace edgetwin::sim::detail {

/// A run of units merged into one activity: latency, energy, energy per board rail (NaN for
/// rails the trace does not name), and the variance of the latency (units taken as independent).
struct RunSums {
  double latency_s = 0;
  double energy_j = 0;
  std::vector<double> rail_j;
  double latency_var_s2 = 0;
};

/// Appends run `next` to `into` (an empty `into`, without rails, becomes `next`).
inline void append_run(RunSums& into, const RunSums& next) {
  if (into.rail_j.empty()) {
    into = next;
    return;
  }
  into.latency_s += next.latency_s;
  into.energy_j += next.energy_j;
  into.latency_var_s2 += next.latency_var_s2;
  for (std::size_t r = 0; r < into.rail_j.size() && r < next.rail_j.size(); ++r)
    into.rail_j[r] += next.rail_j[r];
}

/// Units [first, last] of a model at given clocks, summed once per key and kept; the last
/// answer is checked first (a stream runs the same units at the same clocks frame after frame).
class RunSumCache {
 public:
  /// (model, cpu kHz, gpu Hz, emc Hz, first unit, last unit)
  using Key = std::tuple<const traces::Model*, std::int64_t, std::int64_t, std::int64_t, int, int>;

  /// The sums of `key`; `compute()` gives them on the first question.
  template <typename Compute>
  const RunSums& get(const Key& key, Compute&& compute) {
    if (last_ != nullptr && last_key_ == key) return *last_;
    auto it = sums_.find(key);
    if (it == sums_.end()) it = sums_.emplace(key, compute()).first;
    last_key_ = key;
    last_ = &it->second;
    return it->second;
  }

 private:
  std::map<Key, RunSums> sums_;
  Key last_key_;
  const RunSums* last_ = nullptr;
};

}  // namespace edgetwin::sim::detail

#pragma once
// Internal to the simulation core: the state of a device on the local-time fast path.

#include "merged_arrivals.hpp"

namespace edgetwin::sim::detail {

/// A device on the local-time fast path (device_fast_path.cpp, docs/simulation.md "Local time
/// fast path") runs ahead of the engine in its own clock and pulls its own arrivals.
struct FastPathClock {
  bool enabled = false;  ///< the device runs on the fast path (decided before the run)
  bool done = false;     ///< its controller has finished
  double now_s = 0;      ///< the device's own clock (>= the engine's)
  long next_sample = 1;  ///< the next timeline sample (k x interval) it writes itself
  MergedArrivals arrivals;
};

}  // namespace edgetwin::sim::detail

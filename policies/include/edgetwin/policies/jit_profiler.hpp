#pragma once
/// E4's just-in-time profiler (docs/e4.md, "JIT profiler"; a reconstruction: the paper's
/// pseudo-code was not available): for the units a frame runs before its exit, coordinate descent
/// over the CPU and GPU clock levels minimising energy under the frame's deadline. Each unit's
/// time and energy at a clock pair is measured lazily through a probe and cached per
/// (model, unit, clocks); adjacent units share clocks when a switch costs more than it saves.
/// Pure decision logic: no SimGrid, no clock.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "edgetwin/policies/decision.hpp"

namespace edgetwin::policies {

/// Time and energy of one unit (or a run of units) at one clock pair.
struct UnitCost {
  double time_s = 0;
  double energy_j = 0;
};

/// Parameters of the search.
struct JitProfilerConfig {
  std::vector<std::int64_t> cpu_khz;  ///< candidate CPU levels, ascending, non-empty
  std::vector<std::int64_t> gpu_hz;   ///< candidate GPU levels, ascending, non-empty
  std::int64_t emc_hz = 0;            ///< the memory clock, not searched (E4 sets CPU and GPU)
  int max_rounds = 4;                 ///< coordinate-descent rounds per group, >= 1
  /// Cost of one clock change (the board's DvfsTransition): time of each changed domain, and
  /// energy = idle power x time + the domains' transition energies.
  double cpu_switch_s = 0, gpu_switch_s = 0;
  double cpu_switch_j = 0, gpu_switch_j = 0;
  double idle_power_w = 0;
  /// Probes allowed per plan (0 = unlimited); unmeasured candidates beyond it are not considered.
  int max_probes_per_plan = 0;
};

/// Coordinate descent over (CPU level, GPU level) for one objective: start at `start`, then in
/// rounds sweep the CPU levels with the GPU fixed, keep the best, sweep the GPU levels with the
/// CPU fixed, keep the best; stop after a round without change or after `max_rounds`. `cost`
/// returns nullopt for a pair that may not be evaluated (not measured, budget spent). Ties keep
/// the current pair. Returns the indices found; `evaluations` counts the distinct pairs evaluated.
struct DescentResult {
  int cpu = 0;
  int gpu = 0;
  double value = 0;
  int evaluations = 0;
  int rounds = 0;
};
DescentResult coordinate_descent(int cpu_levels, int gpu_levels, int start_cpu, int start_gpu, int max_rounds,
                                 const std::function<std::optional<double>(int, int)>& cost);

/// A frame's plan: clock segments for units [0, end_unit), with their predicted time and energy.
struct JitPlan {
  std::vector<ClockSegment> segments;  ///< first_unit ascending, adjacent segments differ
  double time_s = 0;                   ///< units + switches (the first from the current clocks)
  double energy_j = 0;
  bool meets_deadline = true;
  double lambda_w = 0;   ///< the price of time the plan was found at (0: no deadline pressure)
  int probes = 0;        ///< probes this plan made
  long evaluations = 0;  ///< objective evaluations of groups at clock pairs (cached or probed)
  int groups = 0;        ///< clock groups after merging
};

class JitProfiler {
 public:
  /// Measures units [first, end) at `clocks` (a probe); called only for single units.
  using Measure = std::function<UnitCost(const traces::Model&, int unit, const Clocks&)>;

  explicit JitProfiler(JitProfilerConfig config);

  /// Plans units [0, end_unit) of `model` starting from the device's `current` clocks, within
  /// `deadline_s` (<= 0: none). Probes only what the cache lacks.
  JitPlan plan(const traces::Model& model, int end_unit, const Clocks& current, double deadline_s,
               const Measure& measure);

  /// Cached cost of a unit at a clock pair (index into the config's levels), if measured.
  std::optional<UnitCost> cached(const traces::Model& model, int unit, int cpu, int gpu) const;
  long probes() const { return probes_; }  ///< probes made so far (every plan)
  const JitProfilerConfig& config() const { return config_; }
  Clocks clocks_of(int cpu, int gpu) const;

 private:
  struct Group {
    int first = 0, end = 0;
    int cpu = 0, gpu = 0;
  };
  std::optional<UnitCost> cost(const traces::Model& model, int unit, int cpu, int gpu,
                               const Measure& measure);
  std::optional<double> group_value(const traces::Model& model, const Group& g, int cpu, int gpu,
                                    double lambda, const Measure& measure);
  /// Switch cost between two pairs (0 when equal), as time and energy.
  UnitCost switch_cost(const Clocks& from, const Clocks& to) const;
  std::vector<Group> optimise(const traces::Model& model, int end_unit, const Clocks& current, double lambda,
                              const Measure& measure);
  JitPlan evaluate(const traces::Model& model, const std::vector<Group>& groups, const Clocks& current,
                   double deadline_s, double lambda) const;

  JitProfilerConfig config_;
  std::map<std::tuple<std::string, int, int, int>, UnitCost> cache_;
  long probes_ = 0;
  int plan_probes_ = 0;
  long plan_evaluations_ = 0;
};

}  // namespace edgetwin::policies

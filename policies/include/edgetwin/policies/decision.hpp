#pragma once
/// The typed decision vocabulary shared by every policy and the simulator (and, later, the
/// board agent): what a policy observes at each decision point and what it may decide.
/// Pure data: no SimGrid, no clock access. Units are in the names.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "edgetwin/traces/board.hpp"
#include "edgetwin/traces/model.hpp"

namespace edgetwin::policies {

/// One value per clock domain; always values of the device board's tables.
struct Clocks {
  std::int64_t cpu_khz = 0;
  std::int64_t gpu_hz = 0;
  std::int64_t emc_hz = 0;
  bool operator==(const Clocks& o) const {
    return cpu_khz == o.cpu_khz && gpu_hz == o.gpu_hz && emc_hz == o.emc_hz;
  }
  bool operator!=(const Clocks& o) const { return !(*this == o); }
};

/// Clocks that apply from unit `first_unit` on, until the next segment.
struct ClockSegment {
  int first_unit = 0;
  Clocks clocks;
};

/// The role a policy plays on a device; a device group names one policy per role it uses.
enum class Role {
  clocks,     ///< CPU/GPU/EMC clocks: per frame (segments) or on periodic ticks (governors)
  placement,  ///< split point and offloaded share (edge-only, cloud-only, fixed split, DVFO)
  exit,       ///< early-exit point per frame (E4)
  batching,   ///< batch size and concurrent instances per model (BCEdge)
};
const char* to_string(Role role);
/// Throws std::invalid_argument naming the allowed roles.
Role role_from_string(const std::string& name);

/// Number of units to run on the device: all of them (no offloading).
inline constexpr int kAllUnits = -1;
/// Early exit: none (run to the model's own head).
inline constexpr int kNoExit = -1;

/// Observation at a frame (video) or request arrival, before the first unit runs.
struct FrameObservation {
  double now_s = 0;
  int device = 0;                        ///< device index in the scenario (stable across runs)
  const traces::Board* board = nullptr;  ///< the device's board
  const traces::Model* model = nullptr;  ///< the model this frame/request runs
  long request_id = 0;
  double arrival_s = 0;
  double slo_s = 0;                 ///< latency objective of this request; 0 = none
  double complexity = 0.5;          ///< per-frame content complexity in [0, 1] (video streams)
  Clocks clocks;                    ///< clocks currently applied on the device
  int queue_length = 0;             ///< requests waiting on the device, this one excluded
  double uplink_bandwidth_bps = 0;  ///< current access-link bandwidth (0 = no link)
  double uplink_latency_s = 0;
};

/// Decision for one frame/request. Each role fills only its own fields; the simulator merges
/// the roles' answers (exit, then placement, then clocks).
struct FrameAction {
  int exit_after_unit = kNoExit;     ///< exit role: run units 0..k then that exit's head
  int edge_units = kAllUnits;        ///< placement role: units 0..edge_units-1 on the device, the
                                     ///< rest on the cloud; 0 = cloud only (input uploaded);
                                     ///< kAllUnits = no offloading (never the unit count itself)
  double offload_share = 1.0;        ///< placement role: share of the split feature map sent, (0, 1]
  std::vector<ClockSegment> clocks;  ///< clocks role: empty = keep the current clocks;
                                     ///< first_unit ascending, values within the power mode caps
};

/// Observation on a periodic tick (governors, zTT): averages over the last period.
struct TickObservation {
  double now_s = 0;
  double period_s = 0;
  int device = 0;
  const traces::Board* board = nullptr;
  Clocks clocks;
  /// Busy fraction of the last period at the clocks that were applied, [0, 1] (not
  /// frequency-invariant: a unit that keeps the CPU busy for half the period gives 0.5 whatever
  /// the clock). For the CPU: the busiest core of the decision cluster, as cpufreq sees it.
  double cpu_util = 0;
  double gpu_util = 0;  ///< GPU busy fraction (what the GPU's `load` file reports, / 1000)
  double emc_util = 0;  ///< used share of the DRAM bandwidth at the current EMC clock
  double power_w = 0;   ///< mean device power over the period
  double fps = 0;       ///< frames/requests completed per second over the period
  int queue_length = 0;
  double cpu_power_w = std::numeric_limits<double>::quiet_NaN();  ///< mean power of the rails feeding the CPU
                                                                  ///< over the period (NaN: unknown)
  double gpu_power_w = std::numeric_limits<double>::quiet_NaN();  ///< same for the GPU
  double cpu_temp_c = std::numeric_limits<double>::quiet_NaN();  ///< CPU thermal zone temperature at the tick
                                                                 ///< (NaN: board without a thermal model)
  double gpu_temp_c = std::numeric_limits<double>::quiet_NaN();  ///< GPU thermal zone temperature at the tick
};

/// Decision on a tick: new clocks, or keep the current ones.
struct TickAction {
  bool change = false;
  Clocks clocks;
};

/// Observation at a batching slot of one model's request queue (BCEdge): at the start of the
/// run and then every Policy::batch_slot_s(), for each model deployed on a serving device.
struct BatchObservation {
  double now_s = 0;
  double slot_s = 0;  ///< length of the slot that just ended (0 at the first call)
  int device = 0;
  const traces::Board* board = nullptr;
  const traces::Model* model = nullptr;
  Clocks clocks;
  int queued = 0;            ///< requests of this model waiting
  double oldest_wait_s = 0;  ///< how long the oldest of them has waited
  double slo_s = 0;          ///< latency objective of the oldest waiting request (0 = none)
  int batch_size = 1;        ///< current setting
  int instances = 1;         ///< instances currently loaded for this model
  int executing = 0;         ///< batches running on the device now, all models
  // Over the slot that just ended, this model's requests:
  long completed = 0;
  double mean_latency_s = 0;
  double slo_violation_rate = 0;
  double power_w = 0;  ///< mean device power over the slot
};

/// Decision for one model's queue until the next slot.
struct BatchAction {
  int batch_size = 1;     ///< an instance starts a batch once this many requests wait ...
  double max_wait_s = 0;  ///< ... or once the oldest has waited this long (0 = take what waits)
  int instances = 1;      ///< concurrent instances of the model (>= 1), sharing the GPU
};

}  // namespace edgetwin::policies

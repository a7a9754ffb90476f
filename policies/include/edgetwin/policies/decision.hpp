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

namespace edgetwin::traces {
class ExitRecordSource;
}

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
/// The roles of a scenario's policy key: one role ("clocks") or several joined by '+'
/// ("exit+clocks": one policy instance plays them all). Throws std::invalid_argument naming the
/// allowed roles, or the role named twice.
std::vector<Role> roles_from_key(const std::string& key);
/// The order in which a frame's roles are decided: exit, then placement, then clocks (a later
/// role sees the earlier roles' answers).
inline constexpr Role kFrameRoleOrder[] = {Role::exit, Role::placement, Role::clocks};

/// What a probe measures: units [first_unit, end_unit) of `model` at `clocks` and `batch`.
struct ProbeRequest {
  const traces::Model* model = nullptr;
  int first_unit = 0;
  int end_unit = 0;  ///< one past the last unit measured
  Clocks clocks;     ///< values of the device board's tables
  int batch = 1;
  /// True: the policy measures on the device itself (a just-in-time profiler): the probe's time
  /// and energy are charged to the device, which is busy with it before the frame goes on. False:
  /// the answer comes from a model of the device (offline profile), free of charge.
  bool on_device = true;
};

/// A probe's answer: what one measured execution gave, with measurement noise.
struct ProbeResult {
  double latency_s = 0;  ///< measured time of the units
  double power_w = 0;    ///< mean whole-module power over that time
  double energy_j = 0;   ///< latency_s x power_w
};

/// Measures units through the device's execution backend (docs/policies.md, "Probes"). Given to
/// a policy in its observations; valid only during the call.
class Prober {
 public:
  virtual ~Prober() = default;
  /// Throws std::invalid_argument for units, clocks or a batch the device cannot run.
  virtual ProbeResult measure(const ProbeRequest& request) = 0;
};

/// Number of units to run on the device: all of them (no offloading).
inline constexpr int kAllUnits = -1;
/// Early exit: none (run to the model's own head).
inline constexpr int kNoExit = -1;

/// A point after a unit at which a policy asks to be consulted again (Policy::on_unit).
struct Checkpoint {
  int after_unit = 0;     ///< consulted once unit `after_unit` has run (0-based)
  bool run_head = false;  ///< first run the exit head after that unit (the model must have one
                          ///< there); its time and energy are paid whether or not the frame stops
};

struct FrameAction;

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
  /// Answers of the roles decided before this policy's in the frame's chain (exit, then
  /// placement, then clocks); defaults for the roles not decided yet.
  const FrameAction* decided = nullptr;
  /// Features of this frame from the workload's exit records (empty: none).
  const std::vector<float>* features = nullptr;
  /// Upper-bound (oracle) policies only: the workload's exit records and this frame's key in them
  /// (ExitRecordSource::outcome(exit_record_key, complexity, exit)); nullptr without records. A
  /// policy that stands for something deployable must not read them.
  const traces::ExitRecordSource* exit_records = nullptr;
  std::uint64_t exit_record_key = 0;
  /// Measures units on this device (docs/policies.md, "Probes"); nullptr where there is none.
  Prober* probe = nullptr;
};

/// Decision for one frame/request. Each role fills only its own fields; the simulator merges
/// the roles' answers (exit, then placement, then clocks). A policy that plays several roles
/// fills all of theirs in one call.
struct FrameAction {
  int exit_after_unit = kNoExit;  ///< exit role: run units 0..k then that exit's head
  int edge_units = kAllUnits;     ///< placement role: units 0..edge_units-1 on the device, the
                                  ///< rest on the cloud; 0 = cloud only (input uploaded);
                                  ///< kAllUnits = no offloading (never the unit count itself)
  double offload_share = 1.0;     ///< placement role: share of the split feature map sent, (0, 1]
  /// Placement role, cloud only (edge_units 0): bytes per input element of the uploaded input
  /// after an image codec (e.g. JPEG); <= 0 = the raw input tensor at the scenario's precision.
  double input_bytes_per_element = 0;
  std::vector<ClockSegment> clocks;  ///< clocks role: empty = keep the current clocks;
                                     ///< first_unit ascending, values within the power mode caps
  /// Any role: where to consult this policy again during the frame (on_unit), ascending. Only
  /// units the device runs count (not offloaded ones, not past the exit).
  std::vector<Checkpoint> checkpoints;
  /// Any role: simulated CPU time this decision took, as the policy reports it (seconds; < 0 =
  /// not reported). Used when the group's decision cost is "reported" (docs/policies.md,
  /// "Decision cost").
  double decision_s = -1;
};

/// What an exit head that ran gave (UnitObservation::head).
struct HeadOutput {
  bool ran = false;
  double confidence = std::numeric_limits<double>::quiet_NaN();  ///< top-1 softmax score, [0, 1]
  int correct = -1;  ///< 1/0 where the workload knows the label (exit records), else -1
};

/// Observation at a checkpoint, after unit `after_unit` (and its exit head, if asked) ran.
struct UnitObservation {
  double now_s = 0;
  int device = 0;
  const traces::Board* board = nullptr;
  const traces::Model* model = nullptr;
  long request_id = 0;
  int after_unit = 0;
  int last_unit = 0;     ///< where the frame ends on the device if nothing changes
  Clocks clocks;         ///< clocks applied now
  double elapsed_s = 0;  ///< since the frame started (its decision included)
  double energy_j = 0;   ///< device energy of the frame so far (units, heads, transitions)
  HeadOutput head;       ///< the exit head after this unit, when the checkpoint ran it
  Prober* probe = nullptr;
};

/// Decision at a checkpoint.
struct UnitAction {
  /// Stop the frame here: the result is the exit head's that just ran (ignored when no head ran).
  bool stop = false;
  /// New clocks for the units after this one: replace the frame's remaining segments
  /// (first_unit > after_unit; the first one applies from the next unit).
  bool change_clocks = false;
  std::vector<ClockSegment> clocks;
};

/// How a request ended.
enum class OutcomeStatus {
  completed,  ///< a result was produced (on the device, or back from the cloud)
  dropped,    ///< refused at arrival (the device's queue was full); never decided
};
const char* to_string(OutcomeStatus status);

/// A request's outcome, delivered to the policies that decided it (Policy::on_outcome) when it
/// is known: at the end of the device's work, when an offloaded result comes back, or at a drop.
struct Outcome {
  long request_id = 0;
  int device = 0;
  const traces::Model* model = nullptr;
  OutcomeStatus status = OutcomeStatus::completed;
  double arrival_s = 0;
  double start_s = 0;          ///< the frame's decision started
  double end_s = 0;            ///< result available (dropped: the arrival time)
  double latency_s = 0;        ///< end_s - arrival_s
  double decision_s = 0;       ///< time the frame waited for its decision (0 in concurrent mode)
  double device_energy_j = 0;  ///< units, heads, transitions, decision and probes on the device
  double radio_energy_j = 0;   ///< uploading the split feature map
  double cloud_energy_j = 0;   ///< the cloud server's units
  double accuracy = std::numeric_limits<double>::quiet_NaN();  ///< expected accuracy, [0, 1]
  int correct = -1;                                            ///< 1/0 where the workload knows it, else -1
  int exit_after_unit = kNoExit;
  int edge_units = 0;
  double offload_share = 0;
  double slo_s = 0;
  bool slo_met = true;  ///< latency within slo_s (true without an SLO; false when dropped)
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

#pragma once
/// Results of a run: per-request records, the clock/power timeline, and the summary.
/// Engine-free; file formats in docs/results.md.

#include <cstdint>
#include <iosfwd>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace edgetwin::sim {

/// What became of a request. Only serving devices (docs/simulation.md, "Serving devices") write
/// rows of requests that were not served: dropped at arrival (their model's queue was full) or
/// timed out in the queue; such a row has start_s = end_s = when it was given up.
enum class RequestStatus { ok, dropped, timed_out };
const char* to_string(RequestStatus status);

/// One completed (or dropped) frame/request.
struct RequestRecord {
  long id = 0;
  int device = 0;
  int group = 0;  ///< index into the scenario's groups
  std::string stream;
  std::string model;
  double arrival_s = 0;
  double start_s = 0;         ///< first unit (or upload) started
  double end_s = 0;           ///< result available on the device
  double energy_j = 0;        ///< device energy attributed: its units, transitions, radio
  double cloud_energy_j = 0;  ///< cloud server energy of its units
  double radio_energy_j = 0;  ///< radio transmit energy of its upload (included in energy_j)
  double decision_s = 0;      ///< CPU time of the decision made at its arrival (docs/policies.md)
  int exit_after_unit = -1;   ///< -1 = no early exit
  int edge_units = 0;         ///< units run on the device
  int units = 0;              ///< units run in total (edge + cloud)
  double offload_share = 0;   ///< share of the split feature map sent (0 = nothing sent)
  double offload_bytes = 0;
  std::int64_t cpu_khz = 0;  ///< clocks at the first device unit
  std::int64_t gpu_hz = 0;
  std::int64_t emc_hz = 0;
  double slo_s = 0;     ///< 0 = no objective
  int batch = 1;        ///< requests executed together with it (serving devices)
  int concurrency = 1;  ///< batches running on the device GPU when its batch started
  /// Expected accuracy of its result (top-1 or mAP as the model's accuracy table says), from
  /// the exit taken and the offloaded share; NaN = the model has no accuracy table.
  double accuracy = std::numeric_limits<double>::quiet_NaN();
  int correct = -1;  ///< 1/0, -1 unknown: its result was right, from its stream's exit records
  RequestStatus status = RequestStatus::ok;
  double latency_s() const { return end_s - arrival_s; }
  bool served() const { return status == RequestStatus::ok; }
  /// An unserved request never meets its objective (nor has one been met without an objective).
  bool slo_met() const { return served() && (slo_s <= 0 || latency_s() <= slo_s); }
};

/// One timeline row: a device's state averaged over the last interval.
struct TimelineRecord {
  double time_s = 0;
  int device = 0;
  std::int64_t cpu_khz = 0;
  std::int64_t gpu_hz = 0;
  std::int64_t emc_hz = 0;
  double power_w = 0;   ///< mean power over the interval
  double energy_j = 0;  ///< cumulative device energy
  int queue_length = 0;
  double uplink_bandwidth_bps = 0;
  double cpu_temp_c =
      std::numeric_limits<double>::quiet_NaN();  ///< CPU thermal zone now (NaN: no thermal model)
  double gpu_temp_c = std::numeric_limits<double>::quiet_NaN();
};

/// Per-device energy totals at the end of a run.
struct DeviceTotals {
  int device = 0;
  int group = 0;
  double energy_j = 0;
  double idle_j = 0;
  double busy_j = 0;
  double transition_j = 0;
  double radio_j = 0;
  long clock_changes = 0;
  std::vector<double> rail_j;  ///< per board rail: traced and idle power only (NaN = unknown)
  /// Highest CPU / GPU thermal zone temperature over the run (°C; NaN: no thermal model).
  double max_cpu_temp_c = std::numeric_limits<double>::quiet_NaN();
  double max_gpu_temp_c = std::numeric_limits<double>::quiet_NaN();
  long dropped = 0;  ///< frames dropped at arrival (a video stream's queue_limit)
  /// Its idle power level at the end of the run (W; 0 if it was not idle), total and per rail:
  /// what it would have drawn had the run gone on (shards ending at different times are
  /// brought to the same end with it; docs/performance.md "Sharding").
  double end_idle_w = 0;
  std::vector<double> end_rail_w;
};

/// Writes requests.csv / timeline.csv rows (header first). Numbers use the shortest exact form.
void write_requests_header(std::ostream& out);
void write_request(std::ostream& out, const RequestRecord& r);
void write_timeline_header(std::ostream& out);
void write_timeline(std::ostream& out, const TimelineRecord& t);

/// Percentile by linear interpolation between order statistics (p in [0, 100]); NaN if empty.
double percentile(std::vector<double> values, double p);

/// The device half of one scope's summary (the whole run or one device group): sums over its
/// devices' totals at the end of the run, in a form that adds up across the shards of a run
/// (docs/performance.md "Sharding").
struct DeviceSums {
  /// `rails`: how many board rails the scope's summary reports (0: no `rail_energy_j`).
  explicit DeviceSums(std::size_t rails = 0) : rail_j(rails, 0.0), end_rail_w(rails, 0.0) {}
  long devices = 0;
  double device_j = 0, idle_j = 0, busy_j = 0, transition_j = 0, radio_j = 0;
  long clock_changes = 0, dropped = 0;
  double max_cpu_temp_c = std::numeric_limits<double>::quiet_NaN();
  double max_gpu_temp_c = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> rail_j;  ///< per rail: the devices' traced and idle energy (NaN = unknown)
  /// The time the energies were integrated to, and the devices' idle power then (total, per
  /// rail): merge() integrates the sums that ended first up to the other's end at that power.
  double end_s = 0;
  double end_idle_w = 0;
  std::vector<double> end_rail_w;
  void add(const DeviceTotals& d);
  /// Integrates the devices' idle power from end_s up to `end_s` (no-op if not later).
  void extend_to(double end_s);
  /// Adds another shard's sums of the same scope, both brought to the later end first; throws
  /// std::invalid_argument when their rails differ.
  void merge(const DeviceSums& other);
};

/// The summary of one scope (the whole run or one device group).
/// With `rail_names` (the devices' board rails, all devices on that board), the summary also has
/// `rail_energy_j` per rail (null where unknown). `group` >= 0 summarises only that device
/// group's requests and devices (no copies of the records). `max_cpu_temp_c` / `max_gpu_temp_c`:
/// the highest over the scope's devices (null when none has a thermal model).
nlohmann::json summarize(const std::vector<RequestRecord>& requests, const std::vector<DeviceTotals>& devices,
                         double duration_s, const std::vector<std::string>& rail_names = {}, int group = -1);

/// Utility parameters (docs/simulation.md, "Utility"; our reconstruction of BCEdge's).
struct UtilityParams {
  double throughput_scale_hz = 100;
  double latency_weight = 0.5;
  double slo_penalty = 1.0;
};
/// One model's requests over a window (served or not).
struct ServingTally {
  long requests = 0;   ///< rows: served, dropped and timed out
  long completed = 0;  ///< served
  long dropped = 0;
  long timed_out = 0;
  long slo_met = 0;  ///< served within their objective (or without one)
  double latency_sum_s = 0;
  double latency_ratio_sum = 0;  ///< latency / SLO over served requests with an SLO
  long with_slo = 0;             ///< served requests with an SLO
  void add(const RequestRecord& r);
  void merge(const ServingTally& other);  ///< another shard's tally of the same window
};
/// U = X / throughput_scale_hz - latency_weight * mean(latency / SLO) - slo_penalty * V over a
/// window of `window_s`: X completed per second, the mean over served requests with an SLO (0
/// when none), V = 1 - slo_met / requests (0 when no request).
double utility(const ServingTally& t, double window_s, const UtilityParams& params);
/// Per model of `models` (ids) of device group `group`: requests, completed, dropped, timed
/// out, throughput, latency mean/p95, SLO satisfaction and utility over `duration_s`; plus
/// "utility" (the sum over the models) one level up, in the returned object's "utility".
nlohmann::json summarize_models(const std::vector<RequestRecord>& requests, int group,
                                const std::vector<std::string>& models, double duration_s,
                                const UtilityParams& params);
/// slots.csv: per window of `slot_s` (by end_s), group and model, the same quantities.
void write_slots_header(std::ostream& out);
void write_slots(std::ostream& out, const std::vector<RequestRecord>& requests, int group,
                 const std::string& group_name, const std::vector<std::string>& models, double duration_s,
                 double slot_s, const UtilityParams& params);

}  // namespace edgetwin::sim

#pragma once
/// A scenario: the typed, validated form of a scenario JSON file (format: docs/scenarios.md,
/// schema: scenarios/schema/scenario.schema.json). Configuration enters once, here.

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/common/error.hpp"
#include "edgetwin/traces/catalog.hpp"
#include "edgetwin/traces/exit_records.hpp"
#include "edgetwin/traces/serving_model.hpp"

namespace edgetwin::sim {

/// The roles a device group can give a policy (decision kinds: docs/architecture.md).
const std::vector<std::string>& policy_roles();

/// A policy named for one role of a device group, with its parameters (validated by the
/// policy registry).
struct PolicySpec {
  std::string name;
  nlohmann::json params = nlohmann::json::object();
};

/// One row of a bandwidth time series: from `time_s` on, the link has `bandwidth_bps`.
struct BandwidthPoint {
  double time_s = 0;
  double bandwidth_bps = 0;
};

/// Bandwidth varying over time: a time series file, or a two-state Markov (Gilbert-Elliott) model.
struct BandwidthProcessSpec {
  std::string kind = "constant";      ///< "constant", "trace" or "markov"
  std::string trace_file;             ///< trace: absolute path of the CSV "time_s,bandwidth_bps"
  bool loop = true;                   ///< trace: start over after the last row's time
  std::vector<BandwidthPoint> trace;  ///< trace: the rows, time strictly increasing, bandwidth > 0
  double good_bandwidth_bps = 0;      ///< markov (the link starts in the good state)
  double bad_bandwidth_bps = 0;
  double mean_good_s = 0;  ///< mean sojourn times of each state (exponential)
  double mean_bad_s = 0;
};

/// A link: nominal bandwidth and one-way latency; `process` may vary the bandwidth over time.
struct LinkSpec {
  double bandwidth_bps = 0;  ///< constant value; trace: value before the first row
  double latency_s = 0;
  BandwidthProcessSpec process;
  /// Access links only: the device radio's transmit power while it uploads. Default: Wi-Fi,
  /// ns-3 WifiRadioEnergyModel TxCurrentA 0.38 A x 3.0 V = 1.14 W, the transmit power SimGrid's
  /// wifi energy plugin uses by default (simgrid src/plugins/link_energy_wifi.cpp, pTx_ = 1.14).
  double radio_tx_power_w = 1.14;
  /// Access links only: the radio's receive power while the result comes down. Default 0 (not
  /// counted, as before this field existed); SimGrid's wifi energy plugin uses pRx_ = 0.94 W.
  double radio_rx_power_w = 0;
};

/// DVFO's channel split (docs/simulation.md, "Channel split"): after the split unit the device
/// continues the model on the kept (1 - share) channels while the cloud runs the offloaded share,
/// the offloaded channels pass through a codec, and the request ends at the fusion of both
/// results. Absent (enabled false): an offloaded share is only sent, the device runs nothing after
/// the split (the behaviour before this field existed).
struct ChannelSplitSpec {
  bool enabled = false;
  /// Compute of a unit on a channel share c: latency x (fixed_fraction + (1 - fixed_fraction) x
  /// c^exponent); c = 0 runs nothing. A reconstruction (docs/simulation.md).
  double fixed_fraction = 0.1;
  double exponent = 1.0;
  int codec_bits = 8;                ///< quantisation bits per offloaded element, 1..32
  double entropy_ratio = 1.0;        ///< entropy-coded size / quantised size, (0, 1]
  double encode_s_per_melement = 0;  ///< device CPU time to quantise and code 10^6 elements
  double fusion_s = 0;               ///< device CPU time of the weighted fusion of both results
  /// Which channels are offloaded: "attention" (the spatial-channel attention ranks them, the least
  /// important go) or "random"; enters through the accuracy table (docs/accuracy.md).
  std::string ranking = "attention";
  /// Time (and energy) factor of a unit on channel share `c`.
  double compute_scale(double c) const;
  /// Bytes sent for `elements` elements of which `share` are offloaded.
  double coded_bytes(double elements, double share) const;
};

/// What a frame decision costs on the device (docs/policies.md, "Decision cost").
struct DecisionCostSpec {
  /// "none" (free, the default), "fixed" (cost_s per decision), "reported" (the policy says:
  /// FrameAction::decision_s) or "measured" (the host's wall time of the policy's call x
  /// board_seconds_per_host_second; not reproducible run to run).
  std::string cost = "none";
  double cost_s = 0;
  double board_seconds_per_host_second = 1;
  /// "wait": the frame waits for its decision. "concurrent": the decision made at a frame's
  /// arrival applies to the next frame, while the current one runs with the previous decision
  /// (DVFO's "thinking while moving"); the first frame waits for its own.
  std::string mode = "wait";
  bool free() const { return cost == "none"; }
};

/// The utility of a serving device's requests (docs/simulation.md, "Utility"; our reconstruction
/// of BCEdge's throughput/latency trade-off), per model over a window of T seconds:
///   U = X / throughput_scale_hz - latency_weight * mean(latency / SLO) - slo_penalty * V
/// X: completed requests per second; the mean over completed requests with an SLO; V: the share
/// of the window's requests that missed their SLO, were dropped or timed out.
struct UtilitySpec {
  double throughput_scale_hz = 100;
  double latency_weight = 0.5;
  double slo_penalty = 1.0;
  double slot_s = 1.0;  ///< window of the per-slot utility (slots.csv)
};

/// What a serving device (batching role) models beyond the traces (docs/simulation.md, "Serving
/// devices"). The defaults reproduce serving as it was before these fields existed.
struct ServingSpec {
  bool given = false;    ///< the group's file has a "serving" object
  int queue_limit = 0;   ///< per model queue; an arrival that finds this many waiting is dropped (0 = never)
  double timeout_s = 0;  ///< a request that waited this long unserved times out (0 = never)
  double memory_fraction = 1.0;        ///< share of the board's memory the instances may hold
  double instance_overhead_bytes = 0;  ///< fixed memory per loaded instance
  /// "trace": a batch's rate from L(b, k), k the running batches (the trace's concurrency
  /// samples); "corunner": L(b, 1) times the co-runner slowdown of the running set.
  std::string interference = "trace";
  double interference_alpha = 0.1;  ///< corunner: contention per unit of co-runners' memory demand
  std::string slowdown_file;        ///< corunner: measured co-runner slowdowns (absolute path; "" = none)
  std::shared_ptr<const traces::CorunnerTable> slowdowns;
  UtilitySpec utility;
};

struct DeviceGroupSpec {
  std::string name;
  std::string board;  ///< board catalog id (kind "edge")
  int count = 1;
  int power_mode = -1;                         ///< nvpmodel id; the board's default when the file omits it
  std::vector<std::string> models;             ///< models deployed (catalog ids)
  std::map<std::string, PolicySpec> policies;  ///< role, or roles joined by '+' (policy_roles()) -> policy
  std::string backend = "trace";               ///< "trace" or "hil"
  std::string hil_endpoint;                    ///< hil only: agent address "host:port"
  LinkSpec access;                             ///< each device's own link to the access point
  double ambient_c = 25;                       ///< air temperature around the boards (°C; thermal model)
  double initial_temp_c = 25;      ///< every thermal zone at the start (°C; the file's default: ambient_c)
  DecisionCostSpec decision;       ///< what each frame decision costs on the device
  ServingSpec serving;             ///< serving devices only (a batching policy)
  ChannelSplitSpec channel_split;  ///< DVFO's channel split of offloaded feature maps
  /// A serving group: one of its policies plays the batching role.
  bool serving_group() const {
    for (const auto& [roles, policy] : policies) {
      if (roles.find("batching") != std::string::npos) return true;
    }
    return false;
  }
};

struct CloudSpec {
  std::string name;
  std::string board;  ///< catalog id of a cloud board (kind "cloud")
  int count = 1;      ///< GPUs (servers) of that board
};

/// Per-frame content complexity in [0, 1]: a level drawn at each scene change (mean, spread),
/// with per-frame noise (jitter) in between.
struct ComplexitySpec {
  double mean = 0.5;
  double jitter = 0.05;               ///< std-dev of per-frame noise
  double scene_change_rate_hz = 0.1;  ///< Poisson rate of scene changes
  double scene_spread = 0.2;          ///< std-dev of the level drawn at a scene change
};

/// Where a video stream's per-frame exit records come from (docs/exit_records.md).
struct ExitRecordsSpec {
  std::string kind;  ///< "" (none), "file" or "generator" (SYNTHETIC)
  std::string file;  ///< kind "file": absolute path (written relative to the scenario file)
  /// kind "file": the records, read and checked when the scenario is loaded.
  std::shared_ptr<const traces::ExitRecordsFile> records;
  /// kind "generator": its parameters (mean_complexity is the stream's complexity mean, the seed
  /// comes from the scenario seed and the stream).
  double complexity_sensitivity = 0.5;
  double confidence_separation = 1.5;
  double confidence_noise = 0.5;
  int features = 0;            ///< features per record (0 = none), docs/exit_records.md
  double feature_noise = 1.0;  ///< noise on the features
};

/// A video stream that every device of `group` runs.
struct VideoStreamSpec {
  std::string name;
  std::string group;  ///< device group whose every device runs one such stream
  std::string model;  ///< deployed on `group`
  double fps = 30;
  double start_s = 0;
  double duration_s = 0;  ///< effective: the file's value cut at the scenario's end
  double slo_s = 0;       ///< per-frame latency objective (0 = none)
  ComplexitySpec complexity;
  /// Frames that may wait on the device (a live camera's capture buffer): a frame arriving while
  /// this many requests wait is dropped, not queued. 0 = unlimited (every frame is processed).
  int queue_limit = 0;
  /// Accuracy table of the model the stream's results are scored with (its dataset_key; "" in
  /// the file = the model's default table, which the loader fills in when the model has one).
  std::string dataset;
  ExitRecordsSpec exit_records;  ///< per-frame exit records (kind "" = none)
};

struct ModelShare {
  std::string model;  ///< deployed on the stream's group
  double weight = 1;  ///< relative share of requests (> 0)
  double slo_s = 0;   ///< latency objective of this model's requests (0 = none)
};

struct ArrivalSpec {
  std::string kind = "poisson";  ///< "poisson" or "mmpp" (two-state bursty)
  double rate_hz = 1;            ///< poisson; mmpp: rate of the calm state
  double burst_rate_hz = 0;      ///< mmpp
  double mean_calm_s = 0;        ///< mmpp sojourn times (exponential; starts calm)
  double mean_burst_s = 0;
};

/// A request stream that every device of `group` receives.
struct RequestStreamSpec {
  std::string name;
  std::string group;
  ArrivalSpec arrival;
  std::vector<ModelShare> mix;
  double start_s = 0;
  double duration_s = 0;  ///< effective, as for videos
};

struct OutputsSpec {
  bool requests_csv = true;  ///< one row per frame or request
  bool timeline_csv = true;  ///< periodic per-device samples
  double timeline_interval_s = 1.0;
};

/// `edgetwin train` settings (the scenario's "training" object; runs ignore it).
struct TrainingSpec {
  int episodes = 20;            ///< training episodes (each one run of the scenario, a fresh seed)
  int eval_every = 5;           ///< a greedy evaluation episode every N training episodes (0 = never)
  int checkpoint_every = 10;    ///< a kept checkpoint every N episodes (0 = only best and last)
  std::uint64_t eval_seed = 0;  ///< seed of the evaluation episodes (0 = the scenario's seed)
};

struct ScenarioSpec {
  std::string name;
  std::string description;
  std::string file;  ///< the file it was read from
  double duration_s = 60;
  std::uint64_t seed = 1;
  std::string precision = "fp32";
  std::string runtime = "pytorch";
  std::string traces_dir;  ///< "" = the default generated trace directory, else absolute
  std::vector<DeviceGroupSpec> groups;
  LinkSpec wan;  ///< access point <-> cloud
  /// How flows share the WAN (docs/simulation.md "Platform"): "shared" (one link, max-min fair
  /// sharing between all flows), "fatpipe" (each flow gets up to the WAN's bandwidth and none
  /// slows another: SimGrid's FATPIPE policy, built as one WAN link per device so that flows of
  /// different devices are not coupled in the solver), "auto" (fatpipe when it gives the same
  /// allocation as shared: constant WAN and access bandwidths whose sum the WAN carries; else
  /// shared). See wan_fatpipe().
  std::string wan_sharing = "auto";
  std::vector<CloudSpec> clouds;
  std::vector<VideoStreamSpec> videos;
  std::vector<RequestStreamSpec> requests;
  OutputsSpec outputs;
  TrainingSpec training;
  nlohmann::json resolved;  ///< the full document with defaults filled in

  int device_count() const;  ///< sum of the groups' counts
};

/// One `--set /json/pointer=value` override (value parsed as JSON, else taken as a string).
struct Override {
  std::string pointer;
  std::string value;
};

/// Splits "POINTER=VALUE" at the first '='; throws std::invalid_argument without one.
Override parse_override(const std::string& text);

/// Every problem found in a scenario; loading reports all of them at once. what() lists them,
/// one "FILE: POINTER: reason" per line.
class ScenarioError : public std::runtime_error {
 public:
  explicit ScenarioError(std::vector<common::DataError> errors);
  const std::vector<common::DataError>& errors() const { return errors_; }

 private:
  std::vector<common::DataError> errors_;
};

/// Reads, applies overrides, validates against the catalogs, fills defaults. Throws
/// ScenarioError with every error found (file, JSON pointer, what was found, what is allowed).
ScenarioSpec load_scenario(const std::string& path, const traces::Catalog& catalog,
                           const std::vector<Override>& overrides = {});

/// As load_scenario, for a document already in memory; `file` names it in errors and is the
/// base of relative paths (bandwidth traces, traces_dir).
ScenarioSpec parse_scenario(nlohmann::json document, const std::string& file, const traces::Catalog& catalog,
                            const std::vector<Override>& overrides = {});

/// Reads a bandwidth time series ("time_s,bandwidth_bps" header, then rows; '#' comments);
/// throws DataError(path, "line N", reason).
std::vector<BandwidthPoint> read_bandwidth_trace(const std::string& path);

}  // namespace edgetwin::sim

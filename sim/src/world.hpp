#pragma once
// Internal to the simulation core: the state of one run and its actors (devices, cloud
// servers, workload sources). Only sim/src includes this.

#include <cstdint>
#include <deque>
#include <functional>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <simgrid/s4u.hpp>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/energy_meter.hpp"
#include "edgetwin/sim/metrics.hpp"
#include "edgetwin/sim/scenario.hpp"
#include "edgetwin/traces/synth.hpp"
#include "edgetwin/traces/trace_store.hpp"

namespace edgetwin::sim::detail {

namespace sg4 = simgrid::s4u;

/// Nominal speed of every simulated host: an activity of L seconds is an Exec of L x this.
inline constexpr double kHostSpeedFlops = 1e9;

struct Request {
  long id = 0;
  int device = 0;
  const traces::Model* model = nullptr;
  std::string stream;
  double arrival_s = 0;
  double slo_s = 0;
  double complexity = 0.5;
  int queue_limit = 0;     ///< drop this request at arrival if this many wait (0 = never)
};

struct World;

/// Request ids are deterministic per device: (device x kMaxStreams + stream) x kMaxSequence +
/// sequence, where `stream` is the scenario's stream index (videos first, then request streams)
/// and `sequence` counts that stream's arrivals on that device from 0. Both paths (per-activity
/// and local time) give a request the same id whatever the order devices run in.
inline constexpr long kMaxStreams = 1000;
inline constexpr long kMaxSequence = 1000000000;
/// Throws std::length_error when `sequence` would not fit.
long request_id(int device, int stream, long sequence);

/// The arrivals of one workload stream on one device, in arrival order (workload.cpp). A source
/// actor replays them on the engine; a device on the local-time fast path pulls them itself
/// (local_device.cpp). Both see the same requests: same times, ids, models, SLOs, complexities.
class ArrivalStream {
 public:
  explicit ArrivalStream(std::string name) : name_(std::move(name)) {}
  virtual ~ArrivalStream() = default;
  /// Overwrites `request` with the next arrival (arrival_s non-decreasing); false at the end.
  virtual bool next(Request& request) = 0;
  const std::string& name() const { return name_; }  ///< its source actor's name

 private:
  std::string name_;
};

/// A cloud GPU server with a FIFO request queue (one job at a time).
class CloudServer {
 public:
  CloudServer(World& world, int index, sg4::Host* host, const traces::Board& board);
  struct Job {
    Request request;
    int first_unit = 0;
    int last_unit = 0;
    double energy_j = 0;          ///< filled by the server
    sg4::SemaphorePtr done;
  };
  void submit(Job* job);
  int queue_length() const { return static_cast<int>(queue_.size()) + (busy_ ? 1 : 0); }
  sg4::Host* host() const { return host_; }
  void run();  ///< actor body (daemon)

 private:
  World& world_;
  int index_;
  sg4::Host* host_;
  const traces::Board& board_;
  traces::ClockSetting clocks_;
  std::deque<Job*> queue_;
  bool busy_ = false;
  sg4::MutexPtr mutex_;
  sg4::ConditionVariablePtr cv_;
};

/// An edge device: request queue, controller actor, clocks, policies, energy.
class Device {
 public:
  Device(World& world, int index, int group, sg4::Host* host, sg4::Link* uplink, const traces::Board& board,
         int power_mode);
  void enqueue(Request request);
  void source_started() { ++active_sources_; }
  void source_finished();
  void run_controller();   ///< actor body
  void run_governor();     ///< actor body (daemon), only when the clocks policy ticks
  /// A serving device (its group names a batching policy) has no controller: per-model queues
  /// and instance actors that run batches concurrently on the GPU (serving.cpp).
  bool serving() const { return policy_[static_cast<int>(policies::Role::batching)] != nullptr; }
  /// Serving devices: the first batching decision and the instance actors (before the run).
  void start_serving();
  void set_uplink_bandwidth(double bandwidth_bps);

  /// Local-time fast path (local_device.cpp, docs/simulation.md "Local time fast path"): a device
  /// that nothing else observes or influences between its own interactions runs ahead of the
  /// engine in its own clock. Eligible: no batching policy, no clock ticks, a constant-bandwidth
  /// access link, the trace backend. Decided once, before the run.
  bool local_time_eligible() const;
  /// Puts the device on the fast path; its controller then pulls `arrivals` itself (no source
  /// actors). Call before the run, once per stream, in stream order.
  void add_local_arrivals(std::unique_ptr<ArrivalStream> arrivals);
  bool local_time() const { return local_time_; }
  void run_local_controller();  ///< actor body on the fast path; sleeps only before interactions
  /// Whether the timeline actor writes this device's sample `k` (at k x interval): always on the
  /// per-activity path; on the fast path only once its controller has finished, for samples it
  /// has not written itself.
  bool timeline_actor_samples(long k) const { return !local_time_ || (local_done_ && k >= next_sample_); }
  /// Writes one timeline row (if timeline.csv is open) with the energy integrated up to
  /// `time_s`, the mean power since the previous row and the current clocks and queue.
  void sample_timeline(double time_s, double interval_s);

  int index() const { return index_; }
  int group() const { return group_; }
  sg4::Host* host() const { return host_; }
  sg4::Link* uplink() const { return uplink_; }
  const traces::Board& board() const { return board_; }
  const policies::Clocks& clocks() const { return clocks_; }
  int queue_length() const;
  EnergyMeter& meter() { return meter_; }
  /// Highest temperature of the CPU / GPU thermal zone so far (°C); NaN without a thermal model.
  double max_cpu_temp_c() const { return meter_.thermal().max_temp_c(cpu_zone_); }
  double max_gpu_temp_c() const { return meter_.thermal().max_temp_c(gpu_zone_); }
  long clock_changes() const { return clock_changes_; }
  long dropped() const { return dropped_; }
  double uplink_bandwidth_bps() const { return uplink_bps_; }
  bool ticks() const;
  void set_policy(policies::Role role, std::unique_ptr<policies::Policy> policy);

 private:
  /// One deployed model's queue on a serving device, with its instances.
  struct ServedModel {
    const traces::Model* model = nullptr;
    std::deque<Request> queue;
    policies::BatchAction action;
    int instances = 0;                 ///< live instance actors
    sg4::MutexPtr mutex;
    sg4::ConditionVariablePtr cv;
    // Since the last batching slot:
    long completed = 0;
    double latency_sum_s = 0;
    long slo_total = 0, slo_missed = 0;
  };
  /// A batch on the device GPU. It progresses at 1 / latency_s per second, where latency_s is
  /// the traced latency at its batch size and the current number of running batches.
  struct RunningBatch {
    const traces::Model* model = nullptr;
    int batch = 1;
    double progress = 0;     ///< share of the batch done, [0, 1]
    double latency_s = 0;    ///< at the current concurrency
    double power_w = 0;      ///< board power at the current concurrency
    std::vector<double> rails_w;
    double deadline_s = 0;   ///< finishing time if the concurrency stays as it is
    double energy_j = 0;     ///< attributed so far: power / concurrency over time
    int concurrency = 1;     ///< running batches when the rates were last set
    int max_concurrency = 1;
  };
  ServedModel* served(const traces::Model* model);
  void batching_decision(ServedModel& served, double slot_s, double slot_energy_j);
  void run_batching_slots();          ///< actor body (daemon) when the policy has slots
  void run_instance(ServedModel& served);  ///< actor body: one model instance
  void run_batch(ServedModel& served, std::vector<Request>& batch);
  /// Advances every running batch to now at the rates set last (progress and energy).
  void advance_gpu();
  /// Re-rates the running batches at the current concurrency and clocks: new deadlines, the
  /// meter at their mean power; wakes their actors.
  void rate_gpu();
  void process(const Request& request);
  /// The device's time: the engine clock, or its own clock on the fast path (>= the engine's).
  double now() const { return local_time_ ? local_s_ : sg4::Engine::get_clock(); }
  /// Runs `latency_s` of work on the device (an Exec), or advances its own clock by it.
  void busy_for(double latency_s);
  /// Waits `latency_s` (a sleep, e.g. a DVFS transition), or advances its own clock by it.
  void wait_for(double latency_s);
  /// Fast path: moves the device's clock to `to_s`, writing the timeline samples it passes.
  void advance_local(double to_s);
  /// Fast path: moves the arrivals up to `t_s` (`inclusive`: arrivals at `t_s` too) into the
  /// queue, in arrival order (stream order on ties).
  void pull_arrivals(double t_s, bool inclusive = true);
  /// Fast path: the engine catches up with the device's clock (before an interaction).
  void sync_engine();
  policies::FrameAction decide(const Request& request);
  /// A run of units merged into one activity: latency, energy, energy per board rail (NaN for
  /// rails the trace does not name).
  struct RunSums {
    double latency_s = 0;
    double energy_j = 0;
    std::vector<double> rail_j;
  };
  using RunKey = std::tuple<const traces::Model*, std::int64_t, std::int64_t, std::int64_t, int, int>;
  /// Units [first, last] of `model` at the current clocks, summed once per key and kept.
  const RunSums& run_sums(const traces::Model& model, int first, int last);
  RunSums empty_run(const traces::Model& model);
  void add_unit(RunSums& sums, const traces::Model& model, const traces::UnitEstimate& est);
  /// Runs units [first, last] on the device; returns the device energy of the units.
  double run_local(const traces::Model& model, int first, int last, const policies::FrameAction& action,
                   RequestRecord& record);
  void apply_clocks(const policies::Clocks& target, RequestRecord* record);
  /// The model's accuracy table's answer (NaN without a table); the last answer is kept.
  double accuracy_of(const traces::Model& model, int exit_after_unit, bool offloaded, double share);
  void offload(Request request, RequestRecord record, int first_unit, int last_unit, double bytes);
  double idle_power_w() const;
  std::vector<double> idle_rails_w() const;   ///< per board rail, at the current clocks
  void refresh_idle() const;                   ///< idle power and rails at the current clocks
  void go_idle();                              ///< meter to idle power (total and rails) now
  const std::vector<int>& rail_map(const traces::Model& model);

  World& world_;
  int index_;
  int group_;
  sg4::Host* host_;
  sg4::Link* uplink_;
  const traces::Board& board_;
  policies::Clocks clocks_;
  std::unique_ptr<policies::Policy> policy_[4];   ///< indexed by policies::Role
  std::deque<Request> queue_;
  int active_sources_ = 0;
  sg4::MutexPtr mutex_;
  sg4::ConditionVariablePtr cv_;
  EnergyMeter meter_;
  int cpu_zone_ = -1;                 ///< the meter's thermal zones "cpu" and "gpu" (-1: none)
  int gpu_zone_ = -1;
  long clock_changes_ = 0;
  long dropped_ = 0;                  ///< frames dropped at arrival (queue_limit)
  double uplink_bps_ = 0;
  bool has_pending_ = false;          ///< clocks decided by a tick, applied at the next boundary
  policies::Clocks pending_;
  long completed_ = 0;
  std::map<const traces::Model*, std::vector<int>> rail_maps_;
  std::vector<std::unique_ptr<ServedModel>> served_;
  std::map<long, RunningBatch> running_;   ///< batches on the GPU now, by batch number
  long next_batch_ = 0;
  double last_reshare_s_ = 0;
  sg4::ConditionVariablePtr gpu_cv_;       ///< batch actors wait on it for their deadline
  // Idle power and rails at `idle_clocks_` (refresh_idle).
  mutable bool idle_known_ = false;
  mutable policies::Clocks idle_clocks_;
  mutable double idle_w_ = 0;
  mutable std::vector<double> idle_rails_;
  std::map<RunKey, RunSums> run_sums_;
  RunKey last_run_key_;
  const RunSums* last_run_ = nullptr;
  std::vector<double> mean_rails_w_;       ///< scratch: mean rail power of a run
  const traces::Model* accuracy_model_ = nullptr;  ///< accuracy_of's last question and answer
  int accuracy_exit_ = 0;
  bool accuracy_offloaded_ = false;
  double accuracy_share_ = 0;
  double accuracy_ = 0;
  double timeline_last_j_ = 0;             ///< energy at the previous timeline row
  int uploads_in_flight_ = 0;              ///< offload actors whose radio energy is not counted yet
  // Local-time fast path (local_device.cpp).
  bool local_time_ = false;
  bool local_done_ = false;                ///< the fast-path controller has finished
  double local_s_ = 0;                     ///< the device's own clock
  long next_sample_ = 1;                   ///< next timeline sample (k x interval) it writes itself
  std::vector<std::unique_ptr<ArrivalStream>> arrivals_;
  std::vector<Request> heads_;             ///< next arrival per stream (valid if head_ok_)
  std::vector<bool> head_ok_;
};

/// Everything one run holds. Lives for the whole run; actors refer to it.
struct World {
  const ScenarioSpec& spec;
  const traces::Catalog& catalog;
  const traces::TraceStore& store;
  const traces::Synthesizer& power_model;
  const policies::PolicyRegistry& registry;
  std::vector<std::unique_ptr<Device>> devices;
  std::vector<std::unique_ptr<CloudServer>> clouds;
  std::vector<RequestRecord> records;
  std::ofstream requests_csv;      ///< open when written
  std::ofstream timeline_csv;
  long activities = 0;
  long local_activities = 0;       ///< unit runs, heads and transitions replayed in local time
  bool progress = false;
  double element_bytes = 4;        ///< activation bytes per element at the scenario's precision

  using EstimateKey =
      std::tuple<const traces::Board*, const traces::Model*, std::int64_t, std::int64_t, std::int64_t, int, int>;
  std::map<EstimateKey, std::vector<traces::UnitEstimate>> estimate_cache;

  World(const ScenarioSpec& s, const traces::Catalog& c, const traces::TraceStore& st,
        const traces::Synthesizer& pm, const policies::PolicyRegistry& r)
      : spec(s), catalog(c), store(st), power_model(pm), registry(r) {}
  /// Every unit's estimate of `model` on `board` at `clocks`, batch size and concurrent
  /// instances, computed once per distinct key and kept: the store's fit path costs ~2k
  /// instructions per call and a run revisits the same few settings (docs/performance.md).
  const std::vector<traces::UnitEstimate>& unit_estimates(const traces::Board& board, const traces::Model& model,
                                                          const traces::ClockSetting& clocks, int batch = 1,
                                                          int concurrency = 1);
  /// The cloud with the fewest queued jobs (lowest index on ties); nullptr without clouds.
  CloudServer* pick_cloud();
  void complete(const RequestRecord& record);
};

/// Arrival streams (workload.cpp): `stream` is the scenario's stream index (for request ids).
std::unique_ptr<ArrivalStream> make_video_arrivals(const World& world, int device, int stream,
                                                   const VideoStreamSpec& video, std::uint64_t seed);
std::unique_ptr<ArrivalStream> make_request_arrivals(const World& world, int device, int stream,
                                                     const RequestStreamSpec& spec, std::uint64_t seed);
/// A source actor on the device's host: sleeps until each arrival and enqueues it.
void start_source(Device& device, std::unique_ptr<ArrivalStream> arrivals);
/// Drives a link's bandwidth process (trace replay or Markov) through `set_bandwidth_bps`.
void start_bandwidth_process(const std::string& name, sg4::Host* host, const LinkSpec& link,
                             std::function<void(double)> set_bandwidth_bps, std::uint64_t seed);
/// A deterministic seed for (scenario seed, kind, a, b).
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t kind, std::uint64_t a, std::uint64_t b = 0);

inline traces::ClockSetting to_setting(const policies::Clocks& c) { return {c.cpu_khz, c.gpu_hz, c.emc_hz}; }

}  // namespace edgetwin::sim::detail

#pragma once
// Internal to the simulation core: an edge device and its actors (device.cpp, device_fast_path.cpp,
// serving.cpp).

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include <simgrid/s4u.hpp>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/energy_meter.hpp"
#include "edgetwin/sim/metrics.hpp"
#include "edgetwin/sim/scenario.hpp"
#include "edgetwin/traces/board.hpp"
#include "edgetwin/traces/trace_store.hpp"

#include "accuracy_memo.hpp"
#include "arrival_stream.hpp"
#include "execution_backend.hpp"
#include "fast_path_clock.hpp"
#include "idle_power_cache.hpp"
#include "offload_pool.hpp"
#include "request.hpp"
#include "run_sum_cache.hpp"
#include "serving_state.hpp"

namespace edgetwin::sim::detail {

namespace sg4 = simgrid::s4u;

struct World;
class DeviceProber;

/// A checkpoint of the current frame and the policy that asked for it.
struct FrameCheckpoint {
  int after_unit = 0;
  bool run_head = false;
  policies::Policy* policy = nullptr;
};

/// The meeting point of a channel-split request's two branches (device_channel_split.cpp): the
/// device's branch on the kept channels and the cloud's on the offloaded ones.
struct SplitJoin {
  sg4::SemaphorePtr device_done;  ///< released when the device's branch has ended
  double device_end_s = 0;        ///< when it ended (the device's time)
  double device_energy_j = 0;     ///< its units and transitions
  double fusion_s = 0;            ///< the fusion after the later branch
  double fusion_j = 0;            ///< its energy (dynamic CPU power: it overlaps other work)
};

/// An edge device: request queue, controller actor, clocks, policies, energy.
class Device {
 public:
  Device(World& world, int index, int group, sg4::Host* host, sg4::Link* uplink, const traces::Board& board,
         int power_mode);
  ~Device();  ///< device.cpp, where DeviceProber is complete
  /// The mutex and condition variable of its queue (before its actors start; a device in a
  /// shared actor has none: nothing enqueues or waits).
  void create_queue_sync() {
    mutex_ = sg4::Mutex::create();
    cv_ = sg4::ConditionVariable::create();
  }
  void enqueue(Request request);
  void source_started() { ++active_sources_; }
  void source_finished();
  void run_controller();  ///< actor body
  void run_governor();    ///< actor body (daemon), only when the clocks policy ticks
  /// A serving device (its group names a batching policy) has no controller: per-model queues
  /// and instance actors that run batches concurrently on the GPU (serving.cpp).
  bool serving() const { return policy_[static_cast<int>(policies::Role::batching)] != nullptr; }
  /// Serving devices: the first batching decision and the instance actors (before the run).
  void start_serving();
  /// Serving: per deployed model, how many of its batching actions the memory cap cut down.
  std::vector<std::pair<std::string, long>> memory_capped_actions() const;
  void set_uplink_bandwidth(double bandwidth_bps);

  /// Local-time fast path (device_fast_path.cpp, docs/simulation.md "Local time fast path"): a device
  /// that nothing else observes or influences between its own interactions runs ahead of the
  /// engine in its own clock. Eligible: no batching policy, no clock ticks, a constant-bandwidth
  /// access link, the trace backend. Decided once, before the run.
  bool local_time_eligible() const;
  /// Puts the device on the fast path; its controller then pulls `arrivals` itself (no source
  /// actors). Call before the run, once per stream, in stream order.
  void add_local_arrivals(std::unique_ptr<ArrivalStream> arrivals);
  bool local_time() const { return fast_.enabled; }
  /// Actor body on the fast path; sleeps only before interactions. With `own_actor` false the
  /// device shares an actor with others (start_actors): it ends at its own time without waiting
  /// for the engine to get there (the shared actor does, at the latest of its devices' ends).
  void run_local_controller(bool own_actor = true);
  /// A fast-path device that never waits for the engine before its end: nothing can be
  /// offloaded (its placement policy is edge_only, or none, or the run has no cloud server), so
  /// no upload, outcome or cloud queue ever couples it to other actors. Such devices need no
  /// actor of their own: consecutive ones share one (docs/performance.md).
  bool engine_free() const;
  double local_now_s() const { return fast_.now_s; }  ///< the fast-path clock
  /// Frees the arrival streams of a fast-path device that has finished (their generators' state).
  void release_local_arrivals() { fast_.arrivals = MergedArrivals(); }
  /// Whether the timeline actor writes this device's sample `k` (at k x interval): always on the
  /// per-activity path; on the fast path only once its controller has finished, for samples it
  /// has not written itself.
  bool timeline_actor_samples(long k) const {
    return !fast_.enabled || (fast_.done && k >= fast_.next_sample);
  }
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
  /// Actors the run starts for this device before the engine runs (simulation.cpp start_actors;
  /// context_plan.cpp counts them): its controller, or a serving device's slot actor and one
  /// instance per model; `sources` arrival actors off the fast path (`local` false); a bandwidth
  /// process for a varying access link; a governor when its clocks policy ticks.
  long planned_actors(bool local, int sources) const;
  /// Gives the device a policy for `roles` (one instance plays them all). Call before the run.
  void set_policy(const std::vector<policies::Role>& roles, std::unique_ptr<policies::Policy> policy);

 private:
  ServedModel* served(const traces::Model* model);
  void batching_decision(ServedModel& served, double slot_s, double slot_energy_j);
  void run_batching_slots();               ///< actor body (daemon) when the policy has slots
  void run_instance(ServedModel& served);  ///< actor body: one model instance
  void run_batch(ServedModel& served, std::vector<Request>& batch);
  /// Serving: a request given up at `end_s` (queue full at arrival, or waited past the timeout)
  /// becomes a row of requests.csv with that status.
  void give_up(const Request& request, RequestStatus status, double end_s);
  /// Serving: the waiting requests of `served` that have waited timeout_s by now time out.
  void expire(ServedModel& served);
  /// Serving: cuts `action` down to what the board's memory holds beside the other models'
  /// instances; returns whether it had to.
  bool fit_memory(const ServedModel& served, policies::BatchAction& action) const;
  /// Serving, corunner interference: the slowdown of running batch `id` beside the others.
  double corunner_slowdown(long id);
  /// Advances every running batch to now at the rates set last (progress and energy).
  void advance_gpu();
  /// Re-rates the running batches at the current concurrency and clocks: new deadlines, the
  /// meter at their mean power; wakes their actors.
  void rate_gpu();
  void process(const Request& request);
  /// The frame's action, from its policies in chain order (device_decisions.cpp); charges the
  /// decision's cost and the probes its policies ran on the device to `record`.
  policies::FrameAction decide(const Request& request, RequestRecord& record);
  /// One policy call with the decision-cost bookkeeping of the group (wait or concurrent mode).
  policies::FrameAction ask_chain(const Request& request, double& cost_s);
  /// Charges work the policies did on the device (probes, decisions): busy at `power_w`.
  void charge_cpu_work(double seconds, double power_w, RequestRecord& record);
  /// Units [first, last] with the frame's checkpoints: runs, consults, maybe stops early.
  /// Returns the last unit run; `head_ran_at` the unit whose head ran last (-1: none).
  int run_with_checkpoints(const Request& request, int first, int last, policies::FrameAction& action,
                           RequestRecord& record, int& head_ran_at);
  /// The output of the exit head after `after_unit` for this request (exit records), once run.
  policies::HeadOutput head_output(const Request& request, int after_unit) const;
  /// A request's record before it runs (ids, times, stream, SLO).
  RequestRecord record_for(const Request& request) const;
  /// Writes the record and delivers its outcome to the policies that want it.
  void complete(RequestRecord& record);
  /// A request refused at arrival (queue full): counted, and its outcome delivered.
  void drop(const Request& request);
  void deliver(const policies::Outcome& outcome);
  /// The device's time: the engine clock, or its own clock on the fast path (>= the engine's).
  double now() const { return fast_.enabled ? fast_.now_s : sg4::Engine::get_clock(); }
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
  /// Units [first, last] of `model` at the current clocks, summed once per key and kept.
  const RunSums& run_sums(const traces::Model& model, int first, int last);
  /// The backend query for units [first, last] of `model` at the current clocks, batch 1.
  UnitsQuery query(const traces::Model& model, int first, int last) const;
  /// The meter at the run's mean power (total and rails) while it runs; then idle.
  void run_busy(const RunSums& run);
  /// Runs the exit head after `after_unit`; returns its energy.
  double run_head(const traces::Model& model, int after_unit);
  /// Runs units [first, last] on the device; returns the device energy of the units.
  double run_local(const traces::Model& model, int first, int last,
                   const std::vector<policies::ClockSegment>& segments, RequestRecord& record);
  void apply_clocks(const policies::Clocks& target, RequestRecord* record);
  /// Latency and energy of moving from the current clocks to `target` (changed domains only).
  std::pair<double, double> transition_cost(const policies::Clocks& target) const;
  void make_prober();  ///< the device's probes (device_decisions.cpp)
  /// An offload worker's body for one request (offload_pool.hpp), on the device's host: uploads
  /// `job.bytes`, the cloud runs units [first_unit, last_unit] (time and energy x `cloud_scale`),
  /// the result comes down; with `join`, the request then waits for the device's branch and ends
  /// at the fusion (channel split).
  void offload(OffloadJob& job);
  /// DVFO's channel split (device_channel_split.cpp, docs/simulation.md "Channel split"): codes
  /// and uploads the offloaded share of the split feature map, then runs units
  /// [edge_units, last] on the kept channels while the cloud runs them on the offloaded ones.
  void split_offload(const Request& request, RequestRecord& record,
                     const std::vector<policies::ClockSegment>& segments, int edge_units, int last,
                     double share);
  /// Units [first, last] with the frame's clock segments, time and energy x `factor`; transitions
  /// are charged to `record`. Returns the units' energy.
  double run_scaled(const traces::Model& model, int first, int last,
                    const std::vector<policies::ClockSegment>& segments, double factor,
                    RequestRecord& record);
  double idle_power_w() const { return idle_power_.total_w(clocks_); }
  /// One CPU core busy at the current clocks (a decision's power), kept per clock setting.
  double cpu_busy_power_w();
  /// Per board rail, at the current clocks.
  const std::vector<double>& idle_rails_w() const { return idle_power_.rails_w(clocks_); }
  void go_idle();  ///< meter to idle power (total and rails) now

  World& world_;
  int index_;
  int group_;
  sg4::Host* host_;
  sg4::Link* uplink_;
  const traces::Board& board_;
  policies::Clocks clocks_;
  std::shared_ptr<policies::Policy>
      policy_[4];  ///< indexed by policies::Role (one instance may fill several)
  /// The distinct policies asked at a frame, in chain order (exit, placement, clocks), each with
  /// the roles it plays there.
  std::vector<std::pair<policies::Policy*, std::vector<policies::Role>>> chain_;
  std::vector<policies::Policy*> outcome_policies_;  ///< distinct policies that want outcomes
  const DecisionCostSpec& decision_cost_;
  double cpu_busy_w_at_ = -1;  ///< cpu_busy_power_w cache for `cpu_busy_clocks_`
  policies::Clocks cpu_busy_clocks_;
  /// Concurrent decisions: the action decided at the last frame, for the next one.
  enum class CostKind { none, fixed, reported, measured };
  CostKind cost_kind_ = CostKind::none;  ///< decision_cost_.cost, read once
  bool concurrent_ = false;              ///< decision_cost_.mode == "concurrent"
  bool has_next_action_ = false;
  policies::FrameAction next_action_;
  std::vector<FrameCheckpoint> next_checkpoints_;
  std::vector<FrameCheckpoint> checkpoints_;  ///< the current frame's, ascending after_unit
  std::vector<float> features_;               ///< the current frame's exit-record features
  std::unique_ptr<DeviceProber> prober_;      ///< the probes' access to the backend (device_decisions.cpp)
  friend class DeviceProber;
  friend class OffloadPool;
  int outcomes_in_flight_ = 0;  ///< offloaded requests whose outcome policies still wait for
  std::deque<Request> queue_;
  int active_sources_ = 0;
  sg4::MutexPtr mutex_;
  sg4::ConditionVariablePtr cv_;
  EnergyMeter meter_;
  int cpu_zone_ = -1;  ///< the meter's thermal zones "cpu" and "gpu" (-1: none)
  int gpu_zone_ = -1;
  long clock_changes_ = 0;
  long dropped_ = 0;  ///< frames dropped at arrival (queue_limit)
  double uplink_bps_ = 0;
  bool has_pending_ = false;  ///< clocks decided by a tick, applied at the next boundary
  policies::Clocks pending_;
  long completed_ = 0;
  ServingState serving_;               ///< serving devices: model queues, batches on the GPU
  mutable IdlePowerCache idle_power_;  ///< idle power and rails at the current clocks
  ExecutionBackend& backend_;          ///< turns units into time and energy (the group's backend)
  RunSumCache run_sums_;               ///< run_sums' answers (a replaying backend only)
  RunSums scratch_run_;                ///< run_sums' answer from a backend that does not replay
  std::vector<double> mean_rails_w_;   ///< scratch: mean rail power of a run
  AccuracyMemo accuracy_;              ///< a request's accuracy, the last answer kept
  double timeline_last_j_ = 0;         ///< energy at the previous timeline row
  int uploads_in_flight_ = 0;          ///< offload actors whose radio energy is not counted yet
  FastPathClock fast_;                 ///< the local-time fast path (device_fast_path.cpp)
};

}  // namespace edgetwin::sim::detail

// An edge device: its controller actor replays each request unit by unit from the traces, under
// the clocks, exit and placement its policies decide (docs/architecture.md, "Design rules").

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>

#include "device_prober.hpp"
#include "world.hpp"

XBT_LOG_NEW_DEFAULT_SUBCATEGORY(edgetwin_device, edgetwin, "EdgeTwin edge devices");

namespace edgetwin::sim::detail {

Device::Device(World& world, int index, int group, sg4::Host* host, sg4::Link* uplink,
               const traces::Board& board, int power_mode)
    : world_(world),
      index_(index),
      group_(group),
      host_(host),
      uplink_(uplink),
      board_(board),
      decision_cost_(world.spec.groups[static_cast<std::size_t>(group)].decision),
      idle_power_(world.power_model, board),
      backend_(world.backend_for(group)) {
  const auto& mode = board.power_mode(power_mode < 0 ? board.default_power_mode : power_mode);
  clocks_ = {mode.cpu_max_khz, mode.gpu_max_hz, mode.emc_max_hz};
  uplink_bps_ = uplink != nullptr ? uplink->get_bandwidth() * 8 : 0;
  // The meter drives the board's thermal model: every path (per-activity, local time, serving)
  // changes power levels only through it (docs/thermal.md).
  if (!board.thermal.zones.empty()) {
    const auto& g = world.spec.groups[static_cast<std::size_t>(group)];
    meter_.attach_thermal(ThermalModel(board.thermal, g.ambient_c, g.initial_temp_c));
    cpu_zone_ = meter_.thermal().zone_index("cpu");
    gpu_zone_ = meter_.thermal().zone_index("gpu");
  }
  meter_.reset(0, PowerState::idle, idle_power_w());
  meter_.set_rails(idle_rails_w());
  concurrent_ = decision_cost_.mode == "concurrent";
  make_prober();
  const auto& cost = decision_cost_.cost;
  cost_kind_ = cost == "fixed"      ? CostKind::fixed
               : cost == "reported" ? CostKind::reported
               : cost == "measured" ? CostKind::measured
                                    : CostKind::none;
}

Device::~Device() = default;

void Device::set_policy(const std::vector<policies::Role>& roles, std::unique_ptr<policies::Policy> policy) {
  const std::shared_ptr<policies::Policy> shared(std::move(policy));
  for (const auto role : roles) {
    // Clocks a policy pins before the first frame are the boot configuration (like nvpmodel and
    // jetson_clocks before an experiment): no transition is charged for them.
    if (role == policies::Role::clocks) {
      if (const auto boot = shared->initial_clocks()) {
        clocks_ = *boot;
        meter_.reset(0, PowerState::idle, idle_power_w());
        meter_.set_rails(idle_rails_w());
      }
    }
    policy_[static_cast<int>(role)] = shared;
  }
  // The frame chain: each distinct policy once, at its first role in the order exit, placement,
  // clocks, with every frame role it plays.
  chain_.clear();
  for (const auto role : policies::kFrameRoleOrder) {
    policies::Policy* p = policy_[static_cast<int>(role)].get();
    if (p == nullptr) continue;
    auto it = std::find_if(chain_.begin(), chain_.end(), [&](const auto& entry) { return entry.first == p; });
    if (it == chain_.end()) it = chain_.insert(chain_.end(), {p, {}});
    it->second.push_back(role);
  }
  outcome_policies_.clear();
  for (const auto& p : policy_) {
    if (p && p->wants_outcomes() &&
        std::find(outcome_policies_.begin(), outcome_policies_.end(), p.get()) == outcome_policies_.end())
      outcome_policies_.push_back(p.get());
  }
}

bool Device::ticks() const {
  const auto& p = policy_[static_cast<int>(policies::Role::clocks)];
  return p != nullptr && p->tick_period_s() > 0;
}

void Device::go_idle() {
  meter_.set(now(), PowerState::idle, idle_power_w());
  meter_.set_rails(idle_rails_w());
}

void Device::set_uplink_bandwidth(double bandwidth_bps) {
  uplink_bps_ = bandwidth_bps;
  if (uplink_ != nullptr) uplink_->set_bandwidth(bandwidth_bps / 8);  // SimGrid links take bytes/s
}

// SimGrid actors never preempt each other: actor code between two simcalls runs alone, so the
// queue needs no lock of its own. The mutex exists only because the condition variable wants
// one; the controller holds it for its whole life (wait() releases it while blocked), and the
// producers only push and notify. This saves the producer's lock/unlock and the controller's
// unlock/relock simcalls per request (7 % of the instructions per frame, docs/performance.md).
void Device::enqueue(Request request) {
  if (serving()) {
    ServedModel* m = served(request.model);
    const int limit = serving_.spec->queue_limit;
    if (limit > 0 && static_cast<int>(m->queue.size()) >= limit) {
      expire(*m);  // what already timed out leaves room first
      if (static_cast<int>(m->queue.size()) >= limit) {
        give_up(request, RequestStatus::dropped, request.arrival_s);
        return;
      }
    }
    m->queue.push_back(std::move(request));
    m->cv->notify_all();
    return;
  }
  if (request.queue_limit > 0 && static_cast<int>(queue_.size()) >= request.queue_limit) {
    drop(request);  // a live camera overwrites the frame nobody has taken yet
    return;
  }
  queue_.push_back(std::move(request));
  cv_->notify_one();
}

void Device::source_finished() {
  --active_sources_;
  cv_->notify_one();
  for (auto& m : serving_.models) m->cv->notify_all();
}

int Device::queue_length() const {
  std::size_t n = queue_.size();
  for (const auto& m : serving_.models) n += m->queue.size();
  return static_cast<int>(n);
}

void Device::run_controller() {
  std::unique_lock<sg4::Mutex> lock(*mutex_);
  while (true) {
    cv_->wait(lock, [this] { return !queue_.empty() || active_sources_ == 0; });
    if (queue_.empty()) break;
    Request request = std::move(queue_.front());
    queue_.pop_front();
    process(request);
    if (backend_.stopped()) break;  // a lost board: the request in flight is not recorded
  }
  meter_.advance(sg4::Engine::get_clock());
  world_.offloads.producer_finished();
  XBT_DEBUG("device %d done: %ld requests", index_, completed_);
}

void Device::process(const Request& request) {
  const traces::Model& model = *request.model;
  RequestRecord record = record_for(request);
  record.start_s = now();
  policies::FrameAction action = decide(request, record);
  const int n = static_cast<int>(model.units.size());
  int last = action.exit_after_unit >= 0 ? std::min(action.exit_after_unit, n - 1) : n - 1;
  int edge_units =
      action.edge_units == policies::kAllUnits ? last + 1 : std::clamp(action.edge_units, 0, last + 1);
  record.exit_after_unit = action.exit_after_unit >= 0 ? last : -1;
  record.cpu_khz = clocks_.cpu_khz;
  record.gpu_hz = clocks_.gpu_hz;
  record.emc_hz = clocks_.emc_hz;
  const auto& split = world_.spec.groups[static_cast<std::size_t>(group_)].channel_split;
  // A channel split runs the units after the split on the device too, under the frame's clock
  // segments (the checkpoints below consume them).
  std::vector<policies::ClockSegment> branch_segments;
  if (split.enabled && edge_units > 0 && edge_units <= last) branch_segments = action.clocks;

  if (edge_units > 0) {
    int head_ran_at = -1;
    const int ran = run_with_checkpoints(request, 0, edge_units - 1, action, record, head_ran_at);
    if (ran < edge_units - 1) {
      // A checkpoint stopped the frame at the exit head that just ran: that head's result is the
      // answer, nothing is offloaded.
      last = ran;
      edge_units = ran + 1;
      record.exit_after_unit = ran;
    } else if (record.exit_after_unit >= 0 && edge_units == last + 1 && last < n - 1 && head_ran_at != last) {
      // An early exit taken on the device runs its exit head right after the last unit.
      const auto it = std::find_if(model.exits.begin(), model.exits.end(),
                                   [&](const traces::ExitPoint& e) { return e.after_unit == last; });
      if (it != model.exits.end()) record.energy_j += run_head(model, last);
    }
  }
  if (backend_.stopped()) return;  // its units were not measured
  record.edge_units = edge_units;
  record.units = last + 1;
  ++completed_;
  const double share = std::clamp(action.offload_share, 0.0, 1.0);
  const bool offloaded = edge_units < last + 1;
  if (split.enabled && offloaded && edge_units > 0) {
    // DVFO's channel split: the accuracy table's channel-split model (share, codec bits, ranking).
    const traces::AccuracyTable* table =
        request.accuracy_table != nullptr ? request.accuracy_table : world_.catalog.accuracy(model.id);
    record.accuracy = table != nullptr ? table->split_accuracy(model, record.exit_after_unit, share,
                                                               split.codec_bits, split.ranking == "attention")
                                       : std::numeric_limits<double>::quiet_NaN();
  } else {
    record.accuracy = accuracy_.get(world_.catalog, model, request.accuracy_table, record.exit_after_unit,
                                    offloaded, share);
  }
  // Correctness is known for results of the device's own heads and for a whole feature map sent
  // (the cloud runs the model's own head); a partial share has only its expected accuracy.
  if (!offloaded || share >= 1.0) record.correct = request_correct(request, record.exit_after_unit);
  if (!offloaded) {
    record.end_s = now();
    complete(record);
    return;
  }
  // Offload the rest: the split feature map (or the input) goes up, the cloud runs the rest.
  const double elements =
      edge_units == 0
          ? static_cast<double>(model.units.front().input_elements)
          : static_cast<double>(model.units[static_cast<std::size_t>(edge_units - 1)].boundary_elements);
  record.offload_share = share;
  if (split.enabled && edge_units > 0) {
    split_offload(request, record, branch_segments, edge_units, last, share);
    return;
  }
  // A cloud-only input may go through an image codec (the placement policy's bytes per element).
  const double element_bytes = edge_units == 0 && action.input_bytes_per_element > 0
                                   ? action.input_bytes_per_element
                                   : world_.element_bytes;
  record.offload_bytes = std::ceil(elements * element_bytes * share);
  // On the fast path the engine first catches up: the upload shares links and the cloud's queue.
  if (fast_.enabled) sync_engine();
  ++uploads_in_flight_;
  if (!outcome_policies_.empty()) ++outcomes_in_flight_;
  OffloadJob job;
  job.device = this;
  job.request = request;
  job.first_unit = edge_units;
  job.last_unit = last;
  job.bytes = record.offload_bytes;
  job.record = std::move(record);
  world_.offloads.submit(std::move(job), host_);
}

void Device::busy_for(double latency_s) {
  if (fast_.enabled) {
    advance_local(fast_.now_s + latency_s);
    ++world_.local_activities;
    return;
  }
  sg4::this_actor::execute(latency_s * kHostSpeedFlops);
  ++world_.activities;
}

void Device::wait_for(double latency_s) {
  if (fast_.enabled) {
    advance_local(fast_.now_s + latency_s);
    ++world_.local_activities;
    return;
  }
  sg4::this_actor::sleep_for(latency_s);
  ++world_.activities;
}

void Device::sample_timeline(double time_s, double interval_s) {
  meter_.advance(time_s);
  const double e = meter_.total_j();
  if (world_.timeline_csv.is_open()) {
    TimelineRecord t{time_s,
                     index_,
                     clocks_.cpu_khz,
                     clocks_.gpu_hz,
                     clocks_.emc_hz,
                     (e - timeline_last_j_) / interval_s,
                     e,
                     queue_length(),
                     uplink_bps_};
    t.cpu_temp_c = meter_.thermal().temp_c(cpu_zone_);
    t.gpu_temp_c = meter_.thermal().temp_c(gpu_zone_);
    write_timeline(world_.timeline_csv, t);
  }
  timeline_last_j_ = e;
}

UnitsQuery Device::query(const traces::Model& model, int first, int last) const {
  UnitsQuery q;
  q.board = &board_;
  q.model = &model;
  q.first = first;
  q.last = last;
  q.clocks = clocks_;
  return q;
}

const RunSums& Device::run_sums(const traces::Model& model, int first, int last) {
  const RunSumCache::Key key{&model, clocks_.cpu_khz, clocks_.gpu_hz, clocks_.emc_hz, first, last};
  if (!backend_.replays()) {
    scratch_run_ = backend_.run_units(query(model, first, last));
    return scratch_run_;
  }
  return run_sums_.get(key, [&] { return backend_.run_units(query(model, first, last)); });
}

void Device::run_busy(const RunSums& run) {
  meter_.set(now(), PowerState::busy, run.energy_j / run.latency_s);
  mean_rails_w_.resize(run.rail_j.size());
  for (std::size_t r = 0; r < run.rail_j.size(); ++r) mean_rails_w_[r] = run.rail_j[r] / run.latency_s;
  meter_.set_rails(mean_rails_w_);
  busy_for(run.latency_s);
  go_idle();
}

double Device::run_head(const traces::Model& model, int after_unit) {
  const RunSums head = backend_.run_head(query(model, after_unit, after_unit), after_unit);
  if (head.latency_s <= 0) return 0;
  run_busy(head);
  return head.energy_j;
}

double Device::run_local(const traces::Model& model, int first, int last,
                         const std::vector<policies::ClockSegment>& segments, RequestRecord& record) {
  // Clocks wanted for unit i: the frame's segments, else a governor's pending choice, else
  // the current clocks. Consecutive units at unchanged clocks run as one activity.
  auto wanted = [&](int unit) {
    const policies::ClockSegment* seg = nullptr;
    for (const auto& s : segments) {
      if (s.first_unit <= unit) seg = &s;
    }
    if (seg != nullptr) return seg->clocks;
    if (has_pending_) return pending_;
    return clocks_;
  };
  // A governor's tick is a decision point: merged units stop at the unit during which the next
  // tick falls, so that its clocks apply at the following unit boundary.
  const double tick_s = ticks() ? policy_[static_cast<int>(policies::Role::clocks)]->tick_period_s() : 0;
  // Without ticks a run ends only at a clock change, and a run of units [a, b] at given clocks
  // always sums to the same numbers: they are computed once (same additions in the same order)
  // and kept (run_sums). With ticks, the sums grow unit by unit to find the tick's unit.
  const bool memo = tick_s <= 0;
  RunSums growing;
  int run_first = first;  // first unit of the pending run
  double energy = 0;
  auto flush = [&](int run_last) {
    if (memo && run_last < run_first) return;
    const RunSums& run = memo ? run_sums(model, run_first, run_last) : growing;
    if (run.latency_s <= 0) return;
    run_first = run_last + 1;
    run_busy(run);
    energy += run.energy_j;
    if (!memo) growing = RunSums();
  };
  double next_tick_s = std::numeric_limits<double>::infinity();
  auto plan_next_tick = [&] {
    if (tick_s > 0) next_tick_s = (std::floor(now() / tick_s + 1e-9) + 1) * tick_s;
  };
  plan_next_tick();
  const std::vector<RunSums>* per_unit = nullptr;  // at `per_unit_for`
  policies::Clocks per_unit_for;
  for (int i = first; i <= last; ++i) {
    const policies::Clocks target = wanted(i);
    if (has_pending_ && target == pending_) has_pending_ = false;  // taken now
    if (target != clocks_) {
      flush(i - 1);
      apply_clocks(target, &record);
      plan_next_tick();
      if (i == 0) {
        record.cpu_khz = clocks_.cpu_khz;
        record.gpu_hz = clocks_.gpu_hz;
        record.emc_hz = clocks_.emc_hz;
      }
    }
    if (memo) continue;
    if (per_unit == nullptr || per_unit_for != clocks_) {
      per_unit = backend_.per_unit(query(model, i, i));
      per_unit_for = clocks_;
    }
    if (per_unit != nullptr)
      append_run(growing, (*per_unit)[static_cast<std::size_t>(i)]);
    else
      append_run(growing, backend_.run_units(query(model, i, i)));
    if (now() + growing.latency_s >= next_tick_s && i < last) {
      flush(i);
      plan_next_tick();
    }
  }
  flush(last);
  return energy;
}

std::pair<double, double> Device::transition_cost(const policies::Clocks& target) const {
  // Domains are written one after the other (sysfs), so their transition latencies add up.
  double latency_s = 0, energy_j = 0;
  const std::pair<bool, traces::ClockDomain> changes[] = {
      {target.cpu_khz != clocks_.cpu_khz, traces::ClockDomain::cpu},
      {target.gpu_hz != clocks_.gpu_hz, traces::ClockDomain::gpu},
      {target.emc_hz != clocks_.emc_hz, traces::ClockDomain::emc}};
  for (const auto& [changed, domain] : changes) {
    if (!changed) continue;
    latency_s += board_.transition(domain).latency_s;
    energy_j += board_.transition(domain).energy_j;
  }
  return {latency_s, energy_j};
}

void Device::apply_clocks(const policies::Clocks& target, RequestRecord* record) {
  const auto [latency_s, energy_j] = transition_cost(target);
  const double idle_w = idle_power_w();
  // On a serving device other batches may be running: the meter keeps their power.
  const bool device_idle = serving_.running.empty();
  if (device_idle) {
    meter_.set(now(), PowerState::transition, idle_w);
    meter_.set_rails(idle_rails_w());
  }
  if (latency_s > 0) wait_for(latency_s);
  meter_.add_j(PowerState::transition, energy_j);
  clocks_ = target;
  ++clock_changes_;
  if (device_idle) go_idle();
  if (record != nullptr) record->energy_j += energy_j + idle_w * latency_s;
}

void Device::offload(OffloadJob& offload_job) {
  const Request& request = offload_job.request;
  RequestRecord& record = offload_job.record;
  const int first_unit = offload_job.first_unit, last_unit = offload_job.last_unit;
  const double bytes = offload_job.bytes, cloud_scale = offload_job.cloud_scale;
  const std::shared_ptr<SplitJoin>& join = offload_job.join;
  CloudServer* cloud = world_.pick_cloud();
  if (cloud == nullptr) throw std::logic_error("offloading without a cloud server");
  cloud->reserve();
  const auto& access = world_.spec.groups[static_cast<std::size_t>(group_)].access;
  // Radio energy that comes after the upload (receive, fusion) keeps the upload "in flight" for the
  // fast path's timeline until it is counted; without any, the upload ends it (as before).
  const bool late_energy = join != nullptr || access.radio_rx_power_w > 0;
  CloudServer::Job job;
  job.request = &request;
  job.first_unit = first_unit;
  job.last_unit = last_unit;
  job.scale = cloud_scale;
  // The result (class scores / detections of the last unit) comes back down.
  const auto& out = request.model->units[static_cast<std::size_t>(last_unit)];
  job.result_bytes = out.output_elements * world_.element_bytes;
  // This actor runs on the device's host (OffloadPool): the upload goes from it to the server's
  // worker, which queues and runs the job and sends the result back (CloudServer).
  sg4::Mailbox* server = cloud->connect();
  const double t0 = sg4::Engine::get_clock();
  server->put_init(&job, static_cast<std::uint64_t>(bytes))->wait();
  ++world_.activities;
  const double radio_j = access.radio_tx_power_w * (sg4::Engine::get_clock() - t0);
  meter_.add_j(PowerState::radio, radio_j);
  if (!late_energy) --uploads_in_flight_;
  record.energy_j += radio_j;
  record.radio_energy_j = radio_j;
  void* result = nullptr;
  server->get_init()->set_dst_data(&result, sizeof(void*))->wait();
  ++world_.activities;
  record.cloud_energy_j = job.energy_j;
  if (access.radio_rx_power_w > 0) {
    const double rx_j = access.radio_rx_power_w * (sg4::Engine::get_clock() - job.result_start_s);
    meter_.add_j(PowerState::radio, rx_j);
    record.energy_j += rx_j;
    record.radio_energy_j += rx_j;
  }
  if (join != nullptr) {
    // Channel split: the fusion waits for the later of the two branches.
    join->device_done->acquire();
    if (join->device_end_s > sg4::Engine::get_clock()) sg4::this_actor::sleep_until(join->device_end_s);
    record.energy_j += join->device_energy_j;
    if (join->fusion_s > 0) {
      sg4::this_actor::sleep_for(join->fusion_s);
      meter_.add_j(PowerState::busy, join->fusion_j);
      record.energy_j += join->fusion_j;
    }
  }
  if (late_energy) --uploads_in_flight_;
  record.end_s = sg4::Engine::get_clock();
  if (!outcome_policies_.empty()) --outcomes_in_flight_;
  complete(record);
}

long Device::planned_actors(bool local, int sources) const {
  const auto& group = world_.spec.groups[static_cast<std::size_t>(group_)];
  long n = local ? 0 : sources;
  if (group.access.process.kind != "constant") ++n;
  if (serving()) {
    n += static_cast<long>(group.models.size());
    if (policy_[static_cast<int>(policies::Role::batching)]->batch_slot_s() > 0) ++n;
  } else {
    ++n;
  }
  if (ticks()) ++n;
  return n;
}

}  // namespace edgetwin::sim::detail

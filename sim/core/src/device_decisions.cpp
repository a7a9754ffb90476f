// A device's frame decisions (docs/policies.md, "Decision points"): the chain of policies asked at
// a frame (exit, then placement, then clocks; one instance may play several roles), what the
// decision costs on the device (wait or concurrent mode), checkpoints after units (exit heads,
// new clocks), probes through the execution backend, and the outcomes delivered back.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "edgetwin/common/hash.hpp"

#include "device_prober.hpp"
#include "world.hpp"

namespace edgetwin::sim::detail {

RequestRecord Device::record_for(const Request& request) const {
  RequestRecord record;
  record.id = request.id;
  record.device = index_;
  record.group = group_;
  record.stream = request.stream;
  record.model = request.model->id;
  record.arrival_s = request.arrival_s;
  record.slo_s = request.slo_s;
  return record;
}

void Device::charge_cpu_work(double seconds, double power_w, RequestRecord& record) {
  if (seconds <= 0) return;
  meter_.set(now(), PowerState::busy, power_w);
  meter_.set_rails(idle_rails_w());  // the rails' split of CPU work is not modelled: idle rails
  busy_for(seconds);
  go_idle();
  record.energy_j += seconds * power_w;
}

void Device::make_prober() {
  prober_ = std::make_unique<DeviceProber>(
      *this, derive_seed(world_.spec.seed, SeedStream::probe, static_cast<std::uint64_t>(index_)));
}

policies::FrameAction Device::ask_chain(const Request& request, double& cost_s) {
  policies::FrameObservation obs;
  obs.now_s = now();
  obs.device = index_;
  obs.board = &board_;
  obs.model = request.model;
  obs.request_id = request.id;
  obs.arrival_s = request.arrival_s;
  obs.slo_s = request.slo_s;
  obs.complexity = request.complexity;
  obs.clocks = clocks_;
  obs.queue_length = queue_length();
  obs.uplink_bandwidth_bps = uplink_bps_;
  obs.uplink_latency_s = uplink_ != nullptr ? uplink_->get_latency() : 0;
  obs.probe = prober_.get();
  obs.exit_records = request.exit_records;
  obs.exit_record_key = request.exit_record_key;
  if (request.exit_records != nullptr && request.exit_records->has_features()) {
    features_ = request.exit_records->record(request.exit_record_key, request.complexity).features;
    if (!features_.empty()) obs.features = &features_;
  }
  policies::FrameAction merged;
  obs.decided = &merged;
  checkpoints_.clear();
  double reported_s = 0;
  const bool measured = cost_kind_ == CostKind::measured;  // rare: the clock read only then
  const auto wall_start =
      measured ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  for (const auto& [policy, roles] : chain_) {
    policies::FrameAction a = policy->on_frame(obs);
    for (const auto role : roles) {
      switch (role) {
        case policies::Role::exit:
          merged.exit_after_unit = a.exit_after_unit;
          break;
        case policies::Role::placement:
          merged.edge_units = a.edge_units;
          merged.offload_share = a.offload_share;
          merged.input_bytes_per_element = a.input_bytes_per_element;
          break;
        case policies::Role::clocks:
          merged.clocks = std::move(a.clocks);
          break;
        case policies::Role::batching:
          break;
      }
    }
    for (const auto& c : a.checkpoints) checkpoints_.push_back({c.after_unit, c.run_head, policy});
    if (a.decision_s > 0) reported_s += a.decision_s;
  }
  const auto& dc = decision_cost_;
  if (dc.cost == "fixed") {
    cost_s = dc.cost_s;
  } else if (dc.cost == "reported") {
    cost_s = reported_s;
  } else if (dc.cost == "measured") {
    cost_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count() *
             dc.board_seconds_per_host_second;
  } else {
    cost_s = 0;
  }
  std::stable_sort(
      checkpoints_.begin(), checkpoints_.end(),
      [](const FrameCheckpoint& a, const FrameCheckpoint& b) { return a.after_unit < b.after_unit; });
  return merged;
}

double Device::cpu_busy_power_w() {
  if (cpu_busy_w_at_ < 0 || cpu_busy_clocks_ != clocks_) {
    cpu_busy_w_at_ = world_.power_model.cpu_busy_power_w(board_, to_setting(clocks_));
    cpu_busy_clocks_ = clocks_;
  }
  return cpu_busy_w_at_;
}

policies::FrameAction Device::decide(const Request& request, RequestRecord& record) {
  if (chain_.empty()) return {};
  // Offloaded requests still out: on the fast path the engine catches up first, so that the
  // outcomes due by now reach the policies before they decide (as on the per-activity path).
  if (fast_.enabled && outcomes_in_flight_ > 0) sync_engine();
  double cost_s = 0;
  policies::FrameAction action = ask_chain(request, cost_s);
  // Probes the policies ran on the device: the device is busy with them before anything else.
  const auto [probe_s, probe_j] = prober_->take();
  if (probe_s > 0) charge_cpu_work(probe_s, probe_j / probe_s, record);
  record.decision_s = cost_s;
  if (has_next_action_) {
    // Thinking while moving: this frame runs with the action decided at the previous frame; the
    // one just decided waits for the next frame. The decision's core works while the frame runs:
    // only its dynamic power is added.
    if (cost_s > 0) {
      const double extra_j = cost_s * (cpu_busy_power_w() - idle_power_w());
      meter_.add_j(PowerState::busy, extra_j);
      record.energy_j += extra_j;
    }
    std::swap(action, next_action_);
    std::swap(checkpoints_, next_checkpoints_);
    return action;
  }
  // The frame waits for its decision (and so does the first frame in concurrent mode).
  if (cost_s > 0) charge_cpu_work(cost_s, cpu_busy_power_w(), record);
  if (concurrent_) {
    next_action_ = action;
    next_checkpoints_ = checkpoints_;
    has_next_action_ = true;
  }
  return action;
}

int Device::run_with_checkpoints(const Request& request, int first, int last, policies::FrameAction& action,
                                 RequestRecord& record, int& head_ran_at) {
  const traces::Model& model = *request.model;
  if (checkpoints_.empty()) {
    record.energy_j += run_local(model, first, last, action.clocks, record);
    return last;
  }
  // The checkpoints are this frame's: a later frame's decision (concurrent mode) refills them.
  const std::vector<FrameCheckpoint> checkpoints = std::move(checkpoints_);
  checkpoints_.clear();
  std::vector<policies::ClockSegment> segments = std::move(action.clocks);
  int next = first;  // first unit not run yet
  for (const auto& cp : checkpoints) {
    if (cp.after_unit < first || cp.after_unit > last) continue;
    if (cp.after_unit >= next) {
      record.energy_j += run_local(model, next, cp.after_unit, segments, record);
      next = cp.after_unit + 1;
    }
    policies::UnitObservation obs;
    if (cp.run_head && head_ran_at != cp.after_unit &&
        std::any_of(model.exits.begin(), model.exits.end(),
                    [&](const traces::ExitPoint& e) { return e.after_unit == cp.after_unit; })) {
      record.energy_j += run_head(model, cp.after_unit);
      head_ran_at = cp.after_unit;
      obs.head = head_output(request, cp.after_unit);
    }
    obs.now_s = now();
    obs.device = index_;
    obs.board = &board_;
    obs.model = &model;
    obs.request_id = request.id;
    obs.after_unit = cp.after_unit;
    obs.last_unit = last;
    obs.clocks = clocks_;
    obs.elapsed_s = now() - record.start_s;
    obs.energy_j = record.energy_j;
    obs.probe = prober_.get();
    const policies::UnitAction ua = cp.policy->on_unit(obs);
    const auto [probe_s, probe_j] = prober_->take();
    if (probe_s > 0) charge_cpu_work(probe_s, probe_j / probe_s, record);
    if (ua.stop && obs.head.ran) return cp.after_unit;
    if (ua.change_clocks) {
      segments.clear();
      for (const auto& seg : ua.clocks) {
        if (seg.first_unit > cp.after_unit) segments.push_back(seg);
      }
    }
  }
  if (next <= last) record.energy_j += run_local(model, next, last, segments, record);
  return last;
}

policies::HeadOutput Device::head_output(const Request& request, int after_unit) const {
  policies::HeadOutput out;
  out.ran = true;
  if (request.exit_records != nullptr) {
    const traces::ExitOutcome o = request_exit_outcome(request, after_unit);
    out.confidence = o.confidence;
    out.correct = o.correct ? 1 : 0;
  }
  return out;
}

void Device::complete(RequestRecord& record) {
  world_.complete(record);
  if (outcome_policies_.empty()) return;
  policies::Outcome o;
  o.request_id = record.id;
  o.device = index_;
  o.model = &world_.catalog.model(record.model);
  o.status = policies::OutcomeStatus::completed;
  o.arrival_s = record.arrival_s;
  o.start_s = record.start_s;
  o.end_s = record.end_s;
  o.latency_s = record.latency_s();
  o.decision_s = record.decision_s;
  o.device_energy_j = record.energy_j - record.radio_energy_j;
  o.radio_energy_j = record.radio_energy_j;
  o.cloud_energy_j = record.cloud_energy_j;
  o.accuracy = record.accuracy;
  o.correct = record.correct;
  o.exit_after_unit = record.exit_after_unit;
  o.edge_units = record.edge_units;
  o.offload_share = record.offload_share;
  o.slo_s = record.slo_s;
  o.slo_met = record.slo_met();
  deliver(o);
}

void Device::drop(const Request& request) {
  ++dropped_;
  if (outcome_policies_.empty()) return;
  policies::Outcome o;
  o.request_id = request.id;
  o.device = index_;
  o.model = request.model;
  o.status = policies::OutcomeStatus::dropped;
  o.arrival_s = o.start_s = o.end_s = request.arrival_s;
  o.slo_s = request.slo_s;
  o.slo_met = false;
  o.exit_after_unit = policies::kNoExit;
  deliver(o);
}

void Device::deliver(const policies::Outcome& outcome) {
  for (auto* p : outcome_policies_) p->on_outcome(outcome);
}

}  // namespace edgetwin::sim::detail

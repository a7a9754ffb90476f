// A device's frame decisions (docs/policies.md, "Decision points"): the chain of policies asked at
// a frame (exit, then placement, then clocks; one instance may play several roles), what the
// decision costs on the device (wait or concurrent mode), checkpoints after units (exit heads,
// new clocks), probes through the execution backend, and the outcomes delivered back.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "edgetwin/common/hash.hpp"

#include "world.hpp"

namespace edgetwin::sim::detail {

namespace {

/// Relative standard deviation of a probe's power reading: the INA3221's shunt/bus quantisation
/// and the sampling of a short window (our assumption, docs/policies.md "Probes").
constexpr double kProbePowerNoiseRel = 0.01;

bool in_table(const std::vector<std::int64_t>& table, std::int64_t value) {
  return std::find(table.begin(), table.end(), value) != table.end();
}

}  // namespace

/// Probes through the device's backend (policies::Prober). A probe's latency is one draw of a
/// normal with the run's traced mean and standard deviation (the units' variances added),
/// truncated at a tenth of the mean; its power the run's mean power times (1 + 1 % noise).
/// Measuring at other clocks than the device's costs the transitions there and back.
class DeviceProber final : public policies::Prober {
 public:
  DeviceProber(Device& device, std::uint64_t seed) : device_(device), state_(seed) {}

  policies::ProbeResult measure(const policies::ProbeRequest& r) override {
    const auto& board = device_.board_;
    if (r.model == nullptr) throw std::invalid_argument("probe: no model named");
    const auto& models = device_.world_.spec.groups[static_cast<std::size_t>(device_.group_)].models;
    if (std::find(models.begin(), models.end(), r.model->id) == models.end())
      throw std::invalid_argument("probe: model " + r.model->id + " is not deployed on device " +
                                  std::to_string(device_.index_));
    const int n = static_cast<int>(r.model->units.size());
    if (r.first_unit < 0 || r.end_unit > n || r.first_unit >= r.end_unit)
      throw std::invalid_argument("probe: units [" + std::to_string(r.first_unit) + ", " +
                                  std::to_string(r.end_unit) + ") of model " + r.model->id +
                                  "; allowed: 0 <= first < end <= " + std::to_string(n));
    if (!in_table(board.cpu_freqs_khz, r.clocks.cpu_khz) || !in_table(board.gpu_freqs_hz, r.clocks.gpu_hz) ||
        !in_table(board.emc_freqs_hz, r.clocks.emc_hz))
      throw std::invalid_argument("probe: clocks not in the tables of board " + board.id);
    if (r.batch < 1) throw std::invalid_argument("probe: batch must be >= 1");
    UnitsQuery q;
    q.board = &board;
    q.model = r.model;
    q.first = r.first_unit;
    q.last = r.end_unit - 1;
    q.clocks = r.clocks;
    q.batch = r.batch;
    const RunSums run = device_.backend_.run_units(q);
    const double mean_w = run.energy_j / run.latency_s;
    policies::ProbeResult result;
    result.latency_s =
        std::max(0.1 * run.latency_s, run.latency_s + std::sqrt(run.latency_var_s2) * normal());
    result.power_w = mean_w * (1.0 + kProbePowerNoiseRel * normal());
    result.energy_j = result.latency_s * result.power_w;
    ++probes_;
    if (!r.on_device) return result;
    // Clocks switched for the probe and back: each changed domain twice, idle meanwhile.
    double switch_s = 0, switch_j = 0;
    const std::pair<bool, traces::ClockDomain> changes[] = {
        {r.clocks.cpu_khz != device_.clocks_.cpu_khz, traces::ClockDomain::cpu},
        {r.clocks.gpu_hz != device_.clocks_.gpu_hz, traces::ClockDomain::gpu},
        {r.clocks.emc_hz != device_.clocks_.emc_hz, traces::ClockDomain::emc}};
    for (const auto& [changed, domain] : changes) {
      if (!changed) continue;
      switch_s += 2 * board.transition(domain).latency_s;
      switch_j += 2 * board.transition(domain).energy_j;
    }
    charged_s += result.latency_s + switch_s;
    charged_j += result.energy_j + switch_j + switch_s * device_.idle_power_w();
    return result;
  }

  /// Time and energy the probes on the device took since the last take(); resets them.
  std::pair<double, double> take() {
    const std::pair<double, double> out{charged_s, charged_j};
    charged_s = charged_j = 0;
    return out;
  }
  long probes() const { return probes_; }

 private:
  /// A standard normal draw (Box-Muller on the device's own splitmix64 sequence: portable and
  /// independent of the call order of other devices).
  double normal() {
    state_ = common::splitmix64(state_);
    const double u1 = std::max(common::uniform01(state_), 1e-300);
    state_ = common::splitmix64(state_);
    const double u2 = common::uniform01(state_);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  Device& device_;
  std::uint64_t state_;
  double charged_s = 0;
  double charged_j = 0;
  long probes_ = 0;
};

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

policies::FrameAction Device::ask_chain(const Request& request, double& cost_s) {
  if (!prober_) {
    prober_ = std::make_unique<DeviceProber>(
        *this, derive_seed(world_.spec.seed, SeedStream::probe, static_cast<std::uint64_t>(index_)));
  }
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
  if (request.exit_records != nullptr) {
    // Features of the frame (exit records read from a file may carry them; the generator's have none).
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
  const auto [probe_s, probe_j] = static_cast<DeviceProber&>(*prober_).take();
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
    const auto [probe_s, probe_j] = static_cast<DeviceProber&>(*prober_).take();
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

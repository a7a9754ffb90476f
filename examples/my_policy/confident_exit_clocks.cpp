// "confident_exit_clocks": an exit + clocks policy that uses every hook of the decision interface.
//
// - Roles: it plays exit and clocks in one instance (scenario key "exit+clocks"), so one on_frame
//   call answers both, and the clocks it picks know which units will run.
// - Checkpoints: at every frame it asks to be consulted after each exit of the model with the exit
//   head run first; in on_unit it stops the frame when the head's confidence reaches its
//   threshold. Heads it evaluates and passes still cost their time and energy.
// - Probes: every `probe_every` frames it measures, on the device, the units up to the model's
//   middle exit at the lowest GPU clock of the power mode, and runs the frame at that clock if the
//   measured time, scaled to the whole model, fits `slo_share` of the frame's SLO; else at the
//   maximum. The probes cost the device their time and energy.
// - Outcomes: a missed SLO lowers the threshold by `step` (exit earlier next time); a wrong answer
//   from an early exit raises it by `step`, a right one lowers it by `step` / 4; within [0.5, 0.99].

#include "confident_exit_clocks.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "edgetwin/policies/clock_tables.hpp"

namespace my_policy {

namespace pol = edgetwin::policies;

namespace {

class ConfidentExitClocks final : public pol::Policy {
 public:
  ConfidentExitClocks(pol::ClockTables tables, double threshold, double step, int probe_every,
                      double slo_share)
      : tables_(std::move(tables)),
        threshold_(threshold),
        step_(step),
        probe_every_(probe_every),
        slo_share_(slo_share) {}

  pol::FrameAction on_frame(const pol::FrameObservation& obs) override {
    const auto& model = *obs.model;
    pol::FrameAction action;
    for (const auto& e : model.exits) action.checkpoints.push_back({e.after_unit, /*run_head=*/true});
    if (frames_++ % probe_every_ == 0) choose_gpu(obs);
    pol::Clocks wanted = tables_.max();
    wanted.gpu_hz = gpu_hz_;
    if (wanted != obs.clocks) action.clocks.push_back({0, wanted});
    return action;
  }

  pol::UnitAction on_unit(const pol::UnitObservation& obs) override {
    pol::UnitAction action;
    // Unknown confidence (a workload without exit records) never stops the frame.
    action.stop = obs.head.ran && obs.head.confidence >= threshold_;
    return action;
  }

  bool wants_outcomes() const override { return true; }

  void on_outcome(const pol::Outcome& outcome) override {
    if (outcome.status != pol::OutcomeStatus::completed) return;
    if (!outcome.slo_met) threshold_ -= step_;
    // Only the answers of early exits say something about the threshold.
    if (outcome.exit_after_unit >= 0 && outcome.correct == 0) threshold_ += step_;
    if (outcome.exit_after_unit >= 0 && outcome.correct == 1) threshold_ -= step_ / 4;
    threshold_ = std::clamp(threshold_, 0.5, 0.99);
  }

 private:
  // Probe the first half of the model (up to its middle exit) at the lowest GPU clock.
  void choose_gpu(const pol::FrameObservation& obs) {
    const auto& model = *obs.model;
    gpu_hz_ = tables_.gpu_hz.back();
    if (model.exits.empty() || obs.probe == nullptr || obs.slo_s <= 0) return;
    const int end = model.exits[model.exits.size() / 2].after_unit + 1;
    pol::Clocks slow = tables_.max();
    slow.gpu_hz = tables_.gpu_hz.front();
    const pol::ProbeResult r = obs.probe->measure({&model, 0, end, slow, 1, /*on_device=*/true});
    const double whole_s = r.latency_s * static_cast<double>(model.units.size()) / end;
    if (whole_s <= slo_share_ * obs.slo_s) gpu_hz_ = slow.gpu_hz;
  }

  pol::ClockTables tables_;
  double threshold_;
  double step_;
  int probe_every_;
  double slo_share_;
  long frames_ = 0;
  std::int64_t gpu_hz_ = 0;
};

/// The number at `key` of `p` (default `fallback`) in [lo, hi], else a ParamError naming it.
double number_param(const nlohmann::json& p, const char* key, double fallback, double lo, double hi) {
  const nlohmann::json v = p.value(key, nlohmann::json(fallback));
  if (!v.is_number() || v.get<double>() < lo || v.get<double>() > hi) {
    throw pol::ParamError("policy 'confident_exit_clocks'", key,
                          "found " + v.dump() + ", allowed: a number in [" + std::to_string(lo) + ", " +
                              std::to_string(hi) + "]");
  }
  return v.get<double>();
}

}  // namespace

pol::PolicyInfo confident_exit_clocks_info() {
  pol::PolicyInfo info;
  info.name = "confident_exit_clocks";
  info.roles = {pol::Role::exit, pol::Role::clocks};
  info.summary = "stops at the first confident exit head; GPU clock from probes; threshold from outcomes";
  info.params = {
      {"threshold", "0.8", "head confidence at which the frame stops, initially, 0.5..0.99"},
      {"step", "0.01", "threshold change per missed SLO (down) or wrong answer (up), 0..0.1"},
      {"probe_every", "100", "frames between two probes of the slow GPU clock, 1..100000"},
      {"slo_share", "0.5", "share of the SLO the model may take at the slow clock, 0.05..1"},
  };
  info.make = [](const nlohmann::json& params,
                 const pol::PolicyContext& ctx) -> std::unique_ptr<pol::Policy> {
    const nlohmann::json p = params.is_null() ? nlohmann::json::object() : params;
    if (!p.is_object()) {
      throw pol::ParamError("policy 'confident_exit_clocks'", "",
                            "found " + p.dump() + ", allowed: a JSON object");
    }
    for (const auto& [key, value] : p.items()) {
      if (key != "threshold" && key != "step" && key != "probe_every" && key != "slo_share") {
        throw pol::ParamError("policy 'confident_exit_clocks'", key,
                              "unknown parameter; allowed: threshold, step, probe_every, slo_share");
      }
    }
    const double threshold = number_param(p, "threshold", 0.8, 0.5, 0.99);
    const double step = number_param(p, "step", 0.01, 0, 0.1);
    const double probe_every = number_param(p, "probe_every", 100, 1, 100000);
    const double slo_share = number_param(p, "slo_share", 0.5, 0.05, 1);
    if (probe_every != std::floor(probe_every)) {
      throw pol::ParamError("policy 'confident_exit_clocks'", "probe_every",
                            "found " + p.at("probe_every").dump() + ", allowed: an integer in [1, 100000]");
    }
    return std::make_unique<ConfidentExitClocks>(pol::ClockTables::for_mode(*ctx.board, ctx.power_mode),
                                                 threshold, step, static_cast<int>(probe_every), slo_share);
  };
  return info;
}

}  // namespace my_policy

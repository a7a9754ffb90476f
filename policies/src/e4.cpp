// e4: E4 (Zhang et al., AAAI 2025), our reconstruction (docs/e4.md). Exit role: the frame's exit
// point (none, a fixed exit, or the attention cascade); clocks role: the JIT profiler's
// coordinate descent over CPU and GPU levels for the units before the exit.

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "builtin.hpp"
#include "edgetwin/policies/jit_profiler.hpp"
#include "param_reader.hpp"

namespace edgetwin::policies {

namespace {

/// `count` levels of an ascending table, evenly spaced by index, the highest always included.
std::vector<std::int64_t> spread_levels(const std::vector<std::int64_t>& table, int count) {
  const int n = static_cast<int>(table.size());
  if (count >= n) return table;
  std::vector<std::int64_t> out;
  for (int i = 0; i < count; ++i) {
    const int idx = count == 1 ? n - 1 : static_cast<int>(std::lround(static_cast<double>(i) * (n - 1) / (count - 1)));
    if (out.empty() || out.back() != table[static_cast<std::size_t>(idx)])
      out.push_back(table[static_cast<std::size_t>(idx)]);
  }
  return out;
}

struct E4Params {
  int fixed_exit = kNoExit;  ///< exit mode "fixed": the unit; kNoExit = run to the model's head
  bool dvfs = true;
  bool probe_on_device = true;
  double deadline_share = 0.9;
  double deadline_s = 0;
  double search_s_per_evaluation = 0;
  double decision_s = 0;
};

class E4 final : public Policy {
 public:
  E4(E4Params p, JitProfilerConfig jit, Clocks max_clocks)
      : p_(p), jit_(std::move(jit)), max_(max_clocks) {}

  std::optional<Clocks> initial_clocks() const override { return max_; }

  FrameAction on_frame(const FrameObservation& obs) override {
    FrameAction a;
    if (obs.model == nullptr) return a;
    const traces::Model& model = *obs.model;
    const int units = static_cast<int>(model.units.size());
    // Exit role: ours; when this instance plays clocks only, the exit another policy decided.
    int exit = p_.fixed_exit;
    if (obs.decided != nullptr && obs.decided->exit_after_unit != kNoExit) exit = obs.decided->exit_after_unit;
    if (exit != kNoExit && !std::any_of(model.exits.begin(), model.exits.end(),
                                        [&](const traces::ExitPoint& x) { return x.after_unit == exit; }))
      exit = kNoExit;  // the frame's model has no exit there: run it whole
    a.exit_after_unit = exit;
    // Clocks role: units [0, end) run at the planned clocks; the exit head (or the model's last
    // units when the exit is past them) at the last segment's.
    const int end = exit == kNoExit ? units : std::min(units, exit + 1);
    double decision = p_.decision_s;
    if (!p_.dvfs || obs.probe == nullptr) {
      a.clocks = {{0, max_}};
    } else {
      double deadline = p_.deadline_s;
      if (obs.slo_s > 0) deadline = p_.deadline_share * obs.slo_s - (obs.now_s - obs.arrival_s);
      if (obs.slo_s <= 0 && p_.deadline_s <= 0) deadline = 0;
      if (obs.slo_s > 0 && deadline <= 0) deadline = 1e-9;  // already late: as fast as possible
      Prober& prober = *obs.probe;
      const bool on_device = p_.probe_on_device;
      const JitPlan plan = jit_.plan(model, end, obs.clocks, deadline,
                                     [&](const traces::Model& m, int unit, const Clocks& c) {
                                       ProbeRequest r;
                                       r.model = &m;
                                       r.first_unit = unit;
                                       r.end_unit = unit + 1;
                                       r.clocks = c;
                                       r.on_device = on_device;
                                       const ProbeResult res = prober.measure(r);
                                       return UnitCost{res.latency_s, res.energy_j};
                                     });
      a.clocks = plan.segments;
      decision += p_.search_s_per_evaluation * static_cast<double>(plan.evaluations);
    }
    a.decision_s = decision;
    return a;
  }

  const JitProfiler& profiler() const { return jit_; }

 private:
  E4Params p_;
  JitProfiler jit_;
  Clocks max_;
};

}  // namespace

PolicyInfo e4_info() {
  PolicyInfo info;
  info.name = "e4";
  info.roles = {Role::exit, Role::clocks};
  info.summary =
      "E4 (AAAI 2025, our reconstruction): per-frame exit, then a JIT profiler's coordinate descent over CPU "
      "and GPU levels for the units before it (docs/e4.md)";
  info.params = {
      {"exit", "\"none\"",
       "exit role: \"none\" (run to the model's head) or a unit index with an exit head (a fixed exit); "
       "playing clocks only, the exit role's decision is used"},
      {"dvfs", "true", "clocks role: the JIT profiler (true) or every unit at the highest clocks (false)"},
      {"cpu_levels", "4", "CPU levels searched: this many of the mode's table, evenly spaced, highest included, 1..64"},
      {"gpu_levels", "5", "GPU levels searched, as cpu_levels, 1..64"},
      {"max_rounds", "4", "coordinate-descent rounds per group of units, 1..100"},
      {"max_probes_per_frame", "8",
       "probes a frame's plan may make beyond the highest levels (always measured); 0 = unlimited"},
      {"probe_on_device", "true",
       "true: probes run on the device, their time and energy charged to the frame (JIT); false: free"},
      {"deadline_share", "0.9", "with an SLO, the plan's deadline is this share of it minus the time waited, (0, 1]"},
      {"deadline_s", "0", "without an SLO: the plan's deadline, s (0 = none)"},
      {"search_s_per_evaluation", "2e-06",
       "reported decision time per objective evaluation of the search, s (decision cost \"reported\")"},
      {"decision_s", "0", "reported decision time per frame besides the search, s"},
  };
  info.make = [params = info.params](const nlohmann::json& p, const PolicyContext& ctx) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'e4'", p, params);
    const ClockTables tables = context_tables(ctx, reader.who());
    E4Params e;
    const auto& exit = reader.value("exit");
    if (exit.is_string() && exit.get<std::string>() == "none") {
      e.fixed_exit = kNoExit;
    } else if (exit.is_number_integer() && exit.get<long long>() >= 0 && exit.get<long long>() < 100000) {
      e.fixed_exit = exit.get<int>();
      for (const auto* m : ctx.models) {
        if (m == nullptr) continue;
        const bool ok = std::any_of(m->exits.begin(), m->exits.end(),
                                    [&](const traces::ExitPoint& x) { return x.after_unit == e.fixed_exit; });
        if (!ok) {
          std::string allowed;
          for (const auto& x : m->exits) allowed += (allowed.empty() ? "" : ", ") + std::to_string(x.after_unit);
          reader.fail("exit", "found " + exit.dump() + ", but model " + m->id +
                                  " has no exit head after that unit; allowed: \"none\" or one of " + allowed);
        }
      }
    } else {
      reader.fail("exit", "found " + exit.dump() + ", allowed: \"none\" or a unit index with an exit head");
    }
    if (!reader.value("dvfs").is_boolean())
      reader.fail("dvfs", "found " + reader.value("dvfs").dump() + ", allowed: true or false");
    e.dvfs = reader.value("dvfs").get<bool>();
    if (!reader.value("probe_on_device").is_boolean())
      reader.fail("probe_on_device", "found " + reader.value("probe_on_device").dump() + ", allowed: true or false");
    e.probe_on_device = reader.value("probe_on_device").get<bool>();
    e.deadline_share = reader.number("deadline_share", 0.0, 1.0);
    if (e.deadline_share <= 0)
      reader.fail("deadline_share", "found " + reader.value("deadline_share").dump() + ", allowed: (0, 1]");
    e.deadline_s = reader.number("deadline_s", 0.0, 3600.0);
    e.search_s_per_evaluation = reader.number("search_s_per_evaluation", 0.0, 1.0);
    e.decision_s = reader.number("decision_s", 0.0, 10.0);
    JitProfilerConfig jit;
    jit.cpu_khz = spread_levels(tables.cpu_khz, reader.integer("cpu_levels", 1, 64));
    jit.gpu_hz = spread_levels(tables.gpu_hz, reader.integer("gpu_levels", 1, 64));
    jit.emc_hz = tables.max().emc_hz;
    jit.max_rounds = reader.integer("max_rounds", 1, 100);
    jit.max_probes_per_plan = reader.integer("max_probes_per_frame", 0, 1000000);
    jit.cpu_switch_s = ctx.board->cpu_transition.latency_s;
    jit.gpu_switch_s = ctx.board->gpu_transition.latency_s;
    jit.cpu_switch_j = ctx.board->cpu_transition.energy_j;
    jit.gpu_switch_j = ctx.board->gpu_transition.energy_j;
    jit.idle_power_w = ctx.board->idle_power_w;
    return std::make_unique<E4>(e, std::move(jit), tables.max());
  };
  return info;
}

}  // namespace edgetwin::policies

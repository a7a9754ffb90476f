// e4: E4 (Zhang et al., AAAI 2025), our reconstruction (docs/e4.md). Exit role: the frame's exit
// point (none, a fixed exit, or the attention cascade); clocks role: the JIT profiler's
// coordinate descent over CPU and GPU levels for the units before the exit.

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "edgetwin/policies/agent.hpp"
#include "edgetwin/policies/clock_tables.hpp"
#include "edgetwin/policies/jit_profiler.hpp"
#include "edgetwin/traces/exit_records.hpp"

#include "builtin.hpp"
#include "param_reader.hpp"

namespace edgetwin::policies {

namespace {

enum class ExitMode { fixed, cascade, random, oracle };

struct E4Params {
  ExitMode mode = ExitMode::fixed;
  int fixed_exit = kNoExit;    ///< exit mode "fixed": the unit; kNoExit = run to the model's head
  int window = 8;              ///< cascade: frames per input
  int features = 8;            ///< cascade: features per frame
  int heads = 0;               ///< cascade: the model's exits + its final head (classes: + "none right")
  double energy_weight = 0.5;  ///< cascade: an error costs 1, the whole backbone this much
  double cascade_s = 0;        ///< cascade: reported CPU time of one prediction
  bool dvfs = true;
  bool probe_on_device = true;
  double deadline_share = 0.9;
  double deadline_s = 0;
  double search_s_per_evaluation = 0;
  double decision_s = 0;
};

class E4 final : public Policy {
 public:
  E4(E4Params p, JitProfilerConfig jit, Clocks max_clocks, std::shared_ptr<Agent> agent, std::uint64_t seed)
      : p_(p), jit_(std::move(jit)), max_(max_clocks), agent_(std::move(agent)), rng_(seed) {}

  /// MACs share before each head of the cascade's model (the final head: 1).
  void set_shares(std::vector<double> share) { share_ = std::move(share); }

  std::optional<Clocks> initial_clocks() const override { return max_; }

  FrameAction on_frame(const FrameObservation& obs) override {
    FrameAction a;
    if (obs.model == nullptr) return a;
    const traces::Model& model = *obs.model;
    const int units = static_cast<int>(model.units.size());
    // Exit role: ours; when this instance plays clocks only, the exit another policy decided.
    double decision = p_.decision_s;
    int exit = p_.fixed_exit;
    if (p_.mode == ExitMode::cascade) {
      exit = cascade_exit(obs, model);
      decision += p_.cascade_s;
    } else if (p_.mode == ExitMode::oracle) {
      exit = oracle_exit(obs, model);
    } else if (p_.mode == ExitMode::random) {
      const auto k = std::uniform_int_distribution<std::size_t>(0, model.exits.size())(rng_);
      exit = k < model.exits.size() ? model.exits[k].after_unit : kNoExit;
    }
    if (obs.decided != nullptr && obs.decided->exit_after_unit != kNoExit)
      exit = obs.decided->exit_after_unit;
    if (exit != kNoExit && !std::any_of(model.exits.begin(), model.exits.end(),
                                        [&](const traces::ExitPoint& x) { return x.after_unit == exit; }))
      exit = kNoExit;  // the frame's model has no exit there: run it whole
    a.exit_after_unit = exit;
    // Clocks role: units [0, end) run at the planned clocks; the exit head (or the model's last
    // units when the exit is past them) at the last segment's.
    const int end = exit == kNoExit ? units : std::min(units, exit + 1);
    if (!p_.dvfs || obs.probe == nullptr) {
      a.clocks = {{0, max_}};
    } else {
      double deadline = p_.deadline_s;
      if (obs.slo_s > 0) deadline = p_.deadline_share * obs.slo_s - (obs.now_s - obs.arrival_s);
      if (obs.slo_s <= 0 && p_.deadline_s <= 0) deadline = 0;
      if (obs.slo_s > 0 && deadline <= 0) deadline = 1e-9;  // already late: as fast as possible
      Prober& prober = *obs.probe;
      const bool on_device = p_.probe_on_device;
      const JitPlan plan =
          jit_.plan(model, end, obs.clocks, deadline, [&](const traces::Model& m, int unit, const Clocks& c) {
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
  // The attention cascade: the last `window` frames' features (oldest first, zeros before the
  // stream's first frame) in, one logit per head out; the highest logit's head is the exit.
  int cascade_exit(const FrameObservation& obs, const traces::Model& model) {
    if (obs.features == nullptr || static_cast<int>(obs.features->size()) != p_.features) {
      throw std::invalid_argument(
          "policy 'e4': exit \"cascade\" needs " + std::to_string(p_.features) +
          " features per frame, found " + std::to_string(obs.features == nullptr ? 0 : obs.features->size()) +
          "; give the video stream exit_records with as many features (docs/exit_records.md), or set "
          "\"features\"");
    }
    if (static_cast<int>(model.exits.size()) + 1 != p_.heads) {
      throw std::invalid_argument("policy 'e4': exit \"cascade\" was built for " + std::to_string(p_.heads) +
                                  " heads; model " + model.id + " has " +
                                  std::to_string(model.exits.size() + 1));
    }
    history_.push_back(*obs.features);
    while (static_cast<int>(history_.size()) > p_.window) history_.pop_front();
    input_.assign(static_cast<std::size_t>(p_.window - static_cast<int>(history_.size())) *
                      static_cast<std::size_t>(p_.features),
                  0.0f);
    for (const auto& f : history_) input_.insert(input_.end(), f.begin(), f.end());
    const std::vector<float> logits = agent_->predict(input_);
    if (logits.size() != static_cast<std::size_t>(p_.heads) + 1)
      throw std::logic_error("policy 'e4': the cascade answered " + std::to_string(logits.size()) +
                             " logits");
    // Softmax: P(the first right head is k), k = heads meaning none is. Right answers are
    // nested (a frame right at a head is right at every later one), so P(right at e) is the sum
    // up to e; the exit minimises 1 - P(right at e) + energy_weight x MACs share(e).
    const float top = *std::max_element(logits.begin(), logits.end());
    std::vector<double> p(logits.size());
    double sum = 0;
    for (std::size_t i = 0; i < logits.size(); ++i)
      sum += (p[i] = std::exp(static_cast<double>(logits[i] - top)));
    double right = 0, best = std::numeric_limits<double>::infinity();
    std::size_t choice = model.exits.size();
    for (std::size_t e = 0; e <= model.exits.size(); ++e) {
      right += p[e] / sum;
      const double cost = 1 - right + p_.energy_weight * share_[e];
      if (cost < best - 1e-12) {
        best = cost;
        choice = e;
      }
    }
    return choice < model.exits.size() ? model.exits[choice].after_unit : kNoExit;
  }

  // The upper bound: from the frame's exit record, the head minimising (1 - right) +
  // energy_weight x MACs share (the earliest right head, or the first exit when none is right or
  // the right one costs more than an error).
  int oracle_exit(const FrameObservation& obs, const traces::Model& model) const {
    if (obs.exit_records == nullptr) {
      throw std::invalid_argument(
          "policy 'e4': exit \"oracle\" needs exit records on the video stream (docs/exit_records.md)");
    }
    double best = std::numeric_limits<double>::infinity();
    std::size_t choice = model.exits.size();
    for (std::size_t e = 0; e <= model.exits.size(); ++e) {
      const int after = e < model.exits.size() ? model.exits[e].after_unit : kNoExit;
      const bool right = obs.exit_records->outcome(obs.exit_record_key, obs.complexity, after).correct;
      const double cost = (right ? 0.0 : 1.0) + p_.energy_weight * share_[e];
      if (cost < best - 1e-12) {
        best = cost;
        choice = e;
      }
    }
    return choice < model.exits.size() ? model.exits[choice].after_unit : kNoExit;
  }

  E4Params p_;
  JitProfiler jit_;
  Clocks max_;
  std::shared_ptr<Agent> agent_;
  std::mt19937_64 rng_;
  std::deque<std::vector<float>> history_;
  std::vector<float> input_;
  std::vector<double> share_;
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
       "exit role: \"none\" (run to the model's head), a unit index with an exit head (a fixed exit), "
       "\"cascade\" (the attention cascade, from a checkpoint), \"oracle\" (the upper bound: reads the "
       "frame's "
       "exit record) or \"random\" (a head drawn uniformly per frame); playing clocks only, the exit role's "
       "decision is used"},
      {"window", "8", "cascade: frames whose features the attention pools, 1..256"},
      {"features", "8", "cascade: features per frame (the exit records' feature count), 1..256"},
      {"hidden", "[64, 64]", "cascade: hidden layers of the network after the attention pooling"},
      {"key_dim", "16", "cascade: attention key size, 1..256"},
      {"seconds_per_mac", "1e-09",
       "cascade: reported CPU time per multiply-accumulate of a prediction, s (1 GMAC/s: one ARM core)"},
      {"energy_weight", "0.5",
       "cascade and oracle: the accuracy/energy trade-off: the exit minimises P(wrong) + this x the MACs "
       "share "
       "before it, >= 0"},
      {"network", "\"e4_cascade\"", "cascade: the network's name (checkpoint folder / manifest)"},
      {"checkpoint", "\"\"", "cascade: checkpoint to evaluate; or edgetwin run --checkpoint"},
      {"dvfs", "true", "clocks role: the JIT profiler (true) or every unit at the highest clocks (false)"},
      {"cpu_levels", "4",
       "CPU levels searched: this many of the mode's table, evenly spaced, highest included, 1..64"},
      {"gpu_levels", "5", "GPU levels searched, as cpu_levels, 1..64"},
      {"max_rounds", "4", "coordinate-descent rounds per group of units, 1..100"},
      {"max_probes_per_frame", "8",
       "probes a frame's plan may make beyond the highest levels (always measured); 0 = unlimited"},
      {"probe_on_device", "true",
       "true: probes run on the device, their time and energy charged to the frame (JIT); false: free"},
      {"deadline_share", "0.9",
       "with an SLO, the plan's deadline is this share of it minus the time waited, (0, 1]"},
      {"deadline_s", "0", "without an SLO: the plan's deadline, s (0 = none)"},
      {"search_s_per_evaluation", "2e-06",
       "reported decision time per objective evaluation of the search, s (decision cost \"reported\")"},
      {"decision_s", "0", "reported decision time per frame besides the search, s"},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext& ctx) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'e4'", p, params);
    const ClockTables tables = context_tables(ctx, reader.who());
    E4Params e;
    const auto& exit = reader.value("exit");
    if (exit.is_string() && exit.get<std::string>() == "none") {
      e.fixed_exit = kNoExit;
    } else if (exit.is_string() && exit.get<std::string>() == "cascade") {
      e.mode = ExitMode::cascade;
    } else if (exit.is_string() && exit.get<std::string>() == "oracle") {
      e.mode = ExitMode::oracle;
    } else if (exit.is_string() && exit.get<std::string>() == "random") {
      e.mode = ExitMode::random;
    } else if (exit.is_number_integer() && exit.get<long long>() >= 0 && exit.get<long long>() < 100000) {
      e.fixed_exit = exit.get<int>();
      for (const auto* m : ctx.models) {
        if (m == nullptr) continue;
        const bool ok = std::any_of(m->exits.begin(), m->exits.end(),
                                    [&](const traces::ExitPoint& x) { return x.after_unit == e.fixed_exit; });
        if (!ok) {
          std::string allowed;
          for (const auto& x : m->exits)
            allowed += (allowed.empty() ? "" : ", ") + std::to_string(x.after_unit);
          reader.fail("exit", "found " + exit.dump() + ", but model " + m->id +
                                  " has no exit head after that unit; allowed: \"none\" or one of " +
                                  allowed);
        }
      }
    } else {
      reader.fail(
          "exit",
          "found " + exit.dump() +
              ", allowed: \"none\", \"cascade\", \"oracle\", \"random\" or a unit index with an exit head");
    }
    e.dvfs = reader.boolean("dvfs");
    e.probe_on_device = reader.boolean("probe_on_device");
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
    std::shared_ptr<Agent> agent;
    e.window = reader.integer("window", 1, 256);
    e.features = reader.integer("features", 1, 256);
    const int key_dim = reader.integer("key_dim", 1, 256);
    const auto& hidden = reader.value("hidden");
    if (!hidden.is_array() || !std::all_of(hidden.begin(), hidden.end(), [](const nlohmann::json& h) {
          return h.is_number_integer() && h.get<long long>() >= 1 && h.get<long long>() <= 4096;
        }))
      reader.fail("hidden", "found " + hidden.dump() + ", allowed: a list of layer sizes 1..4096");
    const double seconds_per_mac = reader.number("seconds_per_mac", 0.0, 1.0);
    if (e.mode == ExitMode::cascade) {
      const traces::Model* model = ctx.models.empty() ? nullptr : ctx.models.front();
      if (model == nullptr || ctx.models.size() != 1)
        reader.fail("exit", "\"cascade\" needs exactly one model deployed on the device");
      e.heads = static_cast<int>(model->exits.size()) + 1;
      AgentRequest request;
      request.policy = "e4";
      request.network = reader.text("network");
      if (request.network.empty()) request.network = "e4_cascade";
      request.checkpoint = reader.text("checkpoint");
      request.learner = {
          {"kind", "supervised"},
          {"task", "classification"},
          {"inputs", e.window * e.features},
          {"outputs", e.heads + 1},
          {"hidden", hidden},
          {"sequence",
           {{"window", e.window}, {"features", e.features}, {"pool", "attention"}, {"key_dim", key_dim}}}};
      for (int t = 0; t < e.window; ++t)
        for (int j = 0; j < e.features; ++j)
          request.state_names.push_back("f" + std::to_string(t) + "_" + std::to_string(j));
      for (const auto& x : model->exits)
        request.action_names.push_back("exit_after_" + std::to_string(x.after_unit));
      request.action_names.push_back("final");
      request.action_names.push_back("none_right");
      // Multiply-accumulates of one prediction: the three [F, d] projections of every frame, the
      // attention scores and the pooling, then the MLP on [last frame, pooled].
      double macs = 3.0 * e.window * e.features * key_dim + 2.0 * e.window * key_dim;
      int in = e.features + key_dim;
      for (const auto& h : hidden) {
        macs += static_cast<double>(in) * h.get<int>();
        in = h.get<int>();
      }
      macs += static_cast<double>(in) * (e.heads + 1);
      e.cascade_s = macs * seconds_per_mac;
      if (!ctx.agents) {
        reader.fail(
            "exit",
            "\"cascade\" is learned: train it from exit records (`edgetwin traces exit-dataset`, then "
            "`edgetwin train --dataset`) and evaluate with `edgetwin run FILE --checkpoint DIR` "
            "(docs/e4.md)");
      }
      agent = ctx.agents(request);
    }
    e.energy_weight = reader.number("energy_weight", 0.0, 1e6);
    auto policy = std::make_unique<E4>(e, std::move(jit), tables.max(), std::move(agent), ctx.seed);
    if (e.mode == ExitMode::cascade || e.mode == ExitMode::oracle) {
      if (ctx.models.size() != 1 || ctx.models.front() == nullptr)
        reader.fail("exit", "found " + exit.dump() + ": needs exactly one model deployed on the device");
      const traces::Model& m = *ctx.models.front();
      const double total = static_cast<double>(std::max<std::int64_t>(1, m.total_macs()));
      std::vector<double> share;
      for (const auto& x : m.exits) {
        double before = 0;
        for (int i = 0; i <= x.after_unit; ++i)
          before += static_cast<double>(m.units[static_cast<std::size_t>(i)].macs);
        share.push_back(before / total);
      }
      share.push_back(1.0);
      policy->set_shares(std::move(share));
    }
    return policy;
  };
  return info;
}

}  // namespace edgetwin::policies

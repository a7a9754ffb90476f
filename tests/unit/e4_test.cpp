// E4's JIT profiler and the e4 policy, engine-free: coordinate descent against exhaustive search
// on small grids, a hand-traced two-unit plan (probes, merging, the price of time), and the
// policy's exits, clocks and parameter errors (docs/e4.md).

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edgetwin/policies/clock_tables.hpp"
#include "edgetwin/policies/jit_profiler.hpp"
#include "edgetwin/policies/policy.hpp"
#include "edgetwin/traces/catalog.hpp"

namespace pol = edgetwin::policies;
namespace traces = edgetwin::traces;
using nlohmann::json;

namespace {

const traces::Catalog& catalog() {
  static const auto c = traces::Catalog::load(EDGETWIN_CATALOG_DIR);
  return c;
}

// Energy of one unit at CPU f_c and GPU f_g (normalised clocks): a CPU part a / f_c and a GPU part
// b / f_g of time, plus a fixed part; power = static + c_c f_c^3 + c_g f_g^3.
double shaped_energy(double fc, double fg, double a, double b, double p0) {
  const double t = a / fc + b / fg + 0.1;
  return (p0 + 0.3 * fc * fc * fc + 0.8 * fg * fg * fg) * t;
}

TEST(CoordinateDescent, ReachesTheExhaustiveOptimumOnSmallGrids) {
  int cases = 0;
  for (const int nc : {3, 4, 6}) {
    for (const int ng : {3, 5, 7}) {
      for (const double a : {0.05, 0.3, 1.0}) {
        for (const double b : {0.1, 0.6, 2.0}) {
          for (const double p0 : {0.5, 2.0}) {
            std::vector<double> fc, fg;
            for (int i = 0; i < nc; ++i) fc.push_back(0.3 + 0.7 * i / (nc - 1));
            for (int j = 0; j < ng; ++j) fg.push_back(0.2 + 0.8 * j / (ng - 1));
            const auto cost = [&](int i, int j) -> std::optional<double> {
              return shaped_energy(fc[static_cast<std::size_t>(i)], fg[static_cast<std::size_t>(j)], a, b,
                                   p0);
            };
            double best = std::numeric_limits<double>::infinity();
            for (int i = 0; i < nc; ++i)
              for (int j = 0; j < ng; ++j) best = std::min(best, *cost(i, j));
            const auto r = pol::coordinate_descent(nc, ng, nc - 1, ng - 1, 4, cost);
            EXPECT_DOUBLE_EQ(r.value, best) << nc << "x" << ng << " a " << a << " b " << b << " p0 " << p0;
            // The stated bound: the start, then per round at most (nc - 1) + (ng - 1) pairs on
            // the axes and 4 diagonal ones, and at most 4 rounds on these grids.
            EXPECT_LE(r.rounds, 4);
            EXPECT_LE(r.evaluations, 1 + r.rounds * (nc - 1 + ng - 1 + 4));
            if (nc * ng >= 30) {
              EXPECT_LT(r.evaluations, nc * ng);
            }
            ++cases;
          }
        }
      }
    }
  }
  EXPECT_EQ(cases, 162);
}

TEST(CoordinateDescent, SkipsPairsThatCannotBeEvaluated) {
  // Only the start and (0, 1) may be evaluated; (0, 1) is cheaper.
  const auto r = pol::coordinate_descent(3, 2, 2, 1, 4, [](int i, int j) -> std::optional<double> {
    if (i == 2 && j == 1) return 5.0;
    if (i == 0 && j == 1) return 4.0;
    return std::nullopt;
  });
  EXPECT_EQ(r.cpu, 0);
  EXPECT_EQ(r.gpu, 1);
  EXPECT_EQ(r.value, 4.0);
  EXPECT_EQ(r.evaluations, 2);
}

// Two units, two levels per domain (index 0 low, 1 high): per (unit, cpu, gpu) time and energy.
struct TwoUnits {
  std::map<std::tuple<int, int, int>, pol::UnitCost> cost = {
      {{0, 1, 1}, {4, 2.0}}, {{0, 0, 1}, {5, 1.5}}, {{0, 1, 0}, {6, 1.8}}, {{0, 0, 0}, {7, 1.6}},
      {{1, 1, 1}, {4, 2.0}}, {{1, 0, 1}, {5, 2.5}}, {{1, 1, 0}, {6, 1.0}}, {{1, 0, 0}, {7, 1.2}},
  };
  std::vector<std::tuple<int, std::int64_t, std::int64_t>> calls;
  pol::JitProfiler::Measure measure() {
    return [this](const traces::Model&, int unit, const pol::Clocks& c) {
      calls.emplace_back(unit, c.cpu_khz, c.gpu_hz);
      return cost.at({unit, c.cpu_khz == 2000 ? 1 : 0, c.gpu_hz == 200 ? 1 : 0});
    };
  }
};

pol::JitProfilerConfig two_level_config() {
  pol::JitProfilerConfig c;
  c.cpu_khz = {1000, 2000};
  c.gpu_hz = {100, 200};
  c.emc_hz = 7;
  c.cpu_switch_s = 0.1;
  c.gpu_switch_s = 0.2;
  c.cpu_switch_j = 0.05;
  c.gpu_switch_j = 0.05;
  c.idle_power_w = 1;
  return c;
}

traces::Model two_unit_model() {
  traces::Model m;
  m.id = "two";
  m.units.resize(2);
  return m;
}

TEST(JitProfiler, HandTracedPlanWithoutDeadline) {
  TwoUnits u;
  pol::JitProfiler jit(two_level_config());
  const auto model = two_unit_model();
  const pol::Clocks high{2000, 200, 7};
  const auto p = jit.plan(model, 2, high, 0, u.measure());
  // Unit 0 descends (1,1) 2.0 -> CPU low (0,1) 1.5; GPU low (0,0) 1.6 is worse: (0,1).
  // Unit 1 descends (1,1) 2.0; CPU low 2.5 is worse; GPU low (1,0) 1.0: (1,0).
  // Switching (0,1) -> (1,0) changes both: 0.3 s, 0.05 + 0.05 + 1 W x 0.3 s = 0.4 J. Unit 0 at
  // (1,0) costs 1.8 - 1.5 = 0.3 J more < 0.4: merged at (1,0); (0,0) ties at 2.8 and (1,1) is 4.
  ASSERT_EQ(p.segments.size(), 1u);
  EXPECT_EQ(p.segments[0].first_unit, 0);
  EXPECT_EQ(p.segments[0].clocks, (pol::Clocks{2000, 100, 7}));
  EXPECT_EQ(p.groups, 1);
  // From (1,1): one GPU switch, 0.2 s and 0.05 + 0.2 J; units 6 + 6 s, 1.8 + 1.0 J.
  EXPECT_NEAR(p.time_s, 12.2, 1e-12);
  EXPECT_NEAR(p.energy_j, 3.05, 1e-12);
  // Probes: unit 0 at (1,1), (0,1), (0,0); unit 1 at (1,1), (0,1), (1,0), (0,0); unit 0 at (1,0).
  EXPECT_EQ(p.probes, 8);
  EXPECT_EQ(u.calls.size(), 8u);
  // A second frame is planned from the cache: no probe.
  const auto again = jit.plan(model, 2, high, 0, u.measure());
  EXPECT_EQ(again.probes, 0);
  EXPECT_EQ(again.segments[0].clocks, p.segments[0].clocks);
  EXPECT_EQ(jit.probes(), 8);
}

TEST(JitProfiler, PricesTimeUntilTheDeadlineHolds) {
  TwoUnits u;
  pol::JitProfiler jit(two_level_config());
  const auto model = two_unit_model();
  const pol::Clocks high{2000, 200, 7};
  // Deadline 11 s: the energy-only plan takes 12.2 s. At lambda 0.25 W (E + 0.25 t) unit 0 keeps
  // (0,1) 2.75 and unit 1 (1,0) 2.5; merging would cost 0.55 >= 0.4 + 0.25 x 0.3: two groups,
  // 0.1 + 5 + 0.3 + 6 = 11.4 s: too long. At 0.5 W both units stay at (1,1) (ties are not moves):
  // 8 s, 4 J.
  const auto p = jit.plan(model, 2, high, 11, u.measure());
  EXPECT_TRUE(p.meets_deadline);
  EXPECT_DOUBLE_EQ(p.lambda_w, 0.5);
  ASSERT_EQ(p.segments.size(), 1u);
  EXPECT_EQ(p.segments[0].clocks, high);
  EXPECT_NEAR(p.time_s, 8, 1e-12);
  EXPECT_NEAR(p.energy_j, 4, 1e-12);
  // Deadline 7 s cannot be met: everything at the highest levels, flagged.
  const auto late = jit.plan(model, 2, high, 7, u.measure());
  EXPECT_FALSE(late.meets_deadline);
  EXPECT_EQ(late.segments[0].clocks, high);
}

TEST(JitProfiler, ProbeBudgetLimitsAPlanButNotItsStart) {
  TwoUnits u;
  auto config = two_level_config();
  config.max_probes_per_plan = 3;
  pol::JitProfiler jit(config);
  const auto model = two_unit_model();
  const pol::Clocks high{2000, 200, 7};
  const auto p = jit.plan(model, 2, high, 0, u.measure());
  // Unit 0: (1,1) (start), (0,1), (0,0) = 3; unit 1: only its start (1,1) (always measured).
  // Merging (0,1)/(1,1): unit 1 at (0,1) is not measured; unit 0 at (1,1) costs 2.0 - 1.5 = 0.5 J
  // more than the CPU switch (0.05 + 1 W x 0.1 s = 0.15 J): two groups.
  EXPECT_EQ(p.probes, 4);
  ASSERT_EQ(p.segments.size(), 2u);
  EXPECT_EQ(p.segments[0].clocks, (pol::Clocks{1000, 200, 7}));
  EXPECT_EQ(p.segments[1].clocks, high);
  // The next frame measures more.
  const auto next = jit.plan(model, 2, high, 0, u.measure());
  EXPECT_GT(next.probes, 0);
}

// Answers probes from a per-unit table: time 10 ms x (max / clock) per domain share, power rises
// with the clocks.
class ScaledProber final : public pol::Prober {
 public:
  pol::Clocks max;
  int calls = 0;
  pol::ProbeResult measure(const pol::ProbeRequest& r) override {
    ++calls;
    const double c = static_cast<double>(max.cpu_khz) / static_cast<double>(r.clocks.cpu_khz);
    const double g = static_cast<double>(max.gpu_hz) / static_cast<double>(r.clocks.gpu_hz);
    pol::ProbeResult out;
    out.latency_s = (r.end_unit - r.first_unit) * (0.002 * c + 0.008 * g);
    out.power_w = 2 + 4 / c + 8 / (g * g);
    out.energy_j = out.latency_s * out.power_w;
    return out;
  }
};

TEST(E4Policy, PlansTheUnitsBeforeTheExitWithinTheModesTables) {
  const auto& board = catalog().board("xavier_nx");
  const auto& model = catalog().model("mobilenet_v2");
  pol::PolicyRegistry reg;
  pol::register_builtin_policies(reg);
  pol::PolicyContext ctx;
  ctx.board = &board;
  ctx.models = {&model};
  const int exit = model.exits[5].after_unit;
  auto e4 = reg.create({pol::Role::exit, pol::Role::clocks}, "e4", json{{"exit", exit}}, ctx);
  const auto tables = pol::ClockTables::for_mode(board, -1);
  ScaledProber prober;
  prober.max = tables.max();
  pol::FrameObservation obs;
  obs.board = &board;
  obs.model = &model;
  obs.clocks = tables.max();
  obs.probe = &prober;
  const auto a = e4->on_frame(obs);
  EXPECT_EQ(a.exit_after_unit, exit);
  ASSERT_FALSE(a.clocks.empty());
  EXPECT_EQ(a.clocks[0].first_unit, 0);
  for (const auto& s : a.clocks) {
    EXPECT_LE(s.first_unit, exit);
    EXPECT_GE(pol::table_index(tables.cpu_khz, s.clocks.cpu_khz), 0);
    EXPECT_GE(pol::table_index(tables.gpu_hz, s.clocks.gpu_hz), 0);
    EXPECT_EQ(s.clocks.emc_hz, tables.max().emc_hz);
  }
  // Units 0..exit probed at the highest levels at least; only those units.
  EXPECT_GE(prober.calls, exit + 1);
  EXPECT_GT(a.decision_s, 0);  // 2 us per evaluation
  // Without DVFS: one segment at the highest clocks, no probe.
  auto flat =
      reg.create({pol::Role::exit, pol::Role::clocks}, "e4", json{{"exit", exit}, {"dvfs", false}}, ctx);
  const int before = prober.calls;
  const auto b = flat->on_frame(obs);
  ASSERT_EQ(b.clocks.size(), 1u);
  EXPECT_EQ(b.clocks[0].clocks, tables.max());
  EXPECT_EQ(prober.calls, before);
  // Playing clocks only: another policy's exit is used.
  pol::FrameAction decided;
  decided.exit_after_unit = model.exits[1].after_unit;
  obs.decided = &decided;
  EXPECT_EQ(flat->on_frame(obs).exit_after_unit, model.exits[1].after_unit);
}

TEST(E4Policy, BadParametersNameTheKeyAndTheAllowedValues) {
  const auto& board = catalog().board("xavier_nx");
  const auto& model = catalog().model("mobilenet_v2");
  pol::PolicyRegistry reg;
  pol::register_builtin_policies(reg);
  pol::PolicyContext ctx;
  ctx.board = &board;
  ctx.models = {&model};
  try {
    reg.get("e4").make(json{{"exit", 9999}}, ctx);
    ADD_FAILURE() << "no error";
  } catch (const pol::ParamError& e) {
    EXPECT_NE(std::string(e.what()).find("exit"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no exit head"), std::string::npos) << e.what();
  }
  EXPECT_THROW(reg.get("e4").make(json{{"cpu_levels", 0}}, ctx), std::invalid_argument);
  EXPECT_THROW(reg.get("e4").make(json{{"dvfs", "yes"}}, ctx), std::invalid_argument);
  EXPECT_THROW(reg.get("e4").make(json{{"deadline_share", 0}}, ctx), std::invalid_argument);
  EXPECT_THROW(reg.get("e4").make(json{{"typo", 1}}, ctx), std::invalid_argument);
}

}  // namespace

namespace {

// Returns the logits it was given and records every input.
class FakeCascade final : public pol::Agent {
 public:
  std::vector<float> logits;
  std::vector<std::vector<float>> inputs;
  int act(const std::vector<float>&) override { return 0; }
  void observe(const std::vector<float>&, int, double, const std::vector<float>&, bool, double) override {}
  std::vector<float> predict(const std::vector<float>& input) override {
    inputs.push_back(input);
    return logits;
  }
};

TEST(E4Policy, CascadeExitsAtTheHighestLogitOverAWindowOfFeatures) {
  const auto& board = catalog().board("xavier_nx");
  const auto& model = catalog().model("mobilenet_v2");  // 18 exits: 19 heads
  ASSERT_EQ(model.exits.size(), 18u);
  pol::PolicyRegistry reg;
  pol::register_builtin_policies(reg);
  pol::PolicyContext ctx;
  ctx.board = &board;
  ctx.models = {&model};
  auto agent = std::make_shared<FakeCascade>();
  pol::AgentRequest asked;
  ctx.agents = [&](const pol::AgentRequest& r) {
    asked = r;
    return agent;
  };
  const json params = {{"exit", "cascade"},      {"dvfs", false}, {"window", 2},
                       {"features", 3},          {"key_dim", 4},  {"hidden", {5}},
                       {"seconds_per_mac", 1e-9}};
  auto e4 = reg.create({pol::Role::exit, pol::Role::clocks}, "e4", params, ctx);
  EXPECT_EQ(asked.network, "e4_cascade");
  EXPECT_EQ(asked.learner["inputs"], 6);
  EXPECT_EQ(asked.learner["outputs"], 20);  // 19 heads + "no head right"
  EXPECT_EQ(asked.learner["sequence"]["pool"], "attention");
  // Certain that head 4 is the first right one: exit there (later heads cost more MACs).
  agent->logits.assign(20, -50.0f);
  agent->logits[4] = 50.0f;
  const std::vector<float> f1 = {1, 2, 3}, f2 = {4, 5, 6};
  pol::FrameObservation obs;
  obs.board = &board;
  obs.model = &model;
  obs.features = &f1;
  const auto a = e4->on_frame(obs);
  EXPECT_EQ(a.exit_after_unit, model.exits[4].after_unit);
  // MACs: 3 x 2 x 3 x 4 projections + 2 x 2 x 4 scores and pooling + (3 + 4) x 5 + 5 x 20 = 223.
  EXPECT_NEAR(a.decision_s, 223e-9, 1e-18);
  // Certain that no head is right: the cheapest, the first exit.
  agent->logits[4] = -50.0f;
  agent->logits[19] = 50.0f;
  obs.features = &f2;
  EXPECT_EQ(e4->on_frame(obs).exit_after_unit, model.exits[0].after_unit);
  // Half "first right at head 10", half "only the final head": P(right) is 0.5 from head 10 on and 1 at
  // the final head, whose share is 1: 1 - 0.5 + 0.5 share(10) < 0 + 0.5 x 1 needs share(10) < 0; so the
  // final head at weight 0.5, and head 10 at weight 2 (0.5 + 2 share(10) < 2 for share(10) < 0.75).
  agent->logits.assign(20, -50.0f);
  agent->logits[10] = 0.0f;
  agent->logits[18] = 0.0f;
  EXPECT_EQ(e4->on_frame(obs).exit_after_unit, pol::kNoExit);
  ASSERT_EQ(agent->inputs.size(), 3u);
  EXPECT_EQ(agent->inputs[0], (std::vector<float>{0, 0, 0, 1, 2, 3}));  // zeros before the first frame
  EXPECT_EQ(agent->inputs[1], (std::vector<float>{1, 2, 3, 4, 5, 6}));  // oldest first
  // Half "first right at head 10" (MACs share 0.5046), half "none right": at weight 0.5 head 10
  // costs 0.5 + 0.5 x 0.5046 = 0.752, the first exit 1 + 0.5 x 0.036, the final head 0.5 + 0.5;
  // at weight 2 head 10 costs 1.509 and the first exit 1.072: give up early.
  agent->logits[18] = -50.0f;
  agent->logits[19] = 0.0f;
  EXPECT_EQ(e4->on_frame(obs).exit_after_unit, model.exits[10].after_unit);
  json heavy = params;
  heavy["energy_weight"] = 2;
  auto e4b = reg.create({pol::Role::exit, pol::Role::clocks}, "e4", heavy, ctx);
  EXPECT_EQ(e4b->on_frame(obs).exit_after_unit, model.exits[0].after_unit);
  // A frame without the features the network was built for is refused, naming the fix.
  const std::vector<float> short_f = {1};
  obs.features = &short_f;
  try {
    e4->on_frame(obs);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("needs 3 features per frame, found 1"), std::string::npos)
        << e.what();
  }
  // Without agents (no checkpoint given) the cascade is refused with what to do.
  ctx.agents = nullptr;
  EXPECT_THROW(reg.get("e4").make(params, ctx), pol::ParamError);
}

TEST(E4Policy, RandomExitDrawsEveryHead) {
  const auto& board = catalog().board("xavier_nx");
  const auto& model = catalog().model("mobilenet_v2");
  pol::PolicyRegistry reg;
  pol::register_builtin_policies(reg);
  pol::PolicyContext ctx;
  ctx.board = &board;
  ctx.models = {&model};
  ctx.seed = 3;
  auto e4 =
      reg.create({pol::Role::exit, pol::Role::clocks}, "e4", json{{"exit", "random"}, {"dvfs", false}}, ctx);
  pol::FrameObservation obs;
  obs.model = &model;
  std::map<int, int> seen;
  for (int i = 0; i < 1900; ++i) ++seen[e4->on_frame(obs).exit_after_unit];
  EXPECT_EQ(seen.size(), 19u);                                         // every exit and the final head
  for (const auto& [exit, n] : seen) EXPECT_NEAR(n, 100, 40) << exit;  // binomial sd 9.7
}

}  // namespace

namespace {

TEST(BudgetedExit, StopsAtTheThresholdAndSteersItToTheBudget) {
  const auto& model = catalog().model("mobilenet_v2");
  pol::PolicyRegistry reg;
  pol::register_builtin_policies(reg);
  pol::PolicyContext ctx;
  ctx.models = {&model};
  auto p = reg.create(pol::Role::exit, "budgeted_exit",
                      json{{"budget", 0.4}, {"threshold", 0.8}, {"step", 0.1}}, ctx);
  pol::FrameObservation obs;
  obs.model = &model;
  EXPECT_EQ(p->on_frame(obs).checkpoints.size(), 18u);
  pol::UnitObservation u;
  u.head.ran = true;
  u.head.confidence = 0.79;
  EXPECT_FALSE(p->on_unit(u).stop);
  // A frame that ran the whole model (share 1): threshold 0.8 - 0.1 x (1 - 0.4) = 0.74.
  pol::Outcome o;
  o.model = &model;
  o.exit_after_unit = pol::kNoExit;
  p->on_outcome(o);
  EXPECT_TRUE(p->on_unit(u).stop);
  u.head.confidence = 0.7399;
  EXPECT_FALSE(p->on_unit(u).stop);
  // A frame that exited after head 10 (share 0.5046): 0.74 - 0.1 x 0.1046 = 0.72954.
  o.exit_after_unit = model.exits[10].after_unit;
  p->on_outcome(o);
  u.head.confidence = 0.7296;
  EXPECT_TRUE(p->on_unit(u).stop);
  u.head.confidence = 0.7294;
  EXPECT_FALSE(p->on_unit(u).stop);
  EXPECT_THROW(reg.get("budgeted_exit").make(json{{"budget", 0}}, ctx), pol::ParamError);
}

}  // namespace

// The e4 policy in a running simulation: one frame composed by hand from the trace store, with
// its known exit, the JIT profiler's probes (time and clock changes charged to the frame), its
// per-unit clock segments with their transitions, and the reported search time (docs/e4.md).

#include <cmath>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "edgetwin/policies/clock_tables.hpp"
#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/simulation.hpp"

#include "sim_fixture.hpp"

namespace edgetwin::sim {
namespace {

using policies::Clocks;

// Delegates to the real e4 policy and records its answers and every probe it makes.
class RecordingProber final : public policies::Prober {
 public:
  policies::Prober* inner = nullptr;
  std::vector<std::pair<policies::ProbeRequest, policies::ProbeResult>> calls;
  policies::ProbeResult measure(const policies::ProbeRequest& r) override {
    const auto res = inner->measure(r);
    calls.emplace_back(r, res);
    return res;
  }
};

struct Frame {
  Clocks at_start;
  policies::FrameAction action;
  std::vector<std::pair<policies::ProbeRequest, policies::ProbeResult>> probes;
};

class Recording final : public policies::Policy {
 public:
  Recording(std::unique_ptr<policies::Policy> inner, std::vector<Frame>* out)
      : inner_(std::move(inner)), out_(out) {}
  std::optional<Clocks> initial_clocks() const override { return inner_->initial_clocks(); }
  policies::FrameAction on_frame(const policies::FrameObservation& obs) override {
    RecordingProber p;
    p.inner = obs.probe;
    policies::FrameObservation o = obs;
    o.probe = &p;
    Frame f;
    f.at_start = obs.clocks;
    f.action = inner_->on_frame(o);
    f.probes = p.calls;
    out_->push_back(f);
    return f.action;
  }

 private:
  std::unique_ptr<policies::Policy> inner_;
  std::vector<Frame>* out_;
};

TEST(E4Simulation, AFrameIsItsProbesTransitionsUnitsAtThePlannedClocksHeadAndSearchTime) {
  test::MobileNetFixture f;
  const auto& model = f.model();
  const int exit = model.exits[8].after_unit;
  std::vector<Frame> frames;
  policies::PolicyInfo info;
  info.name = "recording_e4";
  info.roles = {policies::Role::exit, policies::Role::clocks};
  info.summary = "test";
  info.make = [&](const nlohmann::json&,
                  const policies::PolicyContext& ctx) -> std::unique_ptr<policies::Policy> {
    const nlohmann::json params = {
        {"exit", exit}, {"cpu_levels", 2}, {"gpu_levels", 3}, {"max_probes_per_frame", 0}};
    return std::make_unique<Recording>(f.registry.get("e4").make(params, ctx), &frames);
  };
  f.registry.add(info);
  auto spec =
      test::one_group_scenario(1, 1.0, 3.0, {{"exit+clocks", {"recording_e4", nlohmann::json::object()}}});
  spec.groups[0].decision.cost = "reported";
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 3u);
  ASSERT_EQ(frames.size(), 3u);
  const auto& board = f.nx();
  const auto tau = [&](const Clocks& a, const Clocks& b) {
    return (a.cpu_khz != b.cpu_khz ? board.cpu_transition.latency_s : 0.0) +
           (a.gpu_hz != b.gpu_hz ? board.gpu_transition.latency_s : 0.0) +
           (a.emc_hz != b.emc_hz ? board.emc_transition.latency_s : 0.0);
  };
  const auto unit_s = [&](int i, const Clocks& c) {
    return f.store.estimate("xavier_nx", "mobilenet_v2", i, 1, 1, {c.cpu_khz, c.gpu_hz, c.emc_hz}).latency_s;
  };
  for (std::size_t k = 0; k < frames.size(); ++k) {
    const Frame& fr = frames[k];
    const auto& r = result.requests[k];
    EXPECT_EQ(r.exit_after_unit, exit);
    EXPECT_EQ(fr.action.exit_after_unit, exit);
    // Frame 0 profiles (unlimited budget): every unit before the exit at the highest levels at
    // least; later frames plan from the cache.
    if (k == 0) {
      EXPECT_GE(fr.probes.size(), static_cast<std::size_t>(exit + 1));
    } else {
      EXPECT_TRUE(fr.probes.empty()) << k;
    }
    // Probes: their measured time, and for other clocks the changes there and back.
    double probes_s = 0;
    for (const auto& [req, res] : fr.probes) {
      EXPECT_EQ(req.end_unit, req.first_unit + 1);
      EXPECT_LE(req.first_unit, exit);
      probes_s += res.latency_s + 2 * tau(fr.at_start, req.clocks);
    }
    // Units at their segment's clocks, the changes between segments (the first from the clocks
    // the frame found), the exit head at the last segment's clocks.
    ASSERT_FALSE(fr.action.clocks.empty());
    EXPECT_EQ(fr.action.clocks[0].first_unit, 0);
    double units_s = 0, switches_s = 0;
    Clocks cur = fr.at_start;
    std::size_t seg = 0;
    for (int i = 0; i <= exit; ++i) {
      while (seg + 1 < fr.action.clocks.size() && fr.action.clocks[seg + 1].first_unit <= i) ++seg;
      const Clocks c = fr.action.clocks[seg].clocks;
      if (c != cur) {
        switches_s += tau(cur, c);
        cur = c;
      }
      units_s += unit_s(i, c);
    }
    const double head_s =
        f.store.head_estimate("xavier_nx", "mobilenet_v2", exit, 1, 1, {cur.cpu_khz, cur.gpu_hz, cur.emc_hz})
            .latency_s;
    // The search's reported time: 2 us per evaluation, at least one per unit.
    EXPECT_GE(fr.action.decision_s, 2e-6 * (exit + 1));
    EXPECT_NEAR(r.decision_s, fr.action.decision_s, 1e-15);
    EXPECT_NEAR(r.latency_s(), fr.action.decision_s + probes_s + switches_s + units_s + head_s, 1e-9)
        << "frame " << k;
    if (k > 0) {
      // The same plan from the cache, and the frame starts where the last one ended.
      EXPECT_EQ(fr.action.clocks.size(), frames[0].action.clocks.size());
      EXPECT_EQ(fr.at_start, frames[0].action.clocks.back().clocks);
    }
  }
  // The profiler moved below the highest clocks somewhere (a unit at a lower level saves energy).
  const Clocks high = policies::ClockTables::for_mode(board, -1).max();
  bool lower = false;
  for (const auto& s : frames[1].action.clocks) lower = lower || s.clocks != high;
  EXPECT_TRUE(lower);
}

}  // namespace
}  // namespace edgetwin::sim

// DVFO in a running simulation (one SimGrid engine per process): in the group's concurrent
// decision mode, the action the policy decides at a frame runs on the next frame (thinking while
// moving), and every transition the policy sends carries the action that actually ran; the
// cloud-only image codec sets the uploaded bytes. Expectations by hand.

#include <algorithm>
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

// Actions in a fixed cycle; records the transitions.
class CyclingAgent : public policies::Agent {
 public:
  explicit CyclingAgent(std::vector<int> cycle) : cycle_(std::move(cycle)) {}
  int act(const std::vector<float>&) override {
    return cycle_[static_cast<std::size_t>(acts++) % cycle_.size()];
  }
  void observe(const std::vector<float>&, int action, double, const std::vector<float>&, bool,
               double) override {
    observed.push_back(action);
  }
  int acts = 0;
  std::vector<int> observed;

 private:
  std::vector<int> cycle_;
};

// cpu {min, max} x gpu {max} x emc {max} x shares {0, 0.5}: joint = 2 cpu + share bin. The
// accuracy guard is off unless asked for and the queue guard is off, so that the scripted actions
// run as given.
ScenarioSpec dvfo_scenario(const std::string& mode, bool guard = false) {
  const nlohmann::json params = {{"cpu_levels", {"min", "max"}},
                                 {"gpu_levels", {"max"}},
                                 {"emc_levels", {"max"}},
                                 {"shares", {0, 0.5}},
                                 {"split_after", 3},
                                 {"concurrent", mode == "concurrent"},
                                 {"decision_s", 0.002},
                                 {"epsilon_pp", 0},
                                 {"accuracy_guard", guard},
                                 {"queue_guard", 0}};
  auto spec = test::one_group_scenario(1, 5.0, 2.0, {{"clocks+placement", {"dvfo", params}}}, true);
  auto& g = spec.groups[0];
  g.decision.cost = "reported";
  g.decision.mode = mode;
  g.channel_split.enabled = true;
  g.channel_split.codec_bits = 8;
  return spec;
}

std::vector<RequestRecord> by_id(std::vector<RequestRecord> r) {
  std::sort(r.begin(), r.end(), [](const RequestRecord& a, const RequestRecord& b) { return a.id < b.id; });
  return r;
}

void expect_ran(const RequestRecord& r, int action, const policies::ClockTables& t) {
  EXPECT_EQ(r.cpu_khz, action / 2 == 0 ? t.cpu_khz.front() : t.cpu_khz.back()) << "request " << r.id;
  EXPECT_DOUBLE_EQ(r.offload_share, action % 2 == 0 ? 0.0 : 0.5) << "request " << r.id;
}

TEST(DvfoSim, InConcurrentModeEachFrameRunsTheActionDecidedAtThePreviousFrame) {
  test::MobileNetFixture f;
  const std::vector<int> cycle = {3, 0, 1, 2};
  auto agent = std::make_shared<CyclingAgent>(cycle);
  RunOptions options;
  options.agents = [agent](const policies::AgentRequest&) { return agent; };
  const auto result =
      run_simulation(dvfo_scenario("concurrent"), f.catalog, f.store, f.synth, f.registry, options);
  const auto requests = by_id(result.requests);
  ASSERT_EQ(requests.size(), 10u);
  const auto tables = policies::ClockTables::for_mode(f.nx(), -1);
  // Frame 0 waits for its own decision; frame k > 0 runs the one decided at frame k - 1.
  expect_ran(requests[0], cycle[0], tables);
  for (std::size_t k = 1; k < requests.size(); ++k)
    expect_ran(requests[k], cycle[(k - 1) % cycle.size()], tables);
  for (const auto& r : requests) EXPECT_DOUBLE_EQ(r.decision_s, 0.002);
  // One transition per completed request, each with the action that ran (the policy checks it
  // against the outcome's placement and throws on a mismatch).
  ASSERT_EQ(agent->observed.size(), 10u);
  EXPECT_EQ(agent->observed[0], cycle[0]);
  EXPECT_EQ(agent->observed[1], cycle[0]);
}

TEST(DvfoSim, InWaitModeEachFrameRunsItsOwnDecisionAfterWaitingForIt) {
  test::MobileNetFixture f;
  const std::vector<int> cycle = {3, 0, 1, 2};
  auto agent = std::make_shared<CyclingAgent>(cycle);
  RunOptions options;
  options.agents = [agent](const policies::AgentRequest&) { return agent; };
  const auto wait =
      by_id(run_simulation(dvfo_scenario("wait"), f.catalog, f.store, f.synth, f.registry, options).requests);
  ASSERT_EQ(wait.size(), 10u);
  const auto tables = policies::ClockTables::for_mode(f.nx(), -1);
  for (std::size_t k = 0; k < wait.size(); ++k) expect_ran(wait[k], cycle[k % cycle.size()], tables);
  ASSERT_EQ(agent->observed.size(), 10u);
  for (std::size_t k = 0; k < 10; ++k) EXPECT_EQ(agent->observed[k], cycle[k % cycle.size()]);
}

// With a constant action (3: CPU max, share 0.5, the boot clocks), frames differ only by whether
// they wait for their decision (2 ms).
std::vector<RequestRecord> constant_action_run(const std::string& mode) {
  test::MobileNetFixture f;
  auto agent = std::make_shared<CyclingAgent>(std::vector<int>{3});
  RunOptions options;
  options.agents = [agent](const policies::AgentRequest&) { return agent; };
  return by_id(
      run_simulation(dvfo_scenario(mode), f.catalog, f.store, f.synth, f.registry, options).requests);
}

TEST(DvfoSim, InConcurrentModeOnlyTheFirstFrameWaitsForItsDecision) {
  const auto r = constant_action_run("concurrent");
  ASSERT_EQ(r.size(), 10u);
  for (std::size_t k = 1; k < r.size(); ++k)
    EXPECT_NEAR(r[0].latency_s() - r[k].latency_s(), 0.002, 1e-9) << k;
}

TEST(DvfoSim, InWaitModeEveryFrameWaitsForItsDecision) {
  const auto r = constant_action_run("wait");
  ASSERT_EQ(r.size(), 10u);
  EXPECT_GT(r[0].latency_s(), 0.002);
  for (std::size_t k = 1; k < r.size(); ++k) EXPECT_NEAR(r[0].latency_s(), r[k].latency_s(), 1e-9) << k;
}

TEST(DvfoSim, TheAccuracyGuardStopsOffloadingOnceTheShareHasLostMoreThanEpsilon) {
  // The agent always asks for share 0.5, which loses accuracy (epsilon 0). With the guard: share
  // 0 until the first share-0 outcome gives the reference, then 0.5 until the first 0.5 outcome
  // shows the loss, then 0 again. Without it: 0.5 on every frame.
  test::MobileNetFixture f;
  auto agent = std::make_shared<CyclingAgent>(std::vector<int>{1});
  RunOptions options;
  options.agents = [agent](const policies::AgentRequest&) { return agent; };
  const auto r = by_id(
      run_simulation(dvfo_scenario("wait", true), f.catalog, f.store, f.synth, f.registry, options).requests);
  ASSERT_EQ(r.size(), 10u);
  EXPECT_DOUBLE_EQ(r[0].offload_share, 0.0);
  const auto first =
      std::find_if(r.begin(), r.end(), [](const RequestRecord& x) { return x.offload_share > 0; });
  ASSERT_NE(first, r.end());
  EXPECT_LT(first->accuracy, r[0].accuracy);
  // In wait mode a frame is decided when the device takes it (its start_s), after the outcomes
  // of that instant.
  const auto decided = [](const RequestRecord& x) { return x.start_s; };
  for (const auto& x : r) {
    if (x.offload_share > 0) {
      EXPECT_LE(decided(x), first->end_s) << "request " << x.id << " offloaded after the loss was seen";
      EXPECT_GE(decided(x), r[0].end_s) << "request " << x.id << " offloaded before the reference was known";
    } else if (decided(x) > first->end_s) {
      EXPECT_DOUBLE_EQ(x.accuracy, r[0].accuracy) << "request " << x.id;
    }
  }
  EXPECT_GT(decided(r.back()), first->end_s);  // the guard had frames to act on
  auto off = std::make_shared<CyclingAgent>(std::vector<int>{1});
  options.agents = [off](const policies::AgentRequest&) { return off; };
  const auto unguarded =
      run_simulation(dvfo_scenario("wait", false), f.catalog, f.store, f.synth, f.registry, options).requests;
  for (const auto& x : unguarded) EXPECT_DOUBLE_EQ(x.offload_share, 0.5) << "request " << x.id;
}

TEST(DvfoSim, ACloudOnlyImageCodecUploadsItsBytesPerInputElement) {
  test::MobileNetFixture f;
  auto spec = test::one_group_scenario(
      1, 1.0, 1.0, {{"placement", {"cloud_only", {{"input_bits_per_pixel", 1.5}}}}}, true);
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 1u);
  // 3 x 224 x 224 input elements, 1.5 bits per pixel of 3 elements: 0.0625 bytes each.
  const double elements = static_cast<double>(f.model().units.front().input_elements);
  EXPECT_DOUBLE_EQ(elements, 3.0 * 224 * 224);
  EXPECT_DOUBLE_EQ(result.requests[0].offload_bytes, std::ceil(elements * 0.0625));
}

}  // namespace
}  // namespace edgetwin::sim

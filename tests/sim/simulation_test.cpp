// Simulation tests: each runs one SimGrid engine, so ctest runs each test in its own process
// (gtest_discover_tests). Expectations are computed by hand from the trace store.

#include "edgetwin/sim/simulation.hpp"

#include <cmath>
#include <map>
#include <optional>

#include <gtest/gtest.h>

#include "edgetwin/common/error.hpp"
#include "edgetwin/policies/policy.hpp"
#include "edgetwin/traces/synth.hpp"

#include "sim_fixture.hpp"

namespace edgetwin::sim {
namespace {

using traces::ClockSetting;

struct Fixture : test::MobileNetFixture {
  // Sum over units [first, last] of latency (and energy) at `clocks`, straight from the store.
  std::pair<double, double> units(const std::string& board, int first, int last,
                                  const ClockSetting& clocks) const {
    double s = 0, j = 0;
    for (int i = first; i <= last; ++i) {
      const auto e = store.estimate(board, "mobilenet_v2", i, 1, 1, clocks);
      s += e.latency_s;
      j += e.latency_s * e.power_total_w;
    }
    return {s, j};
  }
};

TEST(Simulation, OneFrameAtFixedClocksIsTheSumOfUnitsAndEnergyIsPowerTimesTimePlusIdle) {
  Fixture f;
  // Two frames (t = 0 and t = 1 s) at the power mode's maximum clocks: no clock change.
  const auto spec =
      test::one_group_scenario(1, 1.0, 2.0, {{"clocks", {"max_clocks", nlohmann::json::object()}}});
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 2u);
  const auto& mode = f.nx().power_mode(f.nx().default_power_mode);
  const ClockSetting clocks{mode.cpu_max_khz, mode.gpu_max_hz, mode.emc_max_hz};
  const auto [latency_s, energy_j] =
      f.units("xavier_nx", 0, static_cast<int>(f.model().units.size()) - 1, clocks);
  for (const auto& r : result.requests) {
    EXPECT_NEAR(r.latency_s(), latency_s, 1e-9);
    EXPECT_NEAR(r.energy_j, energy_j, 1e-9);
    EXPECT_EQ(r.cpu_khz, clocks.cpu_khz);
  }
  // Device energy: two busy frames plus idle at those clocks in between (the run ends when
  // the second frame completes).
  const double idle_w = f.synth.idle_power_w(f.nx(), clocks);
  const double expected = 2 * energy_j + idle_w * (1.0 - latency_s);
  EXPECT_NEAR(result.summary["overall"]["device_energy_j"].get<double>(), expected, 1e-9);
  // The whole-module rail (VDD_IN) carries exactly the device's energy here (no radio, no
  // transition lumps); rails the synthetic model cannot split would be null.
  const auto& rails = result.summary["groups"]["g"]["rail_energy_j"];
  EXPECT_NEAR(rails[f.nx().total_rail].get<double>(), expected, 1e-9);
  for (const auto& rail : f.nx().rails) EXPECT_TRUE(rails.contains(rail.name)) << rail.name;
  EXPECT_NEAR(result.simulated_end_s, 1.0 + latency_s, 1e-9);
}

// A test policy: the power mode's maximum clocks for units before `switch_at`, lower GPU and
// EMC clocks from there on: one clock change in the middle of each frame.
class TwoSegments : public policies::Policy {
 public:
  TwoSegments(policies::Clocks high, policies::Clocks low, int switch_at)
      : high_(high), low_(low), at_(switch_at) {}
  policies::FrameAction on_frame(const policies::FrameObservation&) override {
    policies::FrameAction a;
    a.clocks = {{0, high_}, {at_, low_}};
    return a;
  }

 private:
  policies::Clocks high_, low_;
  int at_;
};

TEST(Simulation, AClockChangeBetweenUnitsCostsExactlyTheTransitionLatency) {
  Fixture f;
  const auto& b = f.nx();
  const auto& mode = b.power_mode(b.default_power_mode);
  const ClockSetting high{mode.cpu_max_khz, mode.gpu_max_hz, mode.emc_max_hz};
  const ClockSetting low{mode.cpu_max_khz, b.gpu_freqs_hz[3], b.emc_freqs_hz[2]};
  const int at = 5;
  policies::PolicyInfo info;
  info.name = "two_segments";
  info.roles = {policies::Role::clocks};
  info.summary = "test policy";
  info.make = [&](const nlohmann::json&, const policies::PolicyContext&) {
    return std::make_unique<TwoSegments>(policies::Clocks{high.cpu_khz, high.gpu_hz, high.emc_hz},
                                         policies::Clocks{low.cpu_khz, low.gpu_hz, low.emc_hz}, at);
  };
  f.registry.add(info);
  const auto spec =
      test::one_group_scenario(1, 1.0, 1.0, {{"clocks", {"two_segments", nlohmann::json::object()}}});
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 1u);
  const int n = static_cast<int>(f.model().units.size());
  const auto [head_s, head_j] = f.units("xavier_nx", 0, at - 1, high);
  const auto [tail_s, tail_j] = f.units("xavier_nx", at, n - 1, low);
  const double transition_s = b.gpu_transition.latency_s + b.emc_transition.latency_s;  // CPU unchanged
  const auto& r = result.requests[0];
  EXPECT_NEAR(r.latency_s(), head_s + transition_s + tail_s, 1e-9);
  // Energy: both segments, idle power (at the clocks before the change) during the transition,
  // and the two domains' transition energy.
  const double idle_w = f.synth.idle_power_w(b, high);
  EXPECT_NEAR(r.energy_j,
              head_j + tail_j + idle_w * transition_s + b.gpu_transition.energy_j + b.emc_transition.energy_j,
              1e-9);
  EXPECT_EQ(r.cpu_khz, high.cpu_khz);
  EXPECT_EQ(result.summary["overall"]["clock_changes"].get<long>(), 1);
}

// A test governor: boots at `boot`, ticks every `period_s` and asks for `target` at its first tick.
class OneTickGovernor : public policies::Policy {
 public:
  OneTickGovernor(policies::Clocks boot, policies::Clocks target, double period_s)
      : boot_(boot), target_(target), period_s_(period_s) {}
  std::optional<policies::Clocks> initial_clocks() const override { return boot_; }
  double tick_period_s() const override { return period_s_; }
  policies::TickAction on_tick(const policies::TickObservation&) override {
    policies::TickAction a;
    a.change = ticks_++ == 0;
    a.clocks = target_;
    return a;
  }

 private:
  policies::Clocks boot_, target_;
  double period_s_;
  int ticks_ = 0;
};

TEST(Simulation, AGovernorTickDuringAFrameTakesEffectAtTheNextUnitBoundary) {
  Fixture f;
  const auto& b = f.nx();
  const auto& mode = b.power_mode(b.default_power_mode);
  const ClockSetting high{mode.cpu_max_khz, mode.gpu_max_hz, mode.emc_max_hz};
  const ClockSetting low{mode.cpu_max_khz, b.gpu_freqs_hz[2], mode.emc_max_hz};
  // The tick falls in the middle of unit 5: units 0..5 at the boot clocks, then the GPU change,
  // then units 6.. at the new clocks (no merging across the tick).
  const auto [before_s, before_j] = f.units("xavier_nx", 0, 4, high);
  const auto [unit5_s, unit5_j] = f.units("xavier_nx", 5, 5, high);
  const double period_s = before_s + unit5_s / 2;
  policies::PolicyInfo info;
  info.name = "one_tick";
  info.roles = {policies::Role::clocks};
  info.summary = "test policy";
  info.make = [&](const nlohmann::json&, const policies::PolicyContext&) {
    return std::make_unique<OneTickGovernor>(policies::Clocks{high.cpu_khz, high.gpu_hz, high.emc_hz},
                                             policies::Clocks{low.cpu_khz, low.gpu_hz, low.emc_hz}, period_s);
  };
  f.registry.add(info);
  const auto spec =
      test::one_group_scenario(1, 1.0, 1.0, {{"clocks", {"one_tick", nlohmann::json::object()}}});
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 1u);
  const int n = static_cast<int>(f.model().units.size());
  const auto [tail_s, tail_j] = f.units("xavier_nx", 6, n - 1, low);
  EXPECT_NEAR(result.requests[0].latency_s(), before_s + unit5_s + b.gpu_transition.latency_s + tail_s, 1e-9);
  EXPECT_EQ(result.summary["overall"]["clock_changes"].get<long>(), 1);
}

TEST(Simulation, FixedClocksArePinnedAtBootWithoutATransition) {
  Fixture f;
  const auto& b = f.nx();
  const auto& mode = b.power_mode(b.default_power_mode);
  const ClockSetting low{mode.cpu_max_khz, b.gpu_freqs_hz[3], b.emc_freqs_hz[2]};
  const auto spec = test::one_group_scenario(
      1, 1.0, 1.0,
      {{"clocks",
        {"fixed_clocks", {{"cpu_khz", low.cpu_khz}, {"gpu_hz", low.gpu_hz}, {"emc_hz", low.emc_hz}}}}});
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 1u);
  const auto [latency_s, energy_j] =
      f.units("xavier_nx", 0, static_cast<int>(f.model().units.size()) - 1, low);
  EXPECT_NEAR(result.requests[0].latency_s(), latency_s, 1e-9);
  EXPECT_NEAR(result.requests[0].energy_j, energy_j, 1e-9);
  EXPECT_EQ(result.requests[0].gpu_hz, low.gpu_hz);
  EXPECT_EQ(result.summary["overall"]["clock_changes"].get<long>(), 0);
}

TEST(Simulation, AnUploadTakesBytesOverBandwidthPlusLatency) {
  Fixture f;
  // Cloud only: the input goes up through the 1 MB/s access link and the 1 GB/s WAN.
  auto spec =
      test::one_group_scenario(1, 1.0, 1.0, {{"placement", {"cloud_only", nlohmann::json::object()}}}, true);
  spec.groups[0].access.radio_tx_power_w = 2.0;
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 1u);
  const auto& r = result.requests[0];
  const double in_bytes = 4.0 * static_cast<double>(f.model().units.front().input_elements);
  const double out_bytes = 4.0 * static_cast<double>(f.model().units.back().output_elements);
  EXPECT_DOUBLE_EQ(r.offload_bytes, in_bytes);
  // CM02 without cross-traffic: latency of the route + bytes / bottleneck bandwidth, each way.
  const double up_s = 0.01 + 0.02 + in_bytes / 1e6;
  const double down_s = 0.01 + 0.02 + out_bytes / 1e6;
  const auto [cloud_s, cloud_j] = f.units("rtx3080", 0, static_cast<int>(f.model().units.size()) - 1,
                                          traces::Synthesizer::max_clocks(f.catalog.board("rtx3080")));
  EXPECT_NEAR(r.latency_s(), up_s + cloud_s + down_s, 1e-6);
  EXPECT_NEAR(r.cloud_energy_j, cloud_j, 1e-9);
  EXPECT_EQ(r.edge_units, 0);
  // The radio transmits at the access link's radio_tx_power_w for the whole upload.
  EXPECT_NEAR(r.energy_j, 2.0 * up_s, 1e-6);
  EXPECT_NEAR(result.summary["overall"]["device_radio_energy_j"].get<double>(), 2.0 * up_s, 1e-6);
}

TEST(Simulation, TwoSimultaneousRequestsQueueAtTheCloud) {
  Fixture f;
  // Two devices upload at t = 0 over their own links; the single cloud server runs them in turn.
  const auto spec =
      test::one_group_scenario(2, 1.0, 1.0, {{"placement", {"cloud_only", nlohmann::json::object()}}}, true);
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 2u);
  const auto [cloud_s, cloud_j] = f.units("rtx3080", 0, static_cast<int>(f.model().units.size()) - 1,
                                          traces::Synthesizer::max_clocks(f.catalog.board("rtx3080")));
  (void)cloud_j;
  const double first = std::min(result.requests[0].latency_s(), result.requests[1].latency_s());
  const double second = std::max(result.requests[0].latency_s(), result.requests[1].latency_s());
  // Both uploads share the WAN (1 GB/s, negligible next to the 1 MB/s access links), so they
  // reach the server together; the second waits one full cloud execution.
  EXPECT_NEAR(second - first, cloud_s, 1e-3 * cloud_s + 1e-6);
}

TEST(Simulation, JobsAreServedFirstComeFirstServedEachWaitingForTheJobsAhead) {
  Fixture f;
  // Three one-device groups offload their only frame whole to the one server, over links alike
  // (own access link, per-device WAN): the uploads take the same time and end in the order the
  // frames start, t = 0 (group g), c/4 (group k), c/2 (group h), c = the cloud's run. The first
  // job runs at once; the others arrive while it runs and each waits for the jobs ahead of it.
  auto spec =
      test::one_group_scenario(1, 1.0, 1.0, {{"placement", {"cloud_only", nlohmann::json::object()}}}, true);
  const auto [cloud_s, cloud_j] = f.units("rtx3080", 0, static_cast<int>(f.model().units.size()) - 1,
                                          traces::Synthesizer::max_clocks(f.catalog.board("rtx3080")));
  ASSERT_GT(cloud_s, 0.0);
  for (const auto& [name, start_s] : {std::pair<std::string, double>{"h", cloud_s / 2}, {"k", cloud_s / 4}}) {
    auto g = spec.groups[0];
    g.name = name;
    spec.groups.push_back(g);
    auto v = spec.videos[0];
    v.name = name;
    v.group = name;
    v.start_s = start_s;
    spec.videos.push_back(v);
  }
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 3u);
  std::map<int, RequestRecord> by_device;  // devices: 0 = g, 1 = h, 2 = k
  for (const auto& r : result.requests) by_device[r.device] = r;
  ASSERT_EQ(by_device.size(), 3u);
  const auto& g = by_device[0];
  const auto& h = by_device[1];
  const auto& k = by_device[2];
  EXPECT_NEAR(g.arrival_s, 0.0, 1e-12);
  EXPECT_NEAR(h.arrival_s, cloud_s / 2, 1e-12);
  EXPECT_NEAR(k.arrival_s, cloud_s / 4, 1e-12);
  // g: upload + its run + download (latency_s = transfers + c); k waits 3c/4 (g's run left),
  // h waits c/2 + c (g's rest, then k's run): each ends one full run after the one ahead.
  const double transfers_s = g.latency_s() - cloud_s;
  EXPECT_GT(transfers_s, 0.0);
  EXPECT_NEAR(k.end_s - g.end_s, cloud_s, 1e-9);
  EXPECT_NEAR(h.end_s - k.end_s, cloud_s, 1e-9);
  EXPECT_NEAR(k.latency_s(), transfers_s + 3 * cloud_s / 4 + cloud_s, 1e-9);
  EXPECT_NEAR(h.latency_s(), transfers_s + cloud_s / 2 + cloud_s + cloud_s, 1e-9);
  for (const auto* r : {&g, &h, &k}) EXPECT_NEAR(r->cloud_energy_j, cloud_j, 1e-9);
}

// A serving device (batching policy) with two one-frame video streams: stream "v" at t = 0 and
// stream "w" at `second_start_s`; whole-model latency/energy at (batch, concurrency) by hand.
ScenarioSpec serving_device(double second_start_s, nlohmann::json batching_params) {
  auto spec = test::one_group_scenario(1, 1.0, 1.0,
                                       {{"clocks", {"max_clocks", nlohmann::json::object()}},
                                        {"batching", {"fixed_batching", std::move(batching_params)}}});
  auto w = spec.videos.front();
  w.name = "w";
  w.start_s = second_start_s;
  spec.videos.push_back(w);
  return spec;
}

std::pair<double, double> whole_model(const Fixture& f, int batch, int concurrency) {
  const auto& mode = f.nx().power_mode(f.nx().default_power_mode);
  const ClockSetting clocks{mode.cpu_max_khz, mode.gpu_max_hz, mode.emc_max_hz};
  double s = 0, j = 0;
  for (std::size_t i = 0; i < f.model().units.size(); ++i) {
    const auto e =
        f.store.estimate("xavier_nx", "mobilenet_v2", static_cast<int>(i), batch, concurrency, clocks);
    s += e.latency_s;
    j += e.latency_s * e.power_total_w;
  }
  return {s, j};
}

TEST(Serving, TwoInstancesStartedTogetherEachTakeTheTracedLatencyAtConcurrencyTwo) {
  Fixture f;
  const auto spec = serving_device(0.0, {{"instances", 2}});
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 2u);
  const auto [l2, e2] = whole_model(f, 1, 2);
  const auto [l1, e1] = whole_model(f, 1, 1);
  ASSERT_GT(l2, l1);      // each of two side-by-side instances is slower ...
  ASSERT_LT(l2, 2 * l1);  // ... but two together beat two in a row (the GPU was under-used)
  for (const auto& r : result.requests) {
    EXPECT_NEAR(r.end_s, l2, 1e-9);
    EXPECT_EQ(r.concurrency, 2);
    EXPECT_EQ(r.batch, 1);
    EXPECT_NEAR(r.energy_j, e2 / 2, 1e-9);  // board power at k = 2, shared by the two
  }
}

TEST(Serving, OneInstanceBatchesRequestsThatArriveWithinTheBatchingDelay) {
  Fixture f;
  const auto spec = serving_device(0.004, {{"instances", 1}, {"batch_size", 2}, {"max_wait_s", 0.01}});
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 2u);
  const auto [l, e] = whole_model(f, 2, 1);
  for (const auto& r : result.requests) {
    EXPECT_EQ(r.batch, 2);
    EXPECT_NEAR(r.start_s, 0.004, 1e-12);  // the batch filled when the second frame arrived
    EXPECT_NEAR(r.end_s, 0.004 + l, 1e-9);
    EXPECT_NEAR(r.energy_j, e / 2, 1e-9);
  }
}

TEST(Serving, AnOverlappingSecondBatchSlowsTheFirstAsTheTraceSays) {
  Fixture f;
  const auto [l1, e1] = whole_model(f, 1, 1);
  const auto [l2, e2] = whole_model(f, 1, 2);
  const double x = 0.4 * l1;  // the second frame arrives when the first is 40 % done
  const auto spec = serving_device(x, {{"instances", 2}});
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 2u);
  // First: 40 % alone, then the remaining 60 % at the concurrency-2 rate. Second: from x on at
  // the concurrency-2 rate until the first ends (it has then done 60 %), the last 40 % alone.
  const double t1 = x + 0.6 * l2;
  const double t2 = t1 + 0.4 * l1;
  const auto& first = result.requests[0].stream == "v" ? result.requests[0] : result.requests[1];
  const auto& second = result.requests[0].stream == "v" ? result.requests[1] : result.requests[0];
  EXPECT_NEAR(first.end_s, t1, 1e-9);
  EXPECT_NEAR(second.end_s, t2, 1e-9);
  EXPECT_NEAR(first.energy_j, 0.4 * e1 + 0.6 * e2 / 2, 1e-9);
  EXPECT_NEAR(second.energy_j, 0.6 * e2 / 2 + 0.4 * e1, 1e-9);
  // The meter's busy energy is what the requests were attributed (nothing lost or doubled).
  EXPECT_NEAR(result.summary["overall"]["device_busy_energy_j"].get<double>(),
              first.energy_j + second.energy_j, 1e-9);
}

// Actors and memory mappings (context_plan.cpp): the count made before the run is the number
// of actors the engine holds when it starts, and a run whose stacks would not fit the mapping
// limit with guard pages runs without them, or stops with a DataError when guard pages were
// asked for.

TEST(Contexts, FastPathDevicesNeedOneControllerEachPlusTheTimeline) {
  Fixture f;
  const auto spec =
      test::one_group_scenario(3, 1.0, 1.0, {{"placement", {"cloud_only", nlohmann::json::object()}}},
                               /*with_cloud=*/true);
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  EXPECT_EQ(result.local_time_devices, 3);
  // The cloud server's actors start with the offloads that need them (cloud_server.hpp).
  EXPECT_EQ(result.planned_actors, 3 + 1);
  EXPECT_EQ(result.started_actors, result.planned_actors);
  EXPECT_TRUE(result.guard_pages);
}

TEST(Contexts, OffTheFastPathEachStreamHasItsSourceActorAndATickingGovernorItsOwn) {
  Fixture f;
  const auto spec =
      test::one_group_scenario(2, 1.0, 1.0, {{"clocks", {"ondemand", nlohmann::json::object()}}}, true);
  RunOptions options;
  options.fast_path = false;
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, options);
  EXPECT_EQ(result.local_time_devices, 0);
  EXPECT_EQ(result.planned_actors, 2 * (1 + 1 + 1) + 1);  // source, controller, governor; timeline
  EXPECT_EQ(result.started_actors, result.planned_actors);
}

TEST(Contexts, AServingDeviceStartsOneInstancePerModel) {
  Fixture f;
  const auto spec = serving_device(0.0, {{"instances", 1}});
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  EXPECT_EQ(result.started_actors, result.planned_actors);
  EXPECT_EQ(result.planned_actors, 2 + 1 + 1);  // two source actors, one instance, the timeline
}

TEST(Contexts, StacksBeyondTheMappingLimitRunWithoutGuardPages) {
  Fixture f;
  const auto spec = test::one_group_scenario(3, 1.0, 1.0, {});
  RunOptions options;
  options.max_map_count = 100;  // below what the process already holds
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, options);
  EXPECT_FALSE(result.guard_pages);
  EXPECT_EQ(result.requests.size(), 3u);
}

TEST(Contexts, GuardPagesAskedForBeyondTheMappingLimitStopWithADataError) {
  Fixture f;
  auto spec = test::one_group_scenario(3, 1.0, 1.0, {});
  spec.file = "fleet.json";
  RunOptions options;
  options.max_map_count = 100;
  options.engine_args = {"--cfg=contexts/guard-size:4096"};
  try {
    run_simulation(spec, f.catalog, f.store, f.synth, f.registry, options);
    FAIL() << "expected a DataError";
  } catch (const common::DataError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("fleet.json"), std::string::npos) << what;
    EXPECT_NE(what.find("vm.max_map_count = 100"), std::string::npos) << what;
    EXPECT_NE(what.find("drop --cfg=contexts/guard-size"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace edgetwin::sim

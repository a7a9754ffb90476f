// The thermal model and per-domain power in a run (docs/thermal.md): what a ticking clocks
// policy observes on a TX2, idle (exact closed form) and busy (heating towards the steady state of
// the mean rail powers). Each test runs one SimGrid engine, in its own process.

#include <cmath>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/simulation.hpp"
#include "edgetwin/traces/synth.hpp"

#include "sim_fixture.hpp"

namespace edgetwin::sim {
namespace {

struct Fixture : test::MobileNetFixture {
  std::vector<policies::TickObservation> ticks;
  Fixture() : MobileNetFixture({"tx2", "xavier_nx"}) {
    // A clocks policy that only records what it observes, once a second.
    policies::PolicyInfo info;
    info.name = "recorder";
    info.roles = {policies::Role::clocks};
    info.summary = "test policy";
    info.make = [this](const nlohmann::json&, const policies::PolicyContext&) {
      return std::make_unique<Recorder>(ticks);
    };
    registry.add(info);
  }
  class Recorder : public policies::Policy {
   public:
    explicit Recorder(std::vector<policies::TickObservation>& out) : out_(out) {}
    double tick_period_s() const override { return 1.0; }
    policies::TickAction on_tick(const policies::TickObservation& obs) override {
      out_.push_back(obs);
      return {};
    }

   private:
    std::vector<policies::TickObservation>& out_;
  };
  // Latency of one whole frame at the board's default clocks.
  double frame_s(const std::string& board) const {
    const auto& b = catalog.board(board);
    const auto& mode = b.power_mode(b.default_power_mode);
    double s = 0;
    for (int i = 0; i < static_cast<int>(catalog.model("mobilenet_v2").units.size()); ++i) {
      s +=
          store.estimate(board, "mobilenet_v2", i, 1, 1, {mode.cpu_max_khz, mode.gpu_max_hz, mode.emc_max_hz})
              .latency_s;
    }
    return s;
  }
};

ScenarioSpec one_device(const std::string& board, double fps, double start_s, double video_s,
                        double duration_s) {
  ScenarioSpec spec;
  spec.name = "thermal";
  spec.duration_s = duration_s;
  DeviceGroupSpec g;
  g.name = "g";
  g.board = board;
  g.models = {"mobilenet_v2"};
  g.policies = {{"clocks", {"recorder", nlohmann::json::object()}}};
  g.access.bandwidth_bps = 8e6;
  g.access.latency_s = 0.01;
  spec.groups.push_back(g);
  VideoStreamSpec v;
  v.name = "v";
  v.group = "g";
  v.model = "mobilenet_v2";
  v.fps = fps;
  v.start_s = start_s;
  v.duration_s = video_s;
  spec.videos.push_back(v);
  return spec;
}

TEST(ThermalSimulation, AnIdleTx2SeesItsIdleRailsAndTheExactClosedForm) {
  Fixture f;
  // One frame at 6 s: ticks 1..6 s see an idle board at its boot (maximum) clocks.
  const auto result =
      run_simulation(one_device("tx2", 1, 6, 1, 7), f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_GE(f.ticks.size(), 5u);
  const auto& b = f.catalog.board("tx2");
  const auto& mode = b.power_mode(b.default_power_mode);
  const auto idle = f.synth.idle_components(b, {mode.cpu_max_khz, mode.gpu_max_hz, mode.emc_max_hz});
  // tx2.json: cpu zone = 1.0 x VDD_IN + 0.5 x VDD_SYS_CPU, gpu zone = 1.0 x VDD_IN + 0.5 x
  // VDD_SYS_GPU, both R = 2.3 K/W, tau = 180 s, from 25 °C.
  const double cpu_in = idle.total_w() + 0.5 * idle.cpu_w, gpu_in = idle.total_w() + 0.5 * idle.gpu_w;
  for (std::size_t k = 0; k < 5; ++k) {
    const auto& t = f.ticks[k];
    EXPECT_NEAR(t.cpu_power_w, idle.cpu_w, 1e-9) << "tick " << k;
    EXPECT_NEAR(t.gpu_power_w, idle.gpu_w, 1e-9) << "tick " << k;
    const double decay = std::exp(-t.now_s / 180.0);
    EXPECT_NEAR(t.cpu_temp_c, 25 + 2.3 * cpu_in * (1 - decay), 1e-9) << "tick " << k;
    EXPECT_NEAR(t.gpu_temp_c, 25 + 2.3 * gpu_in * (1 - decay), 1e-9) << "tick " << k;
  }
  EXPECT_GT(f.ticks[4].cpu_temp_c, f.ticks[0].cpu_temp_c);
  EXPECT_EQ(result.requests.size(), 1u);
}

TEST(ThermalSimulation, ABusyTx2HeatsTowardsTheSteadyStateOfItsMeanRailPowers) {
  Fixture f;
  // Frames arrive 2 % faster than the board runs them: busy without a gap from 0 s to the end.
  const double frame_s = f.frame_s("tx2");
  const auto result = run_simulation(one_device("tx2", 1.02 / frame_s, 0, 300, 300), f.catalog, f.store,
                                     f.synth, f.registry, RunOptions{});
  const double end_s = result.simulated_end_s;
  ASSERT_GT(end_s, 300.0);
  const auto& rails = result.summary["groups"]["g"]["rail_energy_j"];
  const double in_w = rails["VDD_IN"].get<double>() / end_s;
  const double cpu_w = rails["VDD_SYS_CPU"].get<double>() / end_s;
  const double gpu_w = rails["VDD_SYS_GPU"].get<double>() / end_s;
  // The frame pattern repeats every ~frame_s << tau, so the zones follow the closed form of the
  // mean input (ripple ~ R x power swing x frame_s / tau, well under 0.05 K).
  const double cpu_steady_c = 25 + 2.3 * (in_w + 0.5 * cpu_w);
  const double gpu_steady_c = 25 + 2.3 * (in_w + 0.5 * gpu_w);
  // MobileNet-v2 under PyTorch keeps a TX2 at ~3.4 W (launch-bound): ~9 K above ambient.
  EXPECT_GT(cpu_steady_c, 30.0);
  ASSERT_GE(f.ticks.size(), 299u);
  double cpu_j = 0, gpu_j = 0;
  for (const auto& t : f.ticks) {
    const double rise = 1 - std::exp(-t.now_s / 180.0);
    EXPECT_NEAR(t.cpu_temp_c, 25 + (cpu_steady_c - 25) * rise, 0.05) << "at " << t.now_s << " s";
    EXPECT_NEAR(t.gpu_temp_c, 25 + (gpu_steady_c - 25) * rise, 0.05) << "at " << t.now_s << " s";
    // Each second holds ~1 / frame_s frames: within a frame's share of the mean.
    EXPECT_NEAR(t.cpu_power_w, cpu_w, cpu_w * 2 * frame_s) << "at " << t.now_s << " s";
    cpu_j += t.cpu_power_w * t.period_s;
    gpu_j += t.gpu_power_w * t.period_s;
  }
  // The ticks' per-domain powers add up to the rails' energy up to the last tick.
  const double last_s = f.ticks.back().now_s;
  EXPECT_NEAR(cpu_j + cpu_w * (end_s - last_s), rails["VDD_SYS_CPU"].get<double>(), 1e-3 * cpu_j);
  EXPECT_NEAR(gpu_j + gpu_w * (end_s - last_s), rails["VDD_SYS_GPU"].get<double>(), 1e-3 * gpu_j);
  // Still rising at the end: the run's maximum is the final temperature.
  const double end_cpu_c = 25 + (cpu_steady_c - 25) * (1 - std::exp(-end_s / 180.0));
  EXPECT_NEAR(result.summary["overall"]["max_cpu_temp_c"].get<double>(), end_cpu_c, 0.05);
  EXPECT_NEAR(result.summary["groups"]["g"]["max_cpu_temp_c"].get<double>(), end_cpu_c, 0.05);
}

TEST(ThermalSimulation, ACombinedCpuGpuRailGivesNoDomainPowerButTemperatures) {
  Fixture f;
  const auto result = run_simulation(one_device("xavier_nx", 1, 3, 1, 4), f.catalog, f.store, f.synth,
                                     f.registry, RunOptions{});
  ASSERT_GE(f.ticks.size(), 2u);
  // Xavier NX: VDD_IN, VDD_CPU_GPU_CV, VDD_SOC; no rail feeds exactly "cpu" or "gpu".
  EXPECT_TRUE(std::isnan(f.ticks[0].cpu_power_w));
  EXPECT_TRUE(std::isnan(f.ticks[0].gpu_power_w));
  EXPECT_GT(f.ticks[1].cpu_temp_c, 25.0);
  EXPECT_LT(f.ticks[1].cpu_temp_c, 26.0);  // 2 s of idle heating, tau = 150 s
  EXPECT_GT(result.summary["overall"]["max_gpu_temp_c"].get<double>(), 25.0);
}

TEST(ThermalSimulation, AServingDeviceHeatsThroughTheSameMeter) {
  Fixture f;
  auto spec = one_device("xavier_nx", 30, 0, 20, 20);
  spec.groups[0].policies["batching"] = {"fixed_batching", nlohmann::json::object()};
  spec.groups[0].ambient_c = 30;
  spec.groups[0].initial_temp_c = 30;
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_GT(result.requests.size(), 500u);
  ASSERT_GE(f.ticks.size(), 19u);
  // Busy batches heat the board above its ambient, monotonically at a steady frame rate.
  for (std::size_t k = 1; k < 19; ++k) EXPECT_GT(f.ticks[k].cpu_temp_c, f.ticks[k - 1].cpu_temp_c) << k;
  EXPECT_GT(f.ticks[18].cpu_temp_c, 30.0);
  EXPECT_GE(result.summary["overall"]["max_cpu_temp_c"].get<double>(), f.ticks[18].cpu_temp_c);
}

}  // namespace
}  // namespace edgetwin::sim

// ThermalModel (lumped RC zones) and its driving by EnergyMeter: engine-free. Expectations are
// the closed-form exponentials evaluated by hand (numbers from /usr/bin/python3 math.exp).

#include "edgetwin/sim/thermal.hpp"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "edgetwin/sim/energy_meter.hpp"

namespace edgetwin::sim {
namespace {

// One "cpu" zone: R = 2 K/W, tau = 10 s, heated by 1.0 x rail 1; fallback 1.5 x total.
// A "gpu" zone: R = 1 K/W, tau = 5 s, heated by 1.0 x rail 0 + 0.5 x rail 2.
traces::ThermalSpec two_zones() {
  traces::ThermalSpec spec;
  traces::ThermalZone cpu;
  cpu.name = "cpu";
  cpu.r_k_per_w = 2;
  cpu.tau_s = 10;
  cpu.inputs = {{1, 1.0}};
  cpu.fallback_total_weight = 1.5;
  cpu.limit_c = 30;
  traces::ThermalZone gpu;
  gpu.name = "gpu";
  gpu.r_k_per_w = 1;
  gpu.tau_s = 5;
  gpu.inputs = {{0, 1.0}, {2, 0.5}};
  spec.zones = {cpu, gpu};
  return spec;
}

TEST(Thermal, AStepOfPowerApproachesTheSteadyStateExponentially) {
  ThermalModel t(two_zones(), 25, 25);
  const int cpu = t.zone_index("cpu");
  ASSERT_EQ(cpu, 0);
  t.set_power(5.0, {1.0, 3.0, 2.0});
  EXPECT_DOUBLE_EQ(t.input_w(cpu), 3.0);
  EXPECT_DOUBLE_EQ(t.steady_c(cpu), 31.0);  // 25 + 2 K/W x 3 W
  t.advance(5.0);
  // 31 - 6 exp(-5/10) = 31 - 6 x 0.6065306597126334
  EXPECT_NEAR(t.temp_c(cpu), 27.3608160417242, 1e-12);
  // gpu: input 1 + 0.5 x 2 = 2 W -> 27 °C, tau 5 s: 27 - 2 exp(-1)
  EXPECT_NEAR(t.temp_c(t.zone_index("gpu")), 27.0 - 2 * 0.36787944117144233, 1e-12);
}

TEST(Thermal, TwoStepsChainTheClosedFormAndTheMaximumIsAtTheStepEnd) {
  ThermalModel t(two_zones(), 25, 25);
  t.set_power(5.0, {1.0, 3.0, 2.0});
  t.advance(5.0);
  t.set_power(0.0, {0.0, 0.0, 0.0});  // back to ambient
  t.advance(5.0);
  // 25 + (27.3608160417242 - 25) x exp(-0.5)
  EXPECT_NEAR(t.temp_c(0), 26.431907311247148, 1e-12);
  EXPECT_NEAR(t.max_temp_c(0), 27.3608160417242, 1e-12);
  EXPECT_FALSE(t.limit_reached(0));  // limit 30 °C
}

TEST(Thermal, SplittingAnIntervalGivesTheSameTemperature) {
  ThermalModel a(two_zones(), 25, 40), b(two_zones(), 25, 40);
  a.set_power(5.0, {1.0, 3.0, 2.0});
  b.set_power(5.0, {1.0, 3.0, 2.0});
  a.advance(7.5);
  b.advance(2.5);
  b.advance(0);
  b.advance(5.0);
  EXPECT_NEAR(a.temp_c(0), b.temp_c(0), 1e-12);
  EXPECT_NEAR(a.temp_c(1), b.temp_c(1), 1e-12);
  // Cooling from 40 °C towards 31 °C: the maximum is the initial temperature.
  EXPECT_DOUBLE_EQ(a.max_temp_c(0), 40.0);
  EXPECT_TRUE(a.limit_reached(0));
}

TEST(Thermal, ALongGapReachesTheSteadyState) {
  ThermalModel t(two_zones(), 25, 25);
  t.set_power(5.0, {1.0, 3.0, 2.0});
  t.advance(1e4);  // 1000 time constants
  EXPECT_DOUBLE_EQ(t.temp_c(0), 31.0);
  EXPECT_DOUBLE_EQ(t.temp_c(1), 27.0);
  EXPECT_TRUE(t.limit_reached(0));
}

TEST(Thermal, AnUnknownRailFallsBackToAShareOfTheTotal) {
  ThermalModel t(two_zones(), 25, 25);
  const double nan = std::nan("");
  t.set_power(4.0, {1.0, nan, 2.0});
  EXPECT_DOUBLE_EQ(t.input_w(0), 6.0);  // 1.5 x 4 W
  t.advance(10.0);
  // 37 - 12 exp(-1)
  EXPECT_NEAR(t.temp_c(0), 32.585446705942694, 1e-12);
  EXPECT_DOUBLE_EQ(t.input_w(1), 2.0);  // the gpu zone's rails are known
  t.set_power(4.0, {});                 // no rails at all
  EXPECT_DOUBLE_EQ(t.input_w(1), 4.0);  // fallback weight 1 (default)
}

TEST(Thermal, WithoutZonesTemperaturesAreUnknown) {
  ThermalModel t;
  EXPECT_FALSE(t.enabled());
  EXPECT_EQ(t.zone_index("cpu"), -1);
  EXPECT_TRUE(std::isnan(t.temp_c(-1)));
  EXPECT_TRUE(std::isnan(t.max_temp_c(t.zone_index("gpu"))));
  EXPECT_FALSE(t.limit_reached(-1));
  traces::ThermalSpec bad = two_zones();
  bad.zones[1].tau_s = -1;
  EXPECT_THROW(ThermalModel(bad, 25, 25), std::invalid_argument);
}

TEST(Thermal, TheEnergyMeterDrivesTheModelAtEveryLevelChange) {
  EnergyMeter m;
  m.attach_thermal(ThermalModel(two_zones(), 25, 25));
  m.reset(0, PowerState::idle, 1.0);
  m.set_rails({0.5, 0.5, 0.0});  // idle: cpu zone 0.5 W -> 26 °C
  m.set(5.0, PowerState::busy, 5.0);
  m.set_rails({1.0, 3.0, 2.0});  // busy: cpu zone 3 W -> 31 °C
  m.set(10.0, PowerState::idle, 1.0);
  m.set_rails({0.5, 0.5, 0.0});
  m.advance(10.0);

  ThermalModel ref(two_zones(), 25, 25);
  ref.set_power(1.0, {0.5, 0.5, 0.0});
  ref.advance(5.0);
  ref.set_power(5.0, {1.0, 3.0, 2.0});
  ref.advance(5.0);
  EXPECT_DOUBLE_EQ(m.thermal().temp_c(0), ref.temp_c(0));
  // By hand: 26 - exp(-0.5) after the idle part, then 31 + (T - 31) exp(-0.5).
  const double e = 0.6065306597126334;
  EXPECT_NEAR(m.thermal().temp_c(0), 31 + (26 - e - 31) * e, 1e-12);
  // A reset (boot clocks pinned by a policy) keeps the model and its state.
  m.reset(10.0, PowerState::idle, 1.0);
  EXPECT_NEAR(m.thermal().temp_c(0), 31 + (26 - e - 31) * e, 1e-12);
}

}  // namespace
}  // namespace edgetwin::sim

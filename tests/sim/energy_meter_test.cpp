// EnergyMeter and result helpers: engine-free.

#include "edgetwin/sim/energy_meter.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "edgetwin/sim/metrics.hpp"

namespace edgetwin::sim {
namespace {

TEST(EnergyMeter, IntegratesPowerPerStateAndLumps) {
  EnergyMeter m;
  m.reset(0, PowerState::idle, 2.0);
  m.set(1.0, PowerState::busy, 10.0);  // 1 s idle at 2 W
  m.set(1.5, PowerState::idle, 2.0);   // 0.5 s busy at 10 W
  m.add_j(PowerState::transition, 0.25);
  m.advance(3.0);  // 1.5 s idle
  EXPECT_DOUBLE_EQ(m.idle_j(), 2.0 + 3.0);
  EXPECT_DOUBLE_EQ(m.busy_j(), 5.0);
  EXPECT_DOUBLE_EQ(m.busy_s(), 0.5);
  EXPECT_DOUBLE_EQ(m.total_j(), 10.25);
  EXPECT_THROW(m.advance(2.0), std::logic_error);
}

TEST(Metrics, PercentileInterpolatesBetweenOrderStatistics) {
  EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 50), 2.5);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4, 5}, 95), 4.8);
  EXPECT_TRUE(std::isnan(percentile({}, 50)));
}

TEST(Metrics, SummaryCountsSloViolationsAndEnergyPerRequest) {
  RequestRecord a, b;
  a.arrival_s = 0, a.end_s = 0.1, a.slo_s = 0.2, a.energy_j = 1, a.units = a.edge_units = 3;
  b.arrival_s = 0, b.end_s = 0.3, b.slo_s = 0.2, b.energy_j = 3, b.units = 3, b.edge_units = 1;
  DeviceTotals d;
  d.energy_j = 10, d.idle_j = 6, d.busy_j = 4, d.rail_j = {10.0, NAN};
  const auto s = summarize({a, b}, {d}, 2.0, {"IN", "SYS"});
  EXPECT_DOUBLE_EQ(s["slo_violation_rate"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(s["energy_per_request_j"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(s["device_energy_per_request_j"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(s["throughput_rps"].get<double>(), 1.0);
  EXPECT_EQ(s["requests_offloaded"].get<long>(), 1);
  EXPECT_DOUBLE_EQ(s["rail_energy_j"]["IN"].get<double>(), 10.0);
  EXPECT_TRUE(s["rail_energy_j"]["SYS"].is_null());  // unknown stays unknown
}

TEST(EnergyMeter, IntegratesRailsAlongsideTheTotal) {
  EnergyMeter m;
  m.reset(0, PowerState::idle, 2.0);
  m.set_rails({2.0, 0.5});
  m.set(1.0, PowerState::busy, 10.0);
  m.set_rails({10.0, NAN});
  m.set(2.0, PowerState::idle, 2.0);
  m.set_rails({2.0, 0.5});
  m.advance(3.0);
  EXPECT_DOUBLE_EQ(m.rail_j()[0], 14.0);
  EXPECT_DOUBLE_EQ(m.rail_j()[0], m.total_j());
  EXPECT_TRUE(std::isnan(m.rail_j()[1]));
  EXPECT_THROW(m.set_rails({1.0}), std::logic_error);
}

}  // namespace
}  // namespace edgetwin::sim

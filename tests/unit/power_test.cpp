// Power and thermal sampling: integration on known waveforms, both INA3221 drivers on fake
// boards, a live sampler whose energy follows the fake load, thermal zones, tegrastats lines.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "edgetwin/hw/fake_board.hpp"
#include "edgetwin/hw/fake_driver.hpp"
#include "edgetwin/hw/power_sampler.hpp"
#include "edgetwin/hw/power_sensor.hpp"
#include "edgetwin/hw/tegrastats_power.hpp"
#include "edgetwin/hw/thermal_zones.hpp"
#include "edgetwin/traces/catalog.hpp"

#include "fake_root.hpp"

namespace {

namespace fs = std::filesystem;
using edgetwin::hw::PowerSample;

const edgetwin::traces::Catalog& catalog() {
  static const auto c = edgetwin::traces::Catalog::load(EDGETWIN_CATALOG_DIR);
  return c;
}

const edgetwin::traces::Synthesizer& synth() {
  static const edgetwin::traces::Synthesizer s(
      catalog(), edgetwin::traces::load_synth_calibration(
                     edgetwin::traces::default_calibration_path(EDGETWIN_CATALOG_DIR)));
  return s;
}

std::vector<PowerSample> sampled(double t0, double t1, double h, double (*power)(double)) {
  std::vector<PowerSample> s;
  for (int i = 0; t0 + i * h <= t1 + 1e-12; ++i) {
    const double t = t0 + i * h;
    s.push_back({t, power(t), {power(t), 0.5 * power(t)}});
  }
  return s;
}

TEST(EnergyIntegration, QuadraticWaveform) {
  // P(t) = 3 + t^2 W: over [0, 2] the energy is 6 + 8/3 J; over [0.25, 1.5] it is
  // 3 x 1.25 + (1.5^3 - 0.25^3) / 3 = 4.869791(6) J. Trapezoid error at h = 1 ms: < 1e-6 J.
  const auto s = sampled(0, 2, 0.001, [](double t) { return 3 + t * t; });
  EXPECT_NEAR(edgetwin::hw::integrate_energy_j(s, 0, 2), 6 + 8.0 / 3, 1e-5);
  EXPECT_NEAR(edgetwin::hw::integrate_energy_j(s, 0.25, 1.5), 4.8697916, 1e-5);
  // A window between two samples is interpolated: [0.2502, 0.2507] of P ~ 3.0626 W.
  EXPECT_NEAR(edgetwin::hw::integrate_energy_j(s, 0.2502, 0.2507), 0.0005 * (3 + 0.25045 * 0.25045), 1e-8);
  const auto w = edgetwin::hw::integrate_window(s, 0, 2);
  ASSERT_EQ(w.rail_energy_j.size(), 2U);
  EXPECT_NEAR(w.rail_energy_j[1], 0.5 * (6 + 8.0 / 3), 1e-5);
  EXPECT_NEAR(w.mean_w, (6 + 8.0 / 3) / 2, 1e-5);
  EXPECT_EQ(w.samples, 2001);
}

TEST(EnergyIntegration, StepWaveformAndEnds) {
  // 5 W until 0.3 s, then 1 W, sampled every 10 ms: [0.1, 0.5] holds 0.2 x 5 + 0.2 x 1 = 1.2 J;
  // the sampled step is a ramp over one period, off by at most 10 ms x 4 W / 2 = 0.02 J.
  const auto s = sampled(0, 1, 0.01, [](double t) { return t < 0.3 - 1e-9 ? 5.0 : 1.0; });
  EXPECT_NEAR(edgetwin::hw::integrate_energy_j(s, 0.1, 0.5), 1.2, 0.0201);
  // Outside the sampled span the first and last values are held.
  EXPECT_NEAR(edgetwin::hw::integrate_energy_j(s, -1, 0), 5.0, 1e-12);
  EXPECT_NEAR(edgetwin::hw::integrate_energy_j(s, 1, 3), 2.0, 1e-12);
  EXPECT_EQ(edgetwin::hw::integrate_energy_j({}, 0, 1), 0);
  EXPECT_EQ(edgetwin::hw::integrate_energy_j(s, 0.5, 0.1), 0);
}

class FakePower : public ::testing::Test {
 protected:
  void SetUp() override { root_ = edgetwin::testing::make_test_root("edgetwin_power"); }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

// A known load: 1.5 W CPU, 6 W GPU, 1 W SoC, 0.5 W DDR = 9 W.
edgetwin::traces::PowerComponents known_load() {
  edgetwin::traces::PowerComponents c;
  c.cpu_w = 1.5;
  c.gpu_w = 6;
  c.soc_w = 1;
  c.ddr_w = 0.5;
  return c;
}

TEST_F(FakePower, BothDriversAndSummedRails) {
  // nano: ina3221x iio (mW); xavier_nx: ina3221 hwmon (mV x mA) with a total rail; agx_orin:
  // hwmon, no total rail (sum), "NC" channels skipped.
  for (const std::string id : {"nano", "xavier_nx", "agx_orin"}) {
    const auto& board = catalog().board(id);
    const fs::path dir = root_ / id;
    edgetwin::hw::build_fake_board(board, dir.string());
    edgetwin::hw::FakeBoardDriver driver(board, synth(), dir.string());
    driver.set_load(known_load());
    driver.step(0.001);
    edgetwin::hw::Sysfs sysfs(dir.string());
    edgetwin::hw::PowerSensor sensor(sysfs, board);
    EXPECT_EQ(sensor.channels().front().iio, id == "nano") << id;
    const auto rails = sensor.read_rails_w();
    // 5 mA resolution at 5 V on hwmon: 25 mW per channel.
    EXPECT_NEAR(sensor.total_w(rails), 9.0, 0.03) << id;
  }
}

TEST_F(FakePower, MissingRailIsNamed) {
  const auto& board = catalog().board("xavier_nx");
  edgetwin::hw::build_fake_board(board, root_.string());
  fs::remove_all(root_ / "sys/bus/i2c/drivers");
  edgetwin::hw::Sysfs sysfs(root_.string());
  try {
    edgetwin::hw::PowerSensor sensor(sysfs, board);
    FAIL();
  } catch (const edgetwin::hw::SysfsError& e) {
    EXPECT_NE(std::string(e.what()).find("no INA3221 channel for the xavier_nx rail(s) VDD_IN"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(FakePower, SampledEnergyFollowsTheLoad) {
  const auto& board = catalog().board("xavier_nx");
  edgetwin::hw::build_fake_board(board, root_.string());
  edgetwin::hw::FakeBoardDriver driver(board, synth(), root_.string());
  driver.start(0.002);
  edgetwin::hw::Sysfs sysfs(root_.string());
  edgetwin::hw::PowerSensor sensor(sysfs, board);
  edgetwin::hw::PowerSampler sampler(sensor, 0.005);
  sampler.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const double idle_w = driver.power_w();
  driver.set_load(known_load());
  const double t0 = sampler.now_s();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double t1 = sampler.now_s();
  driver.set_load(std::nullopt);
  const auto busy = sampler.window(t0, t1);
  // 9 W for 0.5 s = 4.5 J; the fake kernel and the sampler each lag by a few ms (at most
  // ~30 ms x (9 - idle) W at the start of the window).
  EXPECT_NEAR(busy.energy_j, 9.0 * (t1 - t0), 0.3) << "idle " << idle_w;
  EXPECT_GT(busy.samples, 50);
  EXPECT_LT(idle_w, 5.0);
  sampler.stop();
  driver.stop();
}

TEST_F(FakePower, ThermalZonesByType) {
  const auto& board = catalog().board("tx2");
  edgetwin::hw::build_fake_board(board, root_.string());
  std::ofstream(root_ / "sys/devices/virtual/thermal/thermal_zone1/temp") << "47500\n";    // MCPU-therm
  std::ofstream(root_ / "sys/devices/virtual/thermal/thermal_zone2/temp") << "-256000\n";  // GPU-therm
  edgetwin::hw::Sysfs sysfs(root_.string());
  const auto readings = edgetwin::hw::read_thermal_zones(sysfs);
  ASSERT_GE(readings.size(), 3U);
  EXPECT_EQ(readings[0].type, "BCPU-therm");
  EXPECT_DOUBLE_EQ(readings[0].temp_c, 35.0);
  // The catalog's cpu zone stands for BCPU-therm and MCPU-therm: the hotter one.
  EXPECT_DOUBLE_EQ(edgetwin::hw::zone_temperature_c(readings, board.thermal.zones[0]), 47.5);
  EXPECT_TRUE(std::isnan(edgetwin::hw::zone_temperature_c(readings, board.thermal.zones[1])));
}

TEST(Tegrastats, L4t32Jp5AndJp7Lines) {
  // Lines of jtop's tegrastats emulator (rbonghi/jetson_stats tests/tegrastats), abridged.
  const auto nano = edgetwin::hw::parse_tegrastats_line(
      "RAM 330/3964MB (lfb 1x1MB) SWAP 0/1982MB (cached 0MB) CPU [12%@102,off,off,off] EMC_FREQ 0% GR3D_FREQ "
      "5% "
      "PLL@20C CPU@23C GPU@22.5C AO@30C thermal@22.75C POM_5V_IN 933/933 POM_5V_GPU 0/0 POM_5V_CPU 84/84");
  EXPECT_DOUBLE_EQ(nano.rails_mw.at("POM_5V_IN"), 933);
  EXPECT_EQ(nano.rails_mw.count("RAM"), 0U);
  EXPECT_DOUBLE_EQ(nano.temps_c.at("GPU"), 22.5);
  EXPECT_DOUBLE_EQ(nano.gpu_load_pct, 5);
  EXPECT_DOUBLE_EQ(edgetwin::hw::tegrastats_total_w(nano, catalog().board("nano")), 0.933);

  const auto orin = edgetwin::hw::parse_tegrastats_line(
      "01-03-2023 16:07:54 RAM 2257/30536MB (lfb 6820x4MB) EMC_FREQ 0%@204 GR3D_FREQ 7%@0 tj@41.656C "
      "CPU@-256C VDD_GPU_SOC 2390mW/2390mW VDD_CPU_CV 796mW/796mW VIN_SYS_5V0 3522mW/3522mW NC 0mW/0mW "
      "VDDQ_VDD2_1V8AO 301mW/301mW NC 0mW/0mW");
  EXPECT_DOUBLE_EQ(orin.emc_mhz, 204);
  EXPECT_DOUBLE_EQ(orin.gpu_load_pct, 7);
  EXPECT_DOUBLE_EQ(orin.temps_c.at("tj"), 41.656);
  EXPECT_TRUE(std::isnan(orin.temps_c.at("CPU")));
  // agx_orin has no total rail: the sum of its four catalog rails, 2390 + 796 + 3522 + 301 mW.
  EXPECT_NEAR(edgetwin::hw::tegrastats_total_w(orin, catalog().board("agx_orin")), 7.009, 1e-12);

  const auto jp7 = edgetwin::hw::parse_tegrastats_line(
      "EMC_FREQ 3%@3199 GR3D_FREQ 12%@[1300,1300] VDD_GPU_SOC 5139mW/5139mW/5139mW VDD_CPU_CV "
      "3268mW/3268mW/3268mW "
      "VIN_SYS_5V0 5500mW/5500mW/5500mW");
  EXPECT_DOUBLE_EQ(jp7.rails_mw.at("VDD_CPU_CV"), 3268);
  EXPECT_DOUBLE_EQ(jp7.gpu_load_pct, 12);
  EXPECT_DOUBLE_EQ(jp7.emc_mhz, 3199);
  // A rail of the sum is missing from this line: unknown, not a smaller total.
  EXPECT_TRUE(std::isnan(edgetwin::hw::tegrastats_total_w(jp7, catalog().board("agx_orin"))));
}

}  // namespace

// tegrastats as the power source (the fallback where the INA3221 files cannot be read): a stand-in
// tegrastats prints a JetPack 5 line every 20 ms with VDD_IN at 4 W; the source follows its output,
// the sampler integrates it, and a command that never gives the board's power is named.
TEST(TegrastatsPower, FollowsTheCommandsLinesAndIntegratesThem) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "edgetwin_tegrastats_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path fake = dir / "tegrastats";
  {
    std::ofstream f(fake);
    f << "#!/bin/sh\n"
         "[ \"$1\" = --interval ] || { echo \"usage: tegrastats --interval MS\" >&2; exit 2; }\n"
         "while true; do\n"
         "  echo \"RAM 2257/7620MB (lfb 6x4MB) EMC_FREQ 0%@204 GR3D_FREQ 7%@0 tj@41.5C VDD_IN 4000mW/4000mW "
         "VDD_CPU_GPU_CV 1500mW/1500mW VDD_SOC 1200mW/1200mW\"\n"
         "  sleep 0.02\n"
         "done\n";
  }
  fs::permissions(fake, fs::perms::owner_all);
  const auto& board = catalog().board("xavier_nx");
  {
    edgetwin::hw::TegrastatsPower power(fake.string(), 20, (dir / "out.log").string(), board);
    const auto first = power.read();
    EXPECT_DOUBLE_EQ(first.total_w, 4.0);
    ASSERT_EQ(first.rails_w.size(), board.rails.size());
    EXPECT_DOUBLE_EQ(first.rails_w[0], 4.0);  // VDD_IN
    edgetwin::hw::PowerSampler sampler([&power] { return power.read(); }, 0.005);
    sampler.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const double t0 = sampler.now_s();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto w = sampler.window(t0, sampler.now_s());
    sampler.stop();
    EXPECT_NEAR(w.mean_w, 4.0, 1e-9);
    EXPECT_NEAR(w.energy_j, 4.0 * w.duration_s, 1e-9);
    EXPECT_GT(power.lines(), 3U);
  }
  // A command whose lines lack the board's total rail: named, with where its output went.
  {
    std::ofstream f(fake);
    f << "#!/bin/sh\nwhile true; do echo \"RAM 1/2MB POM_5V_IN 933/933\"; sleep 0.02; done\n";
  }
  try {
    edgetwin::hw::TegrastatsPower power(fake.string(), 20, (dir / "out2.log").string(), board, 0.3);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("rail VDD_IN"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("out2.log"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

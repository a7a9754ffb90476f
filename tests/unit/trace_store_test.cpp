// TraceStore: exact answers on sampled points, exact recovery of functions inside the fit basis,
// bounded error on held-out clocks for a function outside it, batch/concurrency interpolation,
// error messages, and the per-call cost of estimate().

#include "edgetwin/traces/trace_store.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "edgetwin/common/error.hpp"
#include "edgetwin/traces/unit_fit.hpp"

#include "trace_test_support.hpp"

namespace edgetwin::traces {
namespace {

using ClockFunction = std::function<double(const ClockSetting&)>;

// Board maxima (test_board) and the normalised clocks x_d = f_d / f_d,max.
constexpr double kCpuMax = 1907200;
constexpr double kGpuMax = 1109250000;
constexpr double kEmcMax = 1866000000;
double xc(const ClockSetting& c) {
  return static_cast<double>(c.cpu_khz) / kCpuMax;
}
double xg(const ClockSetting& c) {
  return static_cast<double>(c.gpu_hz) / kGpuMax;
}
double xm(const ClockSetting& c) {
  return static_cast<double>(c.emc_hz) / kEmcMax;
}

// Exactly inside the bases.
double basis_latency_s(const ClockSetting& c) {
  return 1e-4 + 2e-4 / xc(c) + 5e-3 / xg(c) + 1e-3 / xm(c);
}
double basis_power_w(const ClockSetting& c) {
  return 2 + 0.5 * xc(c) + 1.0 * std::pow(xc(c), 3) + 1.5 * xg(c) + 3 * std::pow(xg(c), 3) + 0.4 * xm(c) +
         0.8 * std::pow(xm(c), 3);
}
double basis_cpu_gpu_rail_w(const ClockSetting& c) {
  return 0.5 * xc(c) + 1.0 * std::pow(xc(c), 3) + 1.5 * xg(c) + 3 * std::pow(xg(c), 3);
}

// Outside them: within one kernel, compute and memory time overlap (a smoothed max, not a sum).
double smooth_max(double a, double b) {
  return std::pow(std::pow(a, 4) + std::pow(b, 4), 0.25);
}
// A unit of several kernels (a compute-bound conv, a memory-bound norm/activation, a balanced
// one): a sum of smoothed maxima, mildly outside the additive basis.
double kernels_latency_s(const ClockSetting& c) {
  return 2e-4 + 3e-4 / xc(c) + smooth_max(3e-3 / xg(c), 0.4e-3 / xm(c)) +
         smooth_max(0.3e-3 / xg(c), 1.5e-3 / xm(c)) + smooth_max(0.6e-3 / xg(c), 0.6e-3 / xm(c));
}
// The worst case for the basis: a single roofline whose regime flips across the grid.
double roofline_latency_s(const ClockSetting& c) {
  return 2e-4 + 3e-4 / xc(c) + smooth_max(4e-3 / xg(c), 2.5e-3 / xm(c));
}
// The overlap form with p = 3 (compute/memory) and q = 4 (CPU/GPU), as eager PyTorch runs.
double overlap_latency_s(const ClockSetting& c) {
  const double cpu = 1e-4 + 4e-4 / xc(c);
  const double device = std::cbrt(std::pow(3e-3 / xg(c), 3) + std::pow(2e-3 / xm(c), 3));
  return std::pow(std::pow(cpu, 4) + std::pow(device, 4), 0.25);
}
// Power from the energy model: static power over the latency plus clock-dependent dynamic energy.
double energy_model_power_w(const ClockSetting& c) {
  const double latency = overlap_latency_s(c);
  const double energy = latency * (3.0 + 1.0 * xc(c) + 4.0 * xg(c) + 0.5 * xm(c)) + 2e-4 + 1e-3 * xc(c) +
                        6e-3 * xg(c) * xg(c) + 1e-3 * xm(c) + 2e-3 * xm(c) * xm(c);
  return energy / latency;
}
// Dynamic power f V^2 with V linear in f has an f^2 term the power basis lacks.
double fv2_power_w(const ClockSetting& c) {
  auto dynamic = [](double x, double w_at_max) { return w_at_max * x * std::pow(0.6 + 0.4 * x, 2); };
  return 1.8 + dynamic(xc(c), 1.5) + dynamic(xg(c), 6.0) + dynamic(xm(c), 1.2);
}

// The sparse grid the traces sample: 3 CPU x 4 GPU x 3 EMC = 36 points.
const std::vector<std::int64_t> kGridCpu = {345600, 1190400, 1907200};
const std::vector<std::int64_t> kGridGpu = {114750000, 510000000, 803250000, 1109250000};
const std::vector<std::int64_t> kGridEmc = {204000000, 1600000000, 1866000000};

std::vector<ClockSetting> grid() {
  std::vector<ClockSetting> out;
  for (auto c : kGridCpu) {
    for (auto g : kGridGpu) {
      for (auto m : kGridEmc) out.push_back({c, g, m});
    }
  }
  return out;
}

bool on_grid(const ClockSetting& c) {
  for (const ClockSetting& g : grid()) {
    if (g == c) return true;
  }
  return false;
}

// Every combination of the board's tables that the grid does not sample.
std::vector<ClockSetting> held_out() {
  const Board board = testing::test_board();
  std::vector<ClockSetting> out;
  for (auto c : board.cpu_freqs_khz) {
    for (auto g : board.gpu_freqs_hz) {
      for (auto m : board.emc_freqs_hz) {
        if (!on_grid({c, g, m})) out.push_back({c, g, m});
      }
    }
  }
  return out;
}

// A trace of unit 0 sampling `latency`/`power` on the grid, at every (batch, concurrency) given;
// latency is scaled by (1 + 0.5 (batch - 1)) (1 + 0.25 (concurrency - 1)).
TraceFile make_trace(const ClockFunction& latency, const ClockFunction& power,
                     const std::vector<int>& batches = {1}, const std::vector<int>& concurrencies = {1},
                     const std::string& runtime = "pytorch") {
  TraceFile trace;
  trace.provenance = testing::synthetic_provenance(runtime);
  trace.rails = {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"};
  for (int b : batches) {
    for (int k : concurrencies) {
      const double scale = (1 + 0.5 * (b - 1)) * (1 + 0.25 * (k - 1));
      for (const ClockSetting& c : grid()) {
        TraceSample s;
        s.unit = 0;
        s.batch = b;
        s.concurrency = k;
        s.clocks = c;
        s.latency_mean_s = scale * latency(c);
        s.latency_std_s = 0.02 * s.latency_mean_s;
        s.repeats = 10;
        s.power_total_w = power(c);
        s.rail_power_w = {s.power_total_w, basis_cpu_gpu_rail_w(c), std::numeric_limits<double>::quiet_NaN()};
        trace.samples.push_back(s);
      }
    }
  }
  return trace;
}

double rel(double a, double b) {
  return std::abs(a - b) / std::abs(b);
}

TEST(TraceStore, RecoversAFunctionInsideTheBasisAtUnsampledClocks) {
  const Catalog catalog = testing::test_catalog();
  TraceStore store(catalog);
  store.add(make_trace(basis_latency_s, basis_power_w));
  for (const ClockSetting& c : held_out()) {
    const UnitEstimate e = store.estimate("test_board", "tiny_net", 0, 1, 1, c);
    EXPECT_FALSE(e.exact);
    EXPECT_LT(rel(e.latency_s, basis_latency_s(c)), 1e-9) << c.cpu_khz << " " << c.gpu_hz << " " << c.emc_hz;
    EXPECT_LT(rel(e.power_total_w, basis_power_w(c)), 1e-9);
    EXPECT_LT(rel(e.rail_power_w[0], basis_power_w(c)), 1e-9);
    EXPECT_LT(rel(e.rail_power_w[1], basis_cpu_gpu_rail_w(c)), 1e-9);
    EXPECT_TRUE(std::isnan(e.rail_power_w[2]));  // never measured: unknown, not invented
    EXPECT_LT(rel(e.latency_std_s, 0.02 * basis_latency_s(c)), 1e-9);
  }
  for (const FitQuality& q : store.fit_quality("test_board", "tiny_net")) {
    EXPECT_EQ(q.points, 36);
    EXPECT_LT(q.latency_rms_rel, 1e-12);
    EXPECT_LT(q.latency_loo_max_rel, 1e-9);
    EXPECT_LT(q.power_rms_rel, 1e-12);
    EXPECT_LT(q.power_loo_max_rel, 1e-9);
    EXPECT_TRUE(q.dropped_terms.empty());
  }
}

TEST(TraceStore, ReturnsASampledPointVerbatim) {
  const Catalog catalog = testing::test_catalog();
  TraceFile trace = make_trace(basis_latency_s, basis_power_w);
  // Off the fitted surface on purpose: the answer must be the sample, not the fit.
  TraceSample& s = trace.samples[7];
  s.latency_mean_s *= 1.37;
  s.latency_std_s = 1.25e-5;
  s.power_total_w = s.rail_power_w[0] = 9.8765;
  const TraceSample copy = s;
  TraceStore store(catalog);
  store.add(std::move(trace));
  const UnitEstimate e = store.estimate("test_board", "tiny_net", 0, 1, 1, copy.clocks);
  EXPECT_TRUE(e.exact);
  EXPECT_EQ(e.latency_s, copy.latency_mean_s);
  EXPECT_EQ(e.latency_std_s, copy.latency_std_s);
  EXPECT_EQ(e.power_total_w, copy.power_total_w);
  EXPECT_EQ(e.rail_power_w[0], copy.rail_power_w[0]);
  EXPECT_EQ(e.rail_power_w[1], copy.rail_power_w[1]);
  EXPECT_TRUE(std::isnan(e.rail_power_w[2]));
}

struct HeldOut {
  double latency_max_rel = 0;
  double power_max_rel = 0;
  FitQuality quality;
};

HeldOut held_out_error(const ClockFunction& latency, const ClockFunction& power) {
  const Catalog catalog = testing::test_catalog();
  TraceStore store(catalog);
  store.add(make_trace(latency, power));
  HeldOut h;
  for (const ClockSetting& c : held_out()) {
    const UnitEstimate e = store.estimate("test_board", "tiny_net", 0, 1, 1, c);
    h.latency_max_rel = std::max(h.latency_max_rel, rel(e.latency_s, latency(c)));
    h.power_max_rel = std::max(h.power_max_rel, rel(e.power_total_w, power(c)));
  }
  h.quality = store.fit_quality("test_board", "tiny_net").at(0);
  std::printf(
      "[ held-out %zu points ] latency max rel err %.4f (in-sample rms %.4f, LOO max %.4f); "
      "power max rel err %.4f (rms %.4f, LOO max %.4f)\n",
      held_out().size(), h.latency_max_rel, h.quality.latency_rms_rel, h.quality.latency_loo_max_rel,
      h.power_max_rel, h.quality.power_rms_rel, h.quality.power_loo_max_rel);
  return h;
}

TEST(TraceStore, HeldOutErrorIsSmallForAUnitOfSeveralKernels) {
  const HeldOut h = held_out_error(kernels_latency_s, fv2_power_w);
  EXPECT_LT(h.latency_max_rel, 0.08);
  EXPECT_LT(h.power_max_rel, 0.04);
  EXPECT_LT(h.quality.latency_rms_rel, 0.05);
  // A sum of maxima is in neither latency model; the reported LOO error shows the real one.
  EXPECT_GT(h.quality.latency_loo_max_rel, 0.5 * h.latency_max_rel);
}

TEST(TraceStore, FitsASingleRooflineWithTheOverlapForm) {
  // One smoothed max() that flips regime across the grid defeats the additive basis (held-out
  // error ~24 %) but is the overlap form with p = 4, q = 1.
  const HeldOut h = held_out_error(roofline_latency_s, fv2_power_w);
  EXPECT_LT(h.latency_max_rel, 1e-6);
  EXPECT_LT(h.quality.latency_loo_max_rel, 1e-6);
  EXPECT_EQ(h.quality.latency_model, "overlap p=4 q=1");
}

TEST(TraceStore, RecoversOverlappedLatencyAndEnergyModelPower) {
  const HeldOut h = held_out_error(overlap_latency_s, energy_model_power_w);
  EXPECT_LT(h.latency_max_rel, 0.01);
  EXPECT_LT(h.power_max_rel, 0.01);
  EXPECT_LT(h.quality.latency_loo_max_rel, 0.01);
  EXPECT_LT(h.quality.power_loo_max_rel, 0.01);
  EXPECT_EQ(h.quality.latency_model, "overlap p=3 q=4");
  EXPECT_EQ(h.quality.power_model, "energy");
}

TEST(TraceStore, FitQualityNamesTheChosenModels) {
  const Catalog catalog = testing::test_catalog();
  TraceStore store(catalog);
  store.add(make_trace(basis_latency_s, basis_power_w));
  const FitQuality q = store.fit_quality("test_board", "tiny_net").at(0);
  // Inside the linear bases: ties go to the simpler models.
  EXPECT_EQ(q.latency_model, "linear");
  EXPECT_EQ(q.power_model, "power basis");
  const HeldOut h = held_out_error(kernels_latency_s, energy_model_power_w);
  EXPECT_EQ(h.quality.latency_model, "linear");  // overlap gains < 10 % in-sample: not kept
  EXPECT_EQ(h.quality.power_model, "energy");
}

TEST(TraceStore, InterpolatesBatchAndConcurrencyBilinearly) {
  const Catalog catalog = testing::test_catalog();
  TraceStore store(catalog);
  store.add(make_trace(basis_latency_s, basis_power_w, {1, 4}, {1, 3}));
  const ClockSetting c{729600, 306000000, 665600000};  // unsampled clocks: fits at every corner
  // Latency scales as (1 + 0.5 (b - 1)) (1 + 0.25 (k - 1)), which bilinear interpolation reproduces.
  EXPECT_LT(rel(store.estimate("test_board", "tiny_net", 0, 2, 1, c).latency_s, 1.5 * basis_latency_s(c)),
            1e-9);
  EXPECT_LT(
      rel(store.estimate("test_board", "tiny_net", 0, 3, 2, c).latency_s, 2.0 * 1.25 * basis_latency_s(c)),
      1e-9);
  EXPECT_LT(rel(store.estimate("test_board", "tiny_net", 0, 1, 2, c).power_total_w, basis_power_w(c)), 1e-9);
  // On a sampled clock setting, interpolated batches blend the two samples.
  const ClockSetting s = grid()[5];
  const UnitEstimate mid = store.estimate("test_board", "tiny_net", 0, 2, 1, s);
  EXPECT_FALSE(mid.exact);
  EXPECT_LT(rel(mid.latency_s, 1.5 * basis_latency_s(s)), 1e-12);

  try {
    store.estimate("test_board", "tiny_net", 0, 8, 1, c);
    FAIL() << "batch 8 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("batch 8 is outside the sampled range 1..4"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(store.estimate("test_board", "tiny_net", 0, 1, 4, c), std::invalid_argument);
  EXPECT_THROW(store.estimate("test_board", "tiny_net", 1, 1, 1, c),
               std::invalid_argument);  // unit not traced
}

TEST(TraceStore, HeadEstimateAnswersFromTheHeadRows) {
  const Catalog catalog = testing::test_catalog();
  TraceStore store(catalog);
  const std::string file =
      std::string(EDGETWIN_TEST_DATA_DIR) + "/traces/heads/test_board_tiny_net_heads_pytorch_fp32.csv";
  store.add(read_trace_file(file, catalog));
  const ClockSetting top{1907200, 1109250000, 1866000000};
  const ClockSetting bottom{345600, 114750000, 204000000};
  // Sampled points come back verbatim (the fixture's head:0 rows), apart from the unit rows.
  const UnitEstimate h = store.head_estimate("test_board", "tiny_net", 0, 1, 1, top);
  EXPECT_TRUE(h.exact);
  EXPECT_EQ(h.latency_s, 0.0002);
  EXPECT_EQ(h.latency_std_s, 0.000004);
  EXPECT_EQ(h.power_total_w, 6.0);
  ASSERT_EQ(h.rail_power_w.size(), 3u);
  EXPECT_EQ(h.rail_power_w[1], 2.5);
  EXPECT_EQ(store.head_estimate("test_board", "tiny_net", 0, 1, 1, bottom).latency_s, 0.0008);
  EXPECT_EQ(store.head_estimate("test_board", "tiny_net", 0, 2, 1, top).latency_s, 0.0003);
  EXPECT_EQ(store.estimate("test_board", "tiny_net", 0, 1, 1, top).latency_s, 0.00123);  // the unit
  // Batch 3 is outside the head's sampled batches 1..2.
  EXPECT_THROW(store.head_estimate("test_board", "tiny_net", 0, 3, 1, top), std::invalid_argument);
  // Two heads after unit 1: the store answers the first (gap_fc), which has no rows here.
  try {
    store.head_estimate("test_board", "tiny_net", 1, 1, 1, top);
    FAIL() << "a head without rows was answered";
  } catch (const common::DataError& e) {
    EXPECT_EQ(e.file(), file);
    EXPECT_NE(e.reason().find("no head rows (head:1, gap_fc) for the exit head after unit 1 (gap_fc) of "
                              "test_board/tiny_net/pytorch/fp32"),
              std::string::npos)
        << e.what();
    EXPECT_NE(e.reason().find("regenerate the traces"), std::string::npos) << e.what();
  }
  try {
    store.head_estimate("test_board", "tiny_net", 2, 1, 1, top);
    FAIL() << "unit 2 has no exit";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("model tiny_net has no exit after unit 2; its exit points "
                                         "(after_unit): 0, 1, 1"),
              std::string::npos)
        << e.what();
  }
  // Head groups are listed apart from the unit groups.
  const auto heads = store.head_fit_quality("test_board", "tiny_net");
  ASSERT_EQ(heads.size(), 3u);  // (exit 0, batch 1), (exit 0, batch 2), (exit 2, batch 1)
  EXPECT_EQ(heads[0].exit, 0);
  EXPECT_EQ(heads[0].points, 2);
  EXPECT_EQ(heads[2].exit, 2);
  EXPECT_EQ(heads[2].unit, 1);
  for (const FitQuality& q : store.fit_quality("test_board", "tiny_net")) EXPECT_EQ(q.exit, -1);
}

TEST(TraceStore, HeadEstimateFitsClocksAndInterpolatesBatchLikeAUnit) {
  const Catalog catalog = testing::test_catalog();
  TraceStore store(catalog);
  TraceFile trace = make_trace(basis_latency_s, basis_power_w);
  // Head rows of exit 0 (after unit 0): a tenth of the unit's latency, at batches 1 and 3.
  for (int b : {1, 3}) {
    for (const ClockSetting& c : grid()) {
      TraceSample s;
      s.unit = 0;
      s.exit = 0;
      s.batch = b;
      s.clocks = c;
      s.latency_mean_s = 0.1 * b * basis_latency_s(c);
      s.power_total_w = basis_power_w(c);
      s.rail_power_w = {s.power_total_w, basis_cpu_gpu_rail_w(c), std::numeric_limits<double>::quiet_NaN()};
      trace.head_samples.push_back(s);
    }
  }
  store.add(std::move(trace));
  const ClockSetting c{729600, 306000000, 665600000};  // not on the grid: the head's fit answers
  const UnitEstimate one = store.head_estimate("test_board", "tiny_net", 0, 1, 1, c);
  EXPECT_FALSE(one.exact);
  EXPECT_LT(rel(one.latency_s, 0.1 * basis_latency_s(c)), 1e-9);
  EXPECT_LT(rel(one.power_total_w, basis_power_w(c)), 1e-9);
  EXPECT_TRUE(std::isnan(one.rail_power_w[2]));
  // Batch 2, halfway between sampled 1 and 3: 0.2 x the unit's latency.
  EXPECT_LT(
      rel(store.head_estimate("test_board", "tiny_net", 0, 2, 1, c).latency_s, 0.2 * basis_latency_s(c)),
      1e-9);
  // The unit itself is unchanged by the head rows.
  EXPECT_LT(rel(store.estimate("test_board", "tiny_net", 0, 1, 1, c).latency_s, basis_latency_s(c)), 1e-9);
  // A trace built in memory names itself in the error of a head without rows.
  try {
    store.head_estimate("test_board", "tiny_net", 1, 1, 1, c);
    FAIL();
  } catch (const common::DataError& e) {
    EXPECT_EQ(e.file(), "<trace in memory>");
  }
}

TEST(TraceStore, RejectsClocksOutsideTheBoardTables) {
  const Catalog catalog = testing::test_catalog();
  TraceStore store(catalog);
  store.add(make_trace(basis_latency_s, basis_power_w));
  try {
    store.estimate("test_board", "tiny_net", 0, 1, 1, {1907200, 1100000000, 1866000000});
    FAIL() << "unlisted GPU clock accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(
        std::string(e.what()).find("gpu_hz 1100000000 is not in the test_board table; allowed: 114750000"),
        std::string::npos)
        << e.what();
  }
  EXPECT_THROW(store.estimate("test_board", "tiny_net", 0, 1, 1, {1907201, 1109250000, 1866000000}),
               std::invalid_argument);
  EXPECT_THROW(store.estimate("test_board", "tiny_net", 5, 1, 1, grid()[0]), std::invalid_argument);
}

TEST(TraceStore, KeepsRuntimesAndPrecisionsApart) {
  const Catalog catalog = testing::test_catalog();
  TraceStore store(catalog);
  store.add(make_trace(basis_latency_s, basis_power_w));
  store.add(make_trace([](const ClockSetting& c) { return 0.5 * basis_latency_s(c); }, basis_power_w, {1},
                       {1}, "tensorrt"));
  EXPECT_THROW(store.add(make_trace(basis_latency_s, basis_power_w)), std::invalid_argument);
  EXPECT_TRUE(store.has("test_board", "tiny_net"));
  EXPECT_TRUE(store.has("test_board", "tiny_net", "fp32", "tensorrt"));
  EXPECT_FALSE(store.has("test_board", "tiny_net", "fp16"));
  EXPECT_EQ(store.keys().size(), 2u);
  const ClockSetting c = grid()[3];
  EXPECT_EQ(store.estimate("test_board", "tiny_net", 0, 1, 1, c).latency_s,
            2 * store.estimate("test_board", "tiny_net", 0, 1, 1, c, "fp32", "tensorrt").latency_s);
  try {
    store.estimate("test_board", "tiny_net", 0, 1, 1, c, "fp16");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no trace for test_board/tiny_net/pytorch/fp16"), std::string::npos);
  }
}

TEST(TraceStore, DropsTermsAGroupCannotSupportAndSaysSo) {
  const Catalog catalog = testing::test_catalog();
  TraceFile trace;
  trace.provenance = testing::synthetic_provenance();
  // One EMC clock, two GPU clocks, three CPU clocks.
  for (auto cpu : kGridCpu) {
    for (std::int64_t gpu : {510000000, 1109250000}) {
      TraceSample s;
      s.clocks = {cpu, gpu, 1866000000};
      s.latency_mean_s = basis_latency_s(s.clocks);
      s.power_total_w = basis_power_w(s.clocks);
      trace.samples.push_back(s);
    }
  }
  TraceStore store(catalog);
  store.add(std::move(trace));
  const FitQuality q = store.fit_quality("test_board", "tiny_net").at(0);
  const auto has = [&](const std::string& text) {
    return std::find(q.dropped_terms.begin(), q.dropped_terms.end(), text) != q.dropped_terms.end();
  };
  EXPECT_TRUE(has("latency: femc_max/femc: 1 distinct emc_hz"));
  EXPECT_TRUE(has("power: femc/femc_max: 1 distinct emc_hz"));
  EXPECT_TRUE(has("power: (femc/femc_max)^3: 1 distinct emc_hz"));
  EXPECT_TRUE(has("power: (fgpu/fgpu_max)^3: 2 distinct gpu_hz"));
  EXPECT_EQ(q.dropped_terms.size(), 4u);
  // The latency basis is still complete along CPU and GPU: exact at the sampled EMC clock.
  const ClockSetting c{729600, 803250000, 1866000000};
  EXPECT_LT(rel(store.estimate("test_board", "tiny_net", 0, 1, 1, c).latency_s, basis_latency_s(c)), 1e-9);
}

TEST(UnitFit, NonNegativeLeastSquaresMatchesAHandSolution) {
  // Unconstrained least squares gives x = (1, -1); with x >= 0 the optimum is (0.5, 0).
  Eigen::MatrixXd a(3, 2);
  a << 1, 0, 0, 1, 1, 1;
  Eigen::VectorXd b(3);
  b << 1, -1, 0;
  const Eigen::VectorXd x = solve_nnls(a, b);
  EXPECT_NEAR(x(0), 0.5, 1e-12);
  EXPECT_NEAR(x(1), 0.0, 1e-12);
}

TEST(UnitFit, NeverLetsARaisedClockSlowAUnitDown) {
  // Non-physical data (slower at higher GPU clock): the GPU coefficient is clamped to zero rather
  // than going negative, so the fit stays monotone.
  std::vector<ClockSetting> clocks = grid();
  std::vector<double> latency;
  for (const ClockSetting& c : clocks) latency.push_back(1e-3 + 1e-4 * xg(c) + 2e-4 / xm(c));
  const UnitFit fit = fit_unit(FitKind::latency, ClockScale::of(testing::test_board()), clocks, latency);
  for (double coef : fit.coef) EXPECT_GE(coef, 0.0);
  EXPECT_EQ(fit.coef[2], 0.0);
  EXPECT_GT(fit.coef[3], 0.0);
}

TEST(TraceStore, LoadsADirectoryOfTraces) {
  const Catalog catalog = testing::test_catalog();
  TraceStore store(catalog);
  EXPECT_EQ(store.load_dir(std::string(EDGETWIN_TEST_DATA_DIR) + "/traces/good"), 1);
  const UnitEstimate e = store.estimate("test_board", "tiny_net", 1, 1, 1, {1190400, 510000000, 1600000000});
  EXPECT_TRUE(e.exact);
  EXPECT_EQ(e.latency_s, 0.0079);
  // Batch 2 was only sampled at one clock setting: elsewhere that group is a constant.
  EXPECT_DOUBLE_EQ(
      store.estimate("test_board", "tiny_net", 1, 2, 1, {345600, 114750000, 204000000}).latency_s, 0.0069);
}

}  // namespace
}  // namespace edgetwin::traces

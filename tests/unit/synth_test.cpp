// The calibrated synthetic trace generator: calibration figures within tolerance, physical
// trends (monotone in each clock, which clock each kind of unit follows), power envelope,
// determinism and provenance. Model: docs/synthetic_traces.md.
#include "edgetwin/traces/synth.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "edgetwin/common/error.hpp"
#include "edgetwin/traces/catalog.hpp"

namespace edgetwin::traces {
namespace {

// ---------- in-memory fixture: one toy board, one model with four kinds of unit ----------

Board toy_board() {
  Board b;
  b.id = "toy";
  b.name = "toy board";
  b.kind = "edge";
  b.cpu_clusters = {CpuCluster{"A57", 4, {400000, 800000, 1200000, 1600000}}};
  b.cpu_freqs_khz = {400000, 800000, 1200000, 1600000};
  b.gpu_freqs_hz = {100000000, 300000000, 600000000, 1000000000};
  b.emc_freqs_hz = {200000000, 800000000, 1600000000};
  b.rails = {Rail{"IN", "total"}, Rail{"GPU", "gpu"}, Rail{"CPU", "cpu"}, Rail{"WIFI", "other"}};
  b.total_rail = "IN";
  b.idle_power_w = 1.0;
  b.max_power_w = 10.0;
  b.synthetic.gpu_fp32_flops_per_cycle = 512;
  b.synthetic.dram_bytes_per_cycle = 32;
  b.synthetic.kernel_launch_cycles = 100000;
  b.synthetic.cpu_dynamic_w_at_max = 0.8;
  b.synthetic.gpu_dynamic_w_at_max = 5;
  b.synthetic.emc_dynamic_w_at_max = 2;
  return b;
}

Unit unit(int index, const char* name, std::int64_t macs, std::int64_t params, std::int64_t kernels,
          std::int64_t in, std::int64_t out) {
  Unit u;
  u.index = index;
  u.name = name;
  u.kind = name;
  u.macs = macs;
  u.param_count = params;
  u.kernel_count = kernels;
  u.input_elements = in;
  u.output_elements = out;
  u.boundary_elements = out;
  return u;
}

constexpr int kConv = 0;      // VGG conv3x3 256->256 at 56x56: compute-bound
constexpr int kStream = 1;    // elementwise-like, big tensors, almost no MACs: memory-bound
constexpr int kOverhead = 2;  // many tiny ops: framework (CPU) bound

Model toy_model() {
  Model m;
  m.id = "toymodel";
  m.name = "toy";
  m.units = {unit(0, "conv", 1849688064, 590080, 2, 802816, 802816),
             unit(1, "stream", 1000, 0, 2, 4000000, 4000000),
             unit(2, "overhead", 100000, 1000, 60, 1000, 1000)};
  return m;
}

SynthCalibration toy_calibration() {
  SynthCalibration c;
  c.path = "(in memory)";
  return c;
}

struct Toy {
  Catalog catalog;
  Board board;
  Model model;
  Toy() : board(toy_board()), model(toy_model()) {
    catalog.add_board(board);
    catalog.add_model(model);
  }
};

double latency(const Synthesizer& s, const Board& b, const Model& m, int u, ClockSetting c) {
  return s.predict_unit(b, m, u, 1, 1, c, "fp32").latency_s;
}

TEST(SynthModel, ComputeBoundUnitFollowsGpuClock) {
  const Toy toy;
  const Synthesizer s(toy.catalog, toy_calibration());
  const ClockSetting top = Synthesizer::max_clocks(toy.board);
  ClockSetting slow_gpu = top, slow_emc = top;
  slow_gpu.gpu_hz = toy.board.gpu_freqs_hz.front();
  slow_emc.emc_hz = toy.board.emc_freqs_hz.front();
  const double base = latency(s, toy.board, toy.model, kConv, top);
  // GPU clock 10x lower -> at least 7x slower; EMC 8x lower -> under 25 % slower.
  EXPECT_GT(latency(s, toy.board, toy.model, kConv, slow_gpu) / base, 7.0);
  EXPECT_LT(latency(s, toy.board, toy.model, kConv, slow_emc) / base, 1.25);
}

TEST(SynthModel, IdlePowerIsTheBoardIdleAtMinClocksAndRisesWithClocks) {
  const Toy toy;
  const Synthesizer s(toy.catalog, toy_calibration());
  const ClockSetting low{toy.board.cpu_freqs_khz.front(), toy.board.gpu_freqs_hz.front(),
                         toy.board.emc_freqs_hz.front()};
  // At the lowest clocks the idle split sums to exactly the board's idle power.
  EXPECT_NEAR(s.idle_power_w(toy.board, low), toy.board.idle_power_w, 1e-12);
  const double high = s.idle_power_w(toy.board, Synthesizer::max_clocks(toy.board));
  EXPECT_GT(high, toy.board.idle_power_w);
  // ... and a running unit always draws more than idle at the same clocks.
  EXPECT_GT(s.predict_unit(toy.board, toy.model, kConv, 1, 1, low, "fp32").power_total_w,
            s.idle_power_w(toy.board, low));
}

TEST(SynthModel, MemoryBoundUnitFollowsEmcClock) {
  const Toy toy;
  const Synthesizer s(toy.catalog, toy_calibration());
  const ClockSetting top = Synthesizer::max_clocks(toy.board);
  ClockSetting slow_gpu = top, slow_emc = top;
  slow_gpu.gpu_hz = toy.board.gpu_freqs_hz.front();
  slow_emc.emc_hz = toy.board.emc_freqs_hz.front();
  const double base = latency(s, toy.board, toy.model, kStream, top);
  EXPECT_GT(latency(s, toy.board, toy.model, kStream, slow_emc) / base, 5.0);
  EXPECT_LT(latency(s, toy.board, toy.model, kStream, slow_gpu) / base, 1.1);
}

TEST(SynthModel, FrameworkOverheadFollowsCpuClock) {
  const Toy toy;
  const Synthesizer s(toy.catalog, toy_calibration());
  const ClockSetting top = Synthesizer::max_clocks(toy.board);
  ClockSetting slow_cpu = top, slow_gpu = top;
  slow_cpu.cpu_khz = toy.board.cpu_freqs_khz.front();
  slow_gpu.gpu_hz = toy.board.gpu_freqs_hz[2];  // 600 MHz (at 100 MHz the GPU's per-op cost shows)
  const double base = latency(s, toy.board, toy.model, kOverhead, top);
  // hand-computed: 60 ops x 100000 cycles / 1.6 GHz = 3.75 ms of CPU time dominates
  EXPECT_NEAR(s.predict_unit(toy.board, toy.model, kOverhead, 1, 1, top, "fp32").cpu_s, 3.75e-3, 1e-12);
  EXPECT_GT(latency(s, toy.board, toy.model, kOverhead, slow_cpu) / base, 3.5);
  EXPECT_LT(latency(s, toy.board, toy.model, kOverhead, slow_gpu) / base, 1.1);
}

TEST(SynthModel, Fp16IsFasterThanFp32ForComputeAndMemory) {
  const Toy toy;
  const Synthesizer s(toy.catalog, toy_calibration());
  const ClockSetting top = Synthesizer::max_clocks(toy.board);
  for (const int u : {kConv, kStream}) {
    const auto p32 = s.predict_unit(toy.board, toy.model, u, 1, 1, top, "fp32");
    const auto p16 = s.predict_unit(toy.board, toy.model, u, 1, 1, top, "fp16");
    EXPECT_NEAR(p16.memory_s, p32.memory_s / 2, 1e-15);
    EXPECT_LT(p16.latency_s, p32.latency_s);
  }
}

TEST(SynthModel, ConcurrencyRaisesLatencyAndPowerSublinearly) {
  const Toy toy;
  const Synthesizer s(toy.catalog, toy_calibration());
  const ClockSetting top = Synthesizer::max_clocks(toy.board);
  const auto one = s.predict_unit(toy.board, toy.model, kConv, 1, 1, top, "fp32");
  const auto four = s.predict_unit(toy.board, toy.model, kConv, 1, 4, top, "fp32");
  EXPECT_GT(four.latency_s, one.latency_s);
  // a saturated GPU stays saturated: power about the same, never 4x
  EXPECT_GT(four.power_total_w, 0.99 * one.power_total_w);
  EXPECT_LT(four.power_total_w, 4 * one.power_total_w);
  // a CPU-bound unit: four host threads busy instead of one
  const auto cpu1 = s.predict_unit(toy.board, toy.model, kOverhead, 1, 1, top, "fp32");
  const auto cpu4 = s.predict_unit(toy.board, toy.model, kOverhead, 1, 4, top, "fp32");
  EXPECT_GT(cpu4.power_total_w, cpu1.power_total_w);
  EXPECT_LT(cpu4.power_total_w, 4 * cpu1.power_total_w);
}

TEST(SynthModel, MonotoneInEveryClockOnTheFixture) {
  const Toy toy;
  const Synthesizer s(toy.catalog, toy_calibration());
  const Board& b = toy.board;
  for (int u = 0; u < 3; ++u) {
    for (const int k : {1, 4}) {
      for (const auto cpu : b.cpu_freqs_khz) {
        for (const auto gpu : b.gpu_freqs_hz) {
          for (std::size_t e = 1; e < b.emc_freqs_hz.size(); ++e) {
            const auto lo = s.predict_unit(b, toy.model, u, 2, k, {cpu, gpu, b.emc_freqs_hz[e - 1]}, "fp32");
            const auto hi = s.predict_unit(b, toy.model, u, 2, k, {cpu, gpu, b.emc_freqs_hz[e]}, "fp32");
            EXPECT_LE(hi.latency_s, lo.latency_s);
            EXPECT_GE(hi.power_total_w, lo.power_total_w - 1e-12);
          }
        }
      }
    }
  }
}

TEST(SynthGenerate, DeterministicLabelledAndWithinEnvelope) {
  const Toy toy;
  const Synthesizer s(toy.catalog, toy_calibration());
  SynthOptions options;
  const TraceFile a = s.generate(toy.board, toy.model, options);
  const TraceFile b = s.generate(toy.board, toy.model, options);
  ASSERT_EQ(a.samples.size(), b.samples.size());
  // 3 units x 7 batches x 4 concurrency x (3 cpu x 4 gpu x 3 emc) levels
  EXPECT_EQ(a.samples.size(), 3u * 7 * 4 * 36);
  for (std::size_t i = 0; i < a.samples.size(); ++i) {
    EXPECT_EQ(a.samples[i].latency_mean_s, b.samples[i].latency_mean_s);
    EXPECT_EQ(a.samples[i].latency_std_s, b.samples[i].latency_std_s);
    EXPECT_EQ(a.samples[i].power_total_w, b.samples[i].power_total_w);
    EXPECT_LE(a.samples[i].power_total_w, toy.board.max_power_w);
    EXPECT_GE(a.samples[i].power_total_w, toy.board.idle_power_w);
    EXPECT_GT(a.samples[i].latency_std_s, 0);
    ASSERT_EQ(a.samples[i].rail_power_w.size(), 4u);
    EXPECT_EQ(a.samples[i].rail_power_w[0], a.samples[i].power_total_w);
    EXPECT_TRUE(std::isnan(a.samples[i].rail_power_w[3]));  // "other": not modelled
  }
  options.seed = 2;
  const TraceFile c = s.generate(toy.board, toy.model, options);
  EXPECT_EQ(c.samples[7].latency_mean_s, a.samples[7].latency_mean_s);  // means are noiseless
  EXPECT_NE(c.samples[7].latency_std_s, a.samples[7].latency_std_s);
  EXPECT_EQ(a.provenance.kind, "synthetic-calibrated");
  EXPECT_EQ(a.provenance.generator, kSynthGeneratorVersion);
  EXPECT_EQ(a.provenance.runtime, "pytorch");
  EXPECT_EQ(a.provenance.precision, "fp32");
  EXPECT_NE(a.provenance.notes.find("SYNTHETIC"), std::string::npos);
}

TEST(SynthGenerate, WritesHeadRowsForEveryExitFromTheSameModel) {
  Toy toy;
  Model with_exits = toy.model;
  with_exits.id = "toy_exits";
  with_exits.num_classes = 10;
  with_exits.exits = {ExitPoint{0, "gap_fc", 2560, 2570}, ExitPoint{1, "inception_aux", 50000, 40000}};
  toy.catalog.add_model(with_exits);
  const Synthesizer s(toy.catalog, toy_calibration());
  // The head as a unit: the catalog's MACs and parameters, the ops of its kind, the exit unit's
  // output as input, the classes as output.
  const Unit head = Synthesizer::head_unit(with_exits, 0);
  EXPECT_EQ(head.macs, 2560);
  EXPECT_EQ(head.param_count, 2570);
  EXPECT_EQ(head.kernel_count, 2);  // adaptive_avg_pool2d, linear
  EXPECT_EQ(head.input_elements, 802816);
  EXPECT_EQ(head.output_elements, 10);
  EXPECT_EQ(Synthesizer::head_unit(with_exits, 1).kernel_count, 9);
  SynthOptions options;
  const TraceFile plain = s.generate(toy.board, toy.model, options);
  const TraceFile t = s.generate(toy.board, with_exits, options);
  EXPECT_TRUE(plain.head_samples.empty());
  // 2 exits x 7 batches x 4 concurrency x 36 clock settings; unit rows are unchanged by the heads.
  ASSERT_EQ(t.head_samples.size(), 2u * 7 * 4 * 36);
  ASSERT_EQ(t.samples.size(), plain.samples.size());
  for (std::size_t i = 0; i < t.samples.size(); ++i) {
    EXPECT_EQ(t.samples[i].latency_mean_s, plain.samples[i].latency_mean_s);
    EXPECT_EQ(t.samples[i].power_total_w, plain.samples[i].power_total_w);
  }
  const ClockSetting top = Synthesizer::max_clocks(toy.board);
  Model as_unit = with_exits;  // the head's prediction is the unit model's on the head's work
  as_unit.units = {head};
  const UnitPrediction expected = s.predict_unit(toy.board, as_unit, 0, 1, 1, top, "fp32");
  bool found = false;
  for (const TraceSample& h : t.head_samples) {
    EXPECT_GE(h.exit, 0);
    EXPECT_EQ(h.unit, with_exits.exits[static_cast<std::size_t>(h.exit)].after_unit);
    EXPECT_GT(h.latency_std_s, 0);
    EXPECT_GE(h.power_total_w, toy.board.idle_power_w);
    if (h.exit == 0 && h.batch == 1 && h.concurrency == 1 && h.clocks == top) {
      found = true;
      EXPECT_EQ(h.latency_mean_s, expected.latency_s);
      EXPECT_EQ(h.power_total_w, expected.power_total_w);
      // A GAP+FC head is far cheaper than the conv unit it follows.
      EXPECT_LT(h.latency_mean_s,
                0.2 * s.predict_unit(toy.board, toy.model, kConv, 1, 1, top, "fp32").latency_s);
    }
  }
  EXPECT_TRUE(found);
  // The generated trace passes the reader (the writer checks it) as format version 2.
  TraceFile labelled = t;
  labelled.provenance.calibration = {"none: toy calibration"};  // the toy calibration has no figures
  std::ostringstream text;
  write_trace(labelled, text, toy.catalog);
  EXPECT_EQ(text.str().rfind("# edgetwin-trace 2\n", 0), 0u);
}

TEST(SynthGenerate, GridSpansEachTableIncludingItsEnds) {
  const Board b = toy_board();
  SynthOptions options;
  options.gpu_levels = 3;
  const auto grid = Synthesizer::clock_grid(b, options);
  EXPECT_EQ(grid.size(), 3u * 3 * 3);
  EXPECT_EQ(grid.front().gpu_hz, b.gpu_freqs_hz.front());
  EXPECT_EQ(grid.back().gpu_hz, b.gpu_freqs_hz.back());
  EXPECT_EQ(grid.back().cpu_khz, b.cpu_freqs_khz.back());
}

// ---------- the shipped catalog and calibration.json ----------

struct Shipped {
  Catalog catalog = Catalog::load(EDGETWIN_CATALOG_DIR);
  SynthCalibration calibration = load_synth_calibration(default_calibration_path(EDGETWIN_CATALOG_DIR));
};

TEST(SynthCalibrationFile, RejectsUnknownKeysAndTensorRtAbsolutes) {
  const std::string path = testing::TempDir() + "/synth_bad_calibration.json";
  std::ifstream in(default_calibration_path(EDGETWIN_CATALOG_DIR));
  nlohmann::json doc = nlohmann::json::parse(in);
  doc["figures"][0]["runtime"] = "tensorrt";
  std::ofstream(path) << doc.dump();
  EXPECT_THROW(load_synth_calibration(path), common::DataError);
  doc["figures"][0]["runtime"] = "pytorch";
  doc["figures"][0]["latency_ms"] = 1;
  std::ofstream(path) << doc.dump();
  EXPECT_THROW(load_synth_calibration(path), common::DataError);
}

TEST(SynthCalibration, EveryFigureWithinItsTolerance) {
  const Shipped shipped;
  if (shipped.catalog.models().empty()) GTEST_SKIP() << "model catalog not generated yet";
  const Synthesizer s(shipped.catalog, shipped.calibration);
  for (const auto& id : shipped.catalog.board_ids()) {
    std::printf("[synth] %-10s %s\n", id.c_str(), s.board_params(id).derivation.c_str());
  }
  for (const FigureCheck& c : s.check_figures()) {
    const CalibrationFigure& f = *c.figure;
    std::printf("[synth] %-44s %-14s figure %-10.5g generated %-10.5g (%+.1f %%, %s %.0f %%) %s\n",
                f.id.c_str(), f.quantity.c_str(), f.value, c.generated, 100 * (c.generated / f.value - 1),
                f.check.c_str(), 100 * f.tolerance_rel, c.ok ? "ok" : "FAIL");
    // Calibration figures must meet their tolerance; held-out ones are judged by the targets.
    if (f.set == "calibration") {
      EXPECT_TRUE(c.ok) << f.id << ": generated " << c.generated << " vs " << f.value << " (" << f.check
                        << ", tolerance " << f.tolerance_rel << ")";
    }
  }
}

TEST(SynthCalibration, HeldOutFiguresMeetTheValidationTargets) {
  const Shipped shipped;
  if (shipped.catalog.models().empty()) GTEST_SKIP() << "model catalog not generated yet";
  const Synthesizer s(shipped.catalog, shipped.calibration);
  const auto checks = s.check_figures();
  for (const auto& m : missed_targets(checks)) ADD_FAILURE() << m;
  // Both sets are present and every validation figure is a figure no fit uses.
  int validation = 0;
  for (const auto& c : checks) {
    if (c.figure->set == "validation") {
      ++validation;
      EXPECT_EQ(c.figure->use, "check") << c.figure->id;
    }
  }
  EXPECT_GE(validation, 20);
}

TEST(SynthCalibration, ErrorSummaryIsTheMedianAndWorstPerSetAndKind) {
  // Hand-made checks: three validation latencies off by 10 %, 30 %, 5 %; one calibration power
  // off by 20 %; one validation ratio off by 50 %; an upper bound, which the summary leaves out.
  std::vector<CalibrationFigure> f(6);
  const char* q[] = {"latency_s", "latency_s", "throughput_fps", "power_w", "latency_ratio", "power_w"};
  const char* set[] = {"validation", "validation", "validation", "calibration", "validation", "validation"};
  const double gen[] = {1.1, 0.7, 1.05, 1.2, 1.5, 30};
  std::vector<FigureCheck> checks;
  for (int i = 0; i < 6; ++i) {
    f[i].id = "f" + std::to_string(i);
    f[i].quantity = q[i];
    f[i].set = set[i];
    f[i].value = 1.0;
    f[i].check = i == 5 ? "at_most" : "within";
    checks.push_back(FigureCheck{&f[i], gen[i], true});
  }
  const auto summary = summarize_errors(checks);
  ASSERT_EQ(summary.size(), 3u);
  EXPECT_EQ(summary[0].set, "calibration");
  EXPECT_EQ(summary[0].kind, "power");
  EXPECT_NEAR(summary[0].median_abs_error, 0.2, 1e-12);
  EXPECT_EQ(summary[1].kind, "latency");
  EXPECT_EQ(summary[1].count, 3);
  EXPECT_NEAR(summary[1].median_abs_error, 0.1, 1e-12);  // median of 5 %, 10 %, 30 %
  EXPECT_NEAR(summary[1].worst_abs_error, 0.3, 1e-12);
  EXPECT_EQ(summary[1].worst_figure, "f1");
  EXPECT_EQ(summary[2].kind, "ratio");
  // Latency median 10 % <= 20 % is met; the ratio median 50 % misses its 10 %; nothing is 2x off.
  const auto missed = missed_targets(checks);
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_NE(missed[0].find("validation ratio"), std::string::npos) << missed[0];
  f[4].value = 0.4;  // generated 1.5 vs 0.4: off by 3.75x, and the ratio median misses too
  EXPECT_EQ(missed_targets(checks).size(), 2u);
}

TEST(SynthCalibration, LoadPowerIsPowerAboveIdleAtTheSameClocksOverTheMeterEfficiency) {
  const Toy toy;
  SynthCalibration calibration = toy_calibration();
  CalibrationFigure f;
  f.id = "p";
  f.config.board = "toy";
  f.config.model = "toymodel";
  f.config.clocks.max = false;
  f.config.clocks.clocks = ClockSetting{800000, 300000000, 800000000};
  f.runtime = "tensorrt";
  f.precision = "fp16";
  f.quantity = "power_w";
  f.value = 5;
  f.tolerance_rel = 10;
  f.use = "check";
  f.set = "validation";
  CalibrationFigure load = f, wall = f, wall_load = f;
  load.id = "load";
  load.quantity = "load_power_w";
  wall.id = "wall";
  wall.meter_efficiency = 0.8;
  wall_load.id = "wall_load";
  wall_load.quantity = "load_power_w";
  wall_load.meter_efficiency = 0.5;
  calibration.figures = {f, load, wall, wall_load};
  const Synthesizer s(toy.catalog, calibration);
  const auto checks = s.check_figures();
  ASSERT_EQ(checks.size(), 4u);
  const double idle = s.idle_power_w(toy.board, f.config.clocks.clocks);
  // Power = idle at the figure's clocks + load; a wall meter sees the module power / efficiency.
  EXPECT_NEAR(checks[0].generated, idle + checks[1].generated, 1e-12);
  EXPECT_GT(checks[1].generated, 0.0);
  EXPECT_NEAR(checks[2].generated, checks[0].generated / 0.8, 1e-12);
  EXPECT_NEAR(checks[3].generated, checks[1].generated * 2, 1e-12);
  EXPECT_EQ(figure_kind(load), "power");
}

TEST(SynthCalibrationFile, MeterEfficiencyOnlyOnPowerFiguresAndInRange) {
  const std::string path = testing::TempDir() + "/synth_bad_meter.json";
  std::ifstream in(default_calibration_path(EDGETWIN_CATALOG_DIR));
  nlohmann::json doc = nlohmann::json::parse(in);
  nlohmann::json* latency = nullptr;
  nlohmann::json* power = nullptr;
  for (auto& f : doc["figures"]) {
    if (latency == nullptr && f["quantity"] == "latency_s") latency = &f;
    if (power == nullptr && f["quantity"] == "load_power_w") power = &f;
  }
  ASSERT_NE(latency, nullptr);
  ASSERT_NE(power, nullptr);
  (*latency)["meter_efficiency"] = 0.8;
  std::ofstream(path) << doc.dump();
  try {
    load_synth_calibration(path);
    ADD_FAILURE() << "a latency figure with a meter efficiency was accepted";
  } catch (const common::DataError& e) {
    EXPECT_NE(std::string(e.what()).find("meter_efficiency"), std::string::npos) << e.what();
  }
  latency->erase("meter_efficiency");
  (*power)["meter_efficiency"] = 1.5;
  std::ofstream(path) << doc.dump();
  EXPECT_THROW(load_synth_calibration(path), common::DataError);
  (*power)["meter_efficiency"] = 0.9;
  std::ofstream(path) << doc.dump();
  EXPECT_NO_THROW(load_synth_calibration(path));
}

TEST(SynthCalibration, EveryBoardAndModelIsMonotoneAndWithinEnvelope) {
  const Shipped shipped;
  if (shipped.catalog.models().empty()) GTEST_SKIP() << "model catalog not generated yet";
  const Synthesizer s(shipped.catalog, shipped.calibration);
  SynthOptions options;
  options.batches = {1, 32};
  options.concurrency = {1, 4};
  for (const auto& [board_id, board] : shipped.catalog.boards()) {
    const auto grid = Synthesizer::clock_grid(board, options);
    for (const auto& [model_id, model] : shipped.catalog.models()) {
      const TraceFile t = s.generate(board, model, options);
      for (const auto& sample : t.samples) {
        ASSERT_LE(sample.power_total_w, board.max_power_w + 1e-9) << board_id << " " << model_id;
        ASSERT_GE(sample.power_total_w, board.idle_power_w - 1e-9) << board_id << " " << model_id;
        ASSERT_GT(sample.latency_mean_s, 0) << board_id << " " << model_id;
      }
      // Raising any one clock never slows a unit down nor lowers its power.
      for (int u = 0; u < static_cast<int>(model.units.size()); ++u) {
        for (const auto& c : grid) {
          const auto p = s.predict_unit(board, model, u, 4, 2, c, "fp32");
          for (ClockSetting up : {ClockSetting{board.cpu_freqs_khz.back(), c.gpu_hz, c.emc_hz},
                                  ClockSetting{c.cpu_khz, board.gpu_freqs_hz.back(), c.emc_hz},
                                  ClockSetting{c.cpu_khz, c.gpu_hz, board.emc_freqs_hz.back()}}) {
            const auto q = s.predict_unit(board, model, u, 4, 2, up, "fp32");
            ASSERT_LE(q.latency_s, p.latency_s * (1 + 1e-12)) << board_id << " " << model_id << " " << u;
            ASSERT_GE(q.power_total_w, p.power_total_w * (1 - 1e-12))
                << board_id << " " << model_id << " " << u;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace edgetwin::traces

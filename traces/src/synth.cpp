// The roofline + DVFS power model of one unit, the sparse clock grid and the trace generator.
// Every formula here is written out in docs/synthetic_traces.md; keep the two in step.
#include "edgetwin/traces/synth.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "edgetwin/common/hash.hpp"

namespace edgetwin::traces {
namespace {

double pnorm(double a, double b, double p) {
  if (a <= 0) return b;
  if (b <= 0) return a;
  const double m = std::max(a, b);
  // scaled to avoid overflow of large powers of small times
  return m * std::pow(std::pow(a / m, p) + std::pow(b / m, p), 1.0 / p);
}

/// Rail voltage at `f`, linear in f between the table's ends (docs: "V(f)").
double voltage(const SyntheticModel& s, double f, double f_min, double f_max) {
  if (f_max <= f_min) return s.voltage_max_v;
  const double x = std::clamp((f - f_min) / (f_max - f_min), 0.0, 1.0);
  return s.voltage_min_v + (s.voltage_max_v - s.voltage_min_v) * x;
}

/// Dynamic power scale (f/fmax)(V/Vmax)^2 of a domain at frequency f (any unit, same as table).
double dvfs_scale(const SyntheticModel& s, double f, const std::vector<std::int64_t>& table) {
  if (table.empty()) return 1.0;
  const double f_min = static_cast<double>(table.front());
  const double f_max = static_cast<double>(table.back());
  const double v = voltage(s, f, f_min, f_max) / s.voltage_max_v;
  return (f / f_max) * v * v;
}

double table_min_scale(const SyntheticModel& s, const std::vector<std::int64_t>& table) {
  return table.empty() ? 0.0 : dvfs_scale(s, static_cast<double>(table.front()), table);
}

// A portable, seedable hash of the trace point (std::hash is implementation-defined).
std::uint64_t fnv1a(const std::string& text) {
  return common::fnv1a64(text, common::kTruncatedFnvBasis);
}
using common::uniform01;
std::uint64_t mix(std::uint64_t h, std::uint64_t value) {
  return common::hash_combine(h, value);
}

// Salts the jitter hash of exit-head samples (ASCII "head"), so unit samples keep theirs.
constexpr std::uint64_t kHeadSalt = 0x68656164;

std::vector<std::int64_t> pick_levels(const std::vector<std::int64_t>& table, int levels) {
  const int n = static_cast<int>(table.size());
  if (n == 0) return {};
  if (levels <= 1) return {table.back()};
  if (levels >= n) return table;
  std::vector<std::int64_t> picked;
  for (int i = 0; i < levels; ++i) {
    const auto index = static_cast<std::size_t>(
        std::lround(static_cast<double>(i) * (n - 1) / static_cast<double>(levels - 1)));
    if (picked.empty() || picked.back() != table[index]) picked.push_back(table[index]);
  }
  return picked;
}

std::string join_calibration(const CalibrationFigure& f) {
  return f.id + ": " + f.source;
}

}  // namespace

ClockSetting Synthesizer::max_clocks(const Board& board) {
  ClockSetting c;
  if (!board.cpu_freqs_khz.empty()) c.cpu_khz = board.cpu_freqs_khz.back();
  if (!board.gpu_freqs_hz.empty()) c.gpu_hz = board.gpu_freqs_hz.back();
  if (!board.emc_freqs_hz.empty()) c.emc_hz = board.emc_freqs_hz.back();
  return c;
}

std::vector<ClockSetting> Synthesizer::clock_grid(const Board& board, const SynthOptions& options) {
  std::vector<ClockSetting> grid;
  for (const auto cpu : pick_levels(board.cpu_freqs_khz, options.cpu_levels)) {
    for (const auto gpu : pick_levels(board.gpu_freqs_hz, options.gpu_levels)) {
      for (const auto emc : pick_levels(board.emc_freqs_hz, options.emc_levels)) {
        grid.push_back(ClockSetting{cpu, gpu, emc});
      }
    }
  }
  return grid;
}

namespace {

int head_kernel_count(const std::string& head) {
  // Framework ops a head launches in eager PyTorch (views such as flatten launch none).
  if (head == "gap_fc") return 2;         // adaptive_avg_pool2d, linear
  if (head == "ln_fc_cls") return 2;      // layer_norm, linear (the class token is a view)
  if (head == "inception_aux") return 9;  // avg_pool, (conv, bn, relu) x 2, adaptive_avg_pool, linear
  return 2;                               // unknown kind: a pool and a linear layer
}

}  // namespace

Unit Synthesizer::head_unit(const Model& model, int exit) {
  if (exit < 0 || exit >= static_cast<int>(model.exits.size())) {
    throw std::invalid_argument("synth: model " + model.id + " has no exit " + std::to_string(exit));
  }
  const ExitPoint& x = model.exits[static_cast<std::size_t>(exit)];
  const Unit& before = model.units[static_cast<std::size_t>(x.after_unit)];
  Unit u;
  u.index = x.after_unit;
  u.name = x.head;
  u.kind = "exit_head";
  u.macs = x.head_macs;
  u.param_count = x.head_param_count;
  u.kernel_count = head_kernel_count(x.head);
  u.input_elements = before.output_elements;  // the head reads the exit unit's whole output
  u.output_elements = std::max(1, model.num_classes);
  u.output_shape = {1, u.output_elements};
  u.boundary_elements = u.output_elements;
  return u;
}

UnitPrediction Synthesizer::predict_head(const Board& board, const Model& model, int exit, int batch,
                                         int concurrency, const ClockSetting& clocks,
                                         const std::string& precision) const {
  return predict_work(board, head_unit(model, exit), batch, concurrency, clocks, precision);
}

UnitPrediction Synthesizer::predict_unit(const Board& board, const Model& model, int unit, int batch,
                                         int concurrency, const ClockSetting& clocks,
                                         const std::string& precision) const {
  if (unit < 0 || unit >= static_cast<int>(model.units.size())) {
    throw std::invalid_argument("synth: model " + model.id + " has no unit " + std::to_string(unit));
  }
  return predict_work(board, model.units[static_cast<std::size_t>(unit)], batch, concurrency, clocks,
                      precision);
}

UnitPrediction Synthesizer::predict_work(const Board& board, const Unit& u, int batch, int concurrency,
                                         const ClockSetting& clocks, const std::string& precision) const {
  if (batch < 1 || concurrency < 1) throw std::invalid_argument("synth: batch and concurrency must be >= 1");
  if (precision != "fp32" && precision != "fp16") {
    throw std::invalid_argument("synth: precision must be fp32 or fp16, not '" + precision + "'");
  }
  const SyntheticModel& s = board.synthetic;
  const SynthGlobals& g = calibration_.globals;
  const BoardSynthParams& bp = board_params(board.id);
  const bool fp16 = precision == "fp16";
  const double k = concurrency;
  const double b = batch;
  const double f_cpu = static_cast<double>(clocks.cpu_khz) * 1e3;
  const double f_gpu = static_cast<double>(clocks.gpu_hz);
  const double f_emc = static_cast<double>(clocks.emc_hz);
  if (f_cpu <= 0 || f_gpu <= 0 || f_emc <= 0) throw std::invalid_argument("synth: clocks must be > 0");

  UnitPrediction p;
  const double kernels = static_cast<double>(std::max<std::int64_t>(1, u.kernel_count));
  const double elem_bytes = fp16 ? 2.0 : 4.0;
  const double flops_per_cycle = s.gpu_fp32_flops_per_cycle * (fp16 ? s.gpu_fp16_ratio : 1.0);

  // Compute: all k instances' FLOPs at an efficiency that saturates with the work per kernel.
  const double flops = 2.0 * static_cast<double>(u.macs) * b * k;
  if (flops > 0) {
    const double work_per_kernel = flops / kernels;
    const double work_half = g.fill_cycles * flops_per_cycle;
    const double eff = bp.gpu_efficiency_max * work_per_kernel / (work_per_kernel + work_half);
    p.compute_s = flops / (flops_per_cycle * f_gpu * eff);
  }
  // Memory: weights once per instance, activations once per kernel (eager: no fusion).
  const double act_elements = b * kernels * static_cast<double>(u.input_elements + u.output_elements);
  const double bytes = k * elem_bytes * (static_cast<double>(u.param_count) + act_elements);
  // Interference of concurrent instances (cache and DRAM contention) stretches both the GPU
  // busy time and the DRAM traffic by the same factor.
  const double interference = 1.0 + g.interference_per_instance * (k - 1.0);
  p.memory_s = bytes / (s.dram_bytes_per_cycle * f_emc * g.mem_efficiency);
  p.gpu_s = pnorm(p.compute_s, p.memory_s, g.gpu_mem_pnorm) * interference;
  p.memory_s *= interference;
  // CPU: per-op framework overhead, one host thread per instance.
  const double cores = std::max(1, board.total_core_count());
  p.cpu_s = kernels * bp.cpu_cycles_per_kernel / f_cpu * std::max(1.0, k / cores);
  p.latency_s = pnorm(p.cpu_s, p.gpu_s, g.cpu_gpu_pnorm);

  // Power: idle (rising with clocks) + utilisation x dynamic envelope x (f/fmax)(V/Vmax)^2.
  const double cpu_scale = dvfs_scale(s, static_cast<double>(clocks.cpu_khz), board.cpu_freqs_khz);
  const double gpu_scale = dvfs_scale(s, f_gpu, board.gpu_freqs_hz);
  const double emc_scale = dvfs_scale(s, f_emc, board.emc_freqs_hz);
  const PowerComponents idle = idle_components(board, clocks);
  const double idle_cpu = idle.cpu_w;
  const double idle_gpu = idle.gpu_w;
  const double idle_ddr = idle.ddr_w;
  const double busy_cores = std::min(cores, k * p.cpu_s / p.latency_s);
  // The GPU draws its dynamic power while computing (stretched by interference stalls); time
  // it waits on DRAM is charged to the DDR side. This keeps power monotone in every clock.
  const double gpu_util = std::min(1.0, p.compute_s * interference / p.latency_s);
  const double emc_util = std::min(1.0, p.memory_s / p.latency_s);
  p.power_cpu_w = idle_cpu + busy_cores * s.cpu_dynamic_w_at_max * cpu_scale;
  p.power_gpu_w = idle_gpu + gpu_util * s.gpu_dynamic_w_at_max * gpu_scale;
  p.power_ddr_w = idle_ddr + emc_util * s.emc_dynamic_w_at_max * emc_scale;
  // Under load the module also draws load_base_w (regulators, fabric kept awake), booked on the SoC.
  p.power_soc_w = idle.soc_w + s.load_base_w;
  p.power_total_w = p.power_cpu_w + p.power_gpu_w + p.power_ddr_w + p.power_soc_w;
  if (board.max_power_w > 0 && p.power_total_w > board.max_power_w) {
    // The module's envelope: real boards throttle there. Scale every component alike.
    const double scale = board.max_power_w / p.power_total_w;
    p.power_cpu_w *= scale;
    p.power_gpu_w *= scale;
    p.power_ddr_w *= scale;
    p.power_soc_w *= scale;
    p.power_total_w = board.max_power_w;
  }
  return p;
}

double rail_power_w(const Board& board, const Rail& rail, const PowerComponents& c) {
  if (rail.name == board.total_rail || rail.feeds == "total") return c.total_w();
  if (rail.feeds == "cpu" || rail.feeds == "cpu_cv") return c.cpu_w;
  if (rail.feeds == "gpu") return c.gpu_w;
  if (rail.feeds == "soc") return c.soc_w;
  if (rail.feeds == "ddr") return c.ddr_w;
  if (rail.feeds == "cpu_gpu_cv") return c.cpu_w + c.gpu_w;
  if (rail.feeds == "gpu_soc") return c.gpu_w + c.soc_w;
  return std::numeric_limits<double>::quiet_NaN();  // sys, cv, other: not modelled
}

PowerComponents Synthesizer::idle_components(const Board& board, const ClockSetting& clocks) const {
  const SyntheticModel& s = board.synthetic;
  const SynthGlobals& g = calibration_.globals;
  auto split = [&](const char* key) {
    const auto it = g.idle_split.find(key);
    return it == g.idle_split.end() ? 0.0 : it->second * board.idle_power_w;
  };
  // Clock-dependent static power of each domain: the board file's *_static_w_at_max, or (not
  // given) the global idle_clock_fraction of the domain's dynamic power.
  auto static_w = [&](double given, double dynamic) {
    return std::isnan(given) ? g.idle_clock_fraction * dynamic : given;
  };
  PowerComponents c;
  c.cpu_w = split("cpu") + static_w(s.cpu_static_w_at_max, s.cpu_dynamic_w_at_max) *
                               (dvfs_scale(s, static_cast<double>(clocks.cpu_khz), board.cpu_freqs_khz) -
                                table_min_scale(s, board.cpu_freqs_khz));
  c.gpu_w = split("gpu") + static_w(s.gpu_static_w_at_max, s.gpu_dynamic_w_at_max) *
                               (dvfs_scale(s, static_cast<double>(clocks.gpu_hz), board.gpu_freqs_hz) -
                                table_min_scale(s, board.gpu_freqs_hz));
  c.ddr_w = split("ddr") + static_w(s.emc_static_w_at_max, s.emc_dynamic_w_at_max) *
                               (dvfs_scale(s, static_cast<double>(clocks.emc_hz), board.emc_freqs_hz) -
                                table_min_scale(s, board.emc_freqs_hz));
  c.soc_w = split("soc");
  return c;
}

double Synthesizer::cpu_busy_power_w(const Board& board, const ClockSetting& clocks) const {
  const auto& s = board.synthetic;
  return idle_power_w(board, clocks) +
         s.cpu_dynamic_w_at_max * dvfs_scale(s, static_cast<double>(clocks.cpu_khz), board.cpu_freqs_khz);
}

double Synthesizer::idle_power_w(const Board& board, const ClockSetting& clocks) const {
  return idle_components(board, clocks).total_w();
}

ModelPrediction Synthesizer::predict_model(const Board& board, const Model& model, int batch, int concurrency,
                                           const ClockSetting& clocks, const std::string& precision) const {
  ModelPrediction m;
  double energy = 0;
  for (int i = 0; i < static_cast<int>(model.units.size()); ++i) {
    const UnitPrediction p = predict_unit(board, model, i, batch, concurrency, clocks, precision);
    m.latency_s += p.latency_s;
    m.gpu_s += p.gpu_s;
    m.compute_s += p.compute_s;
    m.memory_s += p.memory_s;
    energy += p.power_total_w * p.latency_s;
  }
  m.mean_power_w = m.latency_s > 0 ? energy / m.latency_s : 0;
  m.energy_j = energy;
  return m;
}

GpuDemand Synthesizer::gpu_demand(const Board& board, const Model& model, int batch,
                                  const ClockSetting& clocks, const std::string& precision) const {
  const ModelPrediction m = predict_model(board, model, batch, 1, clocks, precision);
  GpuDemand d;
  if (m.latency_s > 0) {
    d.compute = m.compute_s / m.latency_s;
    d.memory = m.memory_s / m.latency_s;
  }
  return d;
}

TraceFile Synthesizer::generate(const Board& board, const Model& model, const SynthOptions& options) const {
  if (options.runtime != "pytorch") {
    throw std::invalid_argument("synth: only runtime 'pytorch' is modelled, not '" + options.runtime + "'");
  }
  TraceFile trace;
  Provenance& prov = trace.provenance;
  prov.kind = kSynthProvenanceKind;
  prov.board = board.id;
  prov.model = model.id;
  prov.runtime = options.runtime;
  prov.precision = options.precision;
  prov.generator = kSynthGeneratorVersion;
  for (const auto& f : calibration_.figures) prov.calibration.push_back(join_calibration(f));
  const BoardSynthParams& bp = board_params(board.id);
  prov.notes =
      "SYNTHETIC data (not measured): roofline + DVFS power model of "
      "docs/synthetic_traces.md, calibrated to the public figures listed; board "
      "parameters: " +
      bp.derivation + "; seed " + std::to_string(options.seed);
  for (const auto& rail : board.rails) trace.rails.push_back(rail.name);

  const std::vector<ClockSetting> grid = clock_grid(board, options);
  const SynthGlobals& g = calibration_.globals;
  const std::uint64_t base = mix(fnv1a(board.id + "/" + model.id + "/" + options.precision), options.seed);
  trace.samples.reserve(model.units.size() * options.batches.size() * options.concurrency.size() *
                        grid.size());
  // One sample from a prediction; `h` seeds its jitter (a hash of what identifies the sample).
  auto sample_of = [&](const UnitPrediction& p, int unit, int batch, int k, const ClockSetting& c,
                       std::uint64_t h) {
    TraceSample sample;
    sample.unit = unit;
    sample.batch = batch;
    sample.concurrency = k;
    sample.clocks = c;
    sample.latency_mean_s = p.latency_s;
    h = mix(h, static_cast<std::uint64_t>(batch));
    h = mix(h, static_cast<std::uint64_t>(k));
    h = mix(h, static_cast<std::uint64_t>(c.cpu_khz));
    h = mix(h, static_cast<std::uint64_t>(c.gpu_hz));
    h = mix(h, static_cast<std::uint64_t>(c.emc_hz));
    const double cpu_share = std::min(1.0, p.cpu_s / p.latency_s);
    sample.latency_std_s =
        p.latency_s * (g.jitter_base + g.jitter_cpu * cpu_share + g.jitter_random * uniform01(h));
    sample.repeats = 1;
    sample.power_total_w = p.power_total_w;
    for (const auto& rail : board.rails) {
      // The whole-module rail is the total exactly (not the components re-added).
      sample.rail_power_w.push_back(
          rail.name == board.total_rail
              ? p.power_total_w
              : rail_power_w(board, rail, {p.power_cpu_w, p.power_gpu_w, p.power_soc_w, p.power_ddr_w}));
    }
    return sample;
  };
  for (int unit = 0; unit < static_cast<int>(model.units.size()); ++unit) {
    for (const int batch : options.batches) {
      for (const int k : options.concurrency) {
        for (const ClockSetting& c : grid) {
          const UnitPrediction p = predict_unit(board, model, unit, batch, k, c, options.precision);
          trace.samples.push_back(
              sample_of(p, unit, batch, k, c, mix(base, static_cast<std::uint64_t>(unit))));
        }
      }
    }
  }
  // Exit heads (docs/synthetic_traces.md, "Exit heads"): the same model on the head's work.
  const std::uint64_t head_base = mix(base, kHeadSalt);
  for (int exit = 0; exit < static_cast<int>(model.exits.size()); ++exit) {
    const int after = model.exits[static_cast<std::size_t>(exit)].after_unit;
    for (const int batch : options.batches) {
      for (const int k : options.concurrency) {
        for (const ClockSetting& c : grid) {
          const UnitPrediction p = predict_head(board, model, exit, batch, k, c, options.precision);
          TraceSample sample =
              sample_of(p, after, batch, k, c, mix(head_base, static_cast<std::uint64_t>(exit)));
          sample.exit = exit;
          trace.head_samples.push_back(std::move(sample));
        }
      }
    }
  }
  return trace;
}

std::vector<std::string> Synthesizer::generate_all(const SynthOptions& options,
                                                   const std::string& out_dir) const {
  std::vector<std::string> written;
  for (const auto& [board_id, board] : catalog_->boards()) {
    const std::filesystem::path dir = std::filesystem::path(out_dir) / board_id;
    std::filesystem::create_directories(dir);
    for (const auto& [model_id, model] : catalog_->models()) {
      const std::string path =
          (dir / (model_id + "." + options.runtime + "." + options.precision + ".csv")).string();
      write_trace_file(generate(board, model, options), path, *catalog_);
      written.push_back(path);
    }
  }
  return written;
}

TraceFile generate_synthetic(const Catalog& catalog, const Board& board, const Model& model,
                             const SynthOptions& options) {
  const Synthesizer synth(catalog, load_synth_calibration(default_calibration_path(catalog.data_dir())));
  return synth.generate(board, model, options);
}

std::vector<std::string> generate_all(const Catalog& catalog, const SynthOptions& options,
                                      const std::string& out_dir) {
  const Synthesizer synth(catalog, load_synth_calibration(default_calibration_path(catalog.data_dir())));
  return synth.generate_all(options, out_dir);
}

}  // namespace edgetwin::traces

#pragma once
/// Calibrated synthetic traces: a roofline + DVFS power model of one DNN unit on one board,
/// calibrated to cited public figures (traces/data/calibration.json), and the generator that
/// writes SYNTHETIC trace files from it (`edgetwin traces generate`). Model, parameters and
/// calibration table: docs/synthetic_traces.md. Nothing here advances simulated time.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "edgetwin/traces/catalog.hpp"
#include "edgetwin/traces/serving_model.hpp"
#include "edgetwin/traces/trace_format.hpp"

namespace edgetwin::traces {

/// Version written into every synthetic trace's provenance ("generator").
inline constexpr const char* kSynthGeneratorVersion = "edgetwin-synth 1";
/// Provenance kind of generated traces.
inline constexpr const char* kSynthProvenanceKind = "synthetic-calibrated";

/// What to generate: runtime, precision and the sparse grid.
struct SynthOptions {
  std::string runtime = "pytorch";  ///< only "pytorch" (eager PyTorch/libtorch on the GPU)
  std::string precision = "fp32";   ///< "fp32" or "fp16"
  std::vector<int> batches{1, 2, 4, 8, 16, 32, 64};
  std::vector<int> concurrency{1, 2, 4, 8};
  /// Levels per clock domain, spread evenly (by table index) over the board's table, always
  /// including its minimum and maximum.
  int cpu_levels = 3;
  int gpu_levels = 4;
  int emc_levels = 3;
  std::uint64_t seed = 1;  ///< seeds the deterministic latency_std_s jitter only
};

/// Board-independent model constants (calibration.json "globals"; values and sources in
/// docs/synthetic_traces.md).
struct SynthGlobals {
  double fill_cycles = 4000;    ///< GPU cycles of full-machine work per kernel for 50 % efficiency
  double mem_efficiency = 0.7;  ///< achieved / peak DRAM bandwidth
  double gpu_mem_pnorm = 3;     ///< p of the smooth max of compute and memory time
  double cpu_gpu_pnorm = 4;     ///< q of the smooth max of CPU overhead and GPU time
  double interference_per_instance = 0.05;  ///< extra GPU time per additional concurrent instance
  double idle_clock_fraction = 0.1;         ///< share of each domain's dynamic envelope drawn when idle
  double jitter_base = 0.01;                ///< latency_std_s / latency, floor
  double jitter_cpu = 0.04;                 ///< added in proportion to the CPU-bound share
  double jitter_random = 0.01;              ///< added times a seeded uniform [0, 1)
  /// Split of the board's idle power over rail components (cpu, gpu, soc, ddr); sums to 1.
  std::map<std::string, double> idle_split{{"cpu", 0.25}, {"gpu", 0.2}, {"soc", 0.35}, {"ddr", 0.2}};
};

/// Per-board calibrated scalars, resolved from calibration.json "boards" rules.
struct BoardSynthParams {
  double gpu_efficiency_max = 0.5;   ///< achieved / peak FLOP/s for large kernels
  double cpu_cycles_per_kernel = 0;  ///< CPU cycles of eager-framework overhead per launched op
  std::string derivation;            ///< how the two values were obtained (for docs/provenance)
};

/// Clocks of a figure: explicit values, or "max" (the board's table maxima).
struct FigureClocks {
  bool max = true;
  ClockSetting clocks;  ///< used when !max
};

/// One configuration a figure refers to.
struct FigureConfig {
  std::string board;
  std::string model;
  FigureClocks clocks;
};

/// One public figure the generator is calibrated to or checked against.
struct CalibrationFigure {
  std::string id;
  FigureConfig config;
  std::string runtime;    ///< runtime of the *published* measurement ("pytorch", "tensorrt")
  std::string precision;  ///< precision the prediction is made at ("fp16", "fp32")
  int batch = 1;
  int concurrency = 1;
  /// "latency_s" (whole model), "throughput_fps", "power_w" (mean module power while it runs),
  /// "load_power_w" (power while it runs minus the power at the same clocks with nothing
  /// running), "energy_j" (energy per inference), or a ratio to `reference`: "latency_ratio",
  /// "power_ratio", "energy_ratio" (config / reference).
  std::string quantity;
  /// Power figures metered upstream of the module (a wall meter): the fraction of the metered
  /// power that reaches the module (adapter and carrier-board conversion; estimated, stated in
  /// the figure). The module power the model predicts is divided by it before the comparison.
  /// 1 for module rails (VDD_IN). docs/synthetic_traces.md, "Validation".
  double meter_efficiency = 1.0;
  /// "calibration" (used to choose or fit a parameter) or "validation" (held out: decided before
  /// any fitting, never used to choose a value). docs/synthetic_traces.md, "Validation".
  std::string set;
  /// What the source timed or metered, e.g. "GPU time (CUDA events around the forward)",
  /// "model forward, host-timed", "VDD_IN (tegrastats) while running".
  std::string timed;
  /// "total", "gpu" (GPU time only) or "compute" (roofline compute time only). Trends taken
  /// from another runtime (TensorRT fuses element-wise ops into convolutions) compare "gpu" or
  /// "compute", never the eager-PyTorch total.
  std::string component = "total";
  FigureConfig reference;  ///< latency_ratio only
  double value = 0;
  std::string check = "within";  ///< "within" (|gen/value - 1| <= tol), "at_most", "at_least"
  double tolerance_rel = 0.1;
  std::string use;  ///< "fit" (absolute anchor) or "check" (held out / trend)
  std::string source;
  std::string notes;
};

/// How one board's parameters are obtained.
struct BoardRule {
  std::string board;
  /// "fit": least squares in log space over the board's "fit" figures;
  /// "fit_cpu": GPU efficiency from gpu_from, CPU cycles per op fitted to the board's "fit" figures;
  /// "inherit": copy GPU efficiency from gpu_from and CPU cycles from cpu_from ("board_file":
  /// Board::synthetic.kernel_launch_cycles), then optionally rescale the GPU efficiency so the
  /// "gpu_scale_figure" ratio is met exactly.
  std::string method;
  std::string gpu_from;
  std::string cpu_from;
  std::string gpu_scale_figure;
  std::string note;
};

/// The contents of traces/data/calibration.json.
struct SynthCalibration {
  SynthGlobals globals;
  std::vector<BoardRule> rules;
  std::vector<CalibrationFigure> figures;
  std::string path;
};

/// Reads and validates calibration.json; throws DataError naming the file and field.
SynthCalibration load_synth_calibration(const std::string& path);
/// `<data_dir>/calibration.json`.
std::string default_calibration_path(const std::string& data_dir);

/// The noiseless model output for one unit execution.
struct UnitPrediction {
  double latency_s = 0;      ///< per instance
  double cpu_s = 0;          ///< framework (CPU) overhead per instance
  double gpu_s = 0;          ///< GPU busy time of all instances (smooth max of the two below)
  double compute_s = 0;      ///< roofline compute time, all instances
  double memory_s = 0;       ///< roofline DRAM time, all instances
  double power_total_w = 0;  ///< module power while the unit runs (all instances)
  double power_cpu_w = 0;    ///< components (idle share included); sum = power_total_w
  double power_gpu_w = 0;
  double power_soc_w = 0;
  double power_ddr_w = 0;
};

/// Module power split by component; rails map onto it through what they feed.
struct PowerComponents {
  double cpu_w = 0;
  double gpu_w = 0;
  double soc_w = 0;
  double ddr_w = 0;
  double total_w() const { return cpu_w + gpu_w + soc_w + ddr_w; }
};

/// Power of `rail` of `board` given the components: the whole-module rail carries the total;
/// rails feeding sys, cv or other are not split by the model (NaN).
double rail_power_w(const Board& board, const Rail& rail, const PowerComponents& components);

/// Whole-model sums (batch latency per instance; energy-weighted mean power).
struct ModelPrediction {
  double latency_s = 0;
  double gpu_s = 0;
  double compute_s = 0;  ///< roofline compute time only (what fused runtimes approach)
  double memory_s = 0;   ///< roofline DRAM time only
  double mean_power_w = 0;
  double energy_j = 0;  ///< energy of one inference (batch x concurrency images), all units
};

/// A generated value next to its figure.
struct FigureCheck {
  const CalibrationFigure* figure = nullptr;
  double generated = 0;
  bool ok = false;
  /// |generated / published - 1| (NaN when not generated).
  double abs_error() const;
};

/// Kind of a figure for the error summary: "latency" (latency_s, throughput_fps), "power",
/// "energy" (energy_j) or "ratio" (every *_ratio: across clocks, power modes or boards).
std::string figure_kind(const CalibrationFigure& figure);

/// Median and worst absolute relative error of the figures of one set and kind.
struct ErrorSummary {
  std::string set;
  std::string kind;
  int count = 0;
  double median_abs_error = 0;
  double worst_abs_error = 0;
  std::string worst_figure;
};
/// Targets on held-out (validation) figures (issue 18; docs/synthetic_traces.md, "Validation"):
/// median absolute error per kind, and no figure off by more than a factor.
struct ValidationTargets {
  double latency_median = 0.20;
  double power_median = 0.20;
  double ratio_median = 0.10;
  double max_factor = 2.0;  ///< generated / published within [1/f, f]
};
/// Every target missed by `checks` (validation figures), as sentences; empty = all met.
std::vector<std::string> missed_targets(const std::vector<FigureCheck>& checks,
                                        const ValidationTargets& targets = {});

/// One summary per (set, kind) present among `checks`, calibration first; within a set the
/// kinds in the order latency, power, energy, ratio. Upper bounds (check "at_most") are left out.
std::vector<ErrorSummary> summarize_errors(const std::vector<FigureCheck>& checks);

/// The calibrated model for a catalog. Construction resolves every board's parameters (a
/// deterministic fit of a few scalars, see docs/synthetic_traces.md); afterwards it is immutable.
class Synthesizer {
 public:
  Synthesizer(const Catalog& catalog, SynthCalibration calibration);

  const Catalog& catalog() const { return *catalog_; }
  const SynthCalibration& calibration() const { return calibration_; }
  /// Parameters of a board; throws std::invalid_argument for a board not in the catalog.
  const BoardSynthParams& board_params(const std::string& board) const;

  /// Noiseless prediction of one unit at `precision` ("fp32"/"fp16").
  UnitPrediction predict_unit(const Board& board, const Model& model, int unit, int batch, int concurrency,
                              const ClockSetting& clocks, const std::string& precision) const;
  /// Noiseless prediction of the head of exit `exit` (index in Model::exits): the same model on
  /// the head's work, head_unit() (docs/synthetic_traces.md, "Exit heads").
  UnitPrediction predict_head(const Board& board, const Model& model, int exit, int batch, int concurrency,
                              const ClockSetting& clocks, const std::string& precision) const;
  /// The head of exit `exit` described as a unit: its MACs and parameters from the catalog, the
  /// ops its kind launches, the exit unit's output as input and the classes as output.
  static Unit head_unit(const Model& model, int exit);
  /// Module power while nothing runs, at `clocks` (the idle terms of predict_unit): the
  /// simulator charges it for idle time. An estimate from the board's synthetic model.
  double idle_power_w(const Board& board, const ClockSetting& clocks) const;
  /// Module power while one CPU core is busy and the GPU idle, at `clocks`: the idle power plus
  /// one core's dynamic power (the CPU term of predict_unit). What a policy's decision or a
  /// governor's computation draws on the device (docs/policies.md, "Decision cost").
  double cpu_busy_power_w(const Board& board, const ClockSetting& clocks) const;
  /// The same idle power split into its components (cpu, gpu, soc, ddr).
  PowerComponents idle_components(const Board& board, const ClockSetting& clocks) const;
  ModelPrediction predict_model(const Board& board, const Model& model, int batch, int concurrency,
                                const ClockSetting& clocks, const std::string& precision) const;
  /// What one batch of `model` alone (concurrency 1) asks of the GPU: roofline compute time and
  /// DRAM time over its latency (the inputs of corunner_slowdown, docs/simulation.md
  /// "Heterogeneous interference").
  GpuDemand gpu_demand(const Board& board, const Model& model, int batch, const ClockSetting& clocks,
                       const std::string& precision) const;

  /// One trace file (provenance kind "synthetic-calibrated") for the sparse grid of `options`:
  /// every unit, and the head of every exit of the model (head rows).
  TraceFile generate(const Board& board, const Model& model, const SynthOptions& options) const;
  /// Every board x model into `out_dir/<board>/<model>.<runtime>.<precision>.csv`; returns the
  /// paths written, in catalog order.
  std::vector<std::string> generate_all(const SynthOptions& options, const std::string& out_dir) const;

  /// The generated value of a figure (NaN if its board or model is not in the catalog).
  double figure_value(const CalibrationFigure& figure) const;
  /// Every figure of the calibration with its generated value and pass/fail.
  std::vector<FigureCheck> check_figures() const;

  /// Clock setting with every domain at the board's table maximum.
  static ClockSetting max_clocks(const Board& board);
  /// The sparse grid of clock settings for `options` (deterministic order).
  static std::vector<ClockSetting> clock_grid(const Board& board, const SynthOptions& options);

 private:
  UnitPrediction predict_work(const Board& board, const Unit& unit, int batch, int concurrency,
                              const ClockSetting& clocks, const std::string& precision) const;
  void resolve_board(const std::string& board_id, std::map<std::string, int>& state);
  void fit_board(const Board& board, const BoardRule& rule);
  ClockSetting resolve_clocks(const Board& board, const FigureClocks& clocks) const;
  double config_latency(const FigureConfig& config, const CalibrationFigure& figure) const;
  const BoardRule* rule_for(const std::string& board) const;
  const CalibrationFigure* find_figure(const std::string& id) const;

  const Catalog* catalog_;
  SynthCalibration calibration_;
  std::map<std::string, BoardSynthParams> params_;
};

/// Convenience wrappers (load `<catalog.data_dir()>/calibration.json` each call).
TraceFile generate_synthetic(const Catalog& catalog, const Board& board, const Model& model,
                             const SynthOptions& options);
std::vector<std::string> generate_all(const Catalog& catalog, const SynthOptions& options,
                                      const std::string& out_dir);

}  // namespace edgetwin::traces

// Calibration of the synthetic model: reading calibration.json, resolving every board's two
// scalars (fit, or inherit + rescale to a cited ratio), and evaluating the figures.
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "edgetwin/common/json_reader.hpp"
#include "edgetwin/traces/synth.hpp"

namespace edgetwin::traces {
namespace {

constexpr double kEffMin = 0.01;
constexpr double kEffMax = 1.0;
constexpr double kCyclesMin = 1e3;
constexpr double kCyclesMax = 3e6;
/// Used when a board file gives no kernel_launch_cycles (estimate; docs/synthetic_traces.md).
constexpr double kDefaultCyclesPerKernel = 150000;
/// Weight of the log-space prior that keeps an unidentifiable CPU overhead near the board's
/// own estimate (it only matters when every fit figure is GPU-bound).
constexpr double kCyclesPriorWeight = 0.01;

FigureClocks read_clocks(const common::JsonReader& parent, const char* key) {
  FigureClocks clocks;
  if (!parent.has(key)) return clocks;
  if (parent.node().at(key).is_string()) {
    if (parent.one_of(key, {"max"}) == "max") clocks.max = true;
    return clocks;
  }
  const common::JsonReader c = parent.object(key);
  c.require_only({"cpu_khz", "gpu_hz", "emc_hz"});
  clocks.max = false;
  clocks.clocks.cpu_khz = c.integer_in("cpu_khz", 1, 100000000);
  clocks.clocks.gpu_hz = c.integer_in("gpu_hz", 1, 100000000000);
  clocks.clocks.emc_hz = c.integer_in("emc_hz", 1, 100000000000);
  return clocks;
}

FigureConfig read_config(const common::JsonReader& j) {
  FigureConfig config;
  config.board = j.string("board");
  config.model = j.string_or("model", "");
  config.clocks = read_clocks(j, "clocks");
  return config;
}

CalibrationFigure read_figure(const common::JsonReader& j) {
  j.require_only({"id",        "board", "model",       "clocks",        "runtime",
                  "precision", "batch", "concurrency", "quantity",      "component",
                  "reference", "value", "check",       "tolerance_rel", "use",
                  "set",       "timed", "source",      "notes",         "meter_efficiency"});
  CalibrationFigure f;
  f.id = j.string("id");
  f.config = read_config(j);
  if (f.config.model.empty()) j.fail("model", "every figure names a model");
  f.runtime = j.one_of("runtime", {"pytorch", "tensorrt"});
  f.precision = j.one_of("precision", {"fp32", "fp16"});
  f.batch = static_cast<int>(j.integer_in("batch", 1, 1024));
  f.concurrency = static_cast<int>(j.integer_in("concurrency", 1, 64));
  f.quantity = j.one_of("quantity", {"latency_s", "throughput_fps", "power_w", "load_power_w", "energy_j",
                                     "latency_ratio", "power_ratio", "energy_ratio"});
  f.component = j.has("component") ? j.one_of("component", {"total", "gpu", "compute"}) : "total";
  const bool ratio = f.quantity.size() > 6 && f.quantity.compare(f.quantity.size() - 6, 6, "_ratio") == 0;
  if (ratio) {
    const common::JsonReader r = j.object("reference");
    r.require_only({"board", "model", "clocks"});
    f.reference = read_config(r);
    if (f.reference.model.empty()) f.reference.model = f.config.model;
  } else if (j.has("reference")) {
    j.fail("reference", "only a ratio figure (latency_ratio, power_ratio, energy_ratio) has a reference");
  }
  f.value = j.number_in("value", 1e-12, 1e12);
  if (j.has("meter_efficiency")) {
    if (f.quantity != "power_w" && f.quantity != "load_power_w")
      j.fail("meter_efficiency", "only a power figure (power_w, load_power_w) has a meter efficiency");
    f.meter_efficiency = j.number_in("meter_efficiency", 0.05, 1);
  }
  f.check = j.has("check") ? j.one_of("check", {"within", "at_most", "at_least"}) : "within";
  f.tolerance_rel = j.number_in("tolerance_rel", 0, 10);
  f.use = j.one_of("use", {"fit", "check"});
  f.set = j.one_of("set", {"calibration", "validation"});
  if (f.use == "fit" && f.set != "calibration")
    j.fail("set", "a fitted figure (use: fit) is in the calibration set");
  f.timed = j.string("timed");
  f.source = j.string("source");
  f.notes = j.string_or("notes", "");
  if (f.runtime != "pytorch" && (f.quantity == "latency_s" || f.quantity == "throughput_fps")) {
    j.fail("runtime",
           "absolute latency/throughput figures must be PyTorch measurements; use "
           "other runtimes only through a latency_ratio (trend) figure");
  }
  if (f.runtime != "pytorch" && f.component == "total" &&
      (f.quantity == "latency_ratio" || f.quantity == "energy_ratio")) {
    j.fail("component",
           "a trend from another runtime compares GPU or compute time only (\"gpu\", \"compute\")");
  }
  return f;
}

SynthGlobals read_globals(const common::JsonReader& j) {
  j.require_only({"fill_cycles", "mem_efficiency", "gpu_mem_pnorm", "cpu_gpu_pnorm",
                  "interference_per_instance", "idle_clock_fraction", "jitter_base", "jitter_cpu",
                  "jitter_random", "idle_split", "sources"});
  SynthGlobals g;
  g.fill_cycles = j.number_in("fill_cycles", 0, 1e8);
  g.mem_efficiency = j.number_in("mem_efficiency", 0.05, 1);
  g.gpu_mem_pnorm = j.number_in("gpu_mem_pnorm", 1, 64);
  g.cpu_gpu_pnorm = j.number_in("cpu_gpu_pnorm", 1, 64);
  g.interference_per_instance = j.number_in("interference_per_instance", 0, 1);
  g.idle_clock_fraction = j.number_in("idle_clock_fraction", 0, 1);
  g.jitter_base = j.number_in("jitter_base", 0, 1);
  g.jitter_cpu = j.number_in("jitter_cpu", 0, 1);
  g.jitter_random = j.number_in("jitter_random", 0, 1);
  const common::JsonReader split = j.object("idle_split");
  split.require_only({"cpu", "gpu", "soc", "ddr"});
  g.idle_split.clear();
  double sum = 0;
  for (const char* key : {"cpu", "gpu", "soc", "ddr"}) {
    g.idle_split[key] = split.number_in(key, 0, 1);
    sum += g.idle_split[key];
  }
  if (std::abs(sum - 1.0) > 1e-9) split.fail("", "the idle split must sum to 1");
  return g;
}

BoardRule read_rule(const common::JsonReader& j) {
  j.require_only({"board", "method", "gpu_from", "cpu_from", "gpu_scale_figure", "note"});
  BoardRule r;
  r.board = j.string("board");
  r.method = j.one_of("method", {"fit", "fit_cpu", "inherit"});
  r.gpu_from = j.string_or("gpu_from", "");
  r.cpu_from = j.string_or("cpu_from", "");
  r.gpu_scale_figure = j.string_or("gpu_scale_figure", "");
  r.note = j.string("note");
  if (r.method == "inherit" && (r.gpu_from.empty() || r.cpu_from.empty())) {
    j.fail("method", "an inherit rule names gpu_from and cpu_from");
  }
  if (r.method == "fit_cpu" && r.gpu_from.empty()) j.fail("method", "a fit_cpu rule names gpu_from");
  return r;
}

double log_ratio(double a, double b) {
  return std::log(a / b);
}

std::string fmt(double v) {
  std::ostringstream out;
  out.precision(4);
  out << v;
  return out.str();
}

}  // namespace

std::string default_calibration_path(const std::string& data_dir) {
  return data_dir + "/calibration.json";
}

SynthCalibration load_synth_calibration(const std::string& path) {
  const nlohmann::json root = common::read_json_file(path);
  const common::JsonReader j(root, path);
  j.require_only({"format", "version", "generator", "description", "globals", "boards", "figures"});
  if (j.one_of("format", {"edgetwin-synth-calibration"}).empty()) j.fail("format", "empty");
  j.integer_in("version", 1, 1);
  SynthCalibration c;
  c.path = path;
  c.globals = read_globals(j.object("globals"));
  for (const auto& r : j.objects("boards")) c.rules.push_back(read_rule(r));
  for (const auto& f : j.objects("figures")) c.figures.push_back(read_figure(f));
  for (std::size_t a = 0; a < c.figures.size(); ++a) {
    for (std::size_t b = a + 1; b < c.figures.size(); ++b) {
      if (c.figures[a].id == c.figures[b].id) {
        j.fail("figures", "duplicate figure id '" + c.figures[a].id + "'");
      }
    }
  }
  for (const auto& r : c.rules) {
    if (r.gpu_scale_figure.empty()) continue;
    const auto it = std::find_if(c.figures.begin(), c.figures.end(),
                                 [&](const CalibrationFigure& f) { return f.id == r.gpu_scale_figure; });
    if (it == c.figures.end() || it->quantity != "latency_ratio" || it->config.board != r.board) {
      j.fail("boards", "rule for " + r.board + ": gpu_scale_figure '" + r.gpu_scale_figure +
                           "' must be a latency_ratio figure whose board is " + r.board);
    }
  }
  return c;
}

Synthesizer::Synthesizer(const Catalog& catalog, SynthCalibration calibration)
    : catalog_(&catalog), calibration_(std::move(calibration)) {
  std::map<std::string, int> state;
  for (const auto& id : catalog_->board_ids()) resolve_board(id, state);
}

const BoardSynthParams& Synthesizer::board_params(const std::string& board) const {
  const auto it = params_.find(board);
  if (it == params_.end()) throw std::invalid_argument("synth: unknown board '" + board + "'");
  return it->second;
}

const BoardRule* Synthesizer::rule_for(const std::string& board) const {
  for (const auto& r : calibration_.rules) {
    if (r.board == board) return &r;
  }
  return nullptr;
}

const CalibrationFigure* Synthesizer::find_figure(const std::string& id) const {
  for (const auto& f : calibration_.figures) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

void Synthesizer::resolve_board(const std::string& board_id, std::map<std::string, int>& state) {
  if (state[board_id] == 2) return;
  if (state[board_id] == 1) {
    throw std::invalid_argument("synth: calibration rules form a cycle through '" + board_id + "'");
  }
  state[board_id] = 1;
  const Board& board = catalog_->board(board_id);
  const double own_cycles = board.synthetic.kernel_launch_cycles > 0 ? board.synthetic.kernel_launch_cycles
                                                                     : kDefaultCyclesPerKernel;
  const BoardRule* rule = rule_for(board_id);
  if (rule == nullptr && board.base_id != board_id && !board.base_id.empty() &&
      catalog_->has_board(board.base_id)) {
    // Another release of a board file: same silicon, same calibrated scalars.
    resolve_board(board.base_id, state);
    BoardSynthParams inherited = params_.at(board.base_id);
    inherited.derivation += " (release " + board.release.id + " of " + board.base_id + ")";
    params_[board_id] = inherited;
    state[board_id] = 2;
    return;
  }
  BoardSynthParams params;
  params.cpu_cycles_per_kernel = own_cycles;
  params.derivation =
      "no calibration rule: estimated defaults (efficiency 0.5, CPU cycles from "
      "the board file), uncalibrated";
  params_[board_id] = params;
  if (rule != nullptr && rule->method == "fit_cpu") {
    // GPU efficiency of the same (or the next) GPU architecture; CPU cycles per op of this
    // board's own CPU, fitted to its figures.
    if (catalog_->has_board(rule->gpu_from)) {
      resolve_board(rule->gpu_from, state);
      params_[board_id].gpu_efficiency_max = params_.at(rule->gpu_from).gpu_efficiency_max;
    }
    fit_board(board, *rule);
  } else if (rule != nullptr && rule->method == "fit") {
    fit_board(board, *rule);
  } else if (rule != nullptr) {
    auto source = [&](const std::string& from) -> const BoardSynthParams* {
      if (from == "board_file" || !catalog_->has_board(from)) return nullptr;
      resolve_board(from, state);
      return &params_.at(from);
    };
    const BoardSynthParams* gpu = source(rule->gpu_from);
    const BoardSynthParams* cpu = source(rule->cpu_from);
    params.gpu_efficiency_max = gpu != nullptr ? gpu->gpu_efficiency_max : 0.5;
    params.cpu_cycles_per_kernel = cpu != nullptr ? cpu->cpu_cycles_per_kernel : own_cycles;
    params.derivation = "GPU efficiency from " + (gpu ? rule->gpu_from : std::string("default 0.5")) +
                        ", CPU cycles/op from " + (cpu ? rule->cpu_from : std::string("board file"));
    params_[board_id] = params;
    const CalibrationFigure* fig =
        rule->gpu_scale_figure.empty() ? nullptr : find_figure(rule->gpu_scale_figure);
    if (fig != nullptr && catalog_->has_model(fig->config.model) &&
        catalog_->has_board(fig->reference.board) && fig->reference.board != board_id) {
      resolve_board(fig->reference.board, state);
      // The ratio falls monotonically as the efficiency rises: bisect in log space.
      double lo = std::log(kEffMin), hi = std::log(kEffMax);
      for (int i = 0; i < 60; ++i) {
        const double mid = 0.5 * (lo + hi);
        params_[board_id].gpu_efficiency_max = std::exp(mid);
        (figure_value(*fig) > fig->value ? lo : hi) = mid;
      }
      params_[board_id].gpu_efficiency_max = std::exp(0.5 * (lo + hi));
      params_[board_id].derivation += "; GPU efficiency rescaled to " +
                                      fmt(params_[board_id].gpu_efficiency_max) + " so that figure " +
                                      fig->id + " is met";
    }
  }
  state[board_id] = 2;
}

void Synthesizer::fit_board(const Board& board, const BoardRule& rule) {
  std::vector<const CalibrationFigure*> anchors;
  for (const auto& f : calibration_.figures) {
    if (f.use == "fit" && f.config.board == board.id && catalog_->has_model(f.config.model) &&
        (f.quantity == "latency_s" || f.quantity == "throughput_fps")) {
      anchors.push_back(&f);
    }
  }
  BoardSynthParams& params = params_[board.id];
  const double prior = params.cpu_cycles_per_kernel;
  if (anchors.empty()) {
    params.derivation =
        "rule 'fit' but none of its figures' models is in the catalog: "
        "uncalibrated defaults";
    return;
  }
  auto objective = [&](double eff, double cycles) {
    params.gpu_efficiency_max = eff;
    params.cpu_cycles_per_kernel = cycles;
    double sum = kCyclesPriorWeight * std::pow(log_ratio(cycles, prior), 2);
    for (const auto* f : anchors) sum += std::pow(log_ratio(figure_value(*f), f->value), 2);
    return sum;
  };
  const bool cpu_only = rule.method == "fit_cpu";
  const double fixed_eff = params.gpu_efficiency_max;
  // Deterministic coarse-to-fine grid search in log space over (efficiency, cycles/op); the
  // efficiency stays fixed for fit_cpu.
  double e_lo = std::log(cpu_only ? fixed_eff : kEffMin), e_hi = std::log(cpu_only ? fixed_eff : kEffMax);
  double c_lo = std::log(kCyclesMin), c_hi = std::log(kCyclesMax);
  double best_e = 0, best_c = 0, best = std::numeric_limits<double>::infinity();
  constexpr int kSteps = 16;
  for (int round = 0; round < 6; ++round) {
    const double de = (e_hi - e_lo) / kSteps, dc = (c_hi - c_lo) / kSteps;
    for (int i = 0; i <= kSteps; ++i) {
      for (int m = 0; m <= kSteps; ++m) {
        const double e = e_lo + de * i, c = c_lo + dc * m;
        const double v = objective(std::exp(e), std::exp(c));
        if (v < best) {
          best = v;
          best_e = e;
          best_c = c;
        }
      }
    }
    if (!cpu_only) {
      e_lo = std::max(std::log(kEffMin), best_e - 2 * de);
      e_hi = std::min(std::log(kEffMax), best_e + 2 * de);
    }
    c_lo = std::max(std::log(kCyclesMin), best_c - 2 * dc);
    c_hi = std::min(std::log(kCyclesMax), best_c + 2 * dc);
  }
  params.gpu_efficiency_max = std::exp(best_e);
  params.cpu_cycles_per_kernel = std::exp(best_c);
  std::string ids;
  for (const auto* f : anchors) ids += (ids.empty() ? "" : ", ") + f->id;
  params.derivation = std::string(cpu_only ? "CPU cycles/op fitted (log least squares) to " + ids +
                                                 ", GPU efficiency from " + rule.gpu_from
                                           : "fitted (log least squares) to " + ids) +
                      ": efficiency " + fmt(params.gpu_efficiency_max) + ", CPU cycles/op " +
                      fmt(params.cpu_cycles_per_kernel) + " (" + rule.note + ")";
}

ClockSetting Synthesizer::resolve_clocks(const Board& board, const FigureClocks& clocks) const {
  return clocks.max ? max_clocks(board) : clocks.clocks;
}

double Synthesizer::config_latency(const FigureConfig& config, const CalibrationFigure& figure) const {
  const Board& board = catalog_->board(config.board);
  const Model& model = catalog_->model(config.model);
  const ModelPrediction m = predict_model(board, model, figure.batch, figure.concurrency,
                                          resolve_clocks(board, config.clocks), figure.precision);
  if (figure.component == "gpu") return m.gpu_s;
  if (figure.component == "compute") return m.compute_s;
  return m.latency_s;
}

double Synthesizer::figure_value(const CalibrationFigure& figure) const {
  const auto nan = std::numeric_limits<double>::quiet_NaN();
  const auto present = [&](const FigureConfig& c) {
    return catalog_->has_board(c.board) && catalog_->has_model(c.model) && params_.count(c.board);
  };
  if (!present(figure.config)) return nan;
  if (figure.quantity == "latency_s") return config_latency(figure.config, figure);
  if (figure.quantity == "throughput_fps") {
    return figure.batch * figure.concurrency / config_latency(figure.config, figure);
  }
  auto model_at = [&](const FigureConfig& c) {
    const Board& board = catalog_->board(c.board);
    return predict_model(board, catalog_->model(c.model), figure.batch, figure.concurrency,
                         resolve_clocks(board, c.clocks), figure.precision);
  };
  // Energy of one inference: mean power x the figure's time (its component: GPU or compute
  // time for trends taken from a fused runtime).
  auto energy = [&](const FigureConfig& c) { return model_at(c).mean_power_w * config_latency(c, figure); };
  if (figure.quantity == "power_w") return model_at(figure.config).mean_power_w / figure.meter_efficiency;
  if (figure.quantity == "load_power_w") {
    const Board& board = catalog_->board(figure.config.board);
    const double idle = idle_power_w(board, resolve_clocks(board, figure.config.clocks));
    return (model_at(figure.config).mean_power_w - idle) / figure.meter_efficiency;
  }
  if (figure.quantity == "energy_j") return energy(figure.config);
  if (!present(figure.reference)) return nan;
  if (figure.quantity == "power_ratio") {
    return model_at(figure.config).mean_power_w / model_at(figure.reference).mean_power_w;
  }
  if (figure.quantity == "energy_ratio") return energy(figure.config) / energy(figure.reference);
  return config_latency(figure.config, figure) / config_latency(figure.reference, figure);
}

std::vector<FigureCheck> Synthesizer::check_figures() const {
  std::vector<FigureCheck> checks;
  for (const auto& f : calibration_.figures) {
    FigureCheck c;
    c.figure = &f;
    c.generated = figure_value(f);
    const double tol = f.tolerance_rel;
    if (std::isnan(c.generated)) {
      c.ok = false;
    } else if (f.check == "at_most") {
      c.ok = c.generated <= f.value * (1 + tol);
    } else if (f.check == "at_least") {
      c.ok = c.generated >= f.value * (1 - tol);
    } else {
      c.ok = std::abs(c.generated / f.value - 1) <= tol;
    }
    checks.push_back(c);
  }
  return checks;
}

}  // namespace edgetwin::traces

namespace edgetwin::traces {

double FigureCheck::abs_error() const {
  if (figure == nullptr || std::isnan(generated)) return std::numeric_limits<double>::quiet_NaN();
  return std::abs(generated / figure->value - 1.0);
}

std::string figure_kind(const CalibrationFigure& figure) {
  const std::string& q = figure.quantity;
  if (q == "latency_s" || q == "throughput_fps") return "latency";
  if (q == "power_w" || q == "load_power_w") return "power";
  if (q == "energy_j") return "energy";
  return "ratio";
}

std::vector<ErrorSummary> summarize_errors(const std::vector<FigureCheck>& checks) {
  std::vector<ErrorSummary> out;
  for (const char* set : {"calibration", "validation"}) {
    for (const char* kind : {"latency", "power", "energy", "ratio"}) {
      std::vector<std::pair<double, std::string>> errors;
      for (const auto& c : checks) {
        if (c.figure->set != set || figure_kind(*c.figure) != kind || c.figure->check != "within") continue;
        errors.emplace_back(c.abs_error(), c.figure->id);
      }
      if (errors.empty()) continue;
      std::sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) {
        // NaN (not generated) sorts last, as the worst.
        if (std::isnan(a.first) != std::isnan(b.first)) return std::isnan(b.first);
        return a.first < b.first;
      });
      ErrorSummary e;
      e.set = set;
      e.kind = kind;
      e.count = static_cast<int>(errors.size());
      const std::size_t n = errors.size();
      e.median_abs_error =
          n % 2 == 1 ? errors[n / 2].first : 0.5 * (errors[n / 2 - 1].first + errors[n / 2].first);
      e.worst_abs_error = errors.back().first;
      e.worst_figure = errors.back().second;
      out.push_back(e);
    }
  }
  return out;
}

std::vector<std::string> missed_targets(const std::vector<FigureCheck>& checks, const ValidationTargets& t) {
  std::vector<std::string> missed;
  for (const auto& e : summarize_errors(checks)) {
    if (e.set != "validation") continue;
    const double target = e.kind == "latency" ? t.latency_median
                          : e.kind == "power" ? t.power_median
                          : e.kind == "ratio" ? t.ratio_median
                                              : std::numeric_limits<double>::infinity();
    if (!(e.median_abs_error <= target)) {
      missed.push_back("validation " + e.kind + ": median absolute error " + fmt(e.median_abs_error * 100) +
                       " % above the target " + fmt(target * 100) + " %");
    }
  }
  for (const auto& c : checks) {
    if (c.figure->set != "validation" || c.figure->check != "within") continue;
    const double r = c.generated / c.figure->value;
    if (!(r <= t.max_factor && r >= 1.0 / t.max_factor)) {
      missed.push_back("validation figure " + c.figure->id + ": generated/published = " + fmt(r) +
                       ", off by more than " + fmt(t.max_factor) + "x");
    }
  }
  return missed;
}

}  // namespace edgetwin::traces

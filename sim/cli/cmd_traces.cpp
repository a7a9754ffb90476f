// `edgetwin traces generate|inspect|validate|calibration`: synthetic trace generation, trace
// inspection with fit errors, validation of trace files, and the calibration check table.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "edgetwin/common/hash.hpp"
#include "edgetwin/common/strings.hpp"
#include "edgetwin/traces/exit_records.hpp"
#include "edgetwin/traces/synth.hpp"
#include "edgetwin/traces/trace_store.hpp"

#include "cli.hpp"

namespace edgetwin::app {

namespace fs = std::filesystem;

namespace {

std::string fmt(double x, int precision) {
  if (std::isnan(x)) return "-";
  std::ostringstream os;
  os << std::fixed << std::setprecision(precision) << x;
  return os.str();
}

int generate(const std::vector<std::string>& args) {
  std::string data_dir, out_dir, precision;
  std::vector<std::string> boards, models;
  bool quiet = false;
  po::options_description options("traces generate options");
  options.add_options()("out", po::value<std::string>(&out_dir)->default_value(default_traces_dir()),
                        "output directory")(
      "board", po::value<std::vector<std::string>>(&boards)->multitoken(), "boards (default: all)")(
      "model", po::value<std::vector<std::string>>(&models)->multitoken(), "models (default: all)")(
      "precision", po::value<std::string>(&precision)->default_value("all"), "fp32 | fp16 | all")(
      "quiet", po::bool_switch(&quiet), "print only the summary line");
  add_data_option(options, data_dir);
  po::variables_map vm;
  if (!parse_args(args, options, {}, vm,
                  "edgetwin traces generate [--out DIR] [--board ID...] [--model ID...]")) {
    return kExitOk;
  }
  if (precision != "fp32" && precision != "fp16" && precision != "all") {
    throw std::invalid_argument("--precision: found '" + precision + "', allowed: fp32, fp16, all");
  }
  const auto catalog = load_catalog_or_throw(data_dir);
  for (const auto& b : boards) catalog.board(b);  // unknown ids fail here, listing the known ones
  for (const auto& m : models) catalog.model(m);
  const traces::Synthesizer synth(catalog,
                                  traces::load_synth_calibration(traces::default_calibration_path(data_dir)));

  const auto start = std::chrono::steady_clock::now();
  std::size_t files = 0, samples = 0;
  const std::vector<std::string> precisions =
      precision == "all" ? std::vector<std::string>{"fp32", "fp16"} : std::vector<std::string>{precision};
  const auto board_ids = boards.empty() ? catalog.board_ids() : boards;
  const auto model_ids = models.empty() ? catalog.model_ids() : models;
  const std::size_t total = board_ids.size() * model_ids.size() * precisions.size();
  for (const auto& p : precisions) {
    traces::SynthOptions opts;
    opts.precision = p;
    for (const auto& b : board_ids) {
      for (const auto& m : model_ids) {
        const auto trace = synth.generate(catalog.board(b), catalog.model(m), opts);
        const fs::path file = fs::path(out_dir) / b / (m + "." + opts.runtime + "." + p + ".csv");
        fs::create_directories(file.parent_path());
        traces::write_trace_file(trace, file.string(), catalog);
        ++files;
        samples += trace.samples.size();
        if (!quiet)
          std::cerr << "\r[" << files << "/" << total << "] " << file.string() << "        " << std::flush;
      }
    }
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!quiet) std::cerr << "\n";
  std::cout << "generated " << files << " SYNTHETIC (calibrated) trace files, " << samples << " samples, in "
            << fmt(wall_s, 1) << " s -> " << out_dir << "\n";
  return kExitOk;
}

traces::ClockSetting parse_clocks(const std::string& text, const traces::Board& board) {
  if (text == "max") return traces::Synthesizer::max_clocks(board);
  if (text == "min")
    return {board.cpu_freqs_khz.front(), board.gpu_freqs_hz.front(), board.emc_freqs_hz.front()};
  traces::ClockSetting c;
  char sep1 = 0, sep2 = 0;
  std::istringstream in(text);
  if (!(in >> c.cpu_khz >> sep1 >> c.gpu_hz >> sep2 >> c.emc_hz) || sep1 != ',' || sep2 != ',' || !in.eof()) {
    throw std::invalid_argument("--clocks: found '" + text + "', expected max, min or CPU_KHZ,GPU_HZ,EMC_HZ");
  }
  return c;
}

// `traces inspect --heads`: one line per exit head, the same columns as the unit table.
void print_heads(const traces::TraceStore& store, const traces::Model& model, const traces::TraceKey& key,
                 int batch, int concurrency, const traces::ClockSetting& clocks) {
  std::cout << "\nexit heads (head rows, docs/traces.md):\n";
  if (model.exits.empty()) {
    std::cout << "model " << model.id << " has no exit points\n";
    return;
  }
  const auto& board = store.catalog().board(key.board);
  const traces::ClockSetting min_clocks{board.cpu_freqs_khz.front(), board.gpu_freqs_hz.front(),
                                        board.emc_freqs_hz.front()};
  const auto quality = store.head_fit_quality(key.board, key.model, key.precision, key.runtime);
  std::cout << std::left << std::setw(7) << "after" << std::setw(20) << "head" << std::right << std::setw(12)
            << "lat ms" << std::setw(12) << "lat@min ms" << std::setw(9) << "power W" << std::setw(11)
            << "energy mJ" << std::setw(7) << "exact" << std::setw(11) << "fit rms%" << std::setw(11)
            << "fit loo%" << std::setw(11) << "pow rms%"
            << "\n";
  for (std::size_t i = 0; i < model.exits.size(); ++i) {
    const auto& x = model.exits[i];
    // head_estimate answers the first exit after a unit; a second head there is listed, not costed.
    const bool first = std::find_if(model.exits.begin(), model.exits.end(), [&](const traces::ExitPoint& y) {
                         return y.after_unit == x.after_unit;
                       }) == model.exits.begin() + static_cast<std::ptrdiff_t>(i);
    const traces::FitQuality* q = nullptr;
    for (const auto& fq : quality) {
      if (fq.exit != static_cast<int>(i)) continue;
      if (q == nullptr || (std::abs(fq.batch - batch) + std::abs(fq.concurrency - concurrency) <
                           std::abs(q->batch - batch) + std::abs(q->concurrency - concurrency))) {
        q = &fq;
      }
    }
    std::cout << std::left << std::setw(7) << x.after_unit << std::setw(20) << x.head << std::right;
    if (!first) {
      std::cout << std::setw(12) << "-"
                << "  (a second head after this unit; the simulator takes the first)\n";
      continue;
    }
    const auto e = store.head_estimate(key.board, key.model, x.after_unit, batch, concurrency, clocks,
                                       key.precision, key.runtime);
    const auto e_min = store.head_estimate(key.board, key.model, x.after_unit, batch, concurrency, min_clocks,
                                           key.precision, key.runtime);
    std::cout << std::setw(12) << fmt(e.latency_s * 1e3, 3) << std::setw(12) << fmt(e_min.latency_s * 1e3, 3)
              << std::setw(9) << fmt(e.power_total_w, 2) << std::setw(11)
              << fmt(e.latency_s * e.power_total_w * 1e3, 3) << std::setw(7) << (e.exact ? "yes" : "no")
              << std::setw(11) << (q ? fmt(q->latency_rms_rel * 100, 2) : "-") << std::setw(11)
              << (q ? fmt(q->latency_loo_max_rel * 100, 2) : "-") << std::setw(11)
              << (q ? fmt(q->power_rms_rel * 100, 2) : "-") << "\n";
  }
}

int inspect(const std::vector<std::string>& args) {
  std::string data_dir, traces_dir, board_id, model_id, precision, runtime, clocks_text;
  int batch = 1, concurrency = 1;
  bool heads = false;
  po::options_description options("traces inspect options");
  options.add_options()("board", po::value<std::string>(&board_id)->required(),
                        "board id (edgetwin list boards)")(
      "model", po::value<std::string>(&model_id)->required(), "model id (edgetwin list models)")(
      "precision", po::value<std::string>(&precision)->default_value("fp32"), "fp32 | fp16")(
      "runtime", po::value<std::string>(&runtime)->default_value("pytorch"), "runtime of the trace")(
      "batch", po::value<int>(&batch)->default_value(1), "batch size of the per-unit table")(
      "concurrency", po::value<int>(&concurrency)->default_value(1), "concurrent instances")(
      "clocks", po::value<std::string>(&clocks_text)->default_value("max"),
      "clocks of the per-unit table: max, min or CPU_KHZ,GPU_HZ,EMC_HZ (any table values)")(
      "heads", po::bool_switch(&heads), "also print the exit heads' rows (one line per exit)");
  add_data_option(options, data_dir);
  add_traces_option(options, traces_dir);
  po::variables_map vm;
  if (!parse_args(args, options, {}, vm, "edgetwin traces inspect --board ID --model ID [options]"))
    return kExitOk;

  const auto catalog = load_catalog_or_throw(data_dir);
  const auto& board = catalog.board(board_id);
  const auto& model = catalog.model(model_id);
  const fs::path file =
      fs::path(traces_dir) / board_id / (model_id + "." + runtime + "." + precision + ".csv");
  if (!fs::exists(file)) {
    throw std::invalid_argument("no trace file " + file.string() +
                                " (run `edgetwin traces generate` or scripts/setup, or pass --traces DIR)");
  }
  traces::TraceStore store(catalog);
  store.add(traces::read_trace_file(file.string(), catalog));
  const auto& trace = store.trace(board_id, model_id, precision, runtime);
  const auto& prov = trace.provenance;
  const auto clocks = parse_clocks(clocks_text, board);
  const auto min_clocks = parse_clocks("min", board);
  // Clocks, batch and concurrency the store refuses are refused before anything is printed.
  (void)store.estimate(board_id, model_id, 0, batch, concurrency, clocks, precision, runtime);

  std::cout << "trace      " << file.string() << "\n";
  if (prov.kind == "synthetic-calibrated") {
    // Each calibration entry is "<figure id>: <source>"; the ids keep the header short, the
    // sources are in the file and in docs/synthetic_traces.md.
    std::cout << "provenance SYNTHETIC (" << prov.kind << ", " << prov.generator << "), calibrated to "
              << prov.calibration.size() << " public figures (docs/synthetic_traces.md):\n           ";
    std::size_t column = 11;
    for (const auto& c : prov.calibration) {
      const std::string id = c.substr(0, c.find(':'));
      if (column + id.size() > 100) {
        std::cout << "\n           ";
        column = 11;
      }
      std::cout << " " << id;
      column += id.size() + 1;
    }
    std::cout << "\n";
  } else {
    std::cout << "provenance " << prov.kind << " on " << prov.board << ", " << prov.software_stack << ", "
              << prov.date << "\n";
  }
  std::cout << "board      " << board.name << "\nmodel      " << model.name << " (" << model.units.size()
            << " units)\nruntime    " << prov.runtime << " " << prov.precision << ", " << trace.samples.size()
            << " samples\nquery      batch " << batch << ", concurrency " << concurrency << ", clocks cpu "
            << clocks.cpu_khz << " kHz, gpu " << clocks.gpu_hz << " Hz, emc " << clocks.emc_hz << " Hz\n\n";

  const auto quality = store.fit_quality(board_id, model_id, precision, runtime);
  std::cout << std::left << std::setw(5) << "#" << std::setw(22) << "unit" << std::right << std::setw(12)
            << "lat ms" << std::setw(12) << "lat@min ms" << std::setw(9) << "power W" << std::setw(11)
            << "energy mJ" << std::setw(7) << "exact" << std::setw(11) << "fit rms%" << std::setw(11)
            << "fit loo%" << std::setw(11) << "pow rms%"
            << "\n";
  double total_s = 0, total_min_s = 0, total_j = 0, worst_loo = 0;
  for (const auto& u : model.units) {
    const auto e =
        store.estimate(board_id, model_id, u.index, batch, concurrency, clocks, precision, runtime);
    const auto e_min =
        store.estimate(board_id, model_id, u.index, batch, concurrency, min_clocks, precision, runtime);
    // Fit quality of this unit's group at the nearest sampled batch/concurrency (exact match first).
    const traces::FitQuality* q = nullptr;
    for (const auto& fq : quality) {
      if (fq.unit != u.index) continue;
      if (q == nullptr || (std::abs(fq.batch - batch) + std::abs(fq.concurrency - concurrency) <
                           std::abs(q->batch - batch) + std::abs(q->concurrency - concurrency))) {
        q = &fq;
      }
    }
    total_s += e.latency_s;
    total_min_s += e_min.latency_s;
    total_j += e.latency_s * e.power_total_w;
    if (q != nullptr && !std::isnan(q->latency_loo_max_rel))
      worst_loo = std::max(worst_loo, q->latency_loo_max_rel);
    std::cout << std::left << std::setw(5) << u.index << std::setw(22) << u.name << std::right
              << std::setw(12) << fmt(e.latency_s * 1e3, 3) << std::setw(12) << fmt(e_min.latency_s * 1e3, 3)
              << std::setw(9) << fmt(e.power_total_w, 2) << std::setw(11)
              << fmt(e.latency_s * e.power_total_w * 1e3, 3) << std::setw(7) << (e.exact ? "yes" : "no")
              << std::setw(11) << (q ? fmt(q->latency_rms_rel * 100, 2) : "-") << std::setw(11)
              << (q ? fmt(q->latency_loo_max_rel * 100, 2) : "-") << std::setw(11)
              << (q ? fmt(q->power_rms_rel * 100, 2) : "-") << "\n";
  }
  std::cout << "\nwhole model: " << fmt(total_s * 1e3, 3) << " ms (" << fmt(batch / total_s, 1)
            << " inferences/s per instance), " << fmt(total_j * 1e3, 2)
            << " mJ per batch at the query clocks; " << fmt(total_min_s * 1e3, 3)
            << " ms at the lowest clocks\n";
  double worst_all = 0;
  for (const auto& fq : quality) {
    if (!std::isnan(fq.latency_loo_max_rel)) worst_all = std::max(worst_all, fq.latency_loo_max_rel);
  }
  std::cout << "fit error: worst leave-one-out latency error " << fmt(worst_loo * 100, 2)
            << "% over the units above, " << fmt(worst_all * 100, 2) << "% over all " << quality.size()
            << " (unit, batch, concurrency) groups\n";
  if (heads) print_heads(store, model, {board_id, model_id, runtime, precision}, batch, concurrency, clocks);
  return kExitOk;
}

int validate(const std::vector<std::string>& args) {
  std::string data_dir;
  std::vector<std::string> files;
  po::options_description options("traces validate options");
  options.add_options()("file", po::value<std::vector<std::string>>(&files)->required(), "trace files");
  add_data_option(options, data_dir);
  po::positional_options_description positionals;
  positionals.add("file", -1);
  po::variables_map vm;
  if (!parse_args(args, options, positionals, vm, "edgetwin traces validate FILE...")) return kExitOk;
  const auto catalog = load_catalog_or_throw(data_dir);
  int bad = 0;
  for (const auto& f : files) {
    try {
      const auto trace = traces::read_trace_file(f, catalog);
      std::cout << "ok    " << f << " (" << trace.samples.size() << " samples, " << trace.provenance.kind
                << ")\n";
    } catch (const common::DataError& e) {
      std::cout << "error " << e.what() << "\n";
      ++bad;
    }
  }
  return bad == 0 ? kExitOk : kExitDataError;
}

// Share of the backbone's MACs before each head (exits in Model::exits order, then 1 for the final).
std::vector<double> head_mac_shares(const traces::Model& model) {
  const double total_macs = static_cast<double>(std::max<std::int64_t>(1, model.total_macs()));
  std::vector<double> share(model.exits.size() + 1, 1.0);
  for (std::size_t k = 0; k < model.exits.size(); ++k) {
    double before = 0;
    for (int i = 0; i <= model.exits[k].after_unit; ++i)
      before += static_cast<double>(model.units[static_cast<std::size_t>(i)].macs);
    share[k] = before / total_macs;
  }
  return share;
}

// `traces exit-records`: per-head accuracy and mean confidence of a records file, or of the
// SYNTHETIC generator for a model (docs/exit_records.md).
// `traces corunners`: random co-runner mixes on one board and the slowdown the simulator's
// corunner interference gives each (the ground-truth model of docs/simulation.md, "Heterogeneous
// interference"; SYNTHETIC). `--format dataset`: one row per mix, features and the target, for
// `edgetwin train --dataset` (the interference predictor); `--format slowdowns`: the co-runner
// slowdown file format (docs/traces.md).
int corunners(const std::vector<std::string>& args) {
  std::string data_dir, board_id, out, format;
  std::vector<std::string> models;
  long mixes = 2000;
  int max_batch = 64, max_corunners = 3;
  double alpha = 0.1;
  std::uint64_t seed = 1;
  po::options_description options("traces corunners options");
  options.add_options()("board", po::value<std::string>(&board_id)->required(), "board id")(
      "model", po::value<std::vector<std::string>>(&models)->multitoken()->required(),
      "the deployed models (their order fixes the feature columns)")(
      "mixes", po::value<long>(&mixes)->default_value(2000), "rows, 1..10000000")(
      "max-batch", po::value<int>(&max_batch)->default_value(64),
      "batch sizes 1, 2, 4, ... up to this (1..1024)")("max-corunners",
                                                       po::value<int>(&max_corunners)->default_value(3),
                                                       "co-runners per mix, 0..this (0..15)")(
      "alpha", po::value<double>(&alpha)->default_value(0.1), "interference_alpha (0..10)")(
      "seed", po::value<std::uint64_t>(&seed)->default_value(1), "seed of the mixes")(
      "format", po::value<std::string>(&format)->default_value("dataset"), "dataset | slowdowns")(
      "out", po::value<std::string>(&out)->required(), "output CSV file");
  add_data_option(options, data_dir);
  po::variables_map vm;
  if (!parse_args(args, options, {}, vm,
                  "edgetwin traces corunners --board ID --model ID... --out CSV [--mixes N] [--seed S]")) {
    return kExitOk;
  }
  if (format != "dataset" && format != "slowdowns") {
    throw std::invalid_argument("--format: found '" + format + "', allowed: dataset, slowdowns");
  }
  if (mixes < 1 || mixes > 10000000) throw std::invalid_argument("--mixes: allowed 1..10000000");
  if (max_batch < 1 || max_batch > 1024) throw std::invalid_argument("--max-batch: allowed 1..1024");
  if (max_corunners < 0 || max_corunners > 15) throw std::invalid_argument("--max-corunners: allowed 0..15");
  if (!(alpha >= 0 && alpha <= 10)) throw std::invalid_argument("--alpha: allowed 0..10");
  const auto catalog = load_catalog_or_throw(data_dir);
  const auto& board = catalog.board(board_id);
  for (const auto& m : models) catalog.model(m);
  const traces::Synthesizer synth(catalog,
                                  traces::load_synth_calibration(traces::default_calibration_path(data_dir)));
  const auto clocks = traces::Synthesizer::max_clocks(board);
  std::vector<int> batches;
  for (int b = 1; b <= max_batch; b *= 2) batches.push_back(b);
  std::map<std::pair<std::size_t, int>, traces::GpuDemand> demands;
  auto demand = [&](std::size_t m, int b) {
    auto it = demands.find({m, b});
    if (it == demands.end())
      it = demands
               .emplace(std::make_pair(m, b),
                        synth.gpu_demand(board, catalog.model(models[m]), b, clocks, "fp32"))
               .first;
    return it->second;
  };
  std::uint64_t state = common::hash_combine(seed, 0x636f72756eULL);
  auto draw = [&](std::size_t n) {
    state = common::splitmix64(state);
    return static_cast<std::size_t>(state % n);
  };
  std::ofstream file(out);
  if (!file) throw std::runtime_error(out + ": cannot write the file");
  file << std::setprecision(17);
  if (format == "dataset") {
    // Features: which model (one-hot), log2 of its batch, per model log2(1 + co-runners' summed
    // batch of that model), the number of co-runners; target: the slowdown.
    for (const auto& m : models) file << "self_" << m << ',';
    file << "self_log2_batch,";
    for (const auto& m : models) file << "co_" << m << ',';
    file << "corunners,slowdown\n";
  } else {
    file << "# SYNTHETIC: ground-truth co-runner slowdowns of the simulator's model (docs/simulation.md), "
            "board "
         << board_id << " at maximum clocks, fp32, alpha " << alpha << ", seed " << seed << "\n"
         << "board,model,batch,corunners,slowdown,source\n";
  }
  std::set<std::string> seen;
  for (long i = 0; i < mixes; ++i) {
    const std::size_t self = draw(models.size());
    const int self_batch = batches[draw(batches.size())];
    const std::size_t n = draw(static_cast<std::size_t>(max_corunners) + 1);
    std::vector<traces::GpuDemand> others;
    std::vector<double> co(models.size(), 0.0);
    std::vector<traces::CorunnerEntry> entries;
    for (std::size_t j = 0; j < n; ++j) {
      const std::size_t m = draw(models.size());
      const int b = batches[draw(batches.size())];
      others.push_back(demand(m, b));
      co[m] += b;
      entries.push_back({models[m], b});
    }
    const double slowdown = traces::corunner_slowdown(demand(self, self_batch), others, alpha);
    if (format == "dataset") {
      for (std::size_t m = 0; m < models.size(); ++m) file << (m == self ? 1 : 0) << ',';
      file << std::log2(self_batch) << ',';
      for (double c : co) file << std::log2(1.0 + c) << ',';
      file << n << ',' << slowdown << '\n';
    } else {
      std::sort(entries.begin(), entries.end());
      std::string key = models[self] + "@" + std::to_string(self_batch) + "|";
      std::string list;
      for (const auto& e : entries)
        list += (list.empty() ? "" : "+") + e.model + "@" + std::to_string(e.batch);
      if (!seen.insert(key + list).second) continue;  // a key appears once
      file << board_id << ',' << models[self] << ',' << self_batch << ',' << list << ',' << slowdown
           << ",synthetic\n";
    }
  }
  file.close();
  if (!file) throw std::runtime_error(out + ": cannot write the file");
  std::cout << "wrote " << mixes << " SYNTHETIC co-runner mixes of " << models.size() << " models on "
            << board_id << " to " << out << "\n";
  return kExitOk;
}

int exit_records(const std::vector<std::string>& args) {
  std::string data_dir, model_id, file, dataset;
  long frames = 10000;
  double mean_complexity = 0.5;
  std::uint64_t seed = 1;
  int features = 0;
  po::options_description options("traces exit-records options");
  options.add_options()("model", po::value<std::string>(&model_id)->required(), "model id")(
      "file", po::value<std::string>(&file), "a records file (default: the SYNTHETIC generator)")(
      "dataset", po::value<std::string>(&dataset),
      "generator: dataset_key of the accuracy table (default: the model's)")(
      "frames", po::value<long>(&frames)->default_value(10000), "generator: frames drawn")(
      "mean-complexity", po::value<double>(&mean_complexity)->default_value(0.5),
      "generator: complexity mean (frames uniform within +-0.2 of it, inside [0, 1])")(
      "seed", po::value<std::uint64_t>(&seed)->default_value(1), "generator: seed")(
      "features", po::value<int>(&features)->default_value(0), "generator: features per record");
  add_data_option(options, data_dir);
  po::variables_map vm;
  if (!parse_args(args, options, {}, vm,
                  "edgetwin traces exit-records --model ID [--file FILE | generator options]"))
    return kExitOk;
  const auto catalog = load_catalog_or_throw(data_dir);
  const auto& model = catalog.model(model_id);
  const std::size_t heads = model.exits.size() + 1;
  std::vector<double> right(heads, 0), confidence(heads, 0), table(heads, std::nan("")),
      earliest(heads + 1, 0);
  long n = 0;
  const traces::AccuracyTable* accuracy = nullptr;
  // Per frame: each head's correctness and confidence, and the first head that is right (the
  // oracle's exit; `heads` = none is).
  const auto count = [&](const traces::ExitRecord& r) {
    std::size_t first = heads;
    for (std::size_t k = 0; k < heads; ++k) {
      right[k] += r.outcomes[k].correct;
      confidence[k] += r.outcomes[k].confidence;
      if (r.outcomes[k].correct && first == heads) first = k;
    }
    earliest[first] += 1;
  };
  if (!file.empty()) {
    const auto records = traces::read_exit_records_file(file, model);
    std::cout << "records    " << file << " (" << records.provenance.kind << ", dataset "
              << records.provenance.dataset_key << ", " << records.records.size() << " frames)\n";
    for (const auto& r : records.records) count(r);
    n = static_cast<long>(records.records.size());
    const auto keys = catalog.accuracy_datasets(model_id);
    if (std::find(keys.begin(), keys.end(), records.provenance.dataset_key) != keys.end())
      accuracy = catalog.accuracy(model_id, records.provenance.dataset_key);
    if (accuracy != nullptr) {
      for (std::size_t k = 0; k + 1 < heads; ++k)
        table[k] = accuracy->accuracy(model, model.exits[k].after_unit, false, 1.0);
      table[heads - 1] = accuracy->accuracy(model, -1, false, 1.0);
    }
  } else {
    accuracy = catalog.accuracy(model_id, dataset);
    if (accuracy == nullptr) {
      throw std::invalid_argument("--dataset: model " + model_id + " has no accuracy table '" + dataset +
                                  "'; its tables: " + common::join(catalog.accuracy_datasets(model_id)));
    }
    if (frames < 1)
      throw std::invalid_argument("--frames: found " + std::to_string(frames) + ", allowed: >= 1");
    if (features < 0 || features > traces::kMaxGeneratedFeatures) {
      throw std::invalid_argument("--features: found " + std::to_string(features) + ", allowed: 0.." +
                                  std::to_string(traces::kMaxGeneratedFeatures));
    }
    traces::ExitRecordGeneratorParams p;
    p.mean_complexity = mean_complexity;
    p.seed = seed;
    p.feature_count = features;
    const traces::ExitRecordGenerator g(model, *accuracy, p);
    const double w = std::min({mean_complexity, 1 - mean_complexity, 0.2});
    std::cout << "generator  SYNTHETIC " << g.describe() << "\n           " << frames
              << " frames, complexity uniform on [" << fmt(mean_complexity - w, 2) << ", "
              << fmt(mean_complexity + w, 2) << "]\n";
    for (long i = 0; i < frames; ++i) {
      const auto key = static_cast<std::uint64_t>(i);
      const double c =
          mean_complexity - w + 2 * w * common::uniform01(common::hash_combine(seed ^ 0x636f6d70, key));
      count(g.generate(c, key));
    }
    table = g.accuracies();
    n = frames;
  }
  const std::vector<double> share = head_mac_shares(model);
  std::cout << "\n"
            << std::left << std::setw(7) << "after" << std::setw(16) << "head" << std::right << std::setw(10)
            << "MACs" << std::setw(10) << "table" << std::setw(10) << "accuracy" << std::setw(12)
            << "mean conf" << std::setw(11) << "earliest"
            << "\n";
  for (std::size_t k = 0; k < heads; ++k) {
    const bool final_head = k + 1 == heads;
    std::cout << std::left << std::setw(7)
              << (final_head ? std::string("final") : std::to_string(model.exits[k].after_unit))
              << std::setw(16) << (final_head ? std::string("(model)") : model.exits[k].head) << std::right
              << std::setw(10) << fmt(share[k], 3) << std::setw(10) << fmt(table[k], 4) << std::setw(10)
              << fmt(right[k] / static_cast<double>(n), 4) << std::setw(12)
              << fmt(confidence[k] / static_cast<double>(n), 4) << std::setw(11)
              << fmt(earliest[k] / static_cast<double>(n), 4) << "\n";
  }
  std::cout
      << std::left << std::setw(7) << "none" << std::setw(16) << "(no head right)" << std::right
      << std::setw(52) << fmt(earliest[heads] / static_cast<double>(n), 4) << "\n"
      << "MACs: share of the backbone's MACs before the head; earliest: share of frames whose first right "
         "head it is (an oracle's exit)\n";
  if (accuracy != nullptr && !accuracy->calibration.empty()) {
    std::cout << "\ncited figures the exit curve was calibrated to (" << accuracy->file << "):\n  "
              << accuracy->calibration_source << "\n\n"
              << std::right << std::setw(14) << "compute share" << std::setw(12) << "cited" << std::setw(12)
              << "curve" << std::setw(12) << "difference"
              << "\n";
    for (const auto& c : accuracy->calibration) {
      const double curve = accuracy->exit_curve.factor(c.compute_share);
      std::cout << std::setw(14) << fmt(c.compute_share, 4) << std::setw(12) << fmt(c.relative_accuracy, 4)
                << std::setw(12) << fmt(curve, 4) << std::setw(12) << fmt(curve - c.relative_accuracy, 4)
                << "\n";
    }
    std::cout << "(relative accuracy: accuracy / the final head's; the table's curve 1 - "
              << fmt(accuracy->exit_curve.max_relative_loss, 3) << " (1 - d)^"
              << fmt(accuracy->exit_curve.exponent, 3) << ")\n";
  }
  return kExitOk;
}

// `traces exit-dataset`: a supervised training set for E4's cascade (docs/e4.md, "Cascade"):
// SYNTHETIC videos from the complexity process, per frame the window of the last frames'
// features and the label: the earliest head that is right (the number of heads: none is). The
// summary scores choices by (1 - correct) + energy_weight x MACs share.
int exit_dataset(const std::vector<std::string>& args) {
  std::string data_dir, model_id, dataset, out;
  int videos = 40, frames = 300, features = 8, window = 8;
  double fps = 10, feature_noise = 1.0, energy_weight = 0.5, mean = 0.5, rate = 0.1, spread = 0.2,
         jitter = 0.05, sensitivity = 0.5;
  std::uint64_t seed = 1;
  po::options_description options("traces exit-dataset options");
  options.add_options()("model", po::value<std::string>(&model_id)->required(), "model id")(
      "dataset", po::value<std::string>(&dataset),
      "dataset_key of the accuracy table (default: the model's)")(
      "out", po::value<std::string>(&out)->required(), "CSV file to write")(
      "videos", po::value<int>(&videos)->default_value(40), "videos, 1..100000")(
      "frames", po::value<int>(&frames)->default_value(300), "frames per video, 1..1000000")(
      "fps", po::value<double>(&fps)->default_value(10), "frame rate, for the scene changes, (0, 1000]")(
      "features", po::value<int>(&features)->default_value(8), "features per frame, 1..256")(
      "feature-noise", po::value<double>(&feature_noise)->default_value(1.0), "noise on the features, >= 0")(
      "window", po::value<int>(&window)->default_value(8), "frames per row (the cascade's window), 1..256")(
      "energy-weight", po::value<double>(&energy_weight)->default_value(0.5),
      "summary's objective: an error costs 1, running the whole backbone this much, >= 0")(
      "mean-complexity", po::value<double>(&mean)->default_value(0.5), "complexity process: mean, [0, 1]")(
      "scene-change-rate-hz", po::value<double>(&rate)->default_value(0.1),
      "complexity process: scene changes")("scene-spread", po::value<double>(&spread)->default_value(0.2),
                                           "complexity process: scene level spread")(
      "jitter", po::value<double>(&jitter)->default_value(0.05), "complexity process: per-frame noise")(
      "complexity-sensitivity", po::value<double>(&sensitivity)->default_value(0.5),
      "generator: complexity_sensitivity, [0, 0.5]")(
      "seed", po::value<std::uint64_t>(&seed)->default_value(1), "seed of the videos");
  add_data_option(options, data_dir);
  po::variables_map vm;
  if (!parse_args(args, options, {}, vm, "edgetwin traces exit-dataset --model ID --out CSV [options]"))
    return kExitOk;
  const auto range = [](const char* name, double v, double lo, double hi) {
    if (!(v >= lo && v <= hi)) {
      throw std::invalid_argument(std::string("--") + name + ": found " + fmt(v, 6) +
                                  ", allowed: " + fmt(lo, 6) + " .. " + fmt(hi, 6));
    }
  };
  range("videos", videos, 1, 100000);
  range("frames", frames, 1, 1000000);
  range("fps", fps, 1e-9, 1000);
  range("features", features, 1, traces::kMaxGeneratedFeatures);
  range("window", window, 1, 256);
  range("energy-weight", energy_weight, 0, 1e6);
  range("feature-noise", feature_noise, 0, 20);
  range("mean-complexity", mean, 0, 1);
  range("scene-change-rate-hz", rate, 0, 1000);
  range("scene-spread", spread, 0, 1);
  range("jitter", jitter, 0, 1);
  range("complexity-sensitivity", sensitivity, 0, 0.5);
  const auto catalog = load_catalog_or_throw(data_dir);
  const auto& model = catalog.model(model_id);
  const auto* accuracy = catalog.accuracy(model_id, dataset);
  if (accuracy == nullptr) {
    throw std::invalid_argument("--dataset: model " + model_id + " has no accuracy table '" + dataset +
                                "'; its tables: " + common::join(catalog.accuracy_datasets(model_id)));
  }
  const std::vector<double> share = head_mac_shares(model);
  const std::size_t heads = share.size();
  std::ofstream csv(out, std::ios::trunc);
  if (!csv) throw std::invalid_argument("--out: cannot open " + out + " for writing");
  for (int t = 0; t < window; ++t)
    for (int j = 0; j < features; ++j) csv << "f" << t << "_" << j << ",";
  csv << "label\n";
  // Per head: rows whose label it is, and the objective of always taking it.
  std::vector<double> labels(heads + 1, 0), fixed_cost(heads, 0);
  double label_cost = 0;
  long rows = 0;
  for (int v = 0; v < videos; ++v) {
    const std::uint64_t video_seed = common::hash_combine(seed, static_cast<std::uint64_t>(v));
    traces::ExitRecordGeneratorParams p;
    p.mean_complexity = mean;
    p.complexity_sensitivity = sensitivity;
    p.feature_count = features;
    p.feature_noise = feature_noise;
    p.seed = video_seed;
    const traces::ExitRecordGenerator g(model, *accuracy, p);
    // The simulator's complexity process (docs/scenarios.md): a scene level drawn at each
    // Poisson scene change, plus per-frame noise.
    std::mt19937_64 rng(video_seed);
    std::normal_distribution<double> noise(0.0, jitter), level_draw(mean, spread);
    std::exponential_distribution<double> gap(std::max(1e-12, rate));
    double level = std::clamp(level_draw(rng), 0.0, 1.0), next_scene = gap(rng);
    std::vector<std::vector<float>> history;
    for (int k = 0; k < frames; ++k) {
      const double t = k / fps;
      while (t >= next_scene) {
        level = std::clamp(level_draw(rng), 0.0, 1.0);
        next_scene += gap(rng);
      }
      const double c = std::clamp(level + noise(rng), 0.0, 1.0);
      const auto r = g.generate(c, static_cast<std::uint64_t>(k));
      history.push_back(r.features);
      if (static_cast<int>(history.size()) > window) history.erase(history.begin());
      // Oldest first; zeros before the video's first frame.
      for (int s = 0; s < window - static_cast<int>(history.size()); ++s)
        for (int j = 0; j < features; ++j) csv << "0,";
      for (const auto& f : history)
        for (const float x : f) csv << common::format_double(x) << ",";
      // The label: the first head that is right, or `heads` when none is.
      std::size_t label = heads;
      double best = std::numeric_limits<double>::infinity();
      for (std::size_t h = 0; h < heads; ++h) {
        const double cost = (r.outcomes[h].correct ? 0.0 : 1.0) + energy_weight * share[h];
        fixed_cost[h] += cost;
        best = std::min(best, cost);
        if (r.outcomes[h].correct && label == heads) label = h;
      }
      label_cost += best;
      labels[label] += 1;
      ++rows;
      csv << label << "\n";
    }
  }
  if (!csv.flush()) throw std::invalid_argument("--out: write failed: " + out);
  std::cout << "wrote " << rows << " rows (" << videos << " SYNTHETIC videos x " << frames
            << " frames, window " << window << " x " << features << " features) to " << out << "\n"
            << "objective per frame: (1 - correct) + " << fmt(energy_weight, 3) << " x MACs share\n"
            << "  oracle            " << fmt(label_cost / static_cast<double>(rows), 4) << "\n";
  std::size_t best_fixed = 0;
  for (std::size_t h = 0; h < heads; ++h)
    if (fixed_cost[h] < fixed_cost[best_fixed]) best_fixed = h;
  double random = 0;
  for (const double f : fixed_cost) random += f / static_cast<double>(heads);
  std::cout << "  best fixed head   " << fmt(fixed_cost[best_fixed] / static_cast<double>(rows), 4)
            << " (head " << best_fixed << ")\n  random head       "
            << fmt(random / static_cast<double>(rows), 4) << "\n"
            << "label shares:";
  for (std::size_t h = 0; h <= heads; ++h) std::cout << " " << fmt(labels[h] / static_cast<double>(rows), 3);
  std::cout << " (the last: no head right)\n";
  return kExitOk;
}

// `edgetwin traces calibration`: the calibration figures and the held-out validation figures in
// separate tables, the error summary per set and kind, and the validation targets.
int calibration(const std::vector<std::string>& args) {
  std::string data_dir;
  po::options_description options("traces calibration options");
  add_data_option(options, data_dir);
  po::variables_map vm;
  if (!parse_args(args, options, {}, vm, "edgetwin traces calibration [--data DIR]")) return kExitOk;
  const auto catalog = load_catalog_or_throw(data_dir);
  const traces::Synthesizer synth(catalog,
                                  traces::load_synth_calibration(traces::default_calibration_path(data_dir)));
  const auto checks = synth.check_figures();
  int failed = 0;
  std::cout << "SYNTHETIC trace generator against public figures (docs/synthetic_traces.md, Validation).\n";
  for (const char* set : {"calibration", "validation"}) {
    std::cout << "\n## "
              << (std::string(set) == "calibration"
                      ? "Calibration figures (used to fit or choose a parameter)"
                      : "Validation figures (held out: split before fitting, never used to fit)")
              << "\n\n| figure | board | model | quantity | published | generated | abs error | check | ok | "
                 "runtime | timed | source |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& c : checks) {
      const auto& f = *c.figure;
      if (f.set != set) continue;
      std::cout << "| " << f.id << " | " << f.config.board << " | " << f.config.model << " | " << f.quantity
                << " | " << f.value << " | " << fmt(c.generated, 4) << " | " << fmt(c.abs_error() * 100, 1)
                << " % | " << f.check << " " << fmt(f.tolerance_rel * 100, 0) << "% | "
                << (c.ok ? "yes" : "NO") << " | " << f.runtime << " " << f.precision << " | " << f.timed
                << " | " << f.source << " |\n";
      // Calibration figures must be met; validation figures are judged by the targets below.
      if (f.set == "calibration") failed += c.ok ? 0 : 1;
    }
  }
  std::cout << "\n## Errors per set and kind (median and worst |generated/published - 1|; upper bounds "
               "excluded)\n\n| set | kind | figures | median abs error | worst abs error | worst figure |\n"
               "|---|---|---|---|---|---|\n";
  for (const auto& e : traces::summarize_errors(checks)) {
    std::cout << "| " << e.set << " | " << e.kind << " | " << e.count << " | "
              << fmt(e.median_abs_error * 100, 1) << " % | " << fmt(e.worst_abs_error * 100, 1) << " % | "
              << e.worst_figure << " |\n";
  }
  const auto missed = traces::missed_targets(checks);
  std::cout << "\nValidation targets (median abs error: latency <= 20 %, power <= 20 %, ratio <= 10 %; no "
               "figure off by more than 2x): "
            << (missed.empty() ? "met" : "NOT met") << "\n";
  for (const auto& m : missed) std::cout << "  - " << m << "\n";
  if (failed > 0) std::cout << failed << " calibration figure(s) outside their tolerance\n";
  return failed == 0 && missed.empty() ? kExitOk : kExitFailure;
}

}  // namespace

int run_traces(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: edgetwin traces <generate|inspect|validate|calibration|exit-records|corunners|exit-dataset> "
      "[options]\n"
      "  generate     write SYNTHETIC calibrated traces for boards x models (docs/synthetic_traces.md)\n"
      "  inspect      per-unit latency/power of one trace and the store's fit error (docs/traces.md)\n"
      "  validate     check trace files against the catalogs\n"
      "  calibration  calibration and held-out validation figures next to the generated values, errors\n"
      "               per kind (markdown; exit 1 if a calibration figure or a validation target fails)\n"
      "  exit-records per-exit accuracy and confidence of exit records or the SYNTHETIC generator\n"
      "  corunners    SYNTHETIC co-runner mixes and their slowdowns (interference predictor data)\n"
      "  exit-dataset a SYNTHETIC training set for E4's cascade (features window, earliest good exit)\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << usage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "generate") return generate(rest);
  if (args[0] == "inspect") return inspect(rest);
  if (args[0] == "validate") return validate(rest);
  if (args[0] == "calibration") return calibration(rest);
  if (args[0] == "exit-records") return exit_records(rest);
  if (args[0] == "corunners") return corunners(rest);
  if (args[0] == "exit-dataset") return exit_dataset(rest);
  std::cerr << "error: unknown traces subcommand '" << args[0] << "'\n" << usage;
  return kExitUsage;
}

}  // namespace edgetwin::app

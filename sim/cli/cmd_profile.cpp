// `edgetwin profile`: measures a model's per-unit latency and power over a board's clock grid
// through the board daemon (edgetwin-boardd) and writes a trace of kind "measured"
// (docs/hil.md, "Profiling").

#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "edgetwin/hw/board_link.hpp"
#include "edgetwin/hw/profiler.hpp"
#include "edgetwin/traces/trace_format.hpp"

#include "cli.hpp"

namespace edgetwin::app {

namespace fs = std::filesystem;

namespace {

std::vector<int> parse_levels(const std::string& text) {
  std::vector<int> levels;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    try {
      std::size_t used = 0;
      const int value = std::stoi(item, &used);
      if (used != item.size() || value < 1) throw std::invalid_argument(item);
      levels.push_back(value);
    } catch (const std::exception&) {
      levels.clear();
      break;
    }
  }
  if (levels.size() != 3) {
    throw std::invalid_argument("--levels \"" + text +
                                "\": expected three positive integers CPU,GPU,EMC (e.g. 3,4,3)");
  }
  return levels;
}

// The overlay rule: every trace of `base` that `out` does not have becomes a symlink in `out`, so
// a scenario pointed at `out` loads the measured files and the base (synthetic) ones for the rest.
int link_base(const std::string& base, const std::string& out) {
  int linked = 0;
  for (const auto& board : fs::directory_iterator(base)) {
    if (!board.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(board.path())) {
      if (file.path().extension() != ".csv") continue;
      const fs::path target = fs::path(out) / board.path().filename() / file.path().filename();
      if (fs::exists(target) || fs::is_symlink(target)) continue;
      fs::create_directories(target.parent_path());
      fs::create_symlink(fs::absolute(file.path()), target);
      ++linked;
    }
  }
  return linked;
}

}  // namespace

int run_profile(const std::vector<std::string>& args) {
  std::string data_dir, out_dir, keys_dir, endpoint, levels_text, base_dir;
  hw::ProfileOptions options;
  double timeout_s = 60;
  po::options_description desc("options");
  desc.add_options()("model", po::value<std::string>(&options.model)->required(), "catalog model to measure")(
      "out", po::value<std::string>(&out_dir)->required(),
      "writes OUT/<board>/<model>.<runtime>.<precision>.csv")(
      "keys", po::value<std::string>(&keys_dir)->required(), "directory with client.key and server.pub")(
      "connect", po::value<std::string>(&endpoint)->default_value(hw::kDefaultBoardEndpoint),
      "the daemon's endpoint")("grid", po::value<std::string>(&options.grid)->default_value("sparse"),
                               "sparse (levels per domain) or full (every table value)")(
      "levels", po::value<std::string>(&levels_text)->default_value("3,4,3"),
      "sparse grid: CPU,GPU,EMC levels")("batch", po::value<std::vector<int>>(&options.batches)->multitoken(),
                                         "batch sizes (default 1)")(
      "repeats", po::value<int>(&options.repeats)->default_value(3), "executions per sample, at least")(
      "warmup", po::value<int>(&options.warmup)->default_value(1), "executions before measuring")(
      "precision", po::value<std::string>(&options.precision)->default_value("fp32"), "fp32 or fp16")(
      "date", po::value<std::string>(&options.date), "ISO date for the provenance (default: today, UTC)")(
      "base", po::value<std::string>(&base_dir),
      "overlay: link every trace of BASE that OUT lacks into OUT (measured files win)")(
      "timeout", po::value<double>(&timeout_s)->default_value(60), "seconds per daemon request");
  add_data_option(desc, data_dir);
  po::variables_map vm;
  if (!parse_args(args, desc, {}, vm, "edgetwin profile --model M --out DIR --keys DIR [options]"))
    return kExitOk;
  if (options.batches.empty()) options.batches = {1};
  const std::vector<int> levels = parse_levels(levels_text);
  options.cpu_levels = levels[0];
  options.gpu_levels = levels[1];
  options.emc_levels = levels[2];
  if (options.precision != "fp32" && options.precision != "fp16") {
    throw std::invalid_argument("--precision \"" + options.precision + "\": allowed fp32, fp16");
  }
  if (options.repeats < 1 || options.warmup < 0)
    throw std::invalid_argument("--repeats must be >= 1 and --warmup >= 0");
  const traces::Catalog catalog = load_catalog_or_throw(data_dir);
  if (!catalog.has_model(options.model)) {
    throw std::invalid_argument("unknown model \"" + options.model + "\". known models: " + [&] {
      std::string l;
      for (const auto& id : catalog.model_ids()) l += (l.empty() ? "" : ", ") + id;
      return l;
    }());
  }

  hw::BoardClientOptions client_options;
  client_options.endpoint = endpoint;
  client_options.keys_dir = keys_dir;
  client_options.timeout_s = timeout_s;
  hw::BoardClient client(client_options);
  const auto hello = client.call("hello", {{"client", "edgetwin profile"}});
  const std::string board = hello.at("board").get<std::string>();
  std::cerr << "profile: " << options.model << " on " << board
            << (hello.value("fake", false) ? " (FAKE board)" : "") << ", executor "
            << hello.value("executor", std::string("?")) << "\n";
  const traces::TraceFile trace = hw::profile_model(
      client, catalog, options, [](const std::string& line) { std::cerr << "profile: " << line << "\n"; });
  client.call("bye");
  const fs::path file =
      fs::path(out_dir) / board / (options.model + "." + options.runtime + "." + options.precision + ".csv");
  fs::create_directories(file.parent_path());
  traces::write_trace_file(trace, file.string(), catalog);
  std::cout << "measured " << trace.samples.size() << " unit and " << trace.head_samples.size()
            << " head samples of " << options.model << " on " << board
            << (hello.value("fake", false) ? " (FAKE board)" : "") << " -> " << file.string() << "\n";
  if (!base_dir.empty()) {
    const int linked = link_base(base_dir, out_dir);
    std::cout << "overlay: linked " << linked << " trace(s) of " << base_dir << " that " << out_dir
              << " lacks\n";
  }
  return kExitOk;
}

}  // namespace edgetwin::app

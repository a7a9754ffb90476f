// `edgetwin models build|check`: rebuild the model catalog (traces/data/models/<id>.json) from the
// libtorch architectures of traces/zoo, or check that the shipped files match a fresh rebuild.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/common/error.hpp"
#include "edgetwin/traces/catalog.hpp"
#include "edgetwin/zoo/zoo.hpp"

#include "cli.hpp"

namespace edgetwin::app {
namespace {

const char* const kUsage =
    "edgetwin models build [--out DIR] [--model ID ...] | edgetwin models check [--model ID ...]";

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// One summary line: totals against the published figures.
void print_summary(const traces::Model& m, double elapsed_s) {
  const double params = static_cast<double>(m.total_params());
  const double macs = static_cast<double>(m.total_macs());
  std::cout << std::left << std::setw(16) << m.id << std::right << std::fixed << std::setprecision(3)
            << std::setw(4) << m.units.size() << " units  params " << std::setw(8) << params / 1e6
            << " M (published " << m.published.params / 1e6 << ")  MACs " << std::setw(7) << macs / 1e9
            << " G (published " << m.published.macs / 1e9 << ")  " << std::setprecision(1) << elapsed_s
            << " s\n";
}

/// Up to `limit` differences between the shipped file and a fresh rebuild, as JSON pointers.
std::string describe_diff(const nlohmann::json& shipped, const nlohmann::json& rebuilt,
                          std::size_t limit = 8) {
  const auto patch = nlohmann::json::diff(shipped, rebuilt);
  std::string out;
  std::size_t shown = 0;
  for (const auto& op : patch) {
    if (shown++ == limit) {
      out += "    ... and " + std::to_string(patch.size() - limit) + " more\n";
      break;
    }
    const std::string path = op.at("path").get<std::string>();
    out += "    " + op.at("op").get<std::string>() + " " + path;
    if (op.at("op") != "remove") {
      nlohmann::json::json_pointer ptr(path);
      const auto old_value = shipped.contains(ptr) ? shipped.at(ptr).dump() : std::string("(none)");
      out += ": shipped " + old_value + ", rebuilt " + op.at("value").dump();
    }
    out += "\n";
  }
  return out;
}

std::vector<std::string> selected_ids(const po::variables_map& vm) {
  if (vm.count("model") == 0) return zoo::model_ids();
  return vm["model"].as<std::vector<std::string>>();
}

int run_build(const std::vector<std::string>& ids, const std::string& out_dir) {
  std::filesystem::create_directories(out_dir);
  for (const auto& id : ids) {
    const auto start = std::chrono::steady_clock::now();
    const auto model = zoo::extract(id);
    const auto path = (std::filesystem::path(out_dir) / (id + ".json")).string();
    std::ofstream file(path);
    file << traces::model_to_json(model).dump(2) << "\n";
    if (!file) {
      std::cerr << "error: cannot write " << path << "\n";
      return kExitFailure;
    }
    print_summary(model, seconds_since(start));
  }
  std::cout << "wrote " << ids.size() << " model file(s) to " << out_dir << "\n";
  return kExitOk;
}

int run_check(const std::vector<std::string>& ids, const std::string& models_dir) {
  int mismatches = 0;
  for (const auto& id : ids) {
    const auto start = std::chrono::steady_clock::now();
    const auto path = (std::filesystem::path(models_dir) / (id + ".json")).string();
    const auto rebuilt = traces::model_to_json(zoo::extract(id));
    if (!std::filesystem::exists(path)) {
      std::cerr << "MISMATCH " << id << ": " << path << " does not exist (run: edgetwin models build)\n";
      ++mismatches;
      continue;
    }
    const auto shipped = traces::model_to_json(traces::load_model_file(path));
    if (shipped != rebuilt) {
      std::cerr << "MISMATCH " << id << ": " << path
                << " differs from the libtorch rebuild (run: edgetwin models build):\n"
                << describe_diff(shipped, rebuilt);
      ++mismatches;
      continue;
    }
    std::cout << "ok " << id << " (" << std::fixed << std::setprecision(1) << seconds_since(start) << " s)\n";
  }
  if (mismatches != 0) {
    std::cerr << mismatches << " of " << ids.size() << " model file(s) differ\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int run_models(const std::vector<std::string>& args) {
  std::string data_dir;
  std::string out_dir;
  po::options_description options("models options");
  add_data_option(options, data_dir);
  options.add_options()("action", po::value<std::string>()->required(), "build | check")(
      "out", po::value<std::string>(&out_dir), "output directory of build (default: DATA/models)")(
      "model", po::value<std::vector<std::string>>()->multitoken(),
      "model ids (default: every model of the zoo)");
  po::positional_options_description positionals;
  positionals.add("action", 1);
  po::variables_map vm;
  if (!parse_args(args, options, positionals, vm, kUsage)) return kExitOk;

  const auto ids = selected_ids(vm);
  const auto known = zoo::model_ids();
  for (const auto& id : ids) {
    if (std::find(known.begin(), known.end(), id) == known.end()) {
      zoo::build_network(id);  // throws std::invalid_argument listing the known ids
    }
  }
  const auto models_dir = (std::filesystem::path(data_dir) / "models").string();
  const auto action = vm["action"].as<std::string>();
  if (action == "build") return run_build(ids, out_dir.empty() ? models_dir : out_dir);
  if (action == "check") return run_check(ids, models_dir);
  throw std::invalid_argument("unknown models action '" + action + "'; allowed: build, check");
}

}  // namespace edgetwin::app

// `edgetwin merge OUT`: the outputs of one scenario run as K shards (`edgetwin run --shard R/K
// --out OUT/shards/R`, or `mpirun -np K edgetwin run FILE --mpi --out OUT`, which calls this on
// rank 0) merged into OUT: summary.json from the shards' tallies, requests.csv and timeline.csv
// concatenated in shard order, slots.csv, scenario.resolved.json (docs/performance.md
// "Sharding"). The merged files are written next to their final names and renamed into place,
// so an interrupted merge leaves no half-written file.

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "edgetwin/common/error.hpp"
#include "edgetwin/sim/run_tallies.hpp"

#include "cli.hpp"

namespace edgetwin::app {

namespace fs = std::filesystem;

namespace {

// Copies `from` into `out`, without its first line (the header) unless `with_header`.
void append_csv(const fs::path& from, std::ostream& out, bool with_header) {
  std::ifstream in(from, std::ios::binary);
  if (!in) throw std::runtime_error(from.string() + ": cannot read the file");
  std::string header;
  std::getline(in, header);
  if (with_header) out << header << '\n';
  if (in.peek() != std::char_traits<char>::eof()) out << in.rdbuf();
}

// Writes `dir`/`name` through a temporary file renamed into place.
template <typename Writer>
void write_atomically(const fs::path& dir, const std::string& name, Writer&& write) {
  const fs::path tmp = dir / ("." + name + ".merging");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(tmp.string() + ": cannot write the file");
    write(out);
    out.close();
    if (!out) throw std::runtime_error(tmp.string() + ": cannot write the file (disk full?)");
  }
  fs::rename(tmp, dir / name);
}

}  // namespace

int run_merge(const std::vector<std::string>& args) {
  std::string out_dir, shards_dir;
  bool quiet = false;
  po::options_description options("merge options");
  options.add_options()("out", po::value<std::string>(&out_dir), "the run's results folder")(
      "shards", po::value<std::string>(&shards_dir),
      "the folder of the shards' folders (default: OUT/shards); each holds the outputs of one "
      "`edgetwin run --shard R/K` with its shard.json")("quiet", po::bool_switch(&quiet), "no summary line");
  po::positional_options_description positionals;
  positionals.add("out", 1);
  po::variables_map vm;
  if (!parse_args(
          args, options, positionals, vm,
          "edgetwin merge OUT [--shards DIR]\n"
          "Merges the shards of one run (edgetwin run --shard R/K --out OUT/shards/R, for R = 0 .. K-1)\n"
          "into OUT: summary.json, requests.csv, timeline.csv, slots.csv, scenario.resolved.json.\n"
          "`mpirun -np K edgetwin run FILE --mpi --out OUT` runs the shards and this merge.")) {
    return kExitOk;
  }
  if (out_dir.empty()) throw std::invalid_argument("merge: say which results folder to merge into (OUT)");
  if (shards_dir.empty()) shards_dir = (fs::path(out_dir) / "shards").string();
  if (!fs::is_directory(shards_dir)) {
    std::cerr << "error: " << shards_dir << ": no such folder (the shards' outputs, one folder per shard)\n";
    return kExitDataError;
  }
  // Every shard's folder, by shard index (shard.json only: the latencies are read one shard at
  // a time while merging).
  std::map<int, std::pair<fs::path, sim::RunTallies>> shards;
  int expected = 0;
  try {
    for (const auto& entry : fs::directory_iterator(shards_dir)) {
      if (!entry.is_directory() || !fs::exists(entry.path() / "shard.json")) continue;
      auto tallies = sim::read_tallies(entry.path().string(), false);
      if (expected == 0) expected = tallies.shards;
      if (tallies.shards != expected)
        throw std::invalid_argument(entry.path().string() + ": shard " + std::to_string(tallies.shard) +
                                    " of " + std::to_string(tallies.shards) + ", others are of " +
                                    std::to_string(expected) + " shards");
      const int r = tallies.shard;
      if (const auto it = shards.find(r); it != shards.end())
        throw std::invalid_argument(entry.path().string() + " and " + it->second.first.string() +
                                    " are both shard " + std::to_string(r));
      shards.emplace(r, std::make_pair(entry.path(), std::move(tallies)));
    }
    if (shards.empty()) throw std::invalid_argument(shards_dir + ": no shard's outputs (no */shard.json)");
    std::string missing;
    for (int r = 0; r < expected; ++r)
      if (shards.count(r) == 0) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
    if (!missing.empty())
      throw std::invalid_argument(shards_dir + ": shard(s) " + missing + " of " + std::to_string(expected) +
                                  " missing or unfinished; run them (edgetwin run FILE --shard R/" +
                                  std::to_string(expected) + " --out " + shards_dir + "/R) and merge again");
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitDataError;
  }
  sim::RunTallies merged;
  try {
    for (auto it = shards.begin(); it != shards.end(); ++it) {
      if (it == shards.begin())
        merged = sim::read_tallies(it->second.first.string());
      else
        merged.merge(sim::read_tallies(it->second.first.string()));
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: " << shards_dir << ": " << e.what() << "\n";
    return kExitDataError;
  }
  // The run's record tally, once: summary.json and slots.csv are made from it.
  const sim::RecordTally tally = merged.record_tally();
  // Which CSV files the shards wrote: all of them or none.
  auto all_have = [&](const std::string& name) {
    std::size_t with = 0;
    for (const auto& [r, shard] : shards) with += fs::exists(shard.first / name) ? 1 : 0;
    if (with != 0 && with != shards.size())
      throw common::DataError(
          shards_dir, name,
          "only " + std::to_string(with) + " of " + std::to_string(shards.size()) + " shards wrote it");
    return with != 0;
  };
  fs::create_directories(out_dir);
  std::vector<std::string> written;
  for (const std::string name : {"requests.csv", "timeline.csv"}) {
    if (!all_have(name)) continue;
    write_atomically(out_dir, name, [&](std::ostream& out) {
      bool first = true;
      for (const auto& [r, shard] : shards) {
        append_csv(shard.first / name, out, first);
        first = false;
      }
    });
    written.push_back(name);
  }
  if (merged.slots_csv) {
    write_atomically(out_dir, "slots.csv", [&](std::ostream& out) { out << merged.slots_csv_text(tally); });
    written.push_back("slots.csv");
  }
  const fs::path resolved = shards.begin()->second.first / "scenario.resolved.json";
  if (fs::exists(resolved)) {
    fs::copy_file(resolved, fs::path(out_dir) / "scenario.resolved.json",
                  fs::copy_options::overwrite_existing);
    written.push_back("scenario.resolved.json");
  }
  auto summary = sim::run_summary(tally, merged);
  summary["shards"] = merged.shards;
  write_atomically(out_dir, "summary.json", [&](std::ostream& out) { out << summary.dump(2) << "\n"; });
  if (!quiet) {
    const auto& overall = summary["overall"];
    std::ostringstream p95;
    if (overall["latency_p95_s"].is_number())
      p95 << std::fixed << std::setprecision(1) << overall["latency_p95_s"].get<double>() * 1e3 << " ms";
    else
      p95 << "-";
    std::cout << "merged " << merged.shards << " shards of scenario '" << merged.scenario
              << "': " << overall["devices"] << " devices, " << overall["requests_completed"]
              << " requests, p95 latency " << p95.str()
              << (merged.synthetic_traces ? " (SYNTHETIC traces)" : "") << "\nresults: " << out_dir
              << "/{summary.json";
    for (const auto& name : written) std::cout << ", " << name;
    std::cout << "}, the shards' own in " << shards_dir << "/\n";
  }
  return kExitOk;
}

}  // namespace edgetwin::app

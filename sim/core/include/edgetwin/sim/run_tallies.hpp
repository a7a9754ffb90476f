#pragma once
/// What a run's summary.json (and slots.csv) is computed from, in a form that adds up across the
/// shards of one scenario (`edgetwin run --shard R/K`, `--mpi`; docs/performance.md
/// "Sharding"): per group the sums and latencies of its served requests (record_tally.hpp
/// ScopeTally) and of its devices (metrics.hpp DeviceSums), per serving model its tallies, per
/// slot its tallies, and what the summary needs to know of the scenario. Engine-free. A shard writes its
/// tallies beside its outputs (shard.json and shard_latencies.bin); `edgetwin merge` reads them back, adds
/// them up and writes the merged summary with the same code that writes an unsharded run's.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/sim/metrics.hpp"
#include "edgetwin/sim/record_tally.hpp"

namespace edgetwin::sim {

/// One model of a serving group.
struct ModelTally {
  std::string model;
  ServingTally tally;
  std::vector<double> latencies;  ///< of its served requests
  long memory_capped_actions = 0;
  bool has_devices = false;         ///< a device of its group ran (memory_capped_actions is reported)
  std::vector<ServingTally> slots;  ///< per slot of slot_s (slots.csv)
};

struct GroupTally {
  std::string name;
  std::vector<std::string> rails;  ///< its board's rails
  bool serving = false;
  UtilityParams utility;
  double slot_s = 0;
  ScopeTally requests;            ///< sums over its served requests
  std::vector<double> latencies;  ///< of its served requests
  DeviceSums devices;
  std::vector<ModelTally> models;  ///< serving groups: its models, in the scenario's order
};

struct RunTallies {
  std::string scenario;
  long long seed = 0;
  double duration_s = 0;
  double simulated_end_s = 0;
  bool synthetic_traces = false;
  bool slots_csv = false;  ///< the run writes slots.csv (serving groups and requests.csv)
  int shard = 0;
  int shards = 1;
  std::string scenario_hash;  ///< the resolved scenario's id: shards of one run agree on it
  DeviceSums overall;         ///< the run's devices (its requests: the groups')
  std::vector<GroupTally> groups;

  /// Adds another shard's tallies of the same scenario; throws std::invalid_argument naming
  /// what differs when they are not of the same scenario.
  void merge(const RunTallies& other);
  /// The record tally these add up to (the groups' sums, latencies and models).
  RecordTally record_tally() const;
  /// summary.json (run_summary of record_tally()).
  nlohmann::json summary() const;
  /// slots.csv (header and rows) from record_tally(); "" when the run writes none.
  std::string slots_csv_text(const RecordTally& tally) const;
};

/// summary.json of a run: "scenario", "seed", "duration_s", "simulated_end_s",
/// "synthetic_traces", "overall", "groups" (with "models" and "utility" for serving groups) and
/// "utility", from its record tally and, in `info`, everything else (the groups' names, rails,
/// device sums and memory caps). The one function behind an unsharded run's summary and a
/// merge's (whose groups' request parts are already in `tally`).
nlohmann::json run_summary(const RecordTally& tally, const RunTallies& info);

/// Writes `dir`/shard.json and `dir`/shard_latencies.bin; throws std::runtime_error naming the
/// file it cannot write.
void write_tallies(const RunTallies& tallies, const std::string& dir);
/// Reads what write_tallies wrote (without `latencies`: shard.json alone, the latency vectors
/// left empty); throws std::invalid_argument naming the file and what is wrong with it.
RunTallies read_tallies(const std::string& dir, bool latencies = true);

}  // namespace edgetwin::sim

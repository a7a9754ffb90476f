#pragma once
/// One simulation run: builds the SimGrid platform of a scenario, replays the per-unit traces
/// under the scenario's policies, and writes the results. One run per process (SimGrid allows
/// one engine per process).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/metrics.hpp"
#include "edgetwin/sim/scenario.hpp"
#include "edgetwin/traces/catalog.hpp"
#include "edgetwin/traces/synth.hpp"
#include "edgetwin/traces/trace_store.hpp"

namespace edgetwin::sim {

struct RunOptions {
  std::string out_dir;                   ///< "" = write nothing (tests)
  bool progress = false;                 ///< progress line on stderr
  std::vector<std::string> engine_args;  ///< passed to SimGrid: --cfg=..., --log=...
  /// Local-time fast path for the devices that allow it (docs/simulation.md "Local time fast
  /// path"): same results up to floating-point rounding, far fewer engine activities. false =
  /// every device on the per-activity path (`edgetwin run --no-fast-path`).
  bool fast_path = true;
  /// Groups with backend "hil": the directory with client.key and server.pub of the board
  /// daemons (docs/hil.md), and the seconds a board request may take before the link is lost.
  std::string hil_keys_dir;
  double hil_timeout_s = 30;
  /// Agents of the scenario's learned policies (PolicyInfo::learned); empty = none may be used.
  policies::AgentProvider agents;
  /// The process's limit on memory mappings; 0 = vm.max_map_count. Runs whose actors would need
  /// more with stack guard pages run without them (docs/performance.md).
  long max_map_count = 0;
  /// One shard of a run split over `shards` processes (`edgetwin run --shard R/K`, the ranks of
  /// `mpirun ... --mpi`): this process simulates devices [N*shard/shards, N*(shard+1)/shards) of
  /// the scenario's N, with their global indices (seeds, request ids), the cloud servers c with
  /// c mod shards = shard, and the WAN at the shard's share of the devices. Devices that share
  /// nothing across shards get exactly the results of an unsharded run (docs/performance.md).
  int shard = 0;
  int shards = 1;
  /// Write the run's tallies (shard.json, shard_latencies.bin) beside its outputs even when
  /// unsharded (`edgetwin run --shard 0/1`); a sharded run always writes them.
  bool write_tallies = false;
  /// Keep every request record in RunResult::requests (about 200 B per request; tests and
  /// library users that look at single requests). false (`edgetwin run`): the summaries come
  /// from the compact tally alone and requests.csv is written as requests complete, so memory
  /// does not grow with a record per request (docs/performance.md).
  bool keep_records = true;
};

/// What a run produced (the summary is also written as summary.json).
struct RunResult {
  nlohmann::json summary;
  std::vector<RequestRecord> requests;  ///< completed requests, in completion order (keep_records)
  long records = 0;                     ///< request records the run produced (kept or not)
  double simulated_end_s = 0;
  double wall_s = 0;
  long activities = 0;  ///< executions, transfers and sleeps simulated
  /// Unit runs, exit heads and transitions that fast-path devices replayed in their own clock
  /// (each one an engine activity on the per-activity path).
  long local_activities = 0;
  int local_time_devices = 0;  ///< devices that ran on the local-time fast path
  long planned_actors = 0;     ///< actors counted before the run to size SimGrid's contexts
  long started_actors = 0;     ///< actors the engine held when the run began
  bool guard_pages = true;     ///< false: the actors' stacks ran without guard pages
};

/// Loads the traces a scenario needs (each board x model from `<traces_dir>/<board>/
/// <model>.<runtime>.<precision>.csv`); throws std::invalid_argument naming a missing file.
traces::TraceStore load_traces_for(const ScenarioSpec& spec, const traces::Catalog& catalog,
                                   const std::string& traces_dir);

/// Runs the scenario to completion (all arrivals within duration_s, then drained). Must be
/// called at most once per process.
RunResult run_simulation(const ScenarioSpec& spec, const traces::Catalog& catalog,
                         const traces::TraceStore& store, const traces::Synthesizer& power_model,
                         const policies::PolicyRegistry& registry, const RunOptions& options);

}  // namespace edgetwin::sim

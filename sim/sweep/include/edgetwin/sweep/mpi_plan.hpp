#pragma once
/// What `edgetwin sweep --mpi` hands to `edgetwin-mpi` (the MPI runner, a separate executable:
/// SimGrid's libsimgrid exports SMPI's own MPI_* symbols, so the MPI library cannot live in the
/// binary that links SimGrid). `edgetwin` expands and validates the sweep, writes this plan to
/// an anonymous file and execs `edgetwin-mpi --plan /proc/self/fd/N` in the same process, so
/// mpirun/srun see the same ranks.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/sweep/runner.hpp"
#include "edgetwin/sweep/sweep_spec.hpp"

namespace edgetwin::sweep {

struct MpiPlan {
  std::string sweep_id;
  std::string name;
  std::string file;       ///< absolute path of the scenario file
  std::string spec_json;  ///< the sweep block, canonical JSON
  std::string db_path;
  std::string edgetwin_version;
  std::vector<std::string> run_command;  ///< argv prefix of a run: {edgetwin, "run"}; then the
                                         ///< scenario, --out DIR and `run_options`
  std::vector<std::string> run_options;  ///< e.g. --quiet --traces T --data D
  RunnerOptions options;
  std::vector<SweepRun> runs;  ///< index, id, group, seed, axes, resolved (not the documents)
};

nlohmann::json plan_to_json(const MpiPlan& plan);
/// Throws nlohmann::json::exception on a malformed plan.
MpiPlan plan_from_json(const nlohmann::json& json);

/// The argv of one run of `plan`.
std::vector<std::string> run_argv(const MpiPlan& plan, const std::string& scenario,
                                  const std::string& out_dir);

}  // namespace edgetwin::sweep

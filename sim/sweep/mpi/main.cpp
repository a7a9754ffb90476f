// `edgetwin-mpi --plan FILE`: the MPI sweep runner, started by `edgetwin sweep --mpi` (which
// execs it in the same process after expanding and validating the sweep). Rank 0 coordinates
// and writes the results database; the other ranks run the runs as `edgetwin run` children.
// `edgetwin-mpi --run FILE`: one scenario sharded over the ranks (run_shards.hpp), started by
// `edgetwin run --mpi`.
// A separate executable because libsimgrid (linked by `edgetwin`) exports SMPI's MPI_* symbols.

#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>

#include "edgetwin/common/json_reader.hpp"
#include "edgetwin/sweep/mpi_plan.hpp"

#include "mpi_runner.hpp"
#include "run_shards.hpp"

using edgetwin::sweep::MpiPlan;
using edgetwin::sweep::MpiSession;
using edgetwin::sweep::ResultsDb;
using edgetwin::sweep::RunCommand;
using edgetwin::sweep::RunnerOutcome;

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--run") == 0) {
    // A scenario sharded over the ranks (run_shards.hpp).
    nlohmann::json plan;
    try {
      plan = edgetwin::common::read_json_file(argv[2]);
      (void)plan.at("edgetwin").get<std::string>();
      (void)plan.at("out").get<std::string>();
      (void)plan.at("args").get<std::vector<std::string>>();
    } catch (const std::exception& e) {
      std::cerr << "error: " << argv[2] << ": not a run plan: " << e.what() << "\n";
      return 2;
    }
    const MpiSession mpi;
    return edgetwin::sweep::run_shards(mpi, plan);
  }
  if (argc != 3 || std::strcmp(argv[1], "--plan") != 0) {
    std::cerr << "usage: edgetwin-mpi --plan FILE   (started by: mpirun -np K edgetwin sweep FILE --mpi)\n"
                 "       edgetwin-mpi --run FILE    (started by: mpirun -np K edgetwin run FILE --mpi)\n";
    return 2;
  }
  MpiPlan plan;
  try {
    plan = edgetwin::sweep::plan_from_json(edgetwin::common::read_json_file(argv[2]));
  } catch (const std::exception& e) {
    std::cerr << "error: " << argv[2] << ": not a sweep plan: " << e.what() << "\n";
    return 2;
  }
  const MpiSession mpi;
  if (mpi.size() < 2) {
    std::cerr << "error: sweep --mpi needs at least 2 ranks (rank 0 coordinates, the others run), found 1\n";
    return 2;
  }
  const RunCommand command = [&](const std::string& scenario, const std::string& out_dir) {
    return edgetwin::sweep::run_argv(plan, scenario, out_dir);
  };
  if (mpi.rank() != 0) {
    edgetwin::sweep::run_mpi_worker(mpi, plan.runs, command, plan.options);
    return 0;
  }
  RunnerOutcome outcome;
  try {
    if (const auto parent = std::filesystem::path(plan.db_path).parent_path(); !parent.empty())
      std::filesystem::create_directories(parent);
    ResultsDb db(plan.db_path, plan.edgetwin_version);
    db.add_sweep(plan.sweep_id, plan.name, plan.file, plan.spec_json);
    db.add_runs(plan.sweep_id, plan.runs);
    outcome = edgetwin::sweep::run_mpi_coordinator(mpi, plan.runs, db, plan.db_path, plan.options);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";  // the workers wait for orders: end the whole job
    mpi.abort(1);
  }
  std::cout << "sweep " << plan.name << ": " << outcome.done << "/" << outcome.total << " done, "
            << outcome.failed << " failed";
  if (outcome.skipped > 0) std::cout << " (" << outcome.skipped << " finished earlier, skipped)";
  std::cout << "\nresults: " << plan.db_path << " (runs table), "
            << edgetwin::sweep::runs_dir_for(plan.db_path) << "/<run_id>/\n";
  if (outcome.failed > 0) {
    std::cerr << outcome.failed << (outcome.failed == 1 ? " run" : " runs")
              << " failed; their errors: sqlite3 " << plan.db_path
              << " \"SELECT run_index, run_id, error FROM runs WHERE status = 'failed'\"; "
              << "re-run them with --retry-failed\n";
    return 1;
  }
  return 0;
}

// `edgetwin sweep FILE [--dry-run] [-j N] [--db FILE.sqlite] ...`: expand the scenario's sweep
// and run every run in its own `edgetwin run` process, recording them in a SQLite database
// (docs/sweeps.md). The runs' scenarios are validated here, before anything starts. With --mpi
// (under mpirun or srun) this process becomes `edgetwin-mpi`, the MPI runner.

#include "cmd_sweep.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "edgetwin/common/json_pointer.hpp"
#include "edgetwin/common/json_reader.hpp"
#include "edgetwin/sim/version.hpp"
#include "edgetwin/sweep/mpi_plan.hpp"
#include "edgetwin/sweep/results_db.hpp"
#include "edgetwin/sweep/run_id.hpp"
#include "edgetwin/sweep/runner.hpp"

#include "cli.hpp"
#include "tools.hpp"
#include <sys/mman.h>
#include <unistd.h>

namespace edgetwin::app {

namespace {

using nlohmann::json;

void print_errors(const std::vector<common::DataError>& errors, const std::string& file) {
  for (const auto& e : errors) std::cerr << e.what() << "\n";
  std::cerr << errors.size() << (errors.size() == 1 ? " error" : " errors") << " in " << file << "\n";
}

void print_plan(const ExpandedSweep& s) {
  std::cout << "sweep " << s.spec.name << " (id " << s.sweep_id << "): " << s.runs.size() << " runs, "
            << s.spec.groups.size() << (s.spec.groups.size() == 1 ? " group, " : " groups, ")
            << s.spec.seeds.size() << (s.spec.seeds.size() == 1 ? " seed" : " seeds") << "\n";
  std::cout << "index  run_id            group  axes and seed\n";
  for (const auto& run : s.runs) {
    std::cout << std::setw(5) << run.index << "  " << run.id << "  " << run.group << "  ";
    for (const auto& a : run.axes) std::cout << a.axis << "=" << a.value.dump() << " ";
    std::cout << "seed=" << run.seed << "\n";
  }
}

// Hands over to edgetwin-mpi (tools.hpp) in this same process. Returns only if the exec failed.
int exec_mpi_runner(const sweep::MpiPlan& plan) {
  return exec_mpi_tool("--plan", sweep::plan_to_json(plan).dump());
}

}  // namespace

ExpandedSweep expand_sweep_file(const std::string& file, const traces::Catalog& catalog,
                                const std::vector<sim::Override>& overrides) {
  ExpandedSweep out;
  try {
    out.document = common::read_json_file(file);
  } catch (const common::DataError& e) {
    throw sweep::SweepError({e});
  }
  std::vector<common::DataError> errors;
  for (const auto& o : overrides) {
    json value;
    try {
      value = json::parse(o.value);
    } catch (const json::parse_error&) {
      value = o.value;  // not JSON: a plain string, as for `run --set`
    }
    try {
      common::set_at_pointer(out.document, o.pointer, value);
    } catch (const std::exception& e) {
      errors.emplace_back(file, o.pointer, "--set " + o.pointer + "=" + o.value + ": " + e.what());
    }
  }
  if (!errors.empty()) throw sweep::SweepError(errors);
  out.sweep_id = sweep::run_id_of(out.document);
  out.spec = sweep::read_sweep_spec(out.document, file);
  out.runs = sweep::expand_sweep(out.document, out.spec, [&](const json& document) {
    try {
      return sim::parse_scenario(document, file, catalog).resolved;
    } catch (const sim::ScenarioError& e) {
      throw sweep::SweepError(e.errors());
    }
  });
  return out;
}

int validate_sweep_of(const std::string& file, const traces::Catalog& catalog,
                      const std::vector<sim::Override>& overrides) {
  try {
    if (!sweep::has_sweep(common::read_json_file(file))) return kExitOk;
    const auto s = expand_sweep_file(file, catalog, overrides);
    std::cout << "ok " << file << ": sweep " << s.spec.name << ", " << s.runs.size() << " runs\n";
    return kExitOk;
  } catch (const sweep::SweepError& e) {
    print_errors(e.errors(), file);
  } catch (const common::DataError& e) {
    print_errors({e}, file);
  }
  return kExitDataError;
}

void note_sweep_of(const std::string& file) {
  try {
    const auto document = common::read_json_file(file);
    if (!sweep::has_sweep(document)) return;
    const auto spec = sweep::read_sweep_spec(document, file);
    std::cerr << "note: " << file << " has a sweep of " << sweep::run_count(spec)
              << " runs; this ran its base scenario (edgetwin sweep " << file << " runs them all)\n";
  } catch (const std::exception&) {
    std::cerr << "note: " << file << " has an invalid sweep block (edgetwin validate " << file
              << " lists its errors)\n";
  }
}

int run_sweep(const std::vector<std::string>& args) {
  std::string file, db_path, data_dir, traces_dir;
  std::vector<std::string> sets;
  bool dry_run = false, quiet = false, retry_failed = false, use_mpi = false;
  int jobs = 1;
  double timeout_s = 0;
  po::options_description options("sweep options");
  options.add_options()("file", po::value<std::string>(&file), "scenario file with a \"sweep\" block")(
      "dry-run", po::bool_switch(&dry_run), "list the expanded runs and their ids; run nothing")(
      "jobs,j", po::value<int>(&jobs)->default_value(1), "runs at a time (one process each)")(
      "db", po::value<std::string>(&db_path),
      "results database (default: results/<sweep name>.sqlite); run "
      "folders go to <db without extension>.runs/")(
      "set", po::value<std::vector<std::string>>(&sets)->composing(),
      "override POINTER=VALUE in the base scenario before expanding (repeatable)")(
      "retry-failed", po::bool_switch(&retry_failed), "also re-run runs recorded as failed")(
      "timeout-s", po::value<double>(&timeout_s)->default_value(0),
      "kill a run after this many seconds and "
      "record it failed (0: no limit)")("quiet", po::bool_switch(&quiet), "no progress report")(
      "mpi", po::bool_switch(&use_mpi),
      "under mpirun/srun: rank 0 coordinates and writes the database, the other "
      "ranks run the runs (the database's folder must be shared); -j is ignored");
  add_data_option(options, data_dir);
  add_traces_option(options, traces_dir);
  po::positional_options_description positionals;
  positionals.add("file", 1);
  po::variables_map vm;
  if (!parse_args(
          args, options, positionals, vm,
          "edgetwin sweep FILE [--dry-run] [-j N] [--db results.sqlite] [--retry-failed] [--timeout-s S]\n"
          "       mpirun -np K edgetwin sweep FILE --mpi --db results.sqlite   (K >= 2)\n"
          "Re-running the same command skips finished runs; see docs/sweeps.md.")) {
    return kExitOk;
  }
  if (file.empty()) throw std::invalid_argument("sweep: say which scenario file to sweep");
  if (jobs < 1)
    throw std::invalid_argument("sweep: --jobs must be at least 1, found " + std::to_string(jobs));
  if (timeout_s < 0) throw std::invalid_argument("sweep: --timeout-s must be >= 0");
  std::vector<sim::Override> overrides;
  overrides.reserve(sets.size());
  for (const auto& s : sets) overrides.push_back(sim::parse_override(s));
  // Under mpirun/srun every rank runs this command; only rank 0 reports validation errors.
  const bool coordinator = !use_mpi || mpi_rank_from_environment() == 0;
  const auto catalog = load_catalog_or_throw(data_dir);

  ExpandedSweep s;
  try {
    s = expand_sweep_file(file, catalog, overrides);
  } catch (const sweep::SweepError& e) {
    if (coordinator) print_errors(e.errors(), file);
    return kExitDataError;
  }
  if (dry_run) {
    print_plan(s);
    return kExitOk;
  }
  if (db_path.empty()) db_path = (std::filesystem::path("results") / (s.spec.name + ".sqlite")).string();
  const std::string traces = std::filesystem::absolute(traces_dir).string();
  const std::string data = std::filesystem::absolute(data_dir).string();
  sweep::RunnerOptions runner_options;
  runner_options.jobs = jobs;
  runner_options.timeout_s = timeout_s;
  runner_options.retry_failed = retry_failed;
  runner_options.quiet = quiet;
  runner_options.tty = ::isatty(STDERR_FILENO) != 0;
  if (use_mpi) {
    const sweep::MpiPlan plan{s.sweep_id,
                              s.spec.name,
                              std::filesystem::absolute(file).string(),
                              sweep::canonical_json(s.spec.block),
                              std::filesystem::absolute(db_path).string(),
                              sim::version_string(),
                              {std::filesystem::read_symlink("/proc/self/exe").string(), "run"},
                              {"--quiet", "--traces", traces, "--data", data},
                              runner_options,
                              s.runs};
    return exec_mpi_runner(plan);
  }

  const sweep::RunCommand command = [&](const std::string& scenario, const std::string& out_dir) {
    // The same binary (even if rebuilt meanwhile): /proc/self/exe of the child is ours.
    return std::vector<std::string>{"/proc/self/exe", "run",      scenario, "--out",  out_dir,
                                    "--quiet",        "--traces", traces,   "--data", data};
  };
  if (const auto parent = std::filesystem::path(db_path).parent_path(); !parent.empty())
    std::filesystem::create_directories(parent);
  sweep::ResultsDb db(db_path, sim::version_string());
  db.add_sweep(s.sweep_id, s.spec.name, std::filesystem::absolute(file).string(),
               sweep::canonical_json(s.spec.block));
  db.add_runs(s.sweep_id, s.runs);
  const auto outcome = sweep::run_local(s.runs, db, db_path, command, runner_options);

  std::cout << "sweep " << s.spec.name << ": " << outcome.done << "/" << outcome.total << " done, "
            << outcome.failed << " failed";
  if (outcome.skipped > 0) std::cout << " (" << outcome.skipped << " finished earlier, skipped)";
  std::cout << "\nresults: " << db_path << " (runs table), " << sweep::runs_dir_for(db_path)
            << "/<run_id>/\n";
  if (outcome.interrupted) {
    std::cerr << "interrupted: " << outcome.total - outcome.done - outcome.failed
              << " runs left pending; resume with the same command (finished runs are skipped)\n";
    return kExitFailure;
  }
  if (outcome.failed > 0) {
    std::cerr << outcome.failed << (outcome.failed == 1 ? " run" : " runs")
              << " failed; their errors: sqlite3 " << db_path
              << " \"SELECT run_index, run_id, error FROM runs WHERE status = 'failed'\"; "
                 "re-run them with --retry-failed\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace edgetwin::app

#pragma once
/// The local sweep runner: runs every unfinished run of a sweep in its own child process, at most
/// `jobs` at a time, and records each state change in the results database. Runs already 'done'
/// are skipped; 'failed' ones too unless retry_failed. SIGINT/SIGTERM stop it cleanly.

#include <csignal>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "edgetwin/common/child_process.hpp"
#include "edgetwin/sweep/results_db.hpp"
#include "edgetwin/sweep/sweep_spec.hpp"

namespace edgetwin::sweep {

/// The child command of one run: argv (argv[0] a path) that simulates `scenario_path` and writes
/// its results (summary.json, ...) into `out_dir`.
using RunCommand =
    std::function<std::vector<std::string>(const std::string& scenario_path, const std::string& out_dir)>;

struct RunnerOptions {
  int jobs = 1;                     ///< runs at a time (child processes)
  double timeout_s = 0;             ///< per run; 0 = none. A run over it is killed and recorded failed.
  bool retry_failed = false;        ///< also re-run runs recorded 'failed'
  bool quiet = false;               ///< no progress report
  bool tty = false;                 ///< progress as one updating line
  double progress_interval_s = 10;  ///< plain progress lines (not a terminal)
};

struct RunnerOutcome {
  std::size_t total = 0;     ///< runs of the sweep
  std::size_t skipped = 0;   ///< already finished before this invocation (done or failed)
  std::size_t done = 0;      ///< done at the end (all invocations)
  std::size_t failed = 0;    ///< failed at the end
  bool interrupted = false;  ///< stopped by SIGINT/SIGTERM; unfinished runs are 'pending'
};

/// SIGINT and SIGTERM handlers for a runner's lifetime (the previous ones restored after):
/// they only set the flag stop_requested() reads.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};
bool stop_requested();

/// The error recorded for a run killed by --timeout-s.
std::string timeout_message(double timeout_s);
/// The error recorded for a child that failed: how it ended, then the last lines of its log.
std::string failure_message(const common::ExitStatus& status, const std::string& log_path);

/// Runs `runs` (expanded and validated, `resolved` filled) into `db` at `db_path`: each run's
/// resolved scenario is written to <runs dir>/.staging/<id>/scenario.json, the child writes into
/// .staging/<id>/out, which is renamed to <runs dir>/<id> on success before the row is marked
/// done. Throws std::runtime_error when another runner holds the sweep's lock.
RunnerOutcome run_local(const std::vector<SweepRun>& runs, ResultsDb& db, const std::string& db_path,
                        const RunCommand& command, const RunnerOptions& options);

}  // namespace edgetwin::sweep

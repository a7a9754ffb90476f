#pragma once
/// The bookkeeping every sweep runner shares (local pool and MPI coordinator): which runs to do,
/// their staging folders, and the order of a run's state changes on disk and in the database,
/// which is what makes a killed sweep resumable:
///   begin:   <runs>/.staging/<id>/scenario.json written, row 'running' (attempts + 1)
///   succeed: <runs>/.staging/<id>/out renamed to <runs>/<id>, then row 'done' with metrics
///   fail:    row 'failed' with the error; staging removed
/// Rows left 'pending' or 'running' are re-run by the next invocation, their folders removed.

#include <chrono>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "edgetwin/sweep/progress.hpp"
#include "edgetwin/sweep/results_db.hpp"
#include "edgetwin/sweep/sweep_spec.hpp"

namespace edgetwin::sweep {

/// Where one run's files go while it runs.
struct RunPaths {
  std::filesystem::path staging;   ///< <runs>/.staging/<id>
  std::filesystem::path scenario;  ///< staging/scenario.json: the resolved scenario to run
  std::filesystem::path out;       ///< staging/out: the child's --out
  std::filesystem::path log;       ///< staging/run.log: the child's stdout and stderr
};

class RunBook {
 public:
  /// Plans `runs` against `db` (at `db_path`): 'done' runs, and 'failed' ones unless
  /// `retry_failed`, are skipped; the others are queued in index order, stale folders removed.
  RunBook(ResultsDb& db, const std::string& db_path, const std::vector<SweepRun>& runs, bool retry_failed);

  const std::filesystem::path& runs_dir() const { return runs_dir_; }
  bool has_queued() const { return !queue_.empty(); }
  /// The next queued run, taken off the queue (nullptr when none).
  const SweepRun* next();
  RunPaths paths_of(const SweepRun& run) const;

  /// Writes the run's scenario into its staging folder and marks it running on `worker`.
  RunPaths begin(const SweepRun& run, const std::string& worker);
  /// The child exited 0: moves its output into place and records the summary; a missing or
  /// unreadable summary is recorded as a failure instead. Returns whether the run is done.
  bool succeed(const SweepRun& run, double wall_s, const std::string& started_at);
  void fail(const SweepRun& run, const std::string& error, std::optional<int> exit_code, double wall_s,
            const std::string& started_at);
  /// An interrupted run: back to 'pending', staging removed.
  void put_back(const SweepRun& run);

  /// Counts for the progress report (running = `running`).
  ProgressCounts counts(std::size_t running) const;
  std::size_t skipped() const { return skipped_; }
  std::size_t finished_here() const { return finished_here_; }
  /// Seconds left at this invocation's pace, -1 before the first run finished.
  double eta_s(std::size_t running) const;

 private:
  ResultsDb& db_;
  std::filesystem::path runs_dir_;
  std::string runs_dir_name_;
  std::deque<const SweepRun*> queue_;
  ProgressCounts counts_;
  std::size_t skipped_ = 0;
  std::size_t finished_here_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/// An exclusive lock on <runs dir>/.lock (created with the folder), held by a runner while it
/// works: two runners on one database would run the same runs into the same folders.
class SweepLock {
 public:
  /// Throws std::runtime_error when another process holds the lock.
  explicit SweepLock(const std::string& db_path);
  ~SweepLock();
  SweepLock(const SweepLock&) = delete;
  SweepLock& operator=(const SweepLock&) = delete;

 private:
  int fd_ = -1;
};

/// The host name, for the runs table's worker column.
std::string host_name();

}  // namespace edgetwin::sweep

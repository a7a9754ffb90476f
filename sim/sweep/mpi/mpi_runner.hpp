#pragma once
/// The MPI sweep runner (`mpirun -np K edgetwin sweep FILE --mpi`, or `srun`): rank 0
/// coordinates and alone writes the results database; ranks 1..K-1 each run one run at a time
/// in a child process and report back. Runs' folders are written by the workers, so the
/// database's folder must be on a file system every rank sees (as the submit directory is on a
/// cluster). Every rank expands the same sweep; rank 0 sends run indices, checked by run id.

#include <string>
#include <vector>

#include "edgetwin/sweep/results_db.hpp"
#include "edgetwin/sweep/runner.hpp"
#include "edgetwin/sweep/sweep_spec.hpp"

namespace edgetwin::sweep {

/// MPI_Init on construction, MPI_Finalize on destruction. Only in `edgetwin-mpi` (built when
/// CMake finds MPI), never in a binary linking SimGrid (whose libsimgrid exports MPI_* too).
class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  /// Ends every rank of the job (MPI_Abort) with `exit_code`.
  [[noreturn]] void abort(int exit_code) const;

 private:
  int rank_ = 0;
  int size_ = 1;
};

/// Rank 0: hands the unfinished runs to the workers and records every result in `db` (same
/// bookkeeping and resume rules as run_local). SIGINT/SIGTERM mark the running runs pending and
/// abort the job (MPI_Abort), which ends the workers and their children.
RunnerOutcome run_mpi_coordinator(const MpiSession& mpi, const std::vector<SweepRun>& runs, ResultsDb& db,
                                  const std::string& db_path, const RunnerOptions& options);

/// Ranks 1..K-1: run what rank 0 sends with `command` (options.timeout_s applies) until told to
/// stop.
void run_mpi_worker(const MpiSession& mpi, const std::vector<SweepRun>& runs, const RunCommand& command,
                    const RunnerOptions& options);

}  // namespace edgetwin::sweep

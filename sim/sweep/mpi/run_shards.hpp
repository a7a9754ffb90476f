#pragma once
/// `mpirun -np K edgetwin run FILE --mpi --out OUT`: `edgetwin run` checks the command line and
/// the scenario, then execs `edgetwin-mpi --run PLAN` in the same process (as the sweep does).
/// Every rank R runs `edgetwin run FILE ... --shard R/K --out OUT/shards/R` in a child process
/// (one SimGrid engine per process); when every shard has finished, rank 0 runs `edgetwin merge
/// OUT`, which writes the merged outputs. Plan (JSON): {"edgetwin": path, "args": [FILE and the
/// run options, without --out and --mpi], "out": OUT}.

#include <nlohmann/json.hpp>

#include "mpi_runner.hpp"

namespace edgetwin::sweep {

/// Runs this rank's shard and, on rank 0, the merge; the exit code for every rank: 0 when the
/// shards and the merge succeeded, else the first failing shard's (or the merge's) exit code.
int run_shards(const MpiSession& mpi, const nlohmann::json& plan);

}  // namespace edgetwin::sweep

#pragma once
// The sibling executables of `edgetwin` and the hand-over to them (exec in this same process).

#include <filesystem>
#include <string>
#include <vector>

namespace edgetwin::app {

/// This executable's own path (/proc/self/exe).
std::filesystem::path self_path();

/// The executable `name` (edgetwin-models, edgetwin-learn, edgetwin-mpi): beside this one when it
/// is there (an installed layout), else where the build tree puts it (each executable is built
/// into its own folder: build/sim/cli/models/, build/policies/learn_process/, build/sim/sweep/mpi/).
std::filesystem::path tool_path(const std::string& name);

/// Replaces this process with `argv[0]` run with `argv` (stdout flushed first). Returns only when
/// the exec failed, after printing "error: cannot run TOOL: REASON (HINT)"; the result is then
/// kExitFailure.
int exec_tool(const std::vector<std::string>& argv, const std::string& hint);

/// The rank of this process under mpirun (OpenMPI, PMIx) or srun, before MPI is initialised
/// (0 when not under MPI).
int mpi_rank_from_environment();

/// Hands over to `edgetwin-mpi MODE /proc/self/fd/N` in this same process (so mpirun/srun see
/// the same ranks), `plan` in an anonymous file. Returns only if that failed (kExitFailure).
int exec_mpi_tool(const std::string& mode, const std::string& plan_text);

}  // namespace edgetwin::app

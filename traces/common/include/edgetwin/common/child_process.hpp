#pragma once
/// Every child process of EdgeTwin (a sweep's runs, a training episode's `edgetwin run`, the
/// checkpoint server `edgetwin-learn serve`) starts here. The child lives in its own process group
/// (a terminal's Ctrl-C reaches only the parent, which then stops its children), is killed by the
/// kernel if the parent dies (PR_SET_PDEATHSIG), so no orphan writes after a SIGKILL, and can be
/// given one descriptor of the parent as its fd 3 (a socket for the agent protocol). Between fork
/// and exec the child makes only async-signal-safe calls: everything is prepared before fork, so
/// this is safe in multithreaded parents (MPI progress threads, libtorch and BLAS pools).

#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace edgetwin::common {

/// How a child ended.
struct ExitStatus {
  int exit_code = 0;  ///< the process's exit code, or 128 + the signal that killed it
  int signal = 0;     ///< the signal that killed it, 0 if it exited
  bool ok() const { return signal == 0 && exit_code == 0; }
  /// "exit code 3" or "killed by signal 9 (Killed)".
  std::string describe() const;
};

/// Where a child's output goes and what it inherits.
struct ChildOptions {
  std::string log_path;       ///< stdout and stderr go to this file; "" keeps the parent's
  bool truncate_log = false;  ///< start the log afresh instead of appending
  int pass_fd = -1;           ///< a descriptor of the parent that the child gets as fd 3
};

class ChildProcess {
 public:
  /// Starts argv[0] (a path) with `argv`; stdin is /dev/null. Throws std::runtime_error when the
  /// log cannot be opened or fork fails. A failing exec ends the child with code 127, after
  /// writing "cannot run ARGV0: REASON" to its stderr.
  ChildProcess(const std::vector<std::string>& argv, const ChildOptions& options);
  /// The sweep runner's form: output appended to `log_path`.
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// The exit status once the child has ended (reaped), nullopt while it runs. Never blocks.
  std::optional<ExitStatus> poll();
  /// Blocks until the child has ended; returns its exit status.
  ExitStatus wait();
  /// Sends `signal` to the child's process group.
  void signal(int signal);
  /// Sends SIGTERM, waits up to `grace_s`, then SIGKILL; returns the exit status.
  ExitStatus terminate(double grace_s);

 private:
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

/// The last `max_lines` lines of a text file (at most the last 64 KiB), "" if unreadable.
std::string tail_of_file(const std::string& path, int max_lines);

}  // namespace edgetwin::common

#pragma once
/// A child process of the sweep runner: one run per process (SimGrid allows one engine per
/// process). The child writes stdout and stderr to a log file, lives in its own process group
/// (a terminal's Ctrl-C reaches only the runner, which then stops its children) and is killed
/// by the kernel if the runner dies (PR_SET_PDEATHSIG), so no orphan writes after a SIGKILL.

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace edgetwin::sweep {

/// How a child ended.
struct ExitStatus {
  int exit_code = 0;  ///< the process's exit code, or 128 + the signal that killed it
  int signal = 0;     ///< the signal that killed it, 0 if it exited
  bool ok() const { return signal == 0 && exit_code == 0; }
  /// "exit code 3" or "killed by signal 9 (Killed)".
  std::string describe() const;
};

class ChildProcess {
 public:
  /// Starts argv[0] (a path) with `argv`, stdout and stderr appended to `log_path`; throws
  /// std::runtime_error when fork fails. A failing exec ends the child with code 127.
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// The exit status once the child has ended (reaped), nullopt while it runs. Never blocks.
  std::optional<ExitStatus> poll();
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

}  // namespace edgetwin::sweep

#include "edgetwin/common/child_process.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace edgetwin::common {

std::string ExitStatus::describe() const {
  if (signal != 0) return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "exit code " + std::to_string(exit_code);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_path)
    : ChildProcess(argv, ChildOptions{log_path, false, -1}) {}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const ChildOptions& options) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty command");
  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string exec_failed = "cannot run " + argv.front() + ": ";
  int log = -1;
  if (!options.log_path.empty()) {
    log = ::open(options.log_path.c_str(),
                 O_WRONLY | O_CREAT | O_CLOEXEC | (options.truncate_log ? O_TRUNC : O_APPEND), 0644);
    if (log < 0) {
      throw std::runtime_error(options.log_path + ": cannot create the child's log: " + std::strerror(errno));
    }
  }
  const int pass_fd = options.pass_fd;
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    if (log >= 0) ::close(log);
    throw std::runtime_error(std::string("cannot start a child process: fork failed: ") +
                             std::strerror(errno));
  }
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl took effect
    // The passed descriptor first goes out of the way of 0-3, then becomes fd 3 (dup2 clears
    // close-on-exec on the copy).
    const int passed = pass_fd >= 0 ? ::fcntl(pass_fd, F_DUPFD_CLOEXEC, 10) : -1;
    if (log >= 0) {
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
    }
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    if (passed >= 0) ::dup2(passed, 3);
    // Signals the parent ignores or handles are reset by exec; unblock everything.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(args[0], args.data());
    const char* reason = ::strerrordesc_np(errno);  // glibc: a static string, no locale, no allocation
    if (reason == nullptr) reason = "unknown error";
    (void)!::write(STDERR_FILENO, exec_failed.data(), exec_failed.size());
    (void)!::write(STDERR_FILENO, reason, std::strlen(reason));
    (void)!::write(STDERR_FILENO, "\n", 1);
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);  // also from the parent, so that signal() works at once
  if (log >= 0) ::close(log);
}

ChildProcess::~ChildProcess() {
  if (!status_ && pid_ > 0) terminate(0);
}

namespace {
// The status waitpid returned (`r`, `raw`) as an ExitStatus.
ExitStatus exit_status_of(pid_t r, int raw) {
  ExitStatus s;
  if (r < 0) {
    s.exit_code = 255;  // lost (should not happen: only the ChildProcess waits for its pid)
  } else if (WIFSIGNALED(raw)) {
    s.signal = WTERMSIG(raw);
    s.exit_code = 128 + s.signal;
  } else {
    s.exit_code = WEXITSTATUS(raw);
  }
  return s;
}
}  // namespace

std::optional<ExitStatus> ChildProcess::poll() {
  if (status_) return status_;
  int raw = 0;
  const pid_t r = ::waitpid(pid_, &raw, WNOHANG);
  if (r == 0) return std::nullopt;
  status_ = exit_status_of(r, raw);
  return status_;
}

ExitStatus ChildProcess::wait() {
  if (status_) return *status_;
  int raw = 0;
  pid_t r = 0;
  while ((r = ::waitpid(pid_, &raw, 0)) < 0 && errno == EINTR) {
  }
  status_ = exit_status_of(r, raw);
  return *status_;
}

void ChildProcess::signal(int sig) {
  if (!status_) ::kill(-pid_, sig);
}

ExitStatus ChildProcess::terminate(double grace_s) {
  if (auto s = poll()) return *s;
  signal(grace_s > 0 ? SIGTERM : SIGKILL);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto s = poll()) return *s;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  signal(SIGKILL);
  int raw = 0;
  ::waitpid(pid_, &raw, 0);
  status_ = ExitStatus{128 + SIGKILL, SIGKILL};
  if (WIFEXITED(raw)) status_ = ExitStatus{WEXITSTATUS(raw), 0};
  return *status_;
}

std::string tail_of_file(const std::string& path, int max_lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff start = size > 65536 ? size - 65536 : 0;
  in.seekg(start);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::size_t pos = text.size();
  for (int lines = 0; lines < max_lines && pos != std::string::npos && pos > 0; ++lines) {
    pos = text.rfind('\n', pos - 1);
  }
  return pos == std::string::npos || pos == 0 ? text : text.substr(pos + 1);
}

}  // namespace edgetwin::common

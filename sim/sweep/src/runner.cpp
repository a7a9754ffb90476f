// The local process pool: launch, poll, record; stop on SIGINT/SIGTERM with children marked
// pending so that the same command resumes.

#include "edgetwin/sweep/runner.hpp"

#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "edgetwin/common/child_process.hpp"
#include "edgetwin/sweep/run_book.hpp"

namespace edgetwin::sweep {

namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) {
  g_stop_signal = sig;
}

struct Active {
  const SweepRun* run;
  std::unique_ptr<common::ChildProcess> child;
  Clock::time_point started;
  std::string started_at;
  RunPaths paths;
};

class LocalRunner {
 public:
  LocalRunner(ResultsDb& db, const std::string& db_path, const std::vector<SweepRun>& runs,
              const RunCommand& command, const RunnerOptions& options)
      : lock_(db_path),
        book_(db, db_path, runs, options.retry_failed),
        command_(command),
        options_(options),
        progress_(std::cerr, options.tty, options.quiet, options.progress_interval_s) {}

  RunnerOutcome run() {
    const StopSignals signals;
    RunnerOutcome outcome;
    while (book_.has_queued() || !active_.empty()) {
      if (stop_requested()) {
        stop();
        outcome.interrupted = true;
        break;
      }
      while (book_.has_queued() && static_cast<int>(active_.size()) < options_.jobs) launch();
      reap();
      progress_.update(book_.counts(active_.size()), book_.eta_s(active_.size()));
      if (!active_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const auto counts = book_.counts(0);
    progress_.finish(counts);
    outcome.total = counts.total;
    outcome.skipped = book_.skipped();
    outcome.done = counts.done;
    outcome.failed = counts.failed;
    return outcome;
  }

 private:
  void launch() {
    const SweepRun* run = book_.next();
    Active a{run, nullptr, Clock::now(), utc_now(), book_.begin(*run, host_name())};
    try {
      a.child = std::make_unique<common::ChildProcess>(
          command_(a.paths.scenario.string(), a.paths.out.string()), a.paths.log.string());
    } catch (const std::exception& e) {
      record_failure(a, e.what(), std::nullopt);
      return;
    }
    active_.push_back(std::move(a));
  }

  void reap() {
    for (auto it = active_.begin(); it != active_.end();) {
      auto status = it->child->poll();
      const double wall_s = std::chrono::duration<double>(Clock::now() - it->started).count();
      if (!status && options_.timeout_s > 0 && wall_s > options_.timeout_s) {
        it->child->terminate(0);
        record_failure(*it, timeout_message(options_.timeout_s), std::nullopt);
        it = active_.erase(it);
        continue;
      }
      if (!status) {
        ++it;
        continue;
      }
      if (status->ok()) {
        if (!book_.succeed(*it->run, wall_s, it->started_at))
          report_failure(*it->run, "its summary is unreadable");
      } else {
        record_failure(*it, failure_message(*status, it->paths.log.string()), status->exit_code);
      }
      it = active_.erase(it);
    }
  }

  void record_failure(const Active& a, const std::string& error, std::optional<int> exit_code) {
    book_.fail(*a.run, error, exit_code, std::chrono::duration<double>(Clock::now() - a.started).count(),
               a.started_at);
    report_failure(*a.run, error);
  }

  void report_failure(const SweepRun& run, const std::string& error) const {
    if (options_.quiet) return;
    std::cerr << (options_.tty ? "\r\x1b[K" : "") << "run " << run.index << " (" << run.id << ", "
              << run.label() << ") failed: " << error.substr(0, error.find('\n')) << "\n";
  }

  // SIGINT/SIGTERM: no new runs; running ones are terminated and put back to pending.
  void stop() {
    for (auto& a : active_) a.child->signal(SIGTERM);
    for (auto& a : active_) {
      a.child->terminate(5);
      book_.put_back(*a.run);
    }
    active_.clear();
  }

  SweepLock lock_;
  RunBook book_;
  const RunCommand& command_;
  RunnerOptions options_;
  Progress progress_;
  std::vector<Active> active_;
};

}  // namespace

StopSignals::StopSignals() {
  g_stop_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &old_int_);
  sigaction(SIGTERM, &action, &old_term_);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

bool stop_requested() {
  return g_stop_signal != 0;
}

std::string timeout_message(double timeout_s) {
  std::ostringstream reason;
  reason << "timed out after " << timeout_s << " s (--timeout-s); the run was killed";
  return reason.str();
}

std::string failure_message(const common::ExitStatus& status, const std::string& log_path) {
  const std::string tail = common::tail_of_file(log_path, 20);
  return status.describe() + (tail.empty() ? "" : ":\n" + tail);
}

RunnerOutcome run_local(const std::vector<SweepRun>& runs, ResultsDb& db, const std::string& db_path,
                        const RunCommand& command, const RunnerOptions& options) {
  LocalRunner runner(db, db_path, runs, command, options);
  return runner.run();
}

}  // namespace edgetwin::sweep

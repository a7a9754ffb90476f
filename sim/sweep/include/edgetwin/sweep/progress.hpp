#pragma once
/// The sweep's progress report on stderr: one updating line on a terminal
/// ("[#####.....] 57/200 done, 2 failed, 2 running, ETA 1m12s"), periodic plain lines otherwise.

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>

namespace edgetwin::sweep {

struct ProgressCounts {
  std::size_t total = 0;
  std::size_t done = 0;  ///< including runs finished by earlier invocations
  std::size_t failed = 0;
  std::size_t running = 0;
};

/// "1m12s", "45s", "2h03m"; "?" for a negative value.
std::string format_duration(double seconds);

/// The progress line for `counts`; `eta_s` < 0 prints "ETA ?".
std::string progress_line(const ProgressCounts& counts, double eta_s, int bar_width = 10);

class Progress {
 public:
  /// `tty`: rewrite one line in place; otherwise print a line every `interval_s`.
  Progress(std::ostream& out, bool tty, bool quiet, double interval_s = 10);
  /// Reports `counts`; `eta_s` from the runner. Throttled (a terminal at most 10 times a second).
  void update(const ProgressCounts& counts, double eta_s, bool force = false);
  /// Ends the line (terminal) after a final update.
  void finish(const ProgressCounts& counts);

 private:
  std::ostream& out_;
  bool tty_;
  bool quiet_;
  double interval_s_;
  std::chrono::steady_clock::time_point last_{};
  std::string last_line_;
};

}  // namespace edgetwin::sweep

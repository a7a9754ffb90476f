#include "edgetwin/sweep/progress.hpp"

#include <cmath>
#include <cstdio>

namespace edgetwin::sweep {

std::string format_duration(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return "?";
  const long s = std::lround(seconds);
  char text[32];
  if (s < 60)
    std::snprintf(text, sizeof text, "%lds", s);
  else if (s < 3600)
    std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  return text;
}

std::string progress_line(const ProgressCounts& c, double eta_s, int bar_width) {
  const std::size_t finished = c.done + c.failed;
  const int filled =
      c.total == 0 ? bar_width : static_cast<int>(finished * static_cast<std::size_t>(bar_width) / c.total);
  std::string line = "[" + std::string(static_cast<std::size_t>(filled), '#') +
                     std::string(static_cast<std::size_t>(bar_width - filled), '.') + "] ";
  line += std::to_string(c.done) + "/" + std::to_string(c.total) + " done, " + std::to_string(c.failed) +
          " failed, " + std::to_string(c.running) + " running, ETA " + format_duration(eta_s);
  return line;
}

Progress::Progress(std::ostream& out, bool tty, bool quiet, double interval_s)
    : out_(out), tty_(tty), quiet_(quiet), interval_s_(interval_s) {}

void Progress::update(const ProgressCounts& counts, double eta_s, bool force) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (!force && since < (tty_ ? 0.1 : interval_s_)) return;
  const std::string line = progress_line(counts, eta_s);
  if (!tty_ && line == last_line_ && !force) return;
  last_ = now;
  last_line_ = line;
  if (tty_)
    out_ << "\r" << line << "\x1b[K" << std::flush;
  else
    out_ << line << "\n" << std::flush;
}

void Progress::finish(const ProgressCounts& counts) {
  if (quiet_) return;
  update(counts, 0, true);
  if (tty_) out_ << "\n" << std::flush;
}

}  // namespace edgetwin::sweep

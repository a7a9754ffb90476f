#pragma once
/// Whole-module power from a running `tegrastats --interval MS`: the fallback source where the
/// INA3221 files cannot be read (permissions, an unknown driver layout). tegrastats' output goes
/// to a log file that read() follows, parsing each complete line (parse_tegrastats_line); the
/// power is the line's total rail or the sum of the catalog's rails (tegrastats_total_w). Its
/// resolution is tegrastats' interval (100 ms or more is typical), far coarser than the INA3221
/// files: a window shorter than a few intervals gets the power of the lines around it
/// (docs/hil.md, "Power and thermal sampling").

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "edgetwin/common/child_process.hpp"
#include "edgetwin/hw/power_sampler.hpp"
#include "edgetwin/traces/board.hpp"

namespace edgetwin::hw {

class TegrastatsPower {
 public:
  /// Starts `command --interval interval_ms` with its output in `log_path`, and waits up to
  /// `first_line_s` for the first line that gives this board's whole-module power. Throws
  /// std::runtime_error naming the command and what its output said when none comes.
  TegrastatsPower(const std::string& command, int interval_ms, const std::string& log_path,
                  const traces::Board& board, double first_line_s = 5.0);
  ~TegrastatsPower();  ///< stops tegrastats
  TegrastatsPower(const TegrastatsPower&) = delete;
  TegrastatsPower& operator=(const TegrastatsPower&) = delete;

  /// The latest complete line's power: total_w and rails_w in the catalog's rail order (NaN for a
  /// rail the line lacks). Not thread-safe: one reader (the sampler's thread).
  PowerSample read();
  /// Lines parsed so far.
  std::uint64_t lines() const { return lines_; }

 private:
  bool follow();  ///< parses what tegrastats appended; true when a new power line came

  const traces::Board* board_;
  std::string log_path_;
  std::unique_ptr<common::ChildProcess> child_;
  std::ifstream in_;     ///< the log, followed
  std::string partial_;  ///< an incomplete last line
  PowerSample last_;
  std::uint64_t lines_ = 0;
};

}  // namespace edgetwin::hw

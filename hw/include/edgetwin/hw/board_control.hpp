#pragma once
/// Setting a board's clocks through sysfs/debugfs: values only from the board's own tables,
/// min/max written in the safe order and read back, the original state saved once and restored
/// on request (the board daemon restores on exit, on SIGINT/SIGTERM and when its client is lost).

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "edgetwin/hw/board_layout.hpp"
#include "edgetwin/hw/sysfs.hpp"
#include "edgetwin/traces/trace_format.hpp"

namespace edgetwin::hw {

/// A refused or failed clock change; the message names the domain, the value and the allowed
/// values or the file that read back differently.
class ClockError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The board's original settings: the text of every file board control may write, in the order
/// they are written back.
struct SavedState {
  std::vector<std::pair<std::string, std::string>> files;  ///< (path under the root, text)
};

/// What the board reads back after set_clocks().
struct AppliedClocks {
  traces::ClockSetting requested;
  std::vector<std::int64_t> cpu_khz;  ///< per policy, the pinned value (scaling_min = scaling_max)
  std::int64_t gpu_hz = 0;            ///< min_freq = max_freq of the devfreq node
  std::int64_t emc_hz = 0;            ///< the EMC rate read back (0 without EMC control)
};

/// Clock control of one board. Constructing it registers the files it may write with `sysfs`
/// (and nothing else); it does not change anything until set_clocks().
class BoardControl {
 public:
  BoardControl(Sysfs& sysfs, BoardLayout layout);

  const BoardLayout& layout() const { return layout_; }
  /// How long a written value may take to read back (s); default 0.5.
  void set_readback_timeout(double seconds) { readback_timeout_s_ = seconds; }
  /// The settings board control would restore, read now.
  SavedState read_state() const;
  /// Saves the current state (once; later calls keep the first save).
  void save();
  bool saved() const { return saved_; }
  /// Pins every CPU policy, the GPU and the EMC. cpu_khz must be in at least one policy's table
  /// (a policy without it gets its highest value below, else its lowest); gpu_hz and emc_hz must
  /// be in the board's tables; 0 leaves a domain alone. Saves the state first if not saved yet.
  /// Throws ClockError for a value off the tables (nothing is written then) or a failed readback.
  AppliedClocks set_clocks(const traces::ClockSetting& clocks);
  /// The clocks as the board reports them (cur files).
  traces::ClockSetting current_clocks() const;
  /// Writes the saved state back (min/max in the safe order); no-op when nothing was saved.
  /// Returns the files that could not be restored (empty on success). Never throws.
  std::vector<std::string> restore() noexcept;

 private:
  void set_range(const std::string& min_file, const std::string& max_file, const std::string& min_text,
                 const std::string& max_text);
  void check_readback(const std::string& file, std::int64_t expected) const;

  Sysfs& sysfs_;
  BoardLayout layout_;
  SavedState saved_state_;
  bool saved_ = false;
  double readback_timeout_s_ = 0.5;
  std::vector<std::string> writable_;  ///< in restore order
};

/// The value of `table` (ascending) used for a request of `value`: `value` itself when listed,
/// else the highest entry below it, else the lowest entry.
std::int64_t nearest_at_or_below(const std::vector<std::int64_t>& table, std::int64_t value);

}  // namespace edgetwin::hw

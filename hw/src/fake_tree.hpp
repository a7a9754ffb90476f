#pragma once
// Writing the fake board's files (private to hw/): atomic replacement, so that a reader never
// sees a half-written value while the fake driver thread updates them.

#include <string>

namespace edgetwin::hw {

class FakeTree {
 public:
  explicit FakeTree(std::string root);
  const std::string& root() const { return root_; }
  /// Creates or replaces `rel` with `text` (parent directories created; written to a temporary
  /// file, then renamed over the old one).
  void put(const std::string& rel, const std::string& text) const;
  /// Creates the symlink `rel` pointing (relatively) at `target_rel`.
  void link(const std::string& rel, const std::string& target_rel) const;
  /// The file's text, or "" when missing.
  std::string get(const std::string& rel) const;

 private:
  std::string root_;
};

/// The directory of INA3221 number `index` below its I2C device ("iio:device0" or "hwmon/hwmon1").
std::string fake_ina_dir(bool iio, int index);

/// Writes one channel (0-based) of an INA3221 at `watts`: iio in mW/mA/mV, hwmon in mV and mA
/// (bus voltage 5 V); with `labels` also its rail name.
void write_fake_channel(const FakeTree& tree, const std::string& dir, bool iio, int channel,
                        const std::string& label, double watts, bool labels);

}  // namespace edgetwin::hw

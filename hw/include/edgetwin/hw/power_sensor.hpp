#pragma once
/// Rail power from the board's INA3221 monitors, through either driver: L4T 32's `ina3221x`
/// (iio; `rail_name_N`, `in_powerN_input` in mW) or the mainline `ina3221` hwmon driver of
/// JetPack 5+ (`inN_label`, `inN_input` in mV, `currN_input` in mA). Rails are the catalog's
/// (traces/data/boards/<id>.json "rails"); whole-module power is the catalog's total rail, or the
/// sum of its rails where the board has none (as the traces define `power_total_w`).

#include <string>
#include <vector>

#include "edgetwin/hw/sysfs.hpp"
#include "edgetwin/traces/board.hpp"

namespace edgetwin::hw {

/// Where one rail is read.
struct RailChannel {
  std::string rail;          ///< catalog rail name
  bool iio = false;          ///< ina3221x (mW file) or ina3221 hwmon (mV and mA files)
  std::string power_file;    ///< iio: in_powerN_input (mW)
  std::string voltage_file;  ///< hwmon: inN_input (mV)
  std::string current_file;  ///< hwmon: currN_input (mA)
};

/// Reads the catalog's rails of one board.
class PowerSensor {
 public:
  /// Finds every catalog rail among the INA3221 channels under `sysfs`. Throws SysfsError when a
  /// rail needed for the whole-module power is missing (the message lists the labels found).
  PowerSensor(const Sysfs& sysfs, const traces::Board& board);

  const std::vector<RailChannel>& channels() const { return channels_; }
  /// Every catalog rail now (W), in the catalog's order; NaN for a rail the board lacks.
  std::vector<double> read_rails_w() const;
  /// Whole-module power of a reading: the total rail, else the sum of the rails.
  double total_w(const std::vector<double>& rails_w) const;
  const traces::Board& board() const { return *board_; }

 private:
  const Sysfs* sysfs_;
  const traces::Board* board_;
  std::vector<RailChannel> channels_;  ///< per catalog rail (rail "" = not found)
  int total_index_ = -1;
};

}  // namespace edgetwin::hw

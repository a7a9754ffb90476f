#pragma once
/// A fake Jetson: the sysfs/debugfs/procfs tree of one catalog board, built from the board
/// catalog (frequency tables, rails, thermal zones) and the per-family paths and compatible
/// strings that real boards use (docs/hil.md, "The fake board"). Board control, power sampling
/// and the board daemon run against it unchanged. FAKE: nothing here is measured.

#include <string>
#include <vector>

#include "edgetwin/traces/board.hpp"

namespace edgetwin::hw {

/// One INA3221 of a family: its I2C device and the labels of channels 1..3 ("NC" = unconnected).
struct FakeIna {
  std::string device;               ///< "7-0040" (bus-address)
  std::vector<std::string> labels;  ///< three rail names
};

/// The per-family facts a fake tree is made of (docs/hil.md lists their sources).
struct FakeFamily {
  std::string board_id;
  std::string dtsfilename;
  std::string module_compatible;  ///< first entry of /proc/device-tree/compatible
  int chip_id = 0;
  std::string l4t_release;       ///< first line of /etc/nv_tegra_release
  std::string gpu_device;        ///< e.g. "sys/devices/17000000.gv11b"
  std::string gpu_devfreq_name;  ///< e.g. "17000000.gv11b"
  std::string gpu_compatible;    ///< e.g. "nvidia,gv11b"
  bool emc_bpmp = true;          ///< false: the T210 clock override (Nano)
  bool ina_iio = false;          ///< true: L4T 32 ina3221x (iio, mW); false: ina3221 hwmon (mV, mA)
  std::vector<FakeIna> inas;
  std::vector<std::vector<int>> cpu_clusters;    ///< CPU numbers per catalog cluster
  std::vector<std::string> extra_thermal_types;  ///< zones besides the catalog's
};

/// The family facts of a catalog edge board; throws std::invalid_argument for a board the fake
/// board does not know (the message lists the known ones).
FakeFamily fake_family(const traces::Board& board);
/// Board ids the fake board supports.
std::vector<std::string> fake_board_ids();

/// Writes the fake tree of `board` under `root` (created; existing contents of the fake's own
/// files are replaced). Initial state as after boot: schedutil / nvhost_podgov governors,
/// min/max at the table ends, the EMC under DVFS, idle power and 35 C in every zone.
void build_fake_board(const traces::Board& board, const std::string& root);

}  // namespace edgetwin::hw

#pragma once
/// Identification of the Jetson board a process runs on, from the device tree and the L4T
/// release file. Every path is relative to `root` so tests use a fake tree.

#include <string>

namespace edgetwin::hw {

/// What the board says about itself.
struct BoardIdentity {
  std::string board_id;     ///< catalog id ("xavier_nx", ...), or "" when not a known Jetson
  std::string module;       ///< module part number, e.g. "p3668-0001"
  std::string dtsfilename;  ///< /proc/device-tree/nvidia,dtsfilename
  std::string l4t_release;  ///< first line of /etc/nv_tegra_release, or ""
  int chip_id = 0;          ///< tegra_fuse chip id (0x21 T210, 0x18 T186, 0x19 T194, 0x23 T234), 0 if unknown
  std::string soc;          ///< "T210", "T186", "T194", "T234" from chip_id, or ""
};

/// Reads `<root>/proc/device-tree/{nvidia,dtsfilename,compatible}`, `<root>/etc/nv_tegra_release`
/// and the chip id (`<root>/sys/module/tegra_fuse/parameters/tegra_chip_id`, else
/// `<root>/sys/devices/soc0/soc_id`).
/// Never throws for missing files: an unknown board yields an empty board_id.
BoardIdentity identify_board(const std::string& root = "/");

/// Catalog id for a module part number such as "p3767-0003" (Orin Nano 8GB), or "".
std::string board_id_for_module(const std::string& module);

/// The L4T version of an /etc/nv_tegra_release first line: "R32.7.4" for
/// "# R32 (release), REVISION: 7.4, GCID: ..., BOARD: t186ref, ..."; "" when it has no "R<n>"
/// and REVISION. Matched against the catalog's releases by traces::release_for_l4t.
std::string l4t_version(const std::string& nv_tegra_release_line);

/// SoC name for a tegra_fuse chip id ("T194" for 0x19), or "".
std::string soc_for_chip_id(int chip_id);

}  // namespace edgetwin::hw

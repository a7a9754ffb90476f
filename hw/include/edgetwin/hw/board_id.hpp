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
};

/// Reads `<root>/proc/device-tree/{nvidia,dtsfilename,compatible}` and `<root>/etc/nv_tegra_release`.
/// Never throws for missing files: an unknown board yields an empty board_id.
BoardIdentity identify_board(const std::string& root = "/");

/// Catalog id for a module part number such as "p3767-0003" (Orin Nano 8GB), or "".
std::string board_id_for_module(const std::string& module);

}  // namespace edgetwin::hw

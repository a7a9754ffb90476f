#pragma once
/// Discovery of a board's clock controls: the CPU cpufreq policies, the GPU devfreq node (found
/// by its device-tree compatible string, not by a fixed path) and the EMC control (bpmp debugfs,
/// or the Nano's clock override), with the frequency tables the kernel offers. Paths and their
/// sources: docs/hil.md. Reads only.

#include <cstdint>
#include <string>
#include <vector>

#include "edgetwin/hw/board_id.hpp"
#include "edgetwin/hw/sysfs.hpp"
#include "edgetwin/traces/board.hpp"

namespace edgetwin::hw {

/// One cpufreq policy (a cluster of cores sharing a clock).
struct CpuPolicy {
  std::string dir;                      ///< e.g. "sys/devices/system/cpu/cpu0/cpufreq"
  std::vector<int> cpus;                ///< related_cpus
  std::vector<std::int64_t> freqs_khz;  ///< scaling_available_frequencies, ascending
};

/// The GPU's devfreq node.
struct GpuNode {
  std::string
      dir;  ///< the devfreq directory, resolved, e.g. "sys/devices/17000000.gv11b/devfreq/17000000.gv11b"
  std::string compatible;              ///< its device's of_node/compatible (NULs as spaces)
  std::vector<std::int64_t> freqs_hz;  ///< available_frequencies, ascending
};

/// How the memory clock is forced.
enum class EmcKind {
  none,          ///< no EMC control found: the EMC clock is left alone
  bpmp,          ///< T186/T194/T234: bpmp debugfs clk/emc/{rate,min_rate,max_rate,mrq_rate_locked}
  t210_override  ///< T210 (Nano): debugfs clk/override.emc/{clk_rate,clk_update_rate,clk_state}
};
const char* to_string(EmcKind kind);

/// The EMC control and the rates it may be set to.
struct EmcControl {
  EmcKind kind = EmcKind::none;
  std::string dir;  ///< "sys/kernel/debug/bpmp/debug/clk/emc" or "sys/kernel/debug/clk/override.emc"
  std::int64_t min_hz = 0;
  std::int64_t max_hz = 0;  ///< lowest of max_rate and the nvpmodel cap
  /// The kernel lists no EMC rates in these files: the catalog's rates within [min_hz, max_hz];
  /// every write is read back (the kernel rounds to a supported rate).
  std::vector<std::int64_t> freqs_hz;
};

/// Everything board control needs to know about a board's files.
struct BoardLayout {
  BoardIdentity identity;
  std::vector<CpuPolicy> cpu_policies;  ///< ordered by their first CPU
  GpuNode gpu;                          ///< dir empty when no GPU devfreq node was found
  EmcControl emc;
};

/// Discovers the layout of the board under `sysfs`. `catalog` (may be null) supplies the EMC
/// rates, which the kernel does not list. Throws SysfsError when a found node is malformed.
BoardLayout discover_layout(const Sysfs& sysfs, const traces::Board* catalog);

/// One difference between the board's own tables and the catalog's.
struct TableMismatch {
  std::string domain;  ///< "cpu policy 0", "gpu", "emc", "soc"
  std::vector<std::int64_t> only_on_board;
  std::vector<std::int64_t> only_in_catalog;
  std::string text;  ///< a readable sentence naming both sides
};

/// Compares the board's tables (and SoC) with the catalog entry; empty when they agree. The
/// board's own tables win: board control only ever uses the layout's tables.
std::vector<TableMismatch> compare_with_catalog(const BoardLayout& layout, const traces::Board& catalog);

}  // namespace edgetwin::hw

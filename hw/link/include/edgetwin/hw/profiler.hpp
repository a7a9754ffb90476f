#pragma once
/// The profiler: sweeps a board's clock grid through the board daemon and measures every unit
/// (and exit head) of a model, producing a trace file of kind "measured" in the format of
/// docs/traces.md. `edgetwin profile` (sim/cli/cmd_profile.cpp) writes it; docs/hil.md.

#include <functional>
#include <string>
#include <vector>

#include "edgetwin/hw/board_link.hpp"
#include "edgetwin/traces/catalog.hpp"
#include "edgetwin/traces/trace_format.hpp"

namespace edgetwin::hw {

struct ProfileOptions {
  std::string model;
  std::string grid = "sparse";  ///< "sparse" (levels per domain, evenly by table index) or "full"
  int cpu_levels = 3;           ///< sparse grid: levels per domain, always with min and max
  int gpu_levels = 4;
  int emc_levels = 3;
  std::vector<int> batches{1};
  int repeats = 3;  ///< at least this many executions per sample (more until the window is long enough)
  int warmup = 1;
  std::string precision = "fp32";
  std::string runtime = "pytorch";
  std::string date;  ///< ISO date written into the provenance ("" = today, UTC)
};

/// The clock settings of a grid over the given tables (ascending; every domain non-empty).
std::vector<traces::ClockSetting> profile_grid(const std::vector<std::int64_t>& cpu_khz,
                                               const std::vector<std::int64_t>& gpu_hz,
                                               const std::vector<std::int64_t>& emc_hz,
                                               const ProfileOptions& options);

/// Profiles `options.model` on the board behind `client` (hello already sent). The grid uses the
/// values in both the board's own tables (daemon info) and the catalog's (a trace may only name
/// catalog frequencies); values only in one are reported through `progress` and skipped.
/// Throws LinkError, std::invalid_argument (unknown model, empty grid) or DataError.
traces::TraceFile profile_model(BoardClient& client, const traces::Catalog& catalog,
                                const ProfileOptions& options,
                                const std::function<void(const std::string&)>& progress);

}  // namespace edgetwin::hw

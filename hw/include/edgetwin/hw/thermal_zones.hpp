#pragma once
/// Thermal zones by type (`thermal_zone*/{type,temp}`, millidegrees C), and the parsing of
/// tegrastats lines: the fallback source of rail power and temperatures where the sysfs files
/// cannot be read (formats of L4T 32, JetPack 5/6 and 7: docs/hil.md).

#include <map>
#include <string>
#include <vector>

#include "edgetwin/hw/sysfs.hpp"
#include "edgetwin/traces/board.hpp"

namespace edgetwin::hw {

/// One thermal zone now.
struct ThermalReading {
  std::string zone;   ///< "thermal_zone3"
  std::string type;   ///< "GPU-therm", "tj-thermal", ...
  double temp_c = 0;  ///< NaN when unavailable (unreadable, empty, or the -256 C marker)
};

/// Every `sys/class/thermal/thermal_zone*`, in zone order.
std::vector<ThermalReading> read_thermal_zones(const Sysfs& sysfs);
/// The catalog zone's temperature: the highest of the readings whose type it lists (NaN if none).
double zone_temperature_c(const std::vector<ThermalReading>& readings, const traces::ThermalZone& zone);

/// What one tegrastats line says (fields it lacks stay empty or NaN).
struct TegrastatsSample {
  std::map<std::string, double> rails_mw;  ///< current value of every "NAME cur/avg" power field
  std::map<std::string, double> temps_c;   ///< "name@42.5C" (NaN for -256C)
  double gpu_load_pct = 0;                 ///< GR3D_FREQ percent
  double emc_load_pct = 0;                 ///< EMC_FREQ percent
  double emc_mhz = 0;                      ///< EMC_FREQ "@MHz" (JetPack 5+), 0 if absent
};

/// Parses one tegrastats line; never throws (unknown fields are skipped).
TegrastatsSample parse_tegrastats_line(const std::string& line);
/// Whole-module power (W) of a sample for `board`: its total rail, else the sum of its rails
/// (NaN when a needed rail is absent from the line).
double tegrastats_total_w(const TegrastatsSample& sample, const traces::Board& board);

}  // namespace edgetwin::hw

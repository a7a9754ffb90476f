#include "edgetwin/hw/thermal_zones.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <regex>
#include <sstream>

namespace edgetwin::hw {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

std::vector<ThermalReading> read_thermal_zones(const Sysfs& sysfs) {
  static const std::regex zone_re("thermal_zone([0-9]+)");
  std::vector<std::pair<int, std::string>> zones;
  for (const std::string& name : sysfs.list("sys/class/thermal")) {
    std::smatch m;
    if (std::regex_match(name, m, zone_re)) zones.emplace_back(std::stoi(m[1].str()), name);
  }
  std::sort(zones.begin(), zones.end());
  std::vector<ThermalReading> readings;
  for (const auto& [index, name] : zones) {
    ThermalReading r;
    r.zone = name;
    r.type = sysfs.read(join_path("sys/class/thermal", name + "/type")).value_or("");
    r.temp_c = kNaN;
    if (auto text = sysfs.read(join_path("sys/class/thermal", name + "/temp"))) {
      try {
        std::size_t used = 0;
        const double milli = std::stod(*text, &used);
        if (used == text->size() && milli > -256000 + 1) r.temp_c = milli / 1000.0;
      } catch (const std::exception&) {
      }
    }
    readings.push_back(r);
  }
  return readings;
}

double zone_temperature_c(const std::vector<ThermalReading>& readings, const traces::ThermalZone& zone) {
  double best = kNaN;
  for (const ThermalReading& r : readings) {
    if (std::find(zone.sysfs_types.begin(), zone.sysfs_types.end(), r.type) == zone.sysfs_types.end())
      continue;
    if (!std::isnan(r.temp_c) && (std::isnan(best) || r.temp_c > best)) best = r.temp_c;
  }
  return best;
}

TegrastatsSample parse_tegrastats_line(const std::string& line) {
  TegrastatsSample s;
  s.gpu_load_pct = kNaN;
  s.emc_load_pct = kNaN;
  std::istringstream in(line);
  std::vector<std::string> tokens;
  for (std::string t; in >> t;) tokens.push_back(t);
  // Power: "VDD_IN 1038/1134" (L4T 32), "VDD_IN 1038mW/1134mW" (JP5/6), "... 5139mW/5139mW/5139mW" (JP7).
  static const std::regex power_re("([0-9]+)(mW)?/([0-9]+)(mW)?(/[0-9]+(mW)?)?");
  static const std::regex name_re("[A-Z][A-Z0-9_]*");
  static const std::regex temp_re("([A-Za-z0-9_.-]+)@(-?[0-9.]+)C");
  static const std::regex load_re("([0-9]+)%(@([0-9]+)|@\\[[0-9,]*\\])?");
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    std::smatch m;
    if (std::regex_match(tokens[i], m, temp_re)) {
      const double c = std::stod(m[2].str());
      s.temps_c[m[1].str()] = c <= -256 ? kNaN : c;
      continue;
    }
    if (i + 1 >= tokens.size()) continue;
    const std::string& next = tokens[i + 1];
    if ((tokens[i] == "GR3D_FREQ" || tokens[i] == "EMC_FREQ") && std::regex_match(next, m, load_re)) {
      const double pct = std::stod(m[1].str());
      if (tokens[i] == "GR3D_FREQ") {
        s.gpu_load_pct = pct;
      } else {
        s.emc_load_pct = pct;
        if (m[3].matched) s.emc_mhz = std::stod(m[3].str());
      }
      continue;
    }
    if (std::regex_match(tokens[i], name_re) && std::regex_match(next, m, power_re) && tokens[i] != "RAM" &&
        tokens[i] != "SWAP") {
      s.rails_mw[tokens[i]] = std::stod(m[1].str());
    }
  }
  return s;
}

double tegrastats_total_w(const TegrastatsSample& sample, const traces::Board& board) {
  if (!board.total_rail.empty()) {
    auto it = sample.rails_mw.find(board.total_rail);
    return it == sample.rails_mw.end() ? kNaN : it->second / 1000.0;
  }
  double sum = 0;
  for (const traces::Rail& rail : board.rails) {
    auto it = sample.rails_mw.find(rail.name);
    if (it == sample.rails_mw.end()) return kNaN;
    sum += it->second / 1000.0;
  }
  return sum;
}

}  // namespace edgetwin::hw

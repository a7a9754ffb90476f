#include "edgetwin/hw/power_sensor.hpp"

#include <cmath>
#include <limits>
#include <regex>

#include "edgetwin/common/strings.hpp"

namespace edgetwin::hw {

namespace {

// Every labelled channel of both drivers (labels "NC" = not connected are skipped).
std::vector<RailChannel> find_channels(const Sysfs& sysfs) {
  std::vector<RailChannel> found;
  static const std::regex iio_re("iio:device[0-9]+");
  const std::string iio_driver = "sys/bus/i2c/drivers/ina3221x";
  for (const std::string& device : sysfs.list(iio_driver)) {
    const std::string device_dir = join_path(iio_driver, device);
    for (const std::string& sub : sysfs.list(device_dir)) {
      if (!std::regex_match(sub, iio_re)) continue;
      const std::string dir = join_path(device_dir, sub);
      for (int n = 0; n < 3; ++n) {
        const auto label = sysfs.read(join_path(dir, "rail_name_" + std::to_string(n)));
        if (!label || label->empty() || *label == "NC") continue;
        RailChannel channel;
        channel.rail = *label;
        channel.iio = true;
        channel.power_file = join_path(dir, "in_power" + std::to_string(n) + "_input");
        found.push_back(channel);
      }
    }
  }
  static const std::regex hwmon_re("hwmon[0-9]+");
  const std::string hwmon_driver = "sys/bus/i2c/drivers/ina3221";
  for (const std::string& device : sysfs.list(hwmon_driver)) {
    const std::string hwmon_dir = join_path(join_path(hwmon_driver, device), "hwmon");
    for (const std::string& sub : sysfs.list(hwmon_dir)) {
      if (!std::regex_match(sub, hwmon_re)) continue;
      const std::string dir = join_path(hwmon_dir, sub);
      for (int n = 1; n <= 3; ++n) {
        const auto label = sysfs.read(join_path(dir, "in" + std::to_string(n) + "_label"));
        if (!label || label->empty() || *label == "NC") continue;
        RailChannel channel;
        channel.rail = *label;
        channel.voltage_file = join_path(dir, "in" + std::to_string(n) + "_input");
        channel.current_file = join_path(dir, "curr" + std::to_string(n) + "_input");
        found.push_back(channel);
      }
    }
  }
  return found;
}

}  // namespace

PowerSensor::PowerSensor(const Sysfs& sysfs, const traces::Board& board) : sysfs_(&sysfs), board_(&board) {
  const std::vector<RailChannel> found = find_channels(sysfs);
  std::vector<std::string> labels;
  for (const RailChannel& channel : found) labels.push_back(channel.rail);
  std::vector<std::string> missing;
  for (std::size_t r = 0; r < board.rails.size(); ++r) {
    const std::string& name = board.rails[r].name;
    RailChannel channel;
    for (const RailChannel& candidate : found) {
      if (candidate.rail == name) channel = candidate;
    }
    if (name == board.total_rail) total_index_ = static_cast<int>(r);
    const bool needed = board.total_rail.empty() || name == board.total_rail;
    if (channel.rail.empty() && needed) missing.push_back(name);
    channels_.push_back(channel);
  }
  if (!missing.empty()) {
    throw SysfsError(sysfs.path("sys/bus/i2c/drivers"),
                     "no INA3221 channel for the " + board.id + " rail(s) " + common::join(missing) +
                         " (ina3221x iio or ina3221 hwmon). channels found: " +
                         (labels.empty() ? std::string("none") : common::join(labels)));
  }
}

std::vector<double> PowerSensor::read_rails_w() const {
  std::vector<double> watts;
  for (const RailChannel& channel : channels_) {
    if (channel.rail.empty()) {
      watts.push_back(std::numeric_limits<double>::quiet_NaN());
    } else if (channel.iio) {
      watts.push_back(static_cast<double>(sysfs_->read_int(channel.power_file)) / 1000.0);
    } else {
      const double mv = static_cast<double>(sysfs_->read_int(channel.voltage_file));
      const double ma = static_cast<double>(sysfs_->read_int(channel.current_file));
      watts.push_back(mv * ma / 1e6);
    }
  }
  return watts;
}

double PowerSensor::total_w(const std::vector<double>& rails_w) const {
  if (total_index_ >= 0) return rails_w[static_cast<std::size_t>(total_index_)];
  double sum = 0;
  for (double w : rails_w) {
    if (!std::isnan(w)) sum += w;
  }
  return sum;
}

}  // namespace edgetwin::hw

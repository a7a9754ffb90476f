#include "fake_tree.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

namespace edgetwin::hw {

namespace fs = std::filesystem;

FakeTree::FakeTree(std::string root) : root_(std::move(root)) {}

void FakeTree::put(const std::string& rel, const std::string& text) const {
  const fs::path target = fs::path(root_) / rel;
  std::error_code ec;
  if (!fs::is_directory(target.parent_path(), ec)) fs::create_directories(target.parent_path());
  const fs::path temp =
      target.parent_path() / ("." + target.filename().string() + ".tmp" + std::to_string(::getpid()));
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("fake board: cannot write " + temp.string());
  }
  fs::rename(temp, target);
}

void FakeTree::link(const std::string& rel, const std::string& target_rel) const {
  const fs::path link_path = fs::path(root_) / rel;
  fs::create_directories(link_path.parent_path());
  const fs::path target = fs::path(root_) / target_rel;
  fs::create_directories(target);
  std::error_code ec;
  fs::remove(link_path, ec);
  fs::create_directory_symlink(fs::relative(target, link_path.parent_path()), link_path);
}

std::string FakeTree::get(const std::string& rel) const {
  std::ifstream in(fs::path(root_) / rel, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::string fake_ina_dir(bool iio, int index) {
  return iio ? "iio:device" + std::to_string(index) : "hwmon/hwmon" + std::to_string(index + 1);
}

namespace {
void put_changed(const FakeTree& tree, const std::string& rel, const std::string& text) {
  if (tree.get(rel) != text) tree.put(rel, text);
}
}  // namespace

void write_fake_channel(const FakeTree& tree, const std::string& dir, bool iio, int channel,
                        const std::string& label, double watts, bool labels) {
  constexpr double kBusMv = 5000;
  const double mw = label == "NC" ? 0 : watts * 1000;
  const long current_ma = std::lround(mw * 1000 / kBusMv);
  if (iio) {
    const std::string n = std::to_string(channel);
    if (labels) tree.put(dir + "/rail_name_" + n, label + "\n");
    put_changed(tree, dir + "/in_power" + n + "_input", std::to_string(std::lround(mw)) + "\n");
    put_changed(tree, dir + "/in_current" + n + "_input", std::to_string(current_ma) + "\n");
    put_changed(tree, dir + "/in_voltage" + n + "_input", std::to_string(std::lround(kBusMv)) + "\n");
  } else {
    const std::string n = std::to_string(channel + 1);
    if (labels) tree.put(dir + "/in" + n + "_label", label + "\n");
    put_changed(tree, dir + "/in" + n + "_input", std::to_string(std::lround(kBusMv)) + "\n");
    put_changed(tree, dir + "/curr" + n + "_input", std::to_string(current_ma) + "\n");
  }
}

}  // namespace edgetwin::hw

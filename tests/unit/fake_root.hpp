#pragma once
// A temporary board root per test, and snapshots of the files under it.

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace edgetwin::testing {

/// A fresh directory named after the running test, removed afterwards.
inline std::filesystem::path make_test_root(const std::string& prefix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = prefix + "_" + info->test_suite_name() + "_" + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  const auto root = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  return root;
}

/// Files the fake board's kernel thread rewrites continuously (sensor readings: power, current,
/// voltage, temperature, current frequencies, GPU load); a restored board is compared without them.
inline bool is_sensor_file(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  const auto ends_with = [&](const std::string& tail) {
    return name.size() >= tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (!name.empty() && name.front() == '.') return true;  // the fake kernel's file being replaced
  return ends_with("_input") || name == "temp" || ends_with("cur_freq") || name == "load" ||
         name == "clk_rate";
}

/// Every regular file under `root` (symlinks not followed) and its contents; without sensor
/// files when `sensors` is false.
inline std::map<std::string, std::string> snapshot_tree(const std::filesystem::path& root,
                                                        bool sensors = true) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.is_symlink()) continue;
    if (!sensors && is_sensor_file(entry.path())) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream os;
    os << in.rdbuf();
    files[std::filesystem::relative(entry.path(), root).string()] = os.str();
  }
  return files;
}

/// The files whose contents differ between two snapshots (or exist in only one).
inline std::vector<std::string> changed_files(const std::map<std::string, std::string>& a,
                                              const std::map<std::string, std::string>& b) {
  std::vector<std::string> changed;
  for (const auto& [path, text] : a) {
    auto it = b.find(path);
    if (it == b.end() || it->second != text) changed.push_back(path);
  }
  for (const auto& [path, text] : b) {
    if (a.count(path) == 0) changed.push_back(path);
  }
  return changed;
}

}  // namespace edgetwin::testing

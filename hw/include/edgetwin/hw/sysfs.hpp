#pragma once
/// Reading and writing the kernel's sysfs/debugfs files under a configurable root ("/" on a
/// board, a temporary directory in tests and on the fake board). Writes are confined: only files
/// registered with allow_write() can be written, and nothing outside the root.

#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace edgetwin::hw {

/// A board file that is missing, unreadable, malformed, or that may not be written. The message
/// names the file (under the root) and the reason.
class SysfsError : public std::runtime_error {
 public:
  SysfsError(const std::string& path, const std::string& reason);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Files of one board under `root`. Paths passed in are relative to the root, without a leading
/// slash ("sys/devices/system/cpu/online").
class Sysfs {
 public:
  explicit Sysfs(std::string root = "/");

  const std::string& root() const { return root_; }
  /// The absolute path of `rel`.
  std::string path(const std::string& rel) const;
  bool exists(const std::string& rel) const;
  /// The file's text without trailing whitespace and NUL bytes, or nullopt when it cannot be read.
  std::optional<std::string> read(const std::string& rel) const;
  /// The file's exact bytes, or nullopt when it cannot be read.
  std::optional<std::string> read_raw(const std::string& rel) const;
  /// Like read(), but throws SysfsError when the file cannot be read.
  std::string read_required(const std::string& rel) const;
  /// The file's one integer; throws SysfsError naming the file and what it holds otherwise.
  std::int64_t read_int(const std::string& rel) const;
  /// Whitespace-separated integers (an available-frequencies file), in file order.
  std::vector<std::int64_t> read_ints(const std::string& rel) const;
  /// Entry names of a directory (following symlinks), sorted; empty when it is not a directory.
  std::vector<std::string> list(const std::string& rel) const;
  /// `rel` with symlinks resolved, still relative to the root ("" when it does not exist).
  std::string resolve(const std::string& rel) const;

  /// Registers `rel` (resolved) as a file this object may write.
  void allow_write(const std::string& rel);
  /// Writes `value` to a file registered with allow_write(); throws SysfsError for any other file
  /// and when the kernel refuses the write (the errno text is in the message).
  void write(const std::string& rel, const std::string& value);
  void write(const std::string& rel, std::int64_t value) { write(rel, std::to_string(value)); }
  /// The files registered with allow_write(), resolved, sorted.
  const std::set<std::string>& writable_files() const { return writable_; }
  /// When set, every successful write is appended as (resolved path, value): tests check the
  /// order of min/max writes with it.
  void set_write_log(std::vector<std::pair<std::string, std::string>>* log) { write_log_ = log; }

 private:
  std::string root_;  // absolute, canonical, without trailing slash ("" for "/")
  std::set<std::string> writable_;
  std::vector<std::pair<std::string, std::string>>* write_log_ = nullptr;
};

/// Joins path components with single slashes ("a/b" + "c" -> "a/b/c").
std::string join_path(const std::string& dir, const std::string& name);

}  // namespace edgetwin::hw

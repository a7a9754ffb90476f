#include "edgetwin/hw/sysfs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace edgetwin::hw {

namespace fs = std::filesystem;

SysfsError::SysfsError(const std::string& path, const std::string& reason)
    : std::runtime_error(path + ": " + reason), path_(path) {}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (name.empty()) return dir;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

Sysfs::Sysfs(std::string root) {
  std::error_code ec;
  fs::path canonical = fs::canonical(root.empty() ? fs::path("/") : fs::path(root), ec);
  if (ec) throw SysfsError(root, "board root does not exist (" + ec.message() + ")");
  root_ = canonical.string();
  if (root_ == "/") root_.clear();
}

std::string Sysfs::path(const std::string& rel) const {
  return root_ + "/" + (rel.empty() || rel.front() != '/' ? rel : rel.substr(1));
}

bool Sysfs::exists(const std::string& rel) const {
  std::error_code ec;
  return fs::exists(path(rel), ec);
}

std::optional<std::string> Sysfs::read_raw(const std::string& rel) const {
  std::ifstream in(path(rel), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream os;
  os << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return os.str();
}

std::optional<std::string> Sysfs::read(const std::string& rel) const {
  auto raw = read_raw(rel);
  if (!raw) return std::nullopt;
  std::string text = std::move(*raw);
  while (!text.empty() && (text.back() == '\0' || text.back() == '\n' || text.back() == ' ' ||
                           text.back() == '\t' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

std::string Sysfs::read_required(const std::string& rel) const {
  auto text = read(rel);
  if (!text) throw SysfsError(path(rel), std::string("cannot read (") + std::strerror(errno) + ")");
  return *text;
}

std::int64_t Sysfs::read_int(const std::string& rel) const {
  const std::string text = read_required(rel);
  try {
    std::size_t used = 0;
    const long long value = std::stoll(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw SysfsError(path(rel), "expected one integer, found \"" + text.substr(0, 60) + "\"");
}

std::vector<std::int64_t> Sysfs::read_ints(const std::string& rel) const {
  std::istringstream in(read_required(rel));
  std::vector<std::int64_t> values;
  std::string token;
  while (in >> token) {
    try {
      std::size_t used = 0;
      const long long value = std::stoll(token, &used);
      if (used != token.size()) throw std::invalid_argument(token);
      values.push_back(value);
    } catch (const std::exception&) {
      throw SysfsError(path(rel), "expected whitespace-separated integers, found \"" + token + "\"");
    }
  }
  return values;
}

std::vector<std::string> Sysfs::list(const std::string& rel) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(path(rel), ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string Sysfs::resolve(const std::string& rel) const {
  std::error_code ec;
  const fs::path canonical = fs::canonical(path(rel), ec);
  if (ec) return "";
  const std::string text = canonical.string();
  if (root_.empty()) return text.substr(1);
  if (text.compare(0, root_.size() + 1, root_ + "/") != 0) return "";  // outside the root
  return text.substr(root_.size() + 1);
}

void Sysfs::allow_write(const std::string& rel) {
  const std::string resolved = resolve(rel);
  if (resolved.empty()) throw SysfsError(path(rel), "cannot be written: missing or outside the board root");
  writable_.insert(resolved);
}

void Sysfs::write(const std::string& rel, const std::string& value) {
  const std::string resolved = resolve(rel);
  if (resolved.empty() || writable_.count(resolved) == 0) {
    throw SysfsError(path(rel), "refused: not one of the " + std::to_string(writable_.size()) +
                                    " clock-control files this board control may write");
  }
  const std::string full = path(resolved);
  const int fd = ::open(full.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) throw SysfsError(full, std::string("cannot open for writing (") + std::strerror(errno) + ")");
  const ssize_t written = ::write(fd, value.data(), value.size());
  const int write_errno = errno;
  const int closed = ::close(fd);
  if (written != static_cast<ssize_t>(value.size())) {
    throw SysfsError(full, "writing \"" + value + "\" failed (" + std::strerror(write_errno) + ")");
  }
  if (closed != 0) throw SysfsError(full, "writing \"" + value + "\" failed (" + std::strerror(errno) + ")");
  if (write_log_ != nullptr) write_log_->emplace_back(resolved, value);
}

}  // namespace edgetwin::hw

#pragma once
/// Errors raised while reading EdgeTwin data files (catalogs, traces, scenarios).

#include <stdexcept>
#include <string>

namespace edgetwin::common {

/// A defect in a data file. `where` is a JSON pointer ("/gpu/freqs_hz/3") or "line 12, column
/// latency_mean_s"; `reason` says what was found and what is allowed.
class DataError : public std::runtime_error {
 public:
  DataError(std::string file, std::string where, std::string reason);

  const std::string& file() const { return file_; }
  const std::string& where() const { return where_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_;
  std::string where_;
  std::string reason_;
};

}  // namespace edgetwin::common

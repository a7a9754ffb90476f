#pragma once
/// Typed, strict reading of JSON objects: every error names the file, the JSON pointer, what was
/// found and what is allowed; unknown keys are errors (docs/architecture.md, "Design rules").

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/common/error.hpp"

namespace edgetwin::common {

/// Reads and parses a JSON file; throws DataError naming the file and the parse position.
nlohmann::json read_json_file(const std::string& path);

/// JSON has no NaN: results files write an unknown number as null, and these two convert.
inline nlohmann::json number_or_null(double x) {
  return std::isnan(x) ? nlohmann::json() : nlohmann::json(x);
}
inline double number_or_nan(const nlohmann::json& j) {
  return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>();
}

/// A view of one JSON node together with the file it came from and its JSON pointer.
class JsonReader {
 public:
  JsonReader(const nlohmann::json& node, std::string file, std::string pointer = "");

  const nlohmann::json& node() const { return *node_; }
  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }
  bool has(const char* key) const;

  /// Required members. Numbers are range-checked by the `*_in` variants.
  std::string string(const char* key) const;
  std::string string_or(const char* key, const std::string& fallback) const;
  /// A string member that must be one of `allowed`.
  std::string one_of(const char* key, const std::vector<std::string>& allowed) const;
  double number(const char* key) const;
  double number_in(const char* key, double min, double max) const;
  double number_or(const char* key, double fallback) const;
  std::int64_t integer(const char* key) const;
  std::int64_t integer_in(const char* key, std::int64_t min, std::int64_t max) const;
  std::int64_t integer_or(const char* key, std::int64_t fallback) const;
  bool boolean_or(const char* key, bool fallback) const;
  std::vector<std::int64_t> integers(const char* key) const;
  std::vector<double> numbers(const char* key) const;
  std::vector<std::string> strings(const char* key) const;

  /// Required object / array-of-objects members.
  JsonReader object(const char* key) const;
  std::vector<JsonReader> objects(const char* key) const;
  std::vector<JsonReader> objects_or_empty(const char* key) const;

  /// Throws if the object has a key outside `allowed`, listing the allowed keys.
  void require_only(std::initializer_list<const char*> allowed) const;
  /// The same, for a list built at run time (e.g. keys shared by several object kinds plus own ones).
  void require_only(const std::vector<const char*>& allowed) const;

  /// Throws DataError at this node (key may be empty for the node itself).
  [[noreturn]] void fail(const std::string& key, const std::string& reason) const;
  /// Throws DataError at element `index` of the array member `key`.
  [[noreturn]] void fail_item(const std::string& key, std::size_t index, const std::string& reason) const;
  std::string pointer_to(const std::string& key) const;

 private:
  const nlohmann::json& member(const char* key) const;

  const nlohmann::json* node_;
  std::string file_;
  std::string pointer_;
};

/// Short description of a JSON value's type for messages ("a string", "the number 3").
std::string describe_json(const nlohmann::json& value);

}  // namespace edgetwin::common

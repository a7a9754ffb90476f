// Field readers shared by the scenario readers: range checks with "found ..., allowed ..." text.

#include <algorithm>
#include <sstream>

#include "scenario_detail.hpp"

namespace edgetwin::sim::detail {

using common::JsonReader;

void check_keys(const common::JsonReader& r, const std::vector<std::string>& allowed,
                ErrorCollector& errors) {
  for (auto it = r.node().begin(); it != r.node().end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) != allowed.end()) continue;
    errors.add(
        common::DataError(r.file(), r.pointer_to(it.key()),
                          "unknown field \"" + it.key() + "\"; allowed fields here: " + join(allowed)));
  }
}

namespace {
std::string format_number(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}
}  // namespace

double positive(const common::JsonReader& r, const char* key, double max) {
  const double x = r.number(key);
  if (!(x > 0) || x > max) {
    r.fail(key, "found " + format_number(x) + ", allowed: greater than 0 and at most " + format_number(max));
  }
  return x;
}

double positive_or(const common::JsonReader& r, const char* key, double fallback, double max) {
  return r.has(key) ? positive(r, key, max) : fallback;
}

double non_negative_or(const common::JsonReader& r, const char* key, double fallback, double max) {
  return r.has(key) ? r.number_in(key, 0, max) : fallback;
}

std::string read_name(const common::JsonReader& r, const char* key) {
  const std::string name = r.string(key);
  const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
  if (!ok) {
    r.fail(key, "found \"" + name + "\", allowed: a non-empty name of letters, digits, '_', '-', '.'");
  }
  return name;
}

std::optional<common::JsonReader> optional_object(const common::JsonReader& r, const char* key,
                                                  ErrorCollector& errors) {
  std::optional<common::JsonReader> out;
  if (r.has(key)) errors.check([&] { out = r.object(key); });
  return out;
}

std::vector<common::JsonReader> object_list(const common::JsonReader& r, const char* key,
                                            ErrorCollector& errors) {
  std::vector<common::JsonReader> out;
  if (!r.has(key)) return out;
  const nlohmann::json& list = r.node().at(key);
  if (!list.is_array()) {
    errors.add(common::DataError(r.file(), r.pointer_to(key),
                                 "expected an array of objects, found " + common::describe_json(list)));
    return out;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = r.pointer_to(key) + "/" + std::to_string(i);
    errors.check([&] { out.emplace_back(list[i], r.file(), item); });
  }
  return out;
}

void check_unique(const common::JsonReader& r, const std::string& name, std::vector<std::string>& seen,
                  const std::string& what, ErrorCollector& errors) {
  if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
    errors.add(common::DataError(r.file(), r.pointer_to("name"),
                                 "found \"" + name + "\" again; allowed: " + what + " names must be unique"));
    return;
  }
  seen.push_back(name);
}

}  // namespace edgetwin::sim::detail

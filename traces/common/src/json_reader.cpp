#include "edgetwin/common/json_reader.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

#include "edgetwin/common/json_pointer.hpp"

namespace edgetwin::common {

using nlohmann::json;

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw DataError(path, "", "cannot open file");
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    // nlohmann reports "at line L, column C: ..." inside what(); keep its position text.
    std::string what = e.what();
    const auto pos = what.find("at line");
    throw DataError(path, "", "invalid JSON " + (pos == std::string::npos ? what : what.substr(pos)));
  }
}

std::string describe_json(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return std::string("the boolean ") + (value.get<bool>() ? "true" : "false");
    case json::value_t::string:
      return "the string \"" + value.get<std::string>() + "\"";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "the number " + value.dump();
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    default:
      return "an unsupported value";
  }
}

JsonReader::JsonReader(const json& node, std::string file, std::string pointer)
    : node_(&node), file_(std::move(file)), pointer_(std::move(pointer)) {
  if (!node.is_object()) fail("", "expected an object, found " + describe_json(node));
}

std::string JsonReader::pointer_to(const std::string& key) const {
  return key.empty() ? (pointer_.empty() ? "/" : pointer_) : pointer_ + "/" + escape_token(key);
}

void JsonReader::fail(const std::string& key, const std::string& reason) const {
  throw DataError(file_, pointer_to(key), reason);
}

void JsonReader::fail_item(const std::string& key, std::size_t index, const std::string& reason) const {
  throw DataError(file_, pointer_to(key) + "/" + std::to_string(index), reason);
}

bool JsonReader::has(const char* key) const {
  return node_->contains(key);
}

const json& JsonReader::member(const char* key) const {
  auto it = node_->find(key);
  if (it == node_->end()) fail(key, "required field is missing");
  return *it;
}

std::string JsonReader::string(const char* key) const {
  const json& v = member(key);
  if (!v.is_string()) fail(key, "expected a string, found " + describe_json(v));
  return v.get<std::string>();
}

std::string JsonReader::string_or(const char* key, const std::string& fallback) const {
  return has(key) ? string(key) : fallback;
}

std::string JsonReader::one_of(const char* key, const std::vector<std::string>& allowed) const {
  std::string value = string(key);
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    fail(key, "found \"" + value + "\", allowed: " + list);
  }
  return value;
}

double JsonReader::number(const char* key) const {
  const json& v = member(key);
  if (!v.is_number()) fail(key, "expected a number, found " + describe_json(v));
  const double x = v.get<double>();
  if (!std::isfinite(x)) fail(key, "expected a finite number");
  return x;
}

double JsonReader::number_in(const char* key, double min, double max) const {
  const double x = number(key);
  if (x < min || x > max) {
    std::ostringstream os;
    os << "found " << x << ", allowed range [" << min << ", " << max << "]";
    fail(key, os.str());
  }
  return x;
}

double JsonReader::number_or(const char* key, double fallback) const {
  return has(key) ? number(key) : fallback;
}

std::int64_t JsonReader::integer(const char* key) const {
  const json& v = member(key);
  if (!v.is_number_integer()) {
    // Accept integral floats written as 1e9 (common for Hz values).
    if (v.is_number_float()) {
      const double x = v.get<double>();
      if (std::isfinite(x) && std::floor(x) == x && std::fabs(x) < 9.0e18)
        return static_cast<std::int64_t>(x);
    }
    fail(key, "expected an integer, found " + describe_json(v));
  }
  return v.get<std::int64_t>();
}

std::int64_t JsonReader::integer_in(const char* key, std::int64_t min, std::int64_t max) const {
  const std::int64_t x = integer(key);
  if (x < min || x > max) {
    fail(key, "found " + std::to_string(x) + ", allowed range [" + std::to_string(min) + ", " +
                  std::to_string(max) + "]");
  }
  return x;
}

std::int64_t JsonReader::integer_or(const char* key, std::int64_t fallback) const {
  return has(key) ? integer(key) : fallback;
}

bool JsonReader::boolean_or(const char* key, bool fallback) const {
  if (!has(key)) return fallback;
  const json& v = member(key);
  if (!v.is_boolean()) fail(key, "expected true or false, found " + describe_json(v));
  return v.get<bool>();
}

std::vector<std::int64_t> JsonReader::integers(const char* key) const {
  const json& v = member(key);
  if (!v.is_array()) fail(key, "expected an array of integers, found " + describe_json(v));
  std::vector<std::int64_t> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const json& e = v[i];
    const bool integral_float = e.is_number_float() && std::isfinite(e.get<double>()) &&
                                std::floor(e.get<double>()) == e.get<double>();
    if (!e.is_number_integer() && !integral_float) {
      fail_item(key, i, "expected an integer, found " + describe_json(e));
    }
    out.push_back(e.is_number_integer() ? e.get<std::int64_t>() : static_cast<std::int64_t>(e.get<double>()));
  }
  return out;
}

std::vector<double> JsonReader::numbers(const char* key) const {
  const json& v = member(key);
  if (!v.is_array()) fail(key, "expected an array of numbers, found " + describe_json(v));
  std::vector<double> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number()) {
      fail_item(key, i, "expected a number, found " + describe_json(v[i]));
    }
    out.push_back(v[i].get<double>());
  }
  return out;
}

std::vector<std::string> JsonReader::strings(const char* key) const {
  const json& v = member(key);
  if (!v.is_array()) fail(key, "expected an array of strings, found " + describe_json(v));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      fail_item(key, i, "expected a string, found " + describe_json(v[i]));
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

JsonReader JsonReader::object(const char* key) const {
  const json& v = member(key);
  if (!v.is_object()) fail(key, "expected an object, found " + describe_json(v));
  return JsonReader(v, file_, pointer_to(key));
}

std::vector<JsonReader> JsonReader::objects(const char* key) const {
  const json& v = member(key);
  if (!v.is_array()) fail(key, "expected an array of objects, found " + describe_json(v));
  std::vector<JsonReader> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string item = pointer_to(key) + "/" + std::to_string(i);
    if (!v[i].is_object()) throw DataError(file_, item, "expected an object, found " + describe_json(v[i]));
    out.emplace_back(v[i], file_, item);
  }
  return out;
}

std::vector<JsonReader> JsonReader::objects_or_empty(const char* key) const {
  return has(key) ? objects(key) : std::vector<JsonReader>{};
}

void JsonReader::require_only(std::initializer_list<const char*> allowed) const {
  require_only(std::vector<const char*>(allowed));
}

void JsonReader::require_only(const std::vector<const char*>& allowed) const {
  for (auto it = node_->begin(); it != node_->end(); ++it) {
    const bool known =
        std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return it.key() == a; });
    if (!known) {
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(it.key(), "unknown field; allowed fields here: " + list);
    }
  }
}

}  // namespace edgetwin::common

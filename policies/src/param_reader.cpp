// Policy parameter validation: every message names the policy, the key and what is allowed.

#include "param_reader.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace edgetwin::policies {

namespace {

std::string allowed_keys(const std::vector<ParamInfo>& infos) {
  if (infos.empty()) return "(none: this policy takes no parameters)";
  std::string keys;
  for (const auto& i : infos) keys += (keys.empty() ? "" : ", ") + i.name;
  return keys;
}

}  // namespace

ParamReader::ParamReader(std::string who, const nlohmann::json& params, const std::vector<ParamInfo>& infos,
                         std::string prefix)
    : who_(std::move(who)), prefix_(std::move(prefix)), params_(params.is_null() ? nlohmann::json::object() : params) {
  if (!params_.is_object()) {
    throw ParamError(who_, prefix_, "found " + params_.dump() + ", allowed: a JSON object");
  }
  defaults_ = nlohmann::json::object();
  for (const auto& i : infos) defaults_[i.name] = nlohmann::json::parse(i.default_json);
  for (const auto& [key, v] : params_.items()) {
    if (!defaults_.contains(key)) fail(key, "unknown parameter; allowed: " + allowed_keys(infos));
  }
}

std::string ParamReader::path_of(const std::string& key) const {
  return prefix_.empty() ? key : key.empty() ? prefix_ : prefix_ + "/" + key;
}

void ParamReader::fail(const std::string& key, const std::string& problem) const {
  throw ParamError(who_, path_of(key), problem);
}

const nlohmann::json& ParamReader::value(const std::string& key) const {
  if (params_.contains(key)) return params_.at(key);
  if (!defaults_.contains(key)) fail(key, "not a documented parameter (bug in the policy)");
  return defaults_.at(key);
}

double ParamReader::number(const std::string& key, double min, double max) const {
  const auto& v = value(key);
  std::ostringstream range;
  range << "[" << min << ", " << max << "]";
  if (!v.is_number()) fail(key, "found " + v.dump() + ", allowed: a number in " + range.str());
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < min || x > max) fail(key, "found " + v.dump() + ", allowed: a number in " + range.str());
  return x;
}

int ParamReader::integer(const std::string& key, int min, int max) const {
  const auto& v = value(key);
  const std::string range = "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
  if (!v.is_number_integer()) fail(key, "found " + v.dump() + ", allowed: an integer in " + range);
  const auto x = v.get<std::int64_t>();
  if (x < min || x > max) fail(key, "found " + v.dump() + ", allowed: an integer in " + range);
  return static_cast<int>(x);
}

std::string ParamReader::text(const std::string& key) const {
  const auto& v = value(key);
  if (!v.is_string()) fail(key, "found " + v.dump() + ", allowed: a string");
  return v.get<std::string>();
}

std::int64_t ParamReader::frequency(const std::string& key, const std::vector<std::int64_t>& table) const {
  const auto& v = value(key);
  if (v == "max") return table.back();
  if (v == "min") return table.front();
  if (v.is_number_integer()) {
    const auto f = v.get<std::int64_t>();
    for (auto t : table) {
      if (t == f) return f;
    }
  }
  std::string allowed = "\"min\", \"max\"";
  for (auto t : table) allowed += ", " + std::to_string(t);
  fail(key, "found " + v.dump() + ", which is not a table value of this board within its power mode; allowed: " + allowed);
}

nlohmann::json ParamReader::object(const std::string& key) const {
  const auto& v = value(key);
  if (v.is_null()) return nlohmann::json::object();
  if (!v.is_object()) fail(key, "found " + v.dump() + ", allowed: a JSON object");
  return v;
}

}  // namespace edgetwin::policies

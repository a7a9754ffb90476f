// Policy parameter validation: every message names the policy, the key and what is allowed.

#include "param_reader.hpp"

#include <stdexcept>

#include "edgetwin/common/json_reader.hpp"

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
    : who_(std::move(who)),
      prefix_(std::move(prefix)),
      params_(params.is_null() ? nlohmann::json::object() : params) {
  if (!params_.is_object()) {
    throw ParamError(who_, prefix_, "found " + params_.dump() + ", allowed: a JSON object");
  }
  values_ = nlohmann::json::object();
  for (const auto& i : infos) values_[i.name] = nlohmann::json::parse(i.default_json);
  for (const auto& [key, v] : params_.items()) {
    if (!values_.contains(key)) fail(key, "unknown parameter; allowed: " + allowed_keys(infos));
  }
  values_.update(params_);
}

std::string ParamReader::path_of(const std::string& key) const {
  return prefix_.empty() ? key : key.empty() ? prefix_ : prefix_ + "/" + key;
}

void ParamReader::fail(const std::string& key, const std::string& problem) const {
  throw ParamError(who_, path_of(key), problem);
}

const nlohmann::json& ParamReader::value(const std::string& key) const {
  if (!values_.contains(key)) fail(key, "not a documented parameter (bug in the policy)");
  return values_.at(key);
}

// Typed reads go through the project's one strict reader (common::JsonReader) on the given values
// over the documented defaults; its DataError becomes a ParamError naming the parameter's path.
template <typename Read>
auto ParamReader::through_reader(const std::string& key, Read&& read) const {
  try {
    const common::JsonReader reader(values_, who_);
    return read(reader);
  } catch (const common::DataError& e) {
    fail(key, e.reason());
  }
}

double ParamReader::number(const std::string& key, double min, double max) const {
  value(key);  // an undocumented key is a bug in the policy
  return through_reader(key, [&](const common::JsonReader& r) { return r.number_in(key.c_str(), min, max); });
}

int ParamReader::integer(const std::string& key, int min, int max) const {
  value(key);
  return static_cast<int>(
      through_reader(key, [&](const common::JsonReader& r) { return r.integer_in(key.c_str(), min, max); }));
}

bool ParamReader::boolean(const std::string& key) const {
  const auto& v = value(key);
  if (!v.is_boolean()) fail(key, "found " + v.dump() + ", allowed: true, false");
  return v.get<bool>();
}

std::string ParamReader::text(const std::string& key) const {
  value(key);
  return through_reader(key, [&](const common::JsonReader& r) { return r.string(key.c_str()); });
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
  fail(key, "found " + v.dump() +
                ", which is not a table value of this board within its power mode; allowed: " + allowed);
}

nlohmann::json ParamReader::object(const std::string& key) const {
  const auto& v = value(key);
  if (v.is_null()) return nlohmann::json::object();
  if (!v.is_object()) fail(key, "found " + v.dump() + ", allowed: a JSON object");
  return v;
}

}  // namespace edgetwin::policies

#pragma once
// Typed, validated access to one policy's JSON parameters; defaults come from the ParamInfo list,
// so what `edgetwin list policies` documents is what the policy uses.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/policies/policy.hpp"

namespace edgetwin::policies {

class ParamReader {
 public:
  /// Throws ParamError when `params` is neither null nor an object, or holds a key that `infos`
  /// does not list. `who` names the policy in messages, e.g. "policy 'ondemand'"; `prefix` is the
  /// path of a nested params object inside the policy's params ("cpu_params"), "" at the top.
  ParamReader(std::string who, const nlohmann::json& params, const std::vector<ParamInfo>& infos,
              std::string prefix = "");

  /// The given value, else the documented default.
  const nlohmann::json& value(const std::string& key) const;
  bool given(const std::string& key) const { return params_.contains(key); }
  double number(const std::string& key, double min, double max) const;  ///< in [min, max]
  int integer(const std::string& key, int min, int max) const;
  std::string text(const std::string& key) const;
  bool boolean(const std::string& key) const;  ///< true or false, nothing else
  /// A value of `table` (ascending), or "min"/"max"; the error lists the allowed values.
  std::int64_t frequency(const std::string& key, const std::vector<std::int64_t>& table) const;
  /// A nested object parameter (null/absent = {}).
  nlohmann::json object(const std::string& key) const;

  /// Throws ParamError for `key`; `problem` says what was found and what is allowed.
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;
  const std::string& who() const { return who_; }
  /// The path of `key` for messages and pointers ("cpu_params/up_threshold").
  std::string path_of(const std::string& key) const;

 private:
  template <typename Read>
  auto through_reader(const std::string& key, Read&& read) const;

  std::string who_;
  std::string prefix_;
  nlohmann::json params_;  ///< as given
  nlohmann::json values_;  ///< the documented defaults, overlaid with the given values
};

}  // namespace edgetwin::policies

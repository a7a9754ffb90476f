#pragma once
// Load-based frequency governors for one clock domain (re-implemented from the documented
// behaviour of Linux ondemand and schedutil, and a reconstruction of NVIDIA's nvhost_podgov;
// docs/policies.md). GovernorPolicy (governor_policy.cpp) runs one per governed domain.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "edgetwin/policies/policy.hpp"

#include "param_reader.hpp"

namespace edgetwin::policies {

/// Chooses one domain's next frequency from the load of the last sampling period.
class DomainGovernor {
 public:
  virtual ~DomainGovernor() = default;
  /// How often the governor decides (its sampling period or rate limit), simulated seconds.
  virtual double period_s() const = 0;
  /// `util`: busy fraction over the last `elapsed_s` at the frequency `current` (a value of the
  /// governor's table). Returns a value of the table.
  virtual std::int64_t next(double util, std::int64_t current, double elapsed_s) = 0;
};

/// A kind of domain governor, its parameters and its factory (`table`: the domain's allowed
/// values, ascending).
struct GovernorKind {
  std::string name;
  std::string summary;
  std::vector<ParamInfo> params;
  std::function<std::unique_ptr<DomainGovernor>(const ParamReader& params, std::vector<std::int64_t> table)>
      make;
};

/// ondemand, schedutil, podgov, in that order.
const std::vector<GovernorKind>& governor_kinds();
/// Throws std::invalid_argument naming the known kinds.
const GovernorKind& governor_kind(const std::string& name);

}  // namespace edgetwin::policies

// Policy defaults and the policy registry.

#include "edgetwin/policies/policy.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace edgetwin::policies {

ParamError::ParamError(std::string who, std::string key, std::string reason)
    : std::invalid_argument(who + (key.empty() ? std::string(": params") : ": param '" + key + "'") + ": " +
                            reason),
      who_(std::move(who)),
      key_(std::move(key)),
      reason_(std::move(reason)) {}

FrameAction Policy::on_frame(const FrameObservation& /*obs*/) {
  return FrameAction{};
}

UnitAction Policy::on_unit(const UnitObservation& /*obs*/) {
  return UnitAction{};
}

TickAction Policy::on_tick(const TickObservation& /*obs*/) {
  return TickAction{};
}

BatchAction Policy::on_batch(const BatchObservation& obs) {
  BatchAction a;
  a.batch_size = obs.batch_size;
  a.instances = obs.instances;
  return a;
}

bool PolicyInfo::plays(Role role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

void PolicyRegistry::add(PolicyInfo info) {
  if (info.name.empty() || !info.make)
    throw std::invalid_argument("policy registry: a policy needs a name and a factory");
  if (has(info.name))
    throw std::invalid_argument("policy registry: duplicate policy name '" + info.name + "'");
  infos_.push_back(std::move(info));
}

bool PolicyRegistry::has(const std::string& name) const {
  return std::any_of(infos_.begin(), infos_.end(), [&](const PolicyInfo& i) { return i.name == name; });
}

const PolicyInfo& PolicyRegistry::get(const std::string& name) const {
  for (const auto& i : infos_) {
    if (i.name == name) return i;
  }
  std::string known;
  for (const auto& i : infos_) known += (known.empty() ? "" : ", ") + i.name;
  throw std::invalid_argument("unknown policy '" + name + "'; known policies: " + known);
}

std::unique_ptr<Policy> PolicyRegistry::create(Role role, const std::string& name,
                                               const nlohmann::json& params, const PolicyContext& ctx) const {
  return create(std::vector<Role>{role}, name, params, ctx);
}

std::unique_ptr<Policy> PolicyRegistry::create(const std::vector<Role>& roles, const std::string& name,
                                               const nlohmann::json& params, const PolicyContext& ctx) const {
  const auto& info = get(name);
  for (const Role role : roles) {
    if (info.plays(role)) continue;
    std::string able;
    for (const auto& i : infos_) {
      if (std::all_of(roles.begin(), roles.end(), [&](Role r) { return i.plays(r); }))
        able += (able.empty() ? "" : ", ") + i.name;
    }
    std::string wanted;
    for (const Role r : roles) wanted += (wanted.empty() ? "" : "+") + std::string(to_string(r));
    throw std::invalid_argument("policy '" + name + "' cannot play the " + to_string(role) +
                                " role; policies that can play " + wanted + ": " +
                                (able.empty() ? "none" : able));
  }
  return info.make(params, ctx);
}

}  // namespace edgetwin::policies

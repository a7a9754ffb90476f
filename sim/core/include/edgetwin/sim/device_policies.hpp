#pragma once
/// The policies of a device, built from its group's scenario entry exactly as a run builds them;
/// `edgetwin validate` builds them the same way, so that a scenario `run` would refuse is
/// refused by `validate` first, with the same message.

#include <memory>
#include <utility>
#include <vector>

#include "edgetwin/common/error.hpp"
#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/scenario.hpp"
#include "edgetwin/traces/catalog.hpp"

namespace edgetwin::sim {

/// One policy instance and the roles it plays on the device (one, or several when the group's
/// key joins them: "exit+clocks").
struct DevicePolicy {
  std::vector<policies::Role> roles;
  std::unique_ptr<policies::Policy> policy;
};
using DevicePolicies = std::vector<DevicePolicy>;

/// Builds the policies of device `device` (its index in the whole scenario) of group `group`.
/// Every error becomes a common::DataError naming the scenario file and the JSON pointer of the
/// policy: ".../policies/KEY/params/PARAM" (KEY: the role, or roles joined by '+') for a parameter
/// (policies::ParamError), else
/// ".../policies/ROLE".
DevicePolicies make_device_policies(const ScenarioSpec& spec, std::size_t group, int device,
                                    const traces::Catalog& catalog, const policies::PolicyRegistry& registry,
                                    const policies::AgentProvider& agents);

/// Builds every group's policies for the group's first device, as a run would, with agents that
/// answer nothing (a learned policy is checked up to its agent). Returns the errors, one per
/// policy that cannot be built; empty when all can.
std::vector<common::DataError> check_policies(const ScenarioSpec& spec, const traces::Catalog& catalog,
                                              const policies::PolicyRegistry& registry);

/// The groups whose execution backend cannot run them: `backend: "hil"` on a serving group (the
/// board runs FIFO devices only; docs/hil.md). One error per such group, at
/// /platform/groups/G/backend; empty otherwise. `run` refuses such a scenario (exit code 3)
/// instead of replaying it from traces behind the user's back; `validate` reports the same errors.
std::vector<common::DataError> check_backends(const ScenarioSpec& spec);

}  // namespace edgetwin::sim

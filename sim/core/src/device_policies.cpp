// Building a device's policies from its group's scenario entry (device_policies.hpp).

#include "edgetwin/sim/device_policies.hpp"

#include <exception>
#include <memory>
#include <stdexcept>

#include "world.hpp"

namespace edgetwin::sim {

namespace {

/// An agent for checking a learned policy's construction: never asked during validation.
class NullAgent final : public policies::Agent {
 public:
  int act(const std::vector<float>&) override { return 0; }
  void observe(const std::vector<float>&, int, double, const std::vector<float>&, bool, double) override {}
};

/// The policy of `role_name` for `device` of `group`; errors as DataError at its pointer.
std::unique_ptr<policies::Policy> make_policy(const ScenarioSpec& spec, std::size_t group,
                                              const std::string& role_name, int device,
                                              const traces::Catalog& catalog,
                                              const policies::PolicyRegistry& registry,
                                              const policies::AgentProvider& agents) {
  const auto& g = spec.groups.at(group);
  const auto& policy_spec = g.policies.at(role_name);
  const std::string pointer = "/platform/groups/" + std::to_string(group) + "/policies/" + role_name;
  // An agent provider that cannot give an agent (no checkpoint named, no trainer) is a problem of
  // the command line, not of the scenario: its error passes through unchanged.
  auto agent_error = std::make_shared<std::exception_ptr>();
  try {
    policies::PolicyContext ctx;
    ctx.board = &catalog.board(g.board);
    ctx.device = device;
    ctx.power_mode = g.power_mode;
    ctx.seed = detail::derive_seed(spec.seed, detail::SeedStream::policy, static_cast<std::uint64_t>(device));
    if (agents) {
      ctx.agents = [agents, agent_error](const policies::AgentRequest& request) {
        try {
          return agents(request);
        } catch (...) {
          *agent_error = std::current_exception();
          throw;
        }
      };
    }
    for (const auto& m : g.models) ctx.models.push_back(&catalog.model(m));
    return registry.create(policies::roles_from_key(role_name), policy_spec.name, policy_spec.params, ctx);
  } catch (const policies::ParamError& e) {
    throw common::DataError(spec.file, pointer + "/params" + (e.key().empty() ? "" : "/" + e.key()),
                            e.reason() + " (" + e.who() + ")");
  } catch (const std::invalid_argument& e) {
    if (*agent_error) std::rethrow_exception(*agent_error);
    throw common::DataError(spec.file, pointer, e.what());
  }
}

}  // namespace

DevicePolicies make_device_policies(const ScenarioSpec& spec, std::size_t group, int device,
                                    const traces::Catalog& catalog, const policies::PolicyRegistry& registry,
                                    const policies::AgentProvider& agents) {
  DevicePolicies made;
  for (const auto& entry : spec.groups.at(group).policies) {
    made.push_back({policies::roles_from_key(entry.first),
                    make_policy(spec, group, entry.first, device, catalog, registry, agents)});
  }
  return made;
}

std::vector<common::DataError> check_policies(const ScenarioSpec& spec, const traces::Catalog& catalog,
                                              const policies::PolicyRegistry& registry) {
  const policies::AgentProvider null_agents = [](const policies::AgentRequest&) {
    return std::make_shared<NullAgent>();
  };
  std::vector<common::DataError> errors;
  int first_device = 0;
  for (std::size_t g = 0; g < spec.groups.size(); ++g) {
    for (const auto& entry : spec.groups[g].policies) {
      try {
        make_policy(spec, g, entry.first, first_device, catalog, registry, null_agents);
      } catch (const common::DataError& e) {
        errors.push_back(e);
      }
    }
    first_device += spec.groups[g].count;
  }
  return errors;
}

std::vector<common::DataError> check_backends(const ScenarioSpec& spec) {
  // The hil backend runs FIFO devices: one board, units in order, one instance at a time.
  // Serving groups (a batching policy: concurrent batches as a fluid) replay traces only.
  std::vector<common::DataError> errors;
  for (std::size_t g = 0; g < spec.groups.size(); ++g) {
    const auto& group = spec.groups[g];
    if (group.backend != "hil") continue;
    for (const auto& [roles, policy] : group.policies) {
      if (("+" + roles + "+").find("+batching+") == std::string::npos) continue;
      errors.emplace_back(spec.file, "/platform/groups/" + std::to_string(g) + "/backend",
                          "group '" + group.name + "' is a serving group (batching policy '" + policy.name +
                              "') with backend \"hil\"; the hil backend runs FIFO devices only (serving "
                              "groups replay traces); allowed here: trace (docs/hil.md)");
    }
  }
  return errors;
}

}  // namespace edgetwin::sim

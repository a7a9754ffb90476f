// register_builtin_policies(): every built-in policy, in the order `edgetwin list policies` shows.

#include "builtin.hpp"

namespace edgetwin::policies {

void register_builtin_policies(PolicyRegistry& registry) {
  // clocks role, per frame
  registry.add(max_clocks_info());
  registry.add(fixed_clocks_info());
  // clocks role, periodic ticks
  registry.add(ondemand_info());
  registry.add(schedutil_info());
  registry.add(podgov_info());
  registry.add(governors_info());
  // clocks role, periodic ticks, learned
  registry.add(ztt_info());
  // placement role
  registry.add(edge_only_info());
  registry.add(cloud_only_info());
  registry.add(fixed_split_info());
  // placement role, on probes (an offline profile)
  registry.add(neurosurgeon_info());
  // exit role, on the exit heads' confidence
  registry.add(confidence_exit_info());
  registry.add(budgeted_exit_info());
  // exit and clocks roles: E4 (JIT profiler on probes)
  registry.add(e4_info());
  // batching role (serving devices)
  registry.add(fixed_batching_info());
  registry.add(bcedge_info());
  registry.add(clipper_aimd_info());
  registry.add(triton_dynamic_info());
  // clocks and placement roles, learned, and a placement baseline: DVFO (issue 15)
  registry.add(dvfo_info());
  registry.add(appealnet_info());
}

}  // namespace edgetwin::policies

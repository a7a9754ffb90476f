#pragma once
// Internal to the simulation core: how many actors a run starts, and whether their stacks fit
// the process's limit on memory mappings (docs/performance.md "Actors, stacks and memory
// mappings").

#include <string>

#include "edgetwin/sim/simulation.hpp"

namespace edgetwin::sim::detail {

struct World;

struct ContextPlan {
  long actors = 0;       ///< actors started before the run (start_actors and the timeline)
  long maps_now = 0;     ///< memory mappings the process holds before they start
  long map_limit = 0;    ///< vm.max_map_count (or RunOptions::max_map_count)
  long maps_needed = 0;  ///< estimate with a guard page per stack (SimGrid's default)
  bool guard_pages = true;
  std::string note;  ///< what the plan changed in SimGrid's configuration, "" = nothing
};

/// Mappings a stack with a guard page costs: SimGrid's swapped contexts take each stack from
/// the heap (an mmap of its own at 8 MiB) and mprotect its guard page, which splits the mapping
/// in two that the kernel never merges. Without the guard page neighbouring stacks merge
/// (measured: 100,000 actors in 255 mappings).
inline constexpr long kMappingsPerGuardedStack = 2;
/// glibc's default M_MMAP_MAX: allocations past that many mmapped ones come from the heap.
inline constexpr long kStacksBeforeHeapFallback = 65536;

/// Counts the actors the run will start and compares the mappings they need with the limit.
/// When they do not fit and the user left contexts/guard-size alone, the plan turns guard pages
/// off (Engine::set_config, before any actor exists) and says so in `note`. Throws
/// common::DataError naming the scenario file (exit code 3) when they cannot fit: guard pages
/// asked for on the command line, or a strict overcommit policy (vm.overcommit_memory = 2)
/// without room for every stack; the message says what to change.
ContextPlan plan_contexts(const World& world, const RunOptions& options);

/// The actors start_actors creates (and the timeline's), for the test that keeps the count and
/// start_actors in step.
long count_planned_actors(const World& world, bool fast_path);

}  // namespace edgetwin::sim::detail

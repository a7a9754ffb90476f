// Actors, stacks and memory mappings before a run starts (context_plan.hpp).

#include "context_plan.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "edgetwin/common/error.hpp"

#include "world.hpp"
#include <malloc.h>

namespace edgetwin::sim::detail {

namespace {

/// The first number in `path` (a /proc/sys file), or `fallback` when it cannot be read.
long read_proc_number(const char* path, long fallback) {
  std::ifstream in(path);
  long value = 0;
  return (in >> value) ? value : fallback;
}

/// Lines of /proc/self/maps: the mappings this process holds now (0 when unreadable).
long count_own_mappings() {
  std::ifstream in("/proc/self/maps");
  long n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

/// A field of /proc/meminfo in bytes, or -1.
double meminfo_bytes(const std::string& field) {
  std::ifstream in("/proc/meminfo");
  std::string name;
  double kib = 0;
  std::string unit;
  while (in >> name >> kib) {
    std::getline(in, unit);
    if (name == field + ":") return kib * 1024;
  }
  return -1;
}

/// The value of `--cfg=KEY:VALUE` among the engine arguments (the last one wins), "" if absent.
std::string engine_cfg(const RunOptions& options, const std::string& key) {
  const std::string prefix = "--cfg=" + key + ":";
  std::string value;
  for (const auto& a : options.engine_args) {
    if (a.rfind(prefix, 0) == 0) value = a.substr(prefix.size());
  }
  return value;
}

std::string gib(double bytes) {
  std::ostringstream os;
  os.precision(3);
  os << bytes / (1024.0 * 1024 * 1024) << " GiB";
  return os.str();
}

}  // namespace

long count_planned_actors(const World& world, bool fast_path) {
  const auto& spec = world.spec;
  long n = 0;
  bool shared = false;  // the previous device runs in a shared actor (simulation.cpp start_actors)
  for (const auto& dev : world.devices) {
    const auto& group = spec.groups[static_cast<std::size_t>(dev->group())];
    if (fast_path && dev->engine_free()) {
      if (!shared) ++n;  // one actor for a run of consecutive engine-free devices
      shared = true;
      continue;
    }
    shared = false;
    int sources = 0;
    for (const auto& v : spec.videos) sources += v.group == group.name ? 1 : 0;
    for (const auto& r : spec.requests) sources += r.group == group.name ? 1 : 0;
    n += dev->planned_actors(fast_path && dev->local_time_eligible(), sources);
  }
  if (!spec.clouds.empty() && spec.wan.process.kind != "constant") ++n;
  if (!world.devices.empty()) ++n;  // the timeline
  return n;
}

ContextPlan plan_contexts(const World& world, const RunOptions& options) {
  ContextPlan plan;
  plan.actors = count_planned_actors(world, options.fast_path);
  plan.maps_now = count_own_mappings();
  plan.map_limit = options.max_map_count > 0 ? options.max_map_count
                                             : read_proc_number("/proc/sys/vm/max_map_count", 65530);
  // Actors started during the run (serving instances loaded later) are not counted above: a
  // tenth more, and room for the engine's own mappings. Offload workers (offload_pool.hpp) and
  // the cloud servers' workers (cloud_server.hpp) are created as offloads overlap: up to one of
  // each per device that may offload when every device's frame goes up at the same instant (a
  // synchronised fleet), with guard pages 2 mappings each.
  long offloading = 0;
  if (!world.clouds.empty()) {
    for (const auto& dev : world.devices) offloading += dev->serving() ? 0 : 1;
  }
  const long margin = plan.actors / 10 + 512 + 2 * kMappingsPerGuardedStack * offloading;
  plan.maps_needed = plan.maps_now + kMappingsPerGuardedStack * plan.actors + margin;
  const std::string guard = engine_cfg(options, "contexts/guard-size");
  plan.guard_pages = guard.empty() || guard != "0";
  // glibc gives at most M_MMAP_MAX (65,536) allocations an mmap of their own and takes larger
  // ones from the heap after that; stacks from the heap cost several times the memory
  // (measured: 100,000 devices x 1 s, 6.5 GB peak, 2.3 GB with the limit raised).
  if (plan.actors > kStacksBeforeHeapFallback / 2) mallopt(M_MMAP_MAX, std::numeric_limits<int>::max());
  const std::string where = "/platform/groups";
  if (plan.guard_pages && plan.maps_needed > plan.map_limit) {
    if (!guard.empty()) {
      throw common::DataError(
          world.spec.file, where,
          std::to_string(plan.actors) + " actors with stack guard pages (--cfg=contexts/guard-size:" + guard +
              ") need about " + std::to_string(plan.maps_needed) +
              " memory mappings, more than this machine allows (vm.max_map_count = " +
              std::to_string(plan.map_limit) +
              "): drop --cfg=contexts/guard-size (edgetwin then runs without guard pages), or raise the "
              "limit (sysctl -w vm.max_map_count=" +
              std::to_string(plan.maps_needed * 2) + "), or simulate fewer devices");
    }
    sg4::Engine::set_config("contexts/guard-size:0");
    plan.guard_pages = false;
    plan.note =
        std::to_string(plan.actors) + " actors would need about " + std::to_string(plan.maps_needed) +
        " memory mappings with stack guard pages (vm.max_map_count = " + std::to_string(plan.map_limit) +
        "): running without guard pages (--cfg=contexts/guard-size:0)";
  }
  // Under a strict overcommit policy every stack is committed memory up front.
  if (read_proc_number("/proc/sys/vm/overcommit_memory", 0) == 2) {
    const std::string stack_kib = engine_cfg(options, "contexts/stack-size");
    const double stack_bytes = (stack_kib.empty() ? 8192.0 : std::atof(stack_kib.c_str())) * 1024;
    const double need = stack_bytes * static_cast<double>(plan.actors);
    const double room = meminfo_bytes("CommitLimit") - meminfo_bytes("Committed_AS");
    if (room > 0 && need > room) {
      throw common::DataError(
          world.spec.file, where,
          std::to_string(plan.actors) + " actor stacks of " + gib(stack_bytes) + " need " + gib(need) +
              " of committed memory and vm.overcommit_memory = 2 leaves " + gib(room) +
              ": give smaller stacks (--cfg=contexts/stack-size:KIB, e.g. 256 for policies without "
              "deep recursion), or allow overcommit (sysctl -w vm.overcommit_memory=0), or simulate "
              "fewer devices");
    }
  }
  return plan;
}

}  // namespace edgetwin::sim::detail

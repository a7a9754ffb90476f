#pragma once
// Internal to the simulation core: the state of one run (World) and the functions that start its
// actors. Each of its types has its own header: request.hpp, arrival_stream.hpp, device.hpp,
// cloud_server.hpp, seed_stream.hpp. Only sim/core/src includes these.

#include <cstdint>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <simgrid/s4u.hpp>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/energy_meter.hpp"
#include "edgetwin/sim/metrics.hpp"
#include "edgetwin/sim/record_tally.hpp"
#include "edgetwin/sim/scenario.hpp"
#include "edgetwin/traces/exit_records.hpp"
#include "edgetwin/traces/synth.hpp"
#include "edgetwin/traces/trace_store.hpp"

#include "arrival_stream.hpp"
#include "cloud_server.hpp"
#include "device.hpp"
#include "execution_backend.hpp"
#include "hil_backend.hpp"
#include "offload_pool.hpp"
#include "request.hpp"
#include "seed_stream.hpp"

namespace edgetwin::sim::detail {

namespace sg4 = simgrid::s4u;

/// Nominal speed of every simulated host: an activity of L seconds is an Exec of L x this.
inline constexpr double kHostSpeedFlops = 1e9;

/// Everything one run holds. Lives for the whole run; actors refer to it.
struct World {
  const ScenarioSpec& spec;
  const traces::Catalog& catalog;
  const traces::TraceStore& store;
  const traces::Synthesizer& power_model;
  const policies::PolicyRegistry& registry;
  std::vector<std::unique_ptr<Device>> devices;
  std::vector<std::unique_ptr<CloudServer>> clouds;
  /// Every record, in completion order, only when RunOptions::keep_records (tests, the library's
  /// default); the summaries come from `tally` either way (bounded memory, record_tally.hpp).
  std::vector<RequestRecord> records;
  bool keep_records = true;
  RecordTally tally;
  OffloadPool offloads;  ///< the actors that carry offloaded requests (offload_pool.hpp)
  /// The WAN as built (simulation.cpp build_platform): one link ("wan"), or with fatpipe sharing
  /// one per device ("wan-<device>"), whose bandwidth the WAN's bandwidth process sets.
  bool wan_fatpipe = false;
  std::vector<sg4::Link*> wan_links;
  std::ofstream requests_csv;  ///< open when written
  std::ofstream timeline_csv;
  long activities = 0;
  long local_activities = 0;  ///< unit runs, heads and transitions replayed in local time
  bool progress = false;
  double element_bytes = 4;
  /// The scenario's devices this process simulates, [device_begin, device_end) in scenario
  /// order, and the share of the WAN's bandwidth it gets: all and 1 unless the run is one shard
  /// of several (RunOptions::shards, docs/performance.md "Sharding").
  int device_begin = 0;
  int device_end = 0;
  double wan_share = 1;
  /// Whether cloud server `c` (scenario order) belongs to this shard: round robin over shards.
  int shard = 0;
  int shards = 1;
  bool owns_cloud(int c) const { return c % shards == shard; }
  bool owns_device(int d) const {
    return d >= device_begin && d < device_end;
  }  ///< activation bytes per element at the scenario's precision

  /// The trace replay: every device's and cloud server's units, heads and batches go through it
  /// (the execution-backend seam, execution_backend.hpp).
  TraceBackend trace;
  /// Groups with backend "hil": their board's backend, by group index (hil_backend.hpp).
  std::map<int, std::unique_ptr<HilBackend>> hil;
  /// The backend of a group's devices: its board for a "hil" group, else the trace replay.
  ExecutionBackend& backend_for(int group) {
    auto it = hil.find(group);
    return it == hil.end() ? static_cast<ExecutionBackend&>(trace) : *it->second;
  }
  /// Per video stream (spec.videos order), built by attach_video_records: its exit-record
  /// source (nullptr = none) and the accuracy table of its dataset (nullptr = none).
  std::vector<std::unique_ptr<traces::ExitRecordSource>> video_exit_records;
  std::vector<const traces::AccuracyTable*> video_accuracy;

  World(const ScenarioSpec& s, const traces::Catalog& c, const traces::TraceStore& st,
        const traces::Synthesizer& pm, const policies::PolicyRegistry& r)
      : spec(s), catalog(c), store(st), power_model(pm), registry(r), trace(st, s.precision, s.runtime) {}
  /// The cloud with the fewest queued jobs (lowest index on ties); nullptr without clouds.
  CloudServer* pick_cloud();
  void complete(const RequestRecord& record);
};

/// Whether the WAN is built with fatpipe sharing (ScenarioSpec::wan_sharing): "fatpipe", or
/// "auto" when that is exact: a constant WAN and constant access links whose bandwidths, summed
/// over this process's devices, the WAN (its share of it, when sharded) carries. Every flow to a
/// cloud crosses one access link, so the flows on the WAN then never need more than it has, its
/// constraint never binds, and max-min sharing gives every flow the same rate with or without it.
bool wan_fatpipe(const World& world);
/// Fills World::video_exit_records and video_accuracy from the scenario (workload.cpp): a file's
/// records, or the SYNTHETIC generator seeded per stream (docs/exit_records.md).
void attach_video_records(World& world);
/// Arrival streams (workload.cpp): `stream` is the scenario's stream index (for request ids).
std::unique_ptr<ArrivalStream> make_video_arrivals(const World& world, int device, int stream,
                                                   const VideoStreamSpec& video, std::uint64_t seed);
std::unique_ptr<ArrivalStream> make_request_arrivals(const World& world, int device, int stream,
                                                     const RequestStreamSpec& spec, std::uint64_t seed);
/// A source actor on the device's host: sleeps until each arrival and enqueues it.
void start_source(Device& device, std::unique_ptr<ArrivalStream> arrivals);
/// Drives a link's bandwidth process (trace replay or Markov) through `set_bandwidth_bps`.
void start_bandwidth_process(const std::string& name, sg4::Host* host, const LinkSpec& link,
                             std::function<void(double)> set_bandwidth_bps, std::uint64_t seed);
inline traces::ClockSetting to_setting(const policies::Clocks& c) {
  return {c.cpu_khz, c.gpu_hz, c.emc_hz};
}

}  // namespace edgetwin::sim::detail

// One run: platform (built in C++, no XML), devices, clouds, workload actors, results.

#include "edgetwin/sim/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <set>
#include <sstream>

#include "edgetwin/common/error.hpp"
#include "edgetwin/common/hash.hpp"
#include "edgetwin/sim/device_policies.hpp"
#include "edgetwin/sim/run_tallies.hpp"

#include "context_plan.hpp"
#include "world.hpp"

XBT_LOG_NEW_CATEGORY(edgetwin, "EdgeTwin simulator");
XBT_LOG_NEW_DEFAULT_SUBCATEGORY(edgetwin_simulation, edgetwin, "EdgeTwin run set-up and results");

namespace edgetwin::sim {

namespace fs = std::filesystem;
using detail::sg4::Engine;

traces::TraceStore load_traces_for(const ScenarioSpec& spec, const traces::Catalog& catalog,
                                   const std::string& traces_dir) {
  std::set<std::pair<std::string, std::string>> needed;
  for (const auto& g : spec.groups) {
    for (const auto& m : g.models) {
      needed.emplace(g.board, m);
      for (const auto& c : spec.clouds) needed.emplace(c.board, m);
    }
  }
  traces::TraceStore store(catalog);
  for (const auto& [board, model] : needed) {
    const fs::path file =
        fs::path(traces_dir) / board / (model + "." + spec.runtime + "." + spec.precision + ".csv");
    if (!fs::exists(file)) {
      throw std::invalid_argument("no trace for board " + board + ", model " + model + ": " + file.string() +
                                  " does not exist (run `edgetwin traces generate` or scripts/setup)");
    }
    store.add(traces::read_trace_file(file.string(), catalog));
  }
  return store;
}

namespace detail {

CloudServer* World::pick_cloud() {
  CloudServer* best = nullptr;
  for (auto& c : clouds) {
    if (best == nullptr || c->queue_length() < best->queue_length()) best = c.get();
  }
  return best;
}

void World::complete(const RequestRecord& record) {
  tally.add(record);
  if (keep_records) records.push_back(record);
  if (requests_csv.is_open()) write_request(requests_csv, record);
}

bool wan_fatpipe(const World& world) {
  const auto& spec = world.spec;
  if (spec.wan_sharing != "auto") return spec.wan_sharing == "fatpipe";
  if (spec.wan.process.kind != "constant") return false;
  double access_bps = 0;
  int device = 0;
  for (const auto& g : spec.groups) {
    for (int i = 0; i < g.count; ++i, ++device) {
      if (!world.owns_device(device)) continue;
      if (g.access.process.kind != "constant") return false;
      access_bps += g.access.bandwidth_bps;
    }
  }
  return access_bps <= spec.wan.bandwidth_bps * world.wan_share;
}

namespace {

void build_platform(World& world, std::vector<sg4::Host*>& device_hosts, std::vector<sg4::Link*>& uplinks,
                    std::vector<sg4::Host*>& cloud_hosts) {
  // One star zone: every device reaches the access point through its own link; cloud servers
  // sit behind the WAN link. Device -> cloud = access link + WAN (CM02: bytes/bandwidth + latency).
  // With fatpipe sharing the WAN is one link per device instead, on the device's side of the
  // route: same latency and per-flow bandwidth, but flows of different devices share no link, so
  // the solver no longer couples every transfer of the fleet (docs/simulation.md "Platform").
  auto* zone = sg4::create_star_zone("edgetwin");
  const bool has_wan = !world.spec.clouds.empty();
  world.wan_fatpipe = has_wan && detail::wan_fatpipe(world);
  const double wan_bytes_s = world.spec.wan.bandwidth_bps * world.wan_share / 8;
  sg4::Link* wan = nullptr;
  if (has_wan && !world.wan_fatpipe) {
    wan = zone->create_link("wan", wan_bytes_s)->set_latency(world.spec.wan.latency_s)->seal();
    world.wan_links.push_back(wan);
  }
  int device = 0;
  for (const auto& g : world.spec.groups) {
    for (int i = 0; i < g.count; ++i, ++device) {
      if (!world.owns_device(device)) continue;
      auto* host = zone->create_host("dev-" + std::to_string(device), kHostSpeedFlops)->seal();
      auto* link = zone->create_link("access-" + std::to_string(device), g.access.bandwidth_bps / 8)
                       ->set_latency(g.access.latency_s)
                       ->seal();
      std::vector<sg4::LinkInRoute> route{sg4::LinkInRoute(link)};
      if (world.wan_fatpipe) {
        world.wan_links.push_back(zone->create_link("wan-" + std::to_string(device), wan_bytes_s)
                                      ->set_latency(world.spec.wan.latency_s)
                                      ->seal());
        route.emplace_back(world.wan_links.back());
      }
      zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, route, true);
      device_hosts.push_back(host);
      uplinks.push_back(link);
    }
  }
  int cloud = 0;
  for (const auto& c : world.spec.clouds) {
    for (int i = 0; i < c.count; ++i, ++cloud) {
      if (!world.owns_cloud(cloud)) continue;
      auto* host = zone->create_host("cloud-" + std::to_string(cloud), kHostSpeedFlops)->seal();
      std::vector<sg4::LinkInRoute> route;
      if (wan != nullptr) route.emplace_back(wan);
      zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, route, true);
      cloud_hosts.push_back(host);
    }
  }
  zone->seal();
}

void start_timeline(World& world, double interval_s) {
  // Devices on the local-time fast path write their own samples while they run
  // (Device::advance_local); the actor writes theirs only once they have finished.
  auto actor = sg4::Actor::create("timeline", world.devices.front()->host(), [&world, interval_s] {
    const auto wall_start = std::chrono::steady_clock::now();
    auto last_print = wall_start;
    for (long k = 1;; ++k) {
      sg4::this_actor::sleep_until(static_cast<double>(k) * interval_s);
      const double now = Engine::get_clock();
      for (auto& dev : world.devices) {
        if (dev->timeline_actor_samples(k)) dev->sample_timeline(now, interval_s);
      }
      if (world.progress) {
        const auto wall = std::chrono::steady_clock::now();
        if (wall - last_print > std::chrono::milliseconds(500)) {
          last_print = wall;
          std::cerr << "\r[edgetwin] simulated " << std::fixed << std::setprecision(1) << now << " / "
                    << world.spec.duration_s << " s, " << world.tally.records() << " requests done, wall "
                    << std::chrono::duration<double>(wall - wall_start).count() << " s   " << std::flush;
        }
      }
    }
  });
  actor->daemonize();
}

void assign_shard(World& world, const RunOptions& options) {
  const auto& spec = world.spec;
  const int n = spec.device_count();
  const int k = options.shards;
  if (k < 1 || options.shard < 0 || options.shard >= k) {
    throw std::invalid_argument("shard " + std::to_string(options.shard) + " of " + std::to_string(k) +
                                ": the shard must be 0 .. shards - 1 and shards at least 1");
  }
  if (k > 1 && n < k) {
    throw common::DataError(spec.file, "/platform/groups",
                            std::to_string(n) + " devices cannot be split over " + std::to_string(k) +
                                " shards: use at most " + std::to_string(n) + " ranks");
  }
  int clouds = 0;
  for (const auto& c : spec.clouds) clouds += c.count;
  if (k > 1 && clouds > 0 && clouds < k) {
    throw common::DataError(spec.file, "/platform/clouds",
                            std::to_string(clouds) + " cloud server(s) cannot be partitioned over " +
                                std::to_string(k) + " shards (each shard owns whole servers): use at most " +
                                std::to_string(clouds) + " ranks, or more servers");
  }
  world.shard = options.shard;
  world.shards = k;
  world.device_begin = static_cast<int>(static_cast<long>(n) * options.shard / k);
  world.device_end = static_cast<int>(static_cast<long>(n) * (options.shard + 1) / k);
  world.wan_share = n > 0 ? static_cast<double>(world.device_end - world.device_begin) / n : 1.0;
}

// Video frames exactly, request streams at 1.1 x their mean rate (MMPP: time-weighted).
double expected_requests(const ScenarioSpec& spec, int group = -1) {
  double expected = 0;
  for (const auto& g : spec.groups) {
    if (group >= 0 && &g != &spec.groups[static_cast<std::size_t>(group)]) continue;
    for (const auto& v : spec.videos) {
      if (v.group == g.name) {
        expected +=
            g.count * std::ceil(std::max(0.0, std::min(v.duration_s, spec.duration_s - v.start_s)) * v.fps);
      }
    }
    for (const auto& r : spec.requests) {
      if (r.group != g.name) continue;
      const auto& a = r.arrival;
      const double rate = a.kind == "mmpp" && a.mean_calm_s + a.mean_burst_s > 0
                              ? (a.rate_hz * a.mean_calm_s + a.burst_rate_hz * a.mean_burst_s) /
                                    (a.mean_calm_s + a.mean_burst_s)
                              : a.rate_hz;
      expected += g.count * 1.1 * rate * std::max(0.0, std::min(r.duration_s, spec.duration_s - r.start_s));
    }
  }
  return expected;
}

void start_governor(Device& device) {
  auto actor = sg4::Actor::create("governor-" + std::to_string(device.index()), device.host(),
                                  [&device] { device.run_governor(); });
  actor->daemonize();
}

}  // namespace

void Device::run_governor() {
  auto& policy = *policy_[static_cast<int>(policies::Role::clocks)];
  const double period = policy.tick_period_s();
  double last_busy = 0, last_j = 0;
  long last_done = 0;
  // Per-domain power: the rails feeding exactly "cpu" (or "gpu"). Boards whose CPU and GPU share
  // a rail (VDD_CPU_GPU_CV on Xavier NX and Orin, cpu_cv / gpu_soc on AGX Orin) have none: NaN.
  std::vector<std::size_t> cpu_rails, gpu_rails;
  for (std::size_t r = 0; r < board_.rails.size(); ++r) {
    if (board_.rails[r].feeds == "cpu") cpu_rails.push_back(r);
    if (board_.rails[r].feeds == "gpu") gpu_rails.push_back(r);
  }
  std::vector<double> last_rail_j = meter_.rail_j();
  auto domain_power_w = [&](const std::vector<std::size_t>& rails) {
    if (rails.empty() || last_rail_j.size() != meter_.rail_j().size())
      return std::numeric_limits<double>::quiet_NaN();
    double j = 0;
    for (const auto r : rails) j += meter_.rail_j()[r] - last_rail_j[r];  // NaN stays NaN: unknown
    return j / period;
  };
  for (long k = 1;; ++k) {
    sg4::this_actor::sleep_until(static_cast<double>(k) * period);
    const double now = Engine::get_clock();
    meter_.advance(now);
    policies::TickObservation obs;
    obs.now_s = now;
    obs.period_s = period;
    obs.device = index_;
    obs.board = &board_;
    obs.clocks = has_pending_ ? pending_ : clocks_;
    // Utilisation: the busy fraction of the period (the traces do not split busy time by
    // domain, so CPU, GPU and EMC see the same load; docs/simulation.md).
    const double busy = std::min(1.0, (meter_.busy_s() - last_busy) / period);
    obs.cpu_util = obs.gpu_util = obs.emc_util = busy;
    obs.power_w = (meter_.total_j() - last_j) / period;
    obs.fps = static_cast<double>(completed_ - last_done) / period;
    obs.queue_length = queue_length();
    obs.cpu_power_w = domain_power_w(cpu_rails);
    obs.gpu_power_w = domain_power_w(gpu_rails);
    obs.cpu_temp_c = meter_.thermal().temp_c(cpu_zone_);
    obs.gpu_temp_c = meter_.thermal().temp_c(gpu_zone_);
    last_rail_j = meter_.rail_j();
    last_busy = meter_.busy_s();
    last_j = meter_.total_j();
    last_done = completed_;
    const auto action = policy.on_tick(obs);
    if (action.change && action.clocks != clocks_) {
      pending_ = action.clocks;
      has_pending_ = true;
    }
  }
}

}  // namespace detail

namespace {
// Results computed from synthetic traces say so (synthetic data is labelled wherever it appears).
bool uses_synthetic_traces(const traces::TraceStore& store) {
  for (const auto& k : store.keys()) {
    if (store.trace(k.board, k.model, k.precision, k.runtime).provenance.kind != "measured") return true;
  }
  return false;
}
}  // namespace

namespace {

namespace sg4 = detail::sg4;
using detail::CloudServer;
using detail::derive_seed;
using detail::Device;
using detail::SeedStream;
using detail::World;

/// The engine's command line: exact replay of transfers, bytes / bandwidth + latency (CM02 has no
/// correction factors and cross-traffic is off: SimGrid documentation, "Configuring SimGrid",
/// network/model); configuration notices silenced; the user's options come after, so they can
/// override.
std::vector<std::string> engine_arguments(const RunOptions& options) {
  std::vector<std::string> args{"edgetwin", "--log=xbt_cfg.thres:warning", "--cfg=network/model:CM02",
                                "--cfg=network/crosstraffic:0"};
  args.insert(args.end(), options.engine_args.begin(), options.engine_args.end());
  return args;
}

/// The SimGrid platform as built by build_platform: one host and uplink per device, one host per
/// cloud server.
struct Platform {
  std::vector<sg4::Host*> device_hosts;
  std::vector<sg4::Link*> uplinks;
  std::vector<sg4::Host*> cloud_hosts;
};

/// Opens the per-request and timeline files the scenario asks for.
void open_outputs(World& world, const ScenarioSpec& spec, const std::string& out_dir) {
  if (out_dir.empty()) return;
  fs::create_directories(out_dir);
  if (spec.outputs.requests_csv) {
    world.requests_csv.open(fs::path(out_dir) / "requests.csv");
    write_requests_header(world.requests_csv);
  }
  if (spec.outputs.timeline_csv) {
    world.timeline_csv.open(fs::path(out_dir) / "timeline.csv");
    write_timeline_header(world.timeline_csv);
  }
}

/// The devices of every group, with their policies, and the cloud servers.
void create_devices_and_clouds(World& world, const Platform& platform, const RunOptions& options) {
  const auto& spec = world.spec;
  int device = 0;
  for (std::size_t g = 0; g < spec.groups.size(); ++g) {
    const auto& group = spec.groups[g];
    const auto& board = world.catalog.board(group.board);
    for (int i = 0; i < group.count; ++i, ++device) {
      if (!world.owns_device(device)) continue;
      const auto d = static_cast<std::size_t>(device - world.device_begin);
      auto dev = std::make_unique<Device>(world, device, static_cast<int>(g), platform.device_hosts[d],
                                          platform.uplinks[d], board, group.power_mode);
      for (auto& made :
           make_device_policies(spec, g, device, world.catalog, world.registry, options.agents)) {
        dev->set_policy(made.roles, std::move(made.policy));
      }
      world.devices.push_back(std::move(dev));
    }
  }
  int cloud = 0;
  for (const auto& c : spec.clouds) {
    for (int i = 0; i < c.count; ++i, ++cloud) {
      if (!world.owns_cloud(cloud)) continue;
      world.clouds.push_back(std::make_unique<CloudServer>(
          world, cloud, platform.cloud_hosts[world.clouds.size()], world.catalog.board(c.board)));
    }
  }
}

/// Request ids pack (device, stream, sequence) into a long (workload.cpp); refuses scenarios too
/// large for that.
void check_request_id_range(const World& world) {
  const auto& spec = world.spec;
  const std::size_t streams = spec.videos.size() + spec.requests.size();
  if (streams > static_cast<std::size_t>(detail::kMaxStreams) ||
      world.devices.size() > static_cast<std::size_t>(std::numeric_limits<long>::max() /
                                                      detail::kMaxSequence / detail::kMaxStreams)) {
    throw std::invalid_argument("scenario '" + spec.name + "': " + std::to_string(world.devices.size()) +
                                " devices and " + std::to_string(streams) +
                                " workload streams do not fit request ids (at most " +
                                std::to_string(detail::kMaxStreams) + " streams)");
  }
}

/// A device's arrival streams, in the scenario's stream order (the stream index is part of the
/// request ids and of the streams' seeds).
std::vector<std::unique_ptr<detail::ArrivalStream>> arrival_streams(const World& world, const Device& dev) {
  const auto& spec = world.spec;
  const auto& group = spec.groups[static_cast<std::size_t>(dev.group())];
  const auto d = static_cast<std::uint64_t>(dev.index());
  std::vector<std::unique_ptr<detail::ArrivalStream>> streams;
  std::uint64_t stream = 0;
  for (const auto& v : spec.videos) {
    if (v.group == group.name) {
      streams.push_back(detail::make_video_arrivals(world, dev.index(), static_cast<int>(stream), v,
                                                    derive_seed(spec.seed, SeedStream::video, d, stream)));
    }
    ++stream;
  }
  for (const auto& r : spec.requests) {
    if (r.group == group.name) {
      streams.push_back(
          detail::make_request_arrivals(world, dev.index(), static_cast<int>(stream), r,
                                        derive_seed(spec.seed, SeedStream::requests, d, stream)));
    }
    ++stream;
  }
  return streams;
}

/// Starts every actor: per device its arrivals (source actors on the per-activity path, the
/// controller itself on the local-time fast path), its bandwidth process, its controller or
/// serving instances and its governor; then the cloud servers and the WAN's bandwidth process.
/// Returns the number of devices on the fast path.
int start_actors(World& world, const Platform& platform, const RunOptions& options) {
  const auto& spec = world.spec;
  int local_devices = 0;
  // Consecutive engine-free devices (Device::engine_free) share one actor: it runs them one after
  // the other, each to its end in its own clock, where each would have run in its own actor
  // (same order: nothing else starts between them), then waits for the latest end. A device's
  // arrival streams (each with its generator's state) exist only while it runs.
  std::vector<Device*> shared;
  auto start_shared = [&shared, &world] {
    if (shared.empty()) return;
    sg4::Actor::create("controllers-" + std::to_string(shared.front()->index()), shared.front()->host(),
                       [devices = shared, &world] {
                         double end_s = 0;
                         for (Device* d : devices) {
                           for (auto& s : arrival_streams(world, *d)) d->add_local_arrivals(std::move(s));
                           d->run_local_controller(false);
                           d->release_local_arrivals();
                           end_s = std::max(end_s, d->local_now_s());
                         }
                         if (end_s > Engine::get_clock()) sg4::this_actor::sleep_until(end_s);
                       });
    shared.clear();
  };
  for (auto& dev : world.devices) {
    const auto& group = spec.groups[static_cast<std::size_t>(dev->group())];
    const bool local = options.fast_path && dev->local_time_eligible();
    if (local && dev->engine_free()) {
      ++local_devices;
      shared.push_back(dev.get());
      continue;
    }
    start_shared();
    dev->create_queue_sync();
    for (auto& s : arrival_streams(world, *dev)) {
      if (local)
        dev->add_local_arrivals(std::move(s));
      else
        detail::start_source(*dev, std::move(s));
    }
    Device* raw = dev.get();
    detail::start_bandwidth_process(
        "bandwidth-" + std::to_string(dev->index()), dev->host(), group.access,
        [raw](double bps) { raw->set_uplink_bandwidth(bps); },
        derive_seed(spec.seed, SeedStream::access_bandwidth, static_cast<std::uint64_t>(dev->index())));
    if (dev->serving()) {
      dev->start_serving();
    } else if (local) {
      world.offloads.add_producer();
      ++local_devices;
      sg4::Actor::create("controller-" + std::to_string(dev->index()), dev->host(),
                         [raw] { raw->run_local_controller(); });
    } else {
      world.offloads.add_producer();
      sg4::Actor::create("controller-" + std::to_string(dev->index()), dev->host(),
                         [raw] { raw->run_controller(); });
    }
    if (dev->ticks()) detail::start_governor(*dev);
  }
  start_shared();
  if (!world.wan_links.empty() && !platform.cloud_hosts.empty()) {
    detail::start_bandwidth_process(
        "bandwidth-wan", platform.cloud_hosts.front(), spec.wan,
        [links = &world.wan_links, share = world.wan_share](double bps) {
          for (sg4::Link* wan : *links) wan->set_bandwidth(bps * share / 8);
        },
        derive_seed(spec.seed, SeedStream::wan_bandwidth, 0));
  }
  return local_devices;
}

/// Every device's totals at `end_s` (its meter integrated up to then).
std::vector<DeviceTotals> device_totals(World& world, double end_s) {
  std::vector<DeviceTotals> totals;
  totals.reserve(world.devices.size());
  for (auto& dev : world.devices) {
    dev->meter().advance(end_s);
    const auto& m = dev->meter();
    DeviceTotals t;
    t.device = dev->index();
    t.group = dev->group();
    t.energy_j = m.total_j();
    t.idle_j = m.idle_j();
    t.busy_j = m.busy_j();
    t.transition_j = m.transition_j();
    t.radio_j = m.radio_j();
    t.clock_changes = dev->clock_changes();
    t.rail_j = m.rail_j();
    t.max_cpu_temp_c = dev->max_cpu_temp_c();
    t.max_gpu_temp_c = dev->max_gpu_temp_c();
    t.dropped = dev->dropped();
    if (m.state() == PowerState::idle) {
      t.end_idle_w = m.power_w();
      t.end_rail_w = m.rail_w();
    }
    totals.push_back(std::move(t));
  }
  return totals;
}

/// What the summary (and slots.csv) of the finished run is made of beside its record tally: the
/// scenario, the groups' rails, device sums and memory caps; `with_requests` adds the tally's
/// request sums, latencies and the scenario hash (a shard's tallies for `edgetwin merge`, docs/results.md).
RunTallies run_tallies(World& world, const RunOptions& options, double end_s, bool synthetic,
                       const std::vector<DeviceTotals>& totals, bool with_requests) {
  const auto& spec = world.spec;
  RunTallies t;
  t.scenario = spec.name;
  t.seed = spec.seed;
  t.duration_s = spec.duration_s;
  t.simulated_end_s = end_s;
  t.synthetic_traces = synthetic;
  t.shard = options.shard;
  t.shards = options.shards;
  // Only a shard's tallies need it (edgetwin merge checks that they are of one run).
  if (with_requests) t.scenario_hash = std::to_string(common::fnv1a64(spec.resolved.dump()));
  t.overall.end_s = end_s;
  bool any_serving = false;
  for (std::size_t gi = 0; gi < spec.groups.size(); ++gi) {
    const auto& group = spec.groups[gi];
    GroupTally g;
    g.name = group.name;
    for (const auto& rail : world.catalog.board(group.board).rails) g.rails.push_back(rail.name);
    g.devices = DeviceSums(g.rails.size());
    g.devices.end_s = end_s;
    g.serving = group.serving_group();
    any_serving = any_serving || g.serving;
    const auto& u = group.serving.utility;
    g.utility = {u.throughput_scale_hz, u.latency_weight, u.slo_penalty};
    g.slot_s = u.slot_s;
    if (g.serving) {
      for (const auto& m : world.tally.models(static_cast<int>(gi))) {
        ModelTally model;
        model.model = m.name;
        if (with_requests) {
          model.tally = m.total;
          model.latencies = m.latencies_s;
          model.slots = m.slots;
        }
        g.models.push_back(std::move(model));
      }
    }
    if (with_requests) {
      g.requests = world.tally.scope(static_cast<int>(gi));
      g.latencies = world.tally.latencies(static_cast<int>(gi));
    }
    t.groups.push_back(std::move(g));
  }
  t.slots_csv = any_serving && spec.outputs.requests_csv;
  for (const auto& d : totals) {
    t.overall.add(d);
    t.groups.at(static_cast<std::size_t>(d.group)).devices.add(d);
  }
  for (const auto& dev : world.devices) {
    auto& g = t.groups.at(static_cast<std::size_t>(dev->group()));
    if (!g.serving) continue;
    for (const auto& [model, capped] : dev->memory_capped_actions()) {
      for (auto& m : g.models) {
        if (m.model != model) continue;
        m.memory_capped_actions += capped;
        m.has_devices = true;
      }
    }
  }
  return t;
}

/// The summary and counters of a finished run; moves the request records out of `world`.
RunResult collect_results(World& world, const RunTallies& info, int local_devices) {
  RunResult result;
  result.simulated_end_s = info.simulated_end_s;
  result.summary = run_summary(world.tally, info);
  result.activities = world.activities;
  result.local_activities = world.local_activities;
  result.local_time_devices = local_devices;
  result.records = world.tally.records();
  result.requests = std::move(world.records);
  return result;
}

/// Writes `text` to `path`, or throws naming the file.
void write_text_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) throw std::runtime_error(path.string() + ": cannot write the file");
}

}  // namespace

RunResult run_simulation(const ScenarioSpec& spec, const traces::Catalog& catalog,
                         const traces::TraceStore& store, const traces::Synthesizer& power_model,
                         const policies::PolicyRegistry& registry, const RunOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  // A backend this build cannot run is refused before anything starts (never replayed instead).
  if (const auto errors = check_backends(spec); !errors.empty()) throw errors.front();
  // Set-up: the engine, the platform, the devices with their policies, the actors.
  std::vector<std::string> args = engine_arguments(options);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  Engine engine(&argc, argv.data());

  World world(spec, catalog, store, power_model, registry);
  world.progress = options.progress;
  world.keep_records = options.keep_records;
  world.tally = RecordTally(static_cast<int>(spec.groups.size()));
  for (std::size_t g = 0; g < spec.groups.size(); ++g) {
    if (spec.groups[g].serving_group())
      world.tally.track_models(static_cast<int>(g), spec.groups[g].models, spec.duration_s,
                               spec.groups[g].serving.utility.slot_s);
  }
  detail::assign_shard(world, options);
  // A "hil" group's board: connected before anything starts (a missing daemon fails here).
  for (std::size_t g = 0; g < spec.groups.size(); ++g) {
    if (spec.groups[g].backend != "hil") continue;
    world.hil[static_cast<int>(g)] = std::make_unique<detail::HilBackend>(
        "tcp://" + spec.groups[g].hil_endpoint, options.hil_keys_dir, catalog.board(spec.groups[g].board),
        world.trace, options.hil_timeout_s);
  }
  world.element_bytes = spec.precision == "fp16" ? 2 : spec.precision == "int8" ? 1 : 4;
  detail::attach_video_records(world);
  Platform platform;
  detail::build_platform(world, platform.device_hosts, platform.uplinks, platform.cloud_hosts);
  XBT_VERB("WAN: %s (sharing \"%s\")", world.wan_fatpipe ? "one fatpipe link per device" : "one shared link",
           spec.wan_sharing.c_str());
  open_outputs(world, spec, options.out_dir);
  create_devices_and_clouds(world, platform, options);
  check_request_id_range(world);
  // Before the first actor: do their stacks fit the process's memory mappings?
  const detail::ContextPlan contexts = detail::plan_contexts(world, options);
  if (!contexts.note.empty()) std::cerr << "note: " << contexts.note << "\n";
  const int local_devices = start_actors(world, platform, options);
  XBT_VERB("%d of %zu devices run in local time (fast path)", local_devices, world.devices.size());
  // Room for the expected requests up front: no reallocation copies, and a peak of one records
  // array instead of two while the last one grows (10,000 devices: millions of records). Past
  // 16 M records the vector grows as it needs.
  const double owned_share =
      static_cast<double>(world.device_end - world.device_begin) / std::max(1, spec.device_count());
  if (world.keep_records)
    world.records.reserve(
        static_cast<std::size_t>(std::min(detail::expected_requests(spec) * owned_share, 16e6)));
  // The tally's latencies likewise (8 B each: 100,000 devices x 600 frames = 480 MB, once); past
  // 128 M (1 GB) the vector grows as it needs, so that a huge estimate never reserves more.
  for (std::size_t g = 0; g < spec.groups.size(); ++g) {
    world.tally.reserve(static_cast<int>(g),
                        static_cast<std::size_t>(std::min(
                            detail::expected_requests(spec, static_cast<int>(g)) * owned_share, 128e6)));
  }
  if (!world.devices.empty()) detail::start_timeline(world, spec.outputs.timeline_interval_s);
  const long started_actors = static_cast<long>(engine.get_actor_count());

  // Run.
  engine.run();
  if (options.progress) std::cerr << "\n";
  // A lost board link ended every actor: keep what finished (requests.csv, the hil report) and
  // report the failure.
  nlohmann::json hil_reports = nlohmann::json::object();
  std::string hil_failure;
  for (const auto& [g, backend] : world.hil) {
    hil_reports[spec.groups[static_cast<std::size_t>(g)].name] =
        detail::write_hil_report(*backend, options.out_dir);
    if (hil_failure.empty()) hil_failure = backend->failure();
  }
  if (!hil_failure.empty()) {
    if (world.requests_csv.is_open()) world.requests_csv.flush();
    throw std::runtime_error(hil_failure + "; the run stopped at " + std::to_string(Engine::get_clock()) +
                             " s with " + std::to_string(world.tally.records()) + " requests finished" +
                             (options.out_dir.empty()
                                  ? std::string()
                                  : " (in " + options.out_dir + "/requests.csv, hil_units.csv)"));
  }

  // Results.
  const double end_s = Engine::get_clock();
  const auto totals = device_totals(world, end_s);
  const bool synthetic = uses_synthetic_traces(store);
  const RunTallies tallies = run_tallies(world, options, end_s, synthetic, totals, false);
  RunResult result = collect_results(world, tallies, local_devices);
  result.planned_actors = contexts.actors;
  result.started_actors = started_actors;
  result.guard_pages = contexts.guard_pages;
  if (!world.hil.empty()) result.summary["hil"] = hil_reports;
  if (!options.out_dir.empty()) {
    write_text_file(fs::path(options.out_dir) / "summary.json", result.summary.dump(2) + "\n");
    write_text_file(fs::path(options.out_dir) / "scenario.resolved.json", spec.resolved.dump(2) + "\n");
    if (tallies.slots_csv) {
      // Per slot, group and model of the serving groups (docs/results.md, "slots.csv").
      std::ostringstream slots;
      write_slots_header(slots);
      for (std::size_t g = 0; g < spec.groups.size(); ++g) {
        if (!spec.groups[g].serving_group()) continue;
        const auto& u = spec.groups[g].serving.utility;
        write_slots(slots, world.tally, static_cast<int>(g), spec.groups[g].name,
                    {u.throughput_scale_hz, u.latency_weight, u.slo_penalty});
      }
      write_text_file(fs::path(options.out_dir) / "slots.csv", slots.str());
    }
    // A shard's tallies, which `edgetwin merge` adds up (docs/performance.md "Sharding").
    if (options.shards > 1 || options.write_tallies)
      write_tallies(run_tallies(world, options, end_s, synthetic, totals, true), options.out_dir);
  }
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result;
}

}  // namespace edgetwin::sim

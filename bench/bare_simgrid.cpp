// The bare SimGrid baseline of edgetwin_sim_bench: the same platform (one star zone, CM02 without
// cross-traffic, 1 Gflop/s hosts, one access link per device, cloud hosts behind a WAN link) and
// the same activities, with none of EdgeTwin's machinery (no queues, policies, trace lookups,
// energy meters or records). One actor per device sleeps until each frame's arrival, like a video
// source, then issues what EdgeTwin issues for that frame:
//   edge_only:  one execute of the frame's total latency (EdgeTwin replays the units of a frame at
//               unchanged clocks as one activity);
//   cloud_only: an upload (Comm::sendto device -> cloud), one execute on the cloud host, a
//               download (cloud -> device).
//   split:      the device part (one execute of --edge-s on the device; none when --edge-s is 0),
//               then as cloud_only: upload, cloud execute, download (bench/run_offload_bench.sh:
//               EdgeTwin's fixed_split fleet; the device's actor waits for its frame's result,
//               which at the bench's rates ends long before the next frame).
// Cloud hosts: frame k of device d goes to cloud d mod --clouds (EdgeTwin: the least loaded one);
// concurrent executions on one cloud host share it (EdgeTwin's server runs them FIFO): the same
// activities, not the same schedule.
// Prints the same RESULT line as edgetwin_sim_bench.
//
// --shape queue (edge_only) splits the work the way EdgeTwin's actors do, still without the rest
// of its machinery: a source actor per device pushes each frame into a deque under an s4u::Mutex
// and notifies an s4u::ConditionVariable; a controller actor per device waits on it and executes.
// The difference between the two shapes is the cost of that synchronisation, not of EdgeTwin.
//
//   edgetwin_bare_simgrid --devices N --fps F --duration S --edge-s L [--placement cloud_only|split
//                         --clouds C --cloud-s L --up-bytes B --down-bytes B] [--shape direct|queue]
//                         [--access-bps BITS/S --access-latency S --wan-bps BITS/S --wan-latency S]
//                         [--wan shared|per-device] [--comm sendto|mailbox] [--cfg=... --log=...]
// --wan per-device: no shared WAN link; each device's route has its own link with the WAN's
// bandwidth and latency (EdgeTwin's "wan": {"sharing": "fatpipe"}, docs/simulation.md).
// --comm mailbox (cloud_only, split): the transfers as mailbox communications between the
// device's actor and a second actor per device on its cloud host, which receives the upload,
// executes and sends the result back (what EdgeTwin's offloads do, sim/core/src/cloud_server.hpp),
// instead of host-to-host Comm::sendto, which SimGrid 3.32 detaches and keeps in one list that it
// scans whole at each transfer's end (docs/performance.md "Offload-heavy fleets").

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include <sys/resource.h>

namespace sg4 = simgrid::s4u;

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kSpeed = 1e9;  // flop/s, as EdgeTwin's hosts

struct Options {
  int devices = 1;
  double fps = 30;
  double duration_s = 3600;
  bool cloud = false;
  bool split = false;  ///< --placement split: the device part first (when edge_s > 0)
  double access_bps = 100e6;
  double access_latency_s = 0.002;
  double wan_bps = 10e9;
  double wan_latency_s = 0.01;
  bool wan_per_device = false;
  bool mailbox = false;  ///< --comm mailbox
  int clouds = 0;
  double edge_s = 0.01;
  double cloud_s = 0.002;
  double up_bytes = 602112;
  double down_bytes = 4000;
  bool queue = false;  ///< --shape queue: source + controller actors with a mutex and a condition variable
  std::vector<std::string> engine_args;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--cfg=", 0) == 0 || a.rfind("--log=", 0) == 0) {
      o.engine_args.push_back(a);
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument("missing value after " + a);
    const std::string v = argv[++i];
    if (a == "--devices")
      o.devices = std::stoi(v);
    else if (a == "--fps")
      o.fps = std::stod(v);
    else if (a == "--duration")
      o.duration_s = std::stod(v);
    else if (a == "--placement") {
      if (v != "edge_only" && v != "cloud_only" && v != "split")
        throw std::invalid_argument("--placement: found " + v + ", allowed: edge_only, cloud_only, split");
      o.cloud = v != "edge_only";
      o.split = v == "split";
    } else if (a == "--access-bps")
      o.access_bps = std::stod(v);
    else if (a == "--access-latency")
      o.access_latency_s = std::stod(v);
    else if (a == "--wan-bps")
      o.wan_bps = std::stod(v);
    else if (a == "--wan-latency")
      o.wan_latency_s = std::stod(v);
    else if (a == "--wan") {
      if (v != "shared" && v != "per-device")
        throw std::invalid_argument("--wan: found " + v + ", allowed: shared, per-device");
      o.wan_per_device = v == "per-device";
    } else if (a == "--comm") {
      if (v != "sendto" && v != "mailbox")
        throw std::invalid_argument("--comm: found " + v + ", allowed: sendto, mailbox");
      o.mailbox = v == "mailbox";
    } else if (a == "--clouds")
      o.clouds = std::stoi(v);
    else if (a == "--edge-s")
      o.edge_s = std::stod(v);
    else if (a == "--cloud-s")
      o.cloud_s = std::stod(v);
    else if (a == "--up-bytes")
      o.up_bytes = std::stod(v);
    else if (a == "--down-bytes")
      o.down_bytes = std::stod(v);
    else if (a == "--shape")
      o.queue = v == "queue";
    else
      throw std::invalid_argument("unknown option " + a);
  }
  if (o.cloud && o.clouds <= 0) o.clouds = std::max(1, o.devices / 100);
  return o;
}

long g_frames = 0;
long g_activities = 0;

// --shape queue: what EdgeTwin's video source and device controller do per frame, minus the rest.
struct Queue {
  std::deque<double> frames;  // arrival times
  bool done = false;
  sg4::MutexPtr mutex = sg4::Mutex::create();
  sg4::ConditionVariablePtr cv = sg4::ConditionVariable::create();
};

void start_queue_device(const std::string& name, sg4::Host* host, double fps, double duration_s,
                        double edge_s) {
  auto queue = std::make_shared<Queue>();
  sg4::Actor::create("source-" + name, host, [queue, fps, duration_s] {
    const double period = 1.0 / fps;
    for (long k = 0;; ++k) {
      const double t = static_cast<double>(k) * period;
      if (t >= duration_s) break;
      sg4::this_actor::sleep_until(t);
      const std::unique_lock<sg4::Mutex> lock(*queue->mutex);
      queue->frames.push_back(t);
      queue->cv->notify_one();
    }
    const std::unique_lock<sg4::Mutex> lock(*queue->mutex);
    queue->done = true;
    queue->cv->notify_one();
  });
  sg4::Actor::create("controller-" + name, host, [queue, edge_s] {
    while (true) {
      {
        std::unique_lock<sg4::Mutex> lock(*queue->mutex);
        queue->cv->wait(lock, [&queue] { return !queue->frames.empty() || queue->done; });
        if (queue->frames.empty()) break;
        queue->frames.pop_front();
      }
      sg4::this_actor::execute(edge_s * kSpeed);
      g_activities += 1;
      ++g_frames;
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "edgetwin_bare_simgrid: " << e.what() << "\n";
    return 1;
  }
  const auto start = Clock::now();
  std::vector<std::string> args{"bare"};
  args.insert(args.end(), o.engine_args.begin(), o.engine_args.end());
  std::vector<char*> argv_sg;
  for (auto& a : args) argv_sg.push_back(a.data());
  int argc_sg = static_cast<int>(argv_sg.size());
  sg4::Engine engine(&argc_sg, argv_sg.data());
  sg4::Engine::set_config("network/model:CM02");
  sg4::Engine::set_config("network/crosstraffic:0");

  auto* zone = sg4::create_star_zone("bare");
  std::vector<sg4::Host*> devices, clouds;
  const bool per_device_wan = o.cloud && o.wan_per_device;
  for (int d = 0; d < o.devices; ++d) {
    auto* host = zone->create_host("dev-" + std::to_string(d), kSpeed)->seal();
    auto* link = zone->create_link("access-" + std::to_string(d), o.access_bps / 8)
                     ->set_latency(o.access_latency_s)
                     ->seal();
    std::vector<sg4::LinkInRoute> route{sg4::LinkInRoute(link)};
    if (per_device_wan) {
      route.emplace_back(
          zone->create_link("wan-" + std::to_string(d), o.wan_bps / 8)->set_latency(o.wan_latency_s)->seal());
    }
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, route, true);
    devices.push_back(host);
  }
  if (o.cloud) {
    sg4::Link* wan = nullptr;
    if (!per_device_wan) wan = zone->create_link("wan", o.wan_bps / 8)->set_latency(o.wan_latency_s)->seal();
    for (int c = 0; c < o.clouds; ++c) {
      auto* host = zone->create_host("cloud-" + std::to_string(c), kSpeed)->seal();
      std::vector<sg4::LinkInRoute> route;
      if (wan != nullptr) route.emplace_back(wan);
      zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, route, true);
      clouds.push_back(host);
    }
  }
  zone->seal();

  const Options& opt = o;
  for (int d = 0; d < o.devices; ++d) {
    sg4::Host* dev = devices[static_cast<std::size_t>(d)];
    sg4::Host* cloud = opt.cloud ? clouds[static_cast<std::size_t>(d % opt.clouds)] : nullptr;
    if (opt.queue && cloud == nullptr) {
      start_queue_device(std::to_string(d), dev, opt.fps, opt.duration_s, opt.edge_s);
      continue;
    }
    sg4::Mailbox* mailbox = nullptr;
    if (opt.mailbox && cloud != nullptr) {
      mailbox = sg4::Mailbox::by_name("offload-" + std::to_string(d));
      sg4::Actor::create("cloud-" + std::to_string(d), cloud, [&opt, mailbox] {
        while (true) {
          void* frame = nullptr;
          mailbox->get_init()->set_dst_data(&frame, sizeof(void*))->wait();
          sg4::this_actor::execute(opt.cloud_s * kSpeed);
          mailbox->put_init(frame, static_cast<std::uint64_t>(opt.down_bytes))->wait();
        }
      })->daemonize();
    }
    sg4::Actor::create("device-" + std::to_string(d), dev, [&opt, dev, cloud, mailbox] {
      const double period = 1.0 / opt.fps;
      for (long k = 0;; ++k) {
        const double t = static_cast<double>(k) * period;
        if (t >= opt.duration_s) break;
        sg4::this_actor::sleep_until(t);
        if (cloud == nullptr) {
          sg4::this_actor::execute(opt.edge_s * kSpeed);
          g_activities += 1;
        } else {
          if (opt.split && opt.edge_s > 0) {
            sg4::this_actor::execute(opt.edge_s * kSpeed);
            g_activities += 1;
          }
          if (mailbox != nullptr) {
            long frame_id = k;
            mailbox->put_init(&frame_id, static_cast<std::uint64_t>(opt.up_bytes))->wait();
            void* result = nullptr;
            mailbox->get_init()->set_dst_data(&result, sizeof(void*))->wait();
          } else {
            sg4::Comm::sendto(dev, cloud, static_cast<std::uint64_t>(opt.up_bytes));
            sg4::Exec::init()->set_host(cloud)->set_flops_amount(opt.cloud_s * kSpeed)->start()->wait();
            sg4::Comm::sendto(cloud, dev, static_cast<std::uint64_t>(opt.down_bytes));
          }
          g_activities += 3;
        }
        ++g_frames;
      }
    });
  }
  engine.run();
  const double sim_s = sg4::Engine::get_clock();
  const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "RESULT impl=%s devices=%d frames=%ld activities=%ld sim_s=%.6f wall_s=%.6f peak_rss_mb=%.1f "
      "setup_s=0\n",
      o.queue ? "bare-queue"
              : (o.split && o.edge_s <= 0 ? (o.mailbox ? "bare-offload-mailbox" : "bare-offload") : "bare"),
      o.devices, g_frames, g_activities, sim_s, wall_s, static_cast<double>(usage.ru_maxrss) / 1024.0);
  return 0;
}

// Workload and network actors: video sources (frames with a content-complexity process),
// request sources (Poisson and two-state MMPP arrivals over a model mix), and access-link
// bandwidth processes (trace replay and two-state Markov), all seeded per actor.

#include <algorithm>
#include <functional>

#include "world.hpp"

namespace edgetwin::sim::detail {

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t kind, std::uint64_t a, std::uint64_t b) {
  // splitmix64 over the four values: independent, reproducible streams per actor.
  auto mix = [](std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  return mix(mix(mix(mix(seed) ^ kind) ^ a) ^ b);
}

namespace {

double end_of(double start_s, double duration_s, double scenario_s) {
  return duration_s < 0 ? scenario_s : std::min(scenario_s, start_s + duration_s);
}

}  // namespace

void start_video_source(World& world, Device& device, const VideoStreamSpec& video, std::uint64_t seed) {
  const traces::Model* model = &world.catalog.model(video.model);
  device.source_started();
  sg4::Actor::create("video-" + video.name + "-" + std::to_string(device.index()), device.host(),
                     [&world, &device, video, model, seed] {
                       std::mt19937_64 rng(seed);
                       std::normal_distribution<double> noise(0.0, video.complexity.jitter);
                       std::normal_distribution<double> level_draw(video.complexity.mean,
                                                                   video.complexity.scene_spread);
                       std::exponential_distribution<double> scene_gap(
                           std::max(1e-12, video.complexity.scene_change_rate_hz));
                       const double end = end_of(video.start_s, video.duration_s, world.spec.duration_s);
                       double level = std::clamp(level_draw(rng), 0.0, 1.0);
                       double next_scene = video.start_s + scene_gap(rng);
                       const double period = 1.0 / video.fps;
                       // Frame k at start + k * period (no accumulated rounding drift).
                       for (long k = 0;; ++k) {
                         const double t = video.start_s + static_cast<double>(k) * period;
                         if (t >= end) break;
                         sg4::this_actor::sleep_until(t);
                         while (t >= next_scene) {
                           level = std::clamp(level_draw(rng), 0.0, 1.0);
                           next_scene += scene_gap(rng);
                         }
                         Request r;
                         r.id = world.next_request_id++;
                         r.device = device.index();
                         r.model = model;
                         r.stream = video.name;
                         r.arrival_s = t;
                         r.slo_s = video.slo_s;
                         r.complexity = std::clamp(level + noise(rng), 0.0, 1.0);
                         device.enqueue(std::move(r));
                       }
                       device.source_finished();
                     });
}

void start_request_source(World& world, Device& device, const RequestStreamSpec& stream, std::uint64_t seed) {
  std::vector<const traces::Model*> models;
  std::vector<double> weights, slos;
  for (const auto& share : stream.mix) {
    models.push_back(&world.catalog.model(share.model));
    weights.push_back(share.weight);
    slos.push_back(share.slo_s);
  }
  device.source_started();
  sg4::Actor::create("requests-" + stream.name + "-" + std::to_string(device.index()), device.host(),
                     [&world, &device, stream, models, weights, slos, seed] {
                       std::mt19937_64 rng(seed);
                       std::discrete_distribution<int> pick(weights.begin(), weights.end());
                       const bool mmpp = stream.arrival.kind == "mmpp";
                       bool burst = false;
                       double state_end = mmpp ? std::exponential_distribution<double>(
                                                     1.0 / std::max(1e-12, stream.arrival.mean_calm_s))(rng)
                                               : 1e300;
                       state_end += stream.start_s;
                       const double end = end_of(stream.start_s, stream.duration_s, world.spec.duration_s);
                       double t = stream.start_s;
                       while (true) {
                         const double rate = burst ? stream.arrival.burst_rate_hz : stream.arrival.rate_hz;
                         const double gap = std::exponential_distribution<double>(std::max(1e-12, rate))(rng);
                         if (mmpp && t + gap >= state_end) {
                           // Memoryless: at a state change, draw the next gap afresh at the new rate.
                           t = state_end;
                           burst = !burst;
                           const double mean = burst ? stream.arrival.mean_burst_s : stream.arrival.mean_calm_s;
                           state_end = t + std::exponential_distribution<double>(1.0 / std::max(1e-12, mean))(rng);
                           if (t >= end) break;
                           continue;
                         }
                         t += gap;
                         if (t >= end) break;
                         sg4::this_actor::sleep_until(t);
                         const int m = pick(rng);
                         Request r;
                         r.id = world.next_request_id++;
                         r.device = device.index();
                         r.model = models[static_cast<std::size_t>(m)];
                         r.stream = stream.name;
                         r.arrival_s = t;
                         r.slo_s = slos[static_cast<std::size_t>(m)];
                         device.enqueue(std::move(r));
                       }
                       device.source_finished();
                     });
}

void start_bandwidth_process(const std::string& name, sg4::Host* host, const LinkSpec& link,
                             std::function<void(double)> set_bandwidth_bps, std::uint64_t seed) {
  if (link.process.kind == "constant") return;
  auto actor = sg4::Actor::create(name, host, [link, set = std::move(set_bandwidth_bps), seed] {
    const auto& p = link.process;
    if (p.kind == "markov") {
      std::mt19937_64 rng(seed);
      bool good = true;
      while (true) {
        set(good ? p.good_bandwidth_bps : p.bad_bandwidth_bps);
        const double mean = good ? p.mean_good_s : p.mean_bad_s;
        sg4::this_actor::sleep_for(std::exponential_distribution<double>(1.0 / std::max(1e-12, mean))(rng));
        good = !good;
      }
    }
    // "trace": each row's bandwidth from its time on. With `loop`, the cycle lasts until the last
    // row has held as long as the interval before it, then starts over (docs/scenarios.md).
    const auto& rows = p.trace;
    if (rows.empty()) return;
    const double last_hold = rows.size() > 1 ? rows.back().time_s - rows[rows.size() - 2].time_s : 0.0;
    const double cycle = rows.back().time_s + last_hold;
    for (long k = 0;; ++k) {
      const double offset = static_cast<double>(k) * cycle;
      for (const auto& row : rows) {
        sg4::this_actor::sleep_until(offset + row.time_s);
        set(row.bandwidth_bps);
      }
      if (!p.loop || cycle <= 0) return;
    }
  });
  actor->daemonize();
}

}  // namespace edgetwin::sim::detail

// Workloads and network processes: arrival streams of video frames (with a content-complexity
// process) and of requests (Poisson and two-state MMPP arrivals over a model mix), the source
// actors that replay them, and access-link bandwidth processes (trace replay and two-state
// Markov), all seeded per device and stream.

#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>

#include "edgetwin/common/hash.hpp"

#include "world.hpp"

namespace edgetwin::sim::detail {

std::uint64_t derive_seed(std::uint64_t seed, SeedStream stream, std::uint64_t a, std::uint64_t b) {
  // splitmix64 over the four values: independent, reproducible streams per actor.
  using common::splitmix64;
  return splitmix64(splitmix64(splitmix64(splitmix64(seed) ^ static_cast<std::uint64_t>(stream)) ^ a) ^ b);
}

namespace {

double end_of(double start_s, double duration_s, double scenario_s) {
  return duration_s < 0 ? scenario_s : std::min(scenario_s, start_s + duration_s);
}

}  // namespace

long request_id(int device, int stream, long sequence) {
  if (sequence >= kMaxSequence) {
    throw std::length_error("device " + std::to_string(device) + ", stream " + std::to_string(stream) +
                            ": more than " + std::to_string(kMaxSequence) +
                            " arrivals (request ids would collide)");
  }
  return (static_cast<long>(device) * kMaxStreams + stream) * kMaxSequence + sequence;
}

namespace {

// Frame k at start + k / fps (no accumulated rounding drift); complexity: a scene level drawn
// at each scene change (Poisson), plus per-frame noise.
class VideoArrivals : public ArrivalStream {
 public:
  VideoArrivals(const World& world, int device, int stream, const VideoStreamSpec& video, std::uint64_t seed)
      : ArrivalStream("video-" + video.name + "-" + std::to_string(device)),
        video_(video),
        model_(&world.catalog.model(video.model)),
        device_(device),
        stream_(stream),
        rng_(seed),
        noise_(0.0, video.complexity.jitter),
        level_draw_(video.complexity.mean, video.complexity.scene_spread),
        scene_gap_(std::max(1e-12, video.complexity.scene_change_rate_hz)),
        end_s_(end_of(video.start_s, video.duration_s, world.spec.duration_s)),
        period_s_(1.0 / video.fps) {
    const auto index = static_cast<std::size_t>(stream);
    if (index < world.video_accuracy.size()) accuracy_ = world.video_accuracy[index];
    if (index < world.video_exit_records.size()) records_ = world.video_exit_records[index].get();
    level_ = std::clamp(level_draw_(rng_), 0.0, 1.0);
    next_scene_s_ = video.start_s + scene_gap_(rng_);
  }

  bool next(Request& r) override {
    r = Request();
    const double t = video_.start_s + static_cast<double>(k_) * period_s_;
    if (t >= end_s_) return false;
    while (t >= next_scene_s_) {
      level_ = std::clamp(level_draw_(rng_), 0.0, 1.0);
      next_scene_s_ += scene_gap_(rng_);
    }
    r.id = request_id(device_, stream_, k_);
    r.device = device_;
    r.model = model_;
    r.stream = video_.name;
    r.arrival_s = t;
    r.slo_s = video_.slo_s;
    r.complexity = std::clamp(level_ + noise_(rng_), 0.0, 1.0);
    r.queue_limit = video_.queue_limit;
    r.accuracy_table = accuracy_;
    r.exit_records = records_;
    if (records_ != nullptr) r.exit_record_key = records_->frame_key(device_, static_cast<std::uint64_t>(k_));
    ++k_;
    return true;
  }

 private:
  VideoStreamSpec video_;
  const traces::Model* model_;
  int device_, stream_;
  std::mt19937_64 rng_;
  std::normal_distribution<double> noise_;
  std::normal_distribution<double> level_draw_;
  std::exponential_distribution<double> scene_gap_;
  double end_s_, period_s_;
  double level_ = 0, next_scene_s_ = 0;
  long k_ = 0;
  const traces::AccuracyTable* accuracy_ = nullptr;
  const traces::ExitRecordSource* records_ = nullptr;
};

// Poisson arrivals, or a two-state MMPP (calm/burst, exponential sojourns, starting calm), each
// request's model drawn from the stream's mix.
class RequestArrivals : public ArrivalStream {
 public:
  RequestArrivals(const World& world, int device, int stream, const RequestStreamSpec& spec,
                  std::uint64_t seed)
      : ArrivalStream("requests-" + spec.name + "-" + std::to_string(device)),
        spec_(spec),
        device_(device),
        stream_(stream),
        rng_(seed),
        mmpp_(spec.arrival.kind == "mmpp"),
        end_s_(end_of(spec.start_s, spec.duration_s, world.spec.duration_s)),
        t_(spec.start_s) {
    std::vector<double> weights;
    for (const auto& share : spec.mix) {
      models_.push_back(&world.catalog.model(share.model));
      weights.push_back(share.weight);
      slos_.push_back(share.slo_s);
    }
    pick_ = std::discrete_distribution<int>(weights.begin(), weights.end());
    state_end_s_ =
        mmpp_ ? std::exponential_distribution<double>(1.0 / std::max(1e-12, spec.arrival.mean_calm_s))(rng_)
              : 1e300;
    state_end_s_ += spec.start_s;
  }

  bool next(Request& r) override {
    if (done_) return false;
    while (true) {
      const double rate = burst_ ? spec_.arrival.burst_rate_hz : spec_.arrival.rate_hz;
      const double gap = std::exponential_distribution<double>(std::max(1e-12, rate))(rng_);
      if (mmpp_ && t_ + gap >= state_end_s_) {
        // Memoryless: at a state change, draw the next gap afresh at the new rate.
        t_ = state_end_s_;
        burst_ = !burst_;
        const double mean = burst_ ? spec_.arrival.mean_burst_s : spec_.arrival.mean_calm_s;
        state_end_s_ = t_ + std::exponential_distribution<double>(1.0 / std::max(1e-12, mean))(rng_);
        if (t_ >= end_s_) break;
        continue;
      }
      t_ += gap;
      if (t_ >= end_s_) break;
      const int m = pick_(rng_);
      r = Request();
      r.id = request_id(device_, stream_, sequence_++);
      r.device = device_;
      r.model = models_[static_cast<std::size_t>(m)];
      r.stream = spec_.name;
      r.arrival_s = t_;
      r.slo_s = slos_[static_cast<std::size_t>(m)];
      return true;
    }
    done_ = true;
    return false;
  }

 private:
  RequestStreamSpec spec_;
  int device_, stream_;
  std::mt19937_64 rng_;
  std::vector<const traces::Model*> models_;
  std::vector<double> slos_;
  std::discrete_distribution<int> pick_;
  bool mmpp_;
  bool burst_ = false;
  bool done_ = false;
  double state_end_s_ = 0;
  double end_s_;
  double t_;
  long sequence_ = 0;
};

}  // namespace

void attach_video_records(World& world) {
  const ScenarioSpec& spec = world.spec;
  world.video_exit_records.clear();
  world.video_accuracy.clear();
  for (std::size_t i = 0; i < spec.videos.size(); ++i) {
    const VideoStreamSpec& v = spec.videos[i];
    const traces::Model& model = world.catalog.model(v.model);
    const traces::AccuracyTable* table = world.catalog.accuracy(v.model, v.dataset);
    world.video_accuracy.push_back(table);
    std::unique_ptr<traces::ExitRecordSource> source;
    if (v.exit_records.kind == "file") {
      source = std::make_unique<traces::ExitRecordSource>(*v.exit_records.records, model);
    } else if (v.exit_records.kind == "generator" && table != nullptr) {
      traces::ExitRecordGeneratorParams p;
      p.mean_complexity = v.complexity.mean;
      p.complexity_sensitivity = v.exit_records.complexity_sensitivity;
      p.confidence_separation = v.exit_records.confidence_separation;
      p.confidence_noise = v.exit_records.confidence_noise;
      p.feature_count = v.exit_records.features;
      p.feature_noise = v.exit_records.feature_noise;
      p.seed = derive_seed(spec.seed, SeedStream::exit_records, i);
      source = std::make_unique<traces::ExitRecordSource>(traces::ExitRecordGenerator(model, *table, p));
    }
    world.video_exit_records.push_back(std::move(source));
  }
}

std::unique_ptr<ArrivalStream> make_video_arrivals(const World& world, int device, int stream,
                                                   const VideoStreamSpec& video, std::uint64_t seed) {
  return std::make_unique<VideoArrivals>(world, device, stream, video, seed);
}

std::unique_ptr<ArrivalStream> make_request_arrivals(const World& world, int device, int stream,
                                                     const RequestStreamSpec& spec, std::uint64_t seed) {
  return std::make_unique<RequestArrivals>(world, device, stream, spec, seed);
}

void start_source(Device& device, std::unique_ptr<ArrivalStream> arrivals) {
  device.source_started();
  const std::string name = arrivals->name();
  sg4::Actor::create(name, device.host(),
                     [&device, source = std::shared_ptr<ArrivalStream>(std::move(arrivals))] {
                       Request r;
                       while (source->next(r)) {
                         sg4::this_actor::sleep_until(r.arrival_s);
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

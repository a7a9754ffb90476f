#include "edgetwin/hw/power_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgetwin::hw {

namespace {

// Integral over [t0, t1] of the piecewise-linear function through (t_i, value(i)), held
// constant outside the sampled span.
template <typename Value>
double integrate(const std::vector<PowerSample>& s, double t0, double t1, Value value) {
  if (s.empty() || t1 <= t0) return 0;
  auto at = [&](double t) {  // linear interpolation
    if (t <= s.front().t_s) return value(0);
    if (t >= s.back().t_s) return value(s.size() - 1);
    auto it =
        std::upper_bound(s.begin(), s.end(), t, [](double x, const PowerSample& p) { return x < p.t_s; });
    const std::size_t j = static_cast<std::size_t>(it - s.begin());
    const std::size_t i = j - 1;
    const double span = s[j].t_s - s[i].t_s;
    if (span <= 0) return value(j);
    const double f = (t - s[i].t_s) / span;
    return value(i) + f * (value(j) - value(i));
  };
  // Breakpoints: t0, every sample strictly inside, t1.
  double energy = 0;
  double prev_t = t0;
  double prev_v = at(t0);
  for (std::size_t k = 0; k < s.size(); ++k) {
    if (s[k].t_s <= t0 || s[k].t_s >= t1) continue;
    const double v = value(k);
    energy += 0.5 * (prev_v + v) * (s[k].t_s - prev_t);
    prev_t = s[k].t_s;
    prev_v = v;
  }
  energy += 0.5 * (prev_v + at(t1)) * (t1 - prev_t);
  return energy;
}

}  // namespace

double integrate_energy_j(const std::vector<PowerSample>& samples, double t0_s, double t1_s) {
  return integrate(samples, t0_s, t1_s, [&](std::size_t i) { return samples[i].total_w; });
}

WindowEnergy integrate_window(const std::vector<PowerSample>& samples, double t0_s, double t1_s) {
  WindowEnergy w;
  w.duration_s = std::max(0.0, t1_s - t0_s);
  w.energy_j = integrate_energy_j(samples, t0_s, t1_s);
  w.mean_w = w.duration_s > 0 ? w.energy_j / w.duration_s : 0;
  for (const PowerSample& s : samples) w.samples += s.t_s >= t0_s && s.t_s <= t1_s ? 1 : 0;
  const std::size_t rails = samples.empty() ? 0 : samples.front().rails_w.size();
  for (std::size_t r = 0; r < rails; ++r) {
    w.rail_energy_j.push_back(integrate(samples, t0_s, t1_s, [&](std::size_t i) {
      return r < samples[i].rails_w.size() ? samples[i].rails_w[r] : std::numeric_limits<double>::quiet_NaN();
    }));
  }
  return w;
}

PowerSampler::PowerSampler(ReadFn read, double period_s, double keep_s)
    : read_(std::move(read)),
      period_s_(period_s),
      keep_s_(keep_s),
      epoch_(std::chrono::steady_clock::now()) {}

PowerSampler::PowerSampler(const PowerSensor& sensor, double period_s, double keep_s)
    : PowerSampler(
          [&sensor] {
            PowerSample s;
            s.rails_w = sensor.read_rails_w();
            s.total_w = sensor.total_w(s.rails_w);
            return s;
          },
          period_s, keep_s) {}

PowerSampler::~PowerSampler() {
  stop();
}

double PowerSampler::now_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_).count();
}

void PowerSampler::sample_once() {
  PowerSample s;
  try {
    s = read_();
  } catch (const std::exception&) {
    return;  // a file being rewritten: skip this sample
  }
  s.t_s = now_s();
  std::lock_guard<std::mutex> lock(mutex_);
  samples_.push_back(std::move(s));
  while (!samples_.empty() && samples_.front().t_s < samples_.back().t_s - keep_s_) samples_.pop_front();
}

void PowerSampler::start() {
  if (running_.exchange(true)) return;
  sample_once();
  thread_ = std::thread([this] {
    auto next = std::chrono::steady_clock::now();
    const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(period_s_));
    while (running_) {
      next += period;
      std::this_thread::sleep_until(next);
      sample_once();
    }
  });
}

void PowerSampler::stop() {
  if (!running_.exchange(false)) return;
  if (thread_.joinable()) thread_.join();
}

std::vector<PowerSample> PowerSampler::samples() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {samples_.begin(), samples_.end()};
}

WindowEnergy PowerSampler::window(double t0_s, double t1_s) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(3 * period_s_ + 0.05);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!samples_.empty() && samples_.back().t_s >= t1_s) break;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(period_s_ / 4));
  }
  return integrate_window(samples(), t0_s, t1_s);
}

}  // namespace edgetwin::hw

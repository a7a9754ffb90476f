#pragma once
/// A thread that samples a PowerSensor at a configurable rate, and the energy of a time window
/// by trapezoidal integration of the samples (power linear between samples, interpolated at the
/// window's ends).

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "edgetwin/hw/power_sensor.hpp"

namespace edgetwin::hw {

/// One reading.
struct PowerSample {
  double t_s = 0;      ///< seconds on the sampler's clock
  double total_w = 0;  ///< whole-module power
  std::vector<double> rails_w;
};

/// Energy of a window.
struct WindowEnergy {
  double energy_j = 0;  ///< integral of total power over the window
  double duration_s = 0;
  double mean_w = 0;                  ///< energy_j / duration_s
  int samples = 0;                    ///< samples inside the window
  std::vector<double> rail_energy_j;  ///< per rail, NaN where the rail is unknown
};

/// Integral of total power over [t0_s, t1_s] of time-ordered samples, power linear between
/// samples and held constant before the first and after the last. 0 without samples.
double integrate_energy_j(const std::vector<PowerSample>& samples, double t0_s, double t1_s);
/// The same over every rail and the total.
WindowEnergy integrate_window(const std::vector<PowerSample>& samples, double t0_s, double t1_s);

/// Samples a sensor every period on its own thread; keeps the last `keep_s` seconds.
class PowerSampler {
 public:
  /// `read` returns one sample's (total, rails); the sampler stamps it.
  using ReadFn = std::function<PowerSample()>;
  PowerSampler(ReadFn read, double period_s, double keep_s = 600);
  /// Samples `sensor` (which must outlive the sampler).
  PowerSampler(const PowerSensor& sensor, double period_s, double keep_s = 600);
  ~PowerSampler();
  PowerSampler(const PowerSampler&) = delete;
  PowerSampler& operator=(const PowerSampler&) = delete;

  void start();
  void stop();
  /// Seconds on the sampler's clock (steady clock since construction).
  double now_s() const;
  /// Energy of [t0_s, t1_s]; waits until a sample at or after t1_s exists (at most 2 periods).
  WindowEnergy window(double t0_s, double t1_s);
  /// The samples kept, oldest first.
  std::vector<PowerSample> samples() const;
  double period_s() const { return period_s_; }

 private:
  void sample_once();

  ReadFn read_;
  double period_s_;
  double keep_s_;
  std::chrono::steady_clock::time_point epoch_;
  mutable std::mutex mutex_;
  std::deque<PowerSample> samples_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace edgetwin::hw

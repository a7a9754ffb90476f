#include "edgetwin/hw/fake_driver.hpp"

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include "fake_tree.hpp"

namespace edgetwin::hw {

namespace {

constexpr double kAmbientC = 25;

std::optional<std::int64_t> read_int(const FakeTree& tree, const std::string& rel) {
  std::istringstream in(tree.get(rel));
  long long value = 0;
  if (in >> value) return value;
  return std::nullopt;  // missing or being rewritten: keep the last value
}

void put_if_changed(const FakeTree& tree, const std::string& rel, const std::string& text) {
  if (tree.get(rel) != text) tree.put(rel, text);
}

}  // namespace

FakeBoardDriver::FakeBoardDriver(const traces::Board& board, const traces::Synthesizer& synth,
                                 std::string root)
    : board_(board), synth_(synth), family_(fake_family(board)), root_(std::move(root)) {
  clocks_ = {board.cpu_freqs_khz.front(), board.gpu_freqs_hz.front(), board.emc_freqs_hz.back()};
  zone_temp_c_.assign(board.thermal.zones.size(), 35.0);
}

FakeBoardDriver::~FakeBoardDriver() {
  stop();
}

void FakeBoardDriver::start(double period_s) {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this, period_s] {
    auto last = std::chrono::steady_clock::now();
    while (running_) {
      std::this_thread::sleep_for(std::chrono::duration<double>(period_s));
      const auto now = std::chrono::steady_clock::now();
      try {
        step(std::chrono::duration<double>(now - last).count());
      } catch (const std::exception& e) {
        // A file replaced under us by a concurrent write: the next step sees it.
        std::lock_guard<std::mutex> lock(mutex_);
        last_error_ = e.what();
      }
      last = now;
    }
  });
}

void FakeBoardDriver::stop() {
  if (!running_.exchange(false)) return;
  if (thread_.joinable()) thread_.join();
}

void FakeBoardDriver::set_load(std::optional<traces::PowerComponents> busy) {
  // The power files change at once (as an INA3221 would see the load at its next conversion);
  // frequencies and temperatures follow at the next step.
  std::lock_guard<std::mutex> files(files_mutex_);
  traces::ClockSetting clocks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    busy_ = busy;
    clocks = clocks_;
  }
  const traces::PowerComponents components = busy ? *busy : synth_.idle_components(board_, clocks);
  write_power(FakeTree(root_), components);
  std::lock_guard<std::mutex> lock(mutex_);
  power_w_ = components.total_w();
}

std::vector<double> FakeBoardDriver::write_power(const FakeTree& tree,
                                                 const traces::PowerComponents& components) {
  std::vector<double> rail_w;
  for (const traces::Rail& rail : board_.rails) {
    const double w = traces::rail_power_w(board_, rail, components);
    rail_w.push_back(std::isnan(w) ? 0.0 : w);  // rails the model does not split carry nothing
  }
  for (std::size_t d = 0; d < family_.inas.size(); ++d) {
    const FakeIna& ina = family_.inas[d];
    const std::string dir = "sys/devices/platform/edgetwin-fake-i2c/i2c-" +
                            ina.device.substr(0, ina.device.find('-')) + "/" + ina.device + "/" +
                            fake_ina_dir(family_.ina_iio, static_cast<int>(d));
    for (std::size_t ch = 0; ch < ina.labels.size(); ++ch) {
      double watts = 0;
      for (std::size_t r = 0; r < board_.rails.size(); ++r) {
        if (board_.rails[r].name == ina.labels[ch]) watts = rail_w[r];
      }
      write_fake_channel(tree, dir, family_.ina_iio, static_cast<int>(ch), ina.labels[ch], watts, false);
    }
  }
  return rail_w;
}

traces::ClockSetting FakeBoardDriver::clocks() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return clocks_;
}

double FakeBoardDriver::power_w() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return power_w_;
}

traces::ClockSetting FakeBoardDriver::loaded_clocks() const {
  const FakeTree tree(root_);
  traces::ClockSetting c = clocks();
  const std::string policy =
      "sys/devices/system/cpu/cpufreq/policy" + std::to_string(family_.cpu_clusters[0].front());
  if (const auto hi = read_int(tree, policy + "/scaling_max_freq")) c.cpu_khz = *hi;
  const std::string devfreq = family_.gpu_device + "/devfreq/" + family_.gpu_devfreq_name;
  if (const auto hi = read_int(tree, devfreq + "/max_freq")) c.gpu_hz = *hi;
  return c;
}

void FakeBoardDriver::step(double dt_s) {
  std::lock_guard<std::mutex> files(files_mutex_);
  const FakeTree tree(root_);
  std::optional<traces::PowerComponents> busy;
  traces::ClockSetting clocks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    busy = busy_;
    clocks = clocks_;
  }
  // Frequencies: a governor that runs at max under load and at min when idle, within min/max.
  for (std::size_t k = 0; k < family_.cpu_clusters.size(); ++k) {
    const std::string policy =
        "sys/devices/system/cpu/cpufreq/policy" + std::to_string(family_.cpu_clusters[k].front());
    const auto lo = read_int(tree, policy + "/scaling_min_freq");
    const auto hi = read_int(tree, policy + "/scaling_max_freq");
    if (!lo || !hi) continue;
    const std::int64_t cur = busy ? *hi : *lo;
    put_if_changed(tree, policy + "/scaling_cur_freq", std::to_string(cur) + "\n");
    put_if_changed(tree, policy + "/cpuinfo_cur_freq", std::to_string(cur) + "\n");
    if (k == 0) clocks.cpu_khz = cur;
  }
  const std::string devfreq = family_.gpu_device + "/devfreq/" + family_.gpu_devfreq_name;
  const auto gpu_lo = read_int(tree, devfreq + "/min_freq");
  const auto gpu_hi = read_int(tree, devfreq + "/max_freq");
  if (gpu_lo && gpu_hi) {
    clocks.gpu_hz = busy ? *gpu_hi : *gpu_lo;
    put_if_changed(tree, devfreq + "/cur_freq", std::to_string(clocks.gpu_hz) + "\n");
    put_if_changed(tree, family_.gpu_device + "/load", busy ? "1000\n" : "0\n");
  }
  if (family_.emc_bpmp) {
    // Locked: the written rate; unlocked, the rate file keeps whatever DVFS last reported.
    if (const auto rate = read_int(tree, "sys/kernel/debug/bpmp/debug/clk/emc/rate")) clocks.emc_hz = *rate;
  } else {
    const std::string emc = "sys/kernel/debug/clk/override.emc";
    const auto state = read_int(tree, emc + "/clk_state");
    const auto update = read_int(tree, emc + "/clk_update_rate");
    const auto max = read_int(tree, "sys/kernel/debug/tegra_bwmgr/emc_max_rate");
    if (state && update && max) {
      clocks.emc_hz = *state == 1 ? *update : *max;
      put_if_changed(tree, emc + "/clk_rate", std::to_string(clocks.emc_hz) + "\n");
    }
  }

  // Power: the running unit's, else idle at the current clocks.
  const traces::PowerComponents components = busy ? *busy : synth_.idle_components(board_, clocks);
  const std::vector<double> rail_w = write_power(tree, components);

  // Temperatures: each catalog zone's RC node; the family's other zones follow the first. The
  // files are rewritten every 100 ms (a board's thermal zones update at about that rate).
  std::size_t zone_file = 0;
  thermal_dt_s_ += dt_s;
  const bool write_temps = thermal_dt_s_ >= 0.1;
  for (std::size_t z = 0; z < board_.thermal.zones.size() && write_temps; ++z) {
    const traces::ThermalZone& zone = board_.thermal.zones[z];
    double heat_w = 0;
    for (const traces::ThermalInput& input : zone.inputs) {
      heat_w += input.weight * rail_w[static_cast<std::size_t>(input.rail)];
    }
    if (zone.inputs.empty()) heat_w = zone.fallback_total_weight * components.total_w();
    const double target = kAmbientC + zone.r_k_per_w * heat_w;
    zone_temp_c_[z] += (target - zone_temp_c_[z]) * (1 - std::exp(-thermal_dt_s_ / zone.tau_s));
    for (std::size_t t = 0; t < zone.sysfs_types.size(); ++t) {
      put_if_changed(tree, "sys/devices/virtual/thermal/thermal_zone" + std::to_string(zone_file++) + "/temp",
                     std::to_string(std::lround(zone_temp_c_[z] * 1000)) + "\n");
    }
  }
  for (std::size_t e = 0; e < family_.extra_thermal_types.size() && !zone_temp_c_.empty() && write_temps;
       ++e) {
    put_if_changed(tree, "sys/devices/virtual/thermal/thermal_zone" + std::to_string(zone_file++) + "/temp",
                   std::to_string(std::lround(zone_temp_c_.front() * 1000)) + "\n");
  }
  if (write_temps) thermal_dt_s_ = 0;

  {
    std::lock_guard<std::mutex> lock(mutex_);
    clocks_ = clocks;
    power_w_ = components.total_w();
    ++steps_;
  }
  stepped_.notify_all();
}

void FakeBoardDriver::wait_steps(int count) {
  std::unique_lock<std::mutex> lock(mutex_);
  const long target = steps_ + count;
  stepped_.wait_for(lock, std::chrono::seconds(5), [&] { return steps_ >= target; });
}

std::string FakeBoardDriver::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

}  // namespace edgetwin::hw

#pragma once
// Internal to the simulation core: the probes of a device (policies::Prober), included by the
// files that build or use it (device.cpp, device_decisions.cpp).

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "edgetwin/common/hash.hpp"

#include "world.hpp"

namespace edgetwin::sim::detail {

namespace probe_detail {

/// Relative standard deviation of a probe's power reading: the INA3221's shunt/bus quantisation
/// and the sampling of a short window (our assumption, docs/policies.md "Probes").
inline constexpr double kProbePowerNoiseRel = 0.01;

inline bool in_table(const std::vector<std::int64_t>& table, std::int64_t value) {
  return std::find(table.begin(), table.end(), value) != table.end();
}

}  // namespace probe_detail

/// Probes through the device's backend (policies::Prober). A probe's latency is one draw of a
/// normal with the run's traced mean and standard deviation (the units' variances added),
/// truncated at a tenth of the mean; its power the run's mean power times (1 + 1 % noise).
/// Measuring at other clocks than the device's costs the transitions there and back.
class DeviceProber final : public policies::Prober {
 public:
  DeviceProber(Device& device, std::uint64_t seed) : device_(device), state_(seed) {}

  policies::ProbeResult measure(const policies::ProbeRequest& r) override {
    const auto& board = device_.board_;
    if (r.model == nullptr) throw std::invalid_argument("probe: no model named");
    const auto& models = device_.world_.spec.groups[static_cast<std::size_t>(device_.group_)].models;
    if (std::find(models.begin(), models.end(), r.model->id) == models.end())
      throw std::invalid_argument("probe: model " + r.model->id + " is not deployed on device " +
                                  std::to_string(device_.index_));
    const int n = static_cast<int>(r.model->units.size());
    if (r.first_unit < 0 || r.end_unit > n || r.first_unit >= r.end_unit)
      throw std::invalid_argument("probe: units [" + std::to_string(r.first_unit) + ", " +
                                  std::to_string(r.end_unit) + ") of model " + r.model->id +
                                  "; allowed: 0 <= first < end <= " + std::to_string(n));
    if (!probe_detail::in_table(board.cpu_freqs_khz, r.clocks.cpu_khz) ||
        !probe_detail::in_table(board.gpu_freqs_hz, r.clocks.gpu_hz) ||
        !probe_detail::in_table(board.emc_freqs_hz, r.clocks.emc_hz))
      throw std::invalid_argument("probe: clocks not in the tables of board " + board.id);
    if (r.batch < 1) throw std::invalid_argument("probe: batch must be >= 1");
    UnitsQuery q;
    q.board = &board;
    q.model = r.model;
    q.first = r.first_unit;
    q.last = r.end_unit - 1;
    q.clocks = r.clocks;
    q.batch = r.batch;
    const RunSums run = device_.backend_.run_units(q);
    const double mean_w = run.energy_j / run.latency_s;
    policies::ProbeResult result;
    result.latency_s =
        std::max(0.1 * run.latency_s, run.latency_s + std::sqrt(run.latency_var_s2) * normal());
    result.power_w = mean_w * (1.0 + probe_detail::kProbePowerNoiseRel * normal());
    result.energy_j = result.latency_s * result.power_w;
    ++probes_;
    if (!r.on_device) return result;
    // Clocks switched for the probe and back: each changed domain twice, idle meanwhile.
    auto [switch_s, switch_j] = device_.transition_cost(r.clocks);
    switch_s *= 2;
    switch_j *= 2;
    charged_s += result.latency_s + switch_s;
    charged_j += result.energy_j + switch_j + switch_s * device_.idle_power_w();
    return result;
  }

  /// Time and energy the probes on the device took since the last take(); resets them.
  std::pair<double, double> take() {
    const std::pair<double, double> out{charged_s, charged_j};
    charged_s = charged_j = 0;
    return out;
  }
  long probes() const { return probes_; }

 private:
  /// A standard normal draw (Box-Muller on the device's own splitmix64 sequence: portable and
  /// independent of the call order of other devices).
  double normal() {
    state_ = common::splitmix64(state_);
    const double u1 = std::max(common::uniform01(state_), 1e-300);
    state_ = common::splitmix64(state_);
    const double u2 = common::uniform01(state_);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  Device& device_;
  std::uint64_t state_;
  double charged_s = 0;
  double charged_j = 0;
  long probes_ = 0;
};

}  // namespace edgetwin::sim::detail

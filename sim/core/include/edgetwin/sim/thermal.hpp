#pragma once
/// Lumped RC thermal model of an edge board (docs/thermal.md). Each zone ("cpu", "gpu", ...) is
/// one node, C dT/dt = P_in(t) - (T - T_amb) / R, heated by a weighted sum of the board's rail
/// powers (weights in the board catalog's "thermal" section). Between two changes of the device's
/// power level P_in is constant, so the node is integrated in closed form:
///   T_inf = T_amb + R P_in,   T(t + dt) = T_inf + (T(t) - T_inf) exp(-dt / tau),   tau = R C.
/// Engine-free and lazy like EnergyMeter, which drives it: the meter hands it every new power
/// level and every interval it integrates, so all execution paths get the same temperatures.
/// Throttling is not modelled: a zone only reports whether it reached its catalog limit.

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "edgetwin/traces/board.hpp"

namespace edgetwin::sim {

class ThermalModel {
 public:
  /// No zones: every temperature is NaN (cloud boards, boards without a "thermal" section).
  ThermalModel() = default;
  /// The zones of `spec`, all at `initial_c`, in an ambient of `ambient_c` (°C), no heat input.
  /// Throws std::invalid_argument for a non-positive R or tau.
  ThermalModel(const traces::ThermalSpec& spec, double ambient_c, double initial_c);

  bool enabled() const { return !zones_.empty(); }
  /// Heat input from now on, from the module's power and its per-rail powers in the order of
  /// Board::rails (W). A zone that weights a rail whose power is unknown (NaN, or `rail_w`
  /// shorter than the board's rails) takes its fallback share of `total_w` instead.
  inline void set_power(double total_w, const std::vector<double>& rail_w);
  /// Integrates `dt_s` (>= 0) at the current heat input; does not depend on the engine.
  inline void advance(double dt_s);

  int zone_count() const { return static_cast<int>(zones_.size()); }
  /// Index of the zone called `name` ("cpu", "gpu"), or -1 without one.
  int zone_index(const std::string& name) const;
  const traces::ThermalZone& zone(int index) const { return specs_.at(static_cast<std::size_t>(index)); }
  double ambient_c() const { return ambient_c_; }
  /// Temperature of zone `index` now (°C); NaN for index -1.
  double temp_c(int index) const;
  /// The highest temperature zone `index` has had (°C; exact: within a constant-power interval
  /// the temperature is monotonic, so the maximum is at an interval's end); NaN for -1.
  double max_temp_c(int index) const;
  /// Heat input of zone `index` now (W) and the temperature it tends to at that input (°C).
  double input_w(int index) const;
  double steady_c(int index) const;
  /// Whether zone `index` has reached its limit_c at some point (a real board would have
  /// throttled its clocks there; the simulation keeps them). False without a limit.
  bool limit_reached(int index) const;

 private:
  // The update runs at every change of the device's power level (twice per frame or more), so
  // its data is flat: resistances are folded into the weights (R x w, in K per rail watt).
  struct Zone {
    double temp_c = 0;
    double max_c = 0;
    double steady_c = 0;
    double inv_tau = 0;           ///< 1 / tau_s
    double fallback_k_per_w = 0;  ///< R x fallback_total_weight
    std::size_t first_input = 0;  ///< its inputs in inputs_
    std::size_t input_count = 0;
  };
  struct Input {
    std::size_t rail = 0;
    double k_per_w = 0;  ///< R x weight
  };
  static double decay(double x);  ///< exp(-x), x >= 0
  std::vector<Zone> zones_;
  std::vector<Input> inputs_;
  std::vector<traces::ThermalZone> specs_;
  std::size_t rails_needed_ = 0;  ///< highest input rail index + 1
  double ambient_c_ = 0;
};

// exp(-x) for x >= 0. The meter's intervals are mostly milliseconds against time constants of
// minutes (x ~ 1e-5), where std::exp costs more than the rest of an update: below 1e-3 the
// Taylor polynomial to x^4 is used, whose truncation error (< x^5 / 120 < 1e-17) is below a
// double's rounding.
inline double ThermalModel::decay(double x) {
  if (x < 1e-3) return 1 + x * (-1 + x * (0.5 + x * (-1.0 / 6 + x * (1.0 / 24))));
  return std::exp(-x);
}

inline void ThermalModel::set_power(double total_w, const std::vector<double>& rail_w) {
  const bool rails = rail_w.size() >= rails_needed_;
  for (auto& z : zones_) {
    double rise = std::numeric_limits<double>::quiet_NaN();
    if (rails) {
      rise = 0;
      for (std::size_t i = z.first_input; i < z.first_input + z.input_count; ++i) {
        rise += inputs_[i].k_per_w * rail_w[inputs_[i].rail];  // a NaN rail makes it NaN
      }
    }
    // Traces without rail columns (or rails the power model cannot split) give only the total.
    if (std::isnan(rise)) rise = z.fallback_k_per_w * total_w;
    z.steady_c = ambient_c_ + rise;
  }
}

inline void ThermalModel::advance(double dt_s) {
  if (!(dt_s > 0)) return;
  for (auto& z : zones_) {
    z.temp_c = z.steady_c + (z.temp_c - z.steady_c) * decay(dt_s * z.inv_tau);
    if (z.temp_c > z.max_c) z.max_c = z.temp_c;
  }
}

}  // namespace edgetwin::sim

#pragma once
/// Lazily integrated energy of one device (docs/architecture.md, "Design rules"): the device holds a
/// current power level and the meter integrates power x time whenever the level changes.
/// Engine-free: callers pass the simulated time. An attached ThermalModel is driven by the same
/// levels and intervals (docs/thermal.md).

#include <vector>

#include "edgetwin/sim/thermal.hpp"

namespace edgetwin::sim {

/// What the device is doing; energy is accounted per state.
enum class PowerState { idle, busy, transition, radio };

class EnergyMeter {
 public:
  /// Starts at `now_s` in `state` drawing `power_w`. An attached thermal model stays, with its
  /// temperatures (a reset re-bases the energy, not the board's heat).
  void reset(double now_s, PowerState state, double power_w);
  /// From now on every level (set, set_rails) heats `thermal` and every integrated interval
  /// advances it. Without one, temperatures are unknown (thermal() has no zones).
  void attach_thermal(ThermalModel thermal);
  const ThermalModel& thermal() const { return thermal_; }
  /// Integrates up to `now_s` at the current level, then switches. `now_s` must not go back.
  void set(double now_s, PowerState state, double power_w);
  /// Per-rail power levels from now on (W; NaN = unknown, which makes that rail's energy
  /// unknown); call right after set() at the same time. Integrated like the total.
  void set_rails(const std::vector<double>& rail_w);
  /// Energy per rail (J), in the order given to set_rails; empty if never set.
  const std::vector<double>& rail_j() const { return rail_j_; }
  /// Per-rail power levels now (W), as last given to set_rails.
  const std::vector<double>& rail_w() const { return rail_w_; }
  /// Adds a lump of energy (e.g. a DVFS transition's own energy).
  void add_j(PowerState state, double energy_j);
  /// Integrates up to `now_s` without changing the level.
  void advance(double now_s);

  double total_j() const { return idle_j_ + busy_j_ + transition_j_ + radio_j_; }
  double idle_j() const { return idle_j_; }
  double busy_j() const { return busy_j_; }
  double transition_j() const { return transition_j_; }
  double radio_j() const { return radio_j_; }
  double busy_s() const { return busy_s_; }    ///< time spent in PowerState::busy
  double power_w() const { return power_w_; }  ///< current level
  PowerState state() const { return state_; }

 private:
  double& bucket(PowerState state);
  double last_s_ = 0;
  double power_w_ = 0;
  PowerState state_ = PowerState::idle;
  double idle_j_ = 0, busy_j_ = 0, transition_j_ = 0, radio_j_ = 0;
  double busy_s_ = 0;
  std::vector<double> rail_w_;
  std::vector<double> rail_j_;
  ThermalModel thermal_;
};

}  // namespace edgetwin::sim

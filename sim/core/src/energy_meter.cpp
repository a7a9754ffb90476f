#include "edgetwin/sim/energy_meter.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace edgetwin::sim {

double& EnergyMeter::bucket(PowerState state) {
  switch (state) {
    case PowerState::busy:
      return busy_j_;
    case PowerState::transition:
      return transition_j_;
    case PowerState::radio:
      return radio_j_;
    case PowerState::idle:
      break;
  }
  return idle_j_;
}

void EnergyMeter::reset(double now_s, PowerState state, double power_w) {
  ThermalModel thermal = std::move(thermal_);
  *this = EnergyMeter();
  thermal_ = std::move(thermal);
  last_s_ = now_s;
  state_ = state;
  power_w_ = power_w;
  if (thermal_.enabled()) thermal_.set_power(power_w_, rail_w_);
}

void EnergyMeter::attach_thermal(ThermalModel thermal) {
  thermal_ = std::move(thermal);
  if (thermal_.enabled()) thermal_.set_power(power_w_, rail_w_);
}

void EnergyMeter::advance(double now_s) {
  if (now_s < last_s_) {
    throw std::logic_error("EnergyMeter: time went back from " + std::to_string(last_s_) + " to " +
                           std::to_string(now_s));
  }
  const double dt = now_s - last_s_;
  bucket(state_) += power_w_ * dt;
  if (state_ == PowerState::busy) busy_s_ += dt;
  for (std::size_t r = 0; r < rail_w_.size(); ++r) rail_j_[r] += rail_w_[r] * dt;
  if (thermal_.enabled()) thermal_.advance(dt);
  last_s_ = now_s;
}

void EnergyMeter::set_rails(const std::vector<double>& rail_w) {
  if (rail_j_.empty()) rail_j_.assign(rail_w.size(), 0.0);
  if (rail_w.size() != rail_j_.size()) throw std::logic_error("EnergyMeter: rail count changed");
  rail_w_ = rail_w;
  if (thermal_.enabled()) thermal_.set_power(power_w_, rail_w_);
}

void EnergyMeter::set(double now_s, PowerState state, double power_w) {
  advance(now_s);
  state_ = state;
  power_w_ = power_w;
  // Rails follow in set_rails(), which sets the heat input; a meter without rails heats by total.
  if (thermal_.enabled() && rail_w_.empty()) thermal_.set_power(power_w_, rail_w_);
}

void EnergyMeter::add_j(PowerState state, double energy_j) {
  bucket(state) += energy_j;
}

}  // namespace edgetwin::sim

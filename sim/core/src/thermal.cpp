#include "edgetwin/sim/thermal.hpp"

#include <stdexcept>

namespace edgetwin::sim {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

ThermalModel::ThermalModel(const traces::ThermalSpec& spec, double ambient_c, double initial_c)
    : specs_(spec.zones), ambient_c_(ambient_c) {
  for (const auto& z : spec.zones) {
    if (!(z.r_k_per_w > 0) || !(z.tau_s > 0)) {
      throw std::invalid_argument("thermal zone " + z.name + ": r_k_per_w and tau_s must be positive");
    }
    Zone zone;
    zone.temp_c = zone.max_c = initial_c;
    zone.steady_c = ambient_c;
    zone.inv_tau = 1 / z.tau_s;
    zone.fallback_k_per_w = z.r_k_per_w * z.fallback_total_weight;
    zone.first_input = inputs_.size();
    zone.input_count = z.inputs.size();
    for (const auto& in : z.inputs) {
      if (in.rail < 0) throw std::invalid_argument("thermal zone " + z.name + ": negative rail index");
      const auto rail = static_cast<std::size_t>(in.rail);
      inputs_.push_back(Input{rail, z.r_k_per_w * in.weight});
      if (rail + 1 > rails_needed_) rails_needed_ = rail + 1;
    }
    zones_.push_back(zone);
  }
}

int ThermalModel::zone_index(const std::string& name) const {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

double ThermalModel::temp_c(int index) const {
  return index < 0 ? kNaN : zones_.at(static_cast<std::size_t>(index)).temp_c;
}

double ThermalModel::max_temp_c(int index) const {
  return index < 0 ? kNaN : zones_.at(static_cast<std::size_t>(index)).max_c;
}

double ThermalModel::input_w(int index) const {
  if (index < 0) return kNaN;
  const auto i = static_cast<std::size_t>(index);
  return (zones_.at(i).steady_c - ambient_c_) / specs_[i].r_k_per_w;
}

double ThermalModel::steady_c(int index) const {
  return index < 0 ? kNaN : zones_.at(static_cast<std::size_t>(index)).steady_c;
}

bool ThermalModel::limit_reached(int index) const {
  if (index < 0) return false;
  const auto i = static_cast<std::size_t>(index);
  return !std::isnan(specs_.at(i).limit_c) && zones_[i].max_c >= specs_[i].limit_c;
}

}  // namespace edgetwin::sim

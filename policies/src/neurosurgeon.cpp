// neurosurgeon: the split point of Neurosurgeon (Kang et al., ASPLOS 2017), reconstructed on
// probes. An offline per-unit profile of each model at the device's clocks, then at every frame
// the split that minimises the estimated latency or device energy at the current uplink
// bandwidth (docs/policies.md, "neurosurgeon").

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "builtin.hpp"
#include "param_reader.hpp"

namespace edgetwin::policies {

namespace {

enum class Objective { latency, energy };

struct Settings {
  Objective objective = Objective::latency;
  double cloud_speedup = 10;  ///< device time of a unit / its cloud time
  int bytes_per_element = 4;  ///< of the uploaded input or feature map
  double tx_power_w = 1.14;   ///< the radio's power while it uploads
  long reprofile_frames = 0;  ///< profile again after this many frames of a model; 0 = never
};

/// One model's offline profile: prefix sums of the per-unit probes.
struct Profile {
  std::vector<double> device_s;  ///< [k]: device time of units [0, k), k = 0..n
  std::vector<double> device_j;  ///< [k]: device energy of units [0, k)
  long frames = 0;               ///< frames of this model decided since the profile was made
};

class Neurosurgeon final : public Policy {
 public:
  explicit Neurosurgeon(Settings s) : s_(s) {}

  FrameAction on_frame(const FrameObservation& obs) override {
    FrameAction a;
    if (obs.model == nullptr) return a;
    Profile& p = profile(obs);
    ++p.frames;
    a.edge_units = best_split(obs, p);
    a.offload_share = 1.0;
    return a;
  }

 private:
  Profile& profile(const FrameObservation& obs) {
    Profile& p = profiles_[obs.model->id];
    const bool due = p.device_s.empty() || (s_.reprofile_frames > 0 && p.frames >= s_.reprofile_frames);
    if (!due) return p;
    if (obs.probe == nullptr)
      throw std::invalid_argument("policy 'neurosurgeon': device " + std::to_string(obs.device) +
                                  " gives no prober; the policy profiles the model through probes");
    // One probe per unit, summed: Neurosurgeon profiles per layer, and prefix sums of one set of
    // noisy draws keep every split's device and cloud parts consistent (never negative).
    const int n = static_cast<int>(obs.model->units.size());
    p.device_s.assign(static_cast<std::size_t>(n) + 1, 0.0);
    p.device_j.assign(static_cast<std::size_t>(n) + 1, 0.0);
    for (int i = 0; i < n; ++i) {
      const ProbeResult r = obs.probe->measure(ProbeRequest{obs.model, i, i + 1, obs.clocks, 1, false});
      p.device_s[static_cast<std::size_t>(i) + 1] = p.device_s[static_cast<std::size_t>(i)] + r.latency_s;
      p.device_j[static_cast<std::size_t>(i) + 1] = p.device_j[static_cast<std::size_t>(i)] + r.energy_j;
    }
    p.frames = 0;
    return p;
  }

  /// edge_units minimising the objective: k units on the device, the rest of the units that run
  /// (up to the exit decided before, if any) on the cloud; kAllUnits when nothing is offloaded.
  int best_split(const FrameObservation& obs, const Profile& p) const {
    const auto& units = obs.model->units;
    const int n = static_cast<int>(units.size());
    int m = n;  // units that run
    if (obs.decided != nullptr && obs.decided->exit_after_unit >= 0)
      m = std::min(obs.decided->exit_after_unit + 1, n);
    if (obs.uplink_bandwidth_bps <= 0) return kAllUnits;  // no link: nothing can be offloaded
    const auto at = [](const std::vector<double>& v, int k) { return v[static_cast<std::size_t>(k)]; };
    // k = m: everything on the device. Ties keep the split with more units on the device.
    int best = m;
    double best_cost = s_.objective == Objective::latency ? at(p.device_s, m) : at(p.device_j, m);
    for (int k = m - 1; k >= 0; --k) {
      const auto elements =
          k == 0 ? units.front().input_elements : units[static_cast<std::size_t>(k) - 1].boundary_elements;
      const double upload_s =
          8.0 * static_cast<double>(elements) * s_.bytes_per_element / obs.uplink_bandwidth_bps +
          obs.uplink_latency_s;
      const double cost =
          s_.objective == Objective::latency
              ? at(p.device_s, k) + upload_s + (at(p.device_s, m) - at(p.device_s, k)) / s_.cloud_speedup
              : at(p.device_j, k) + s_.tx_power_w * upload_s;
      if (cost < best_cost) {
        best_cost = cost;
        best = k;
      }
    }
    return best == m ? kAllUnits : best;
  }

  Settings s_;
  std::map<std::string, Profile> profiles_;  ///< by model id
};

}  // namespace

PolicyInfo neurosurgeon_info() {
  PolicyInfo info;
  info.name = "neurosurgeon";
  info.roles = {Role::placement};
  info.summary =
      "split where the estimated latency (or device energy) is lowest, from an offline per-unit profile "
      "and the current uplink bandwidth (Neurosurgeon, reconstruction)";
  info.params = {
      {"objective", "\"latency\"",
       "\"latency\": device + upload + cloud time; \"energy\": device energy of the units run + radio "
       "energy of the upload"},
      {"cloud_speedup", "10",
       "cloud time of a unit = its profiled device time / this, (0, 1e6] (our simplification: the policy "
       "cannot see the cloud's traces)"},
      {"bytes_per_element", "4", "bytes per uploaded element, 1..8 (fp32 4, fp16 2, int8 1)"},
      {"tx_power_w", "1.14", "radio power while uploading, W, 0..50 (energy objective)"},
      {"reprofile_frames", "0", "profile a model again after this many of its frames, 0..1e9; 0 = never"},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext&) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'neurosurgeon'", p, params);
    Settings s;
    const std::string objective = reader.text("objective");
    if (objective == "latency") {
      s.objective = Objective::latency;
    } else if (objective == "energy") {
      s.objective = Objective::energy;
    } else {
      reader.fail("objective", "found \"" + objective + "\", allowed: \"latency\", \"energy\"");
    }
    s.cloud_speedup = reader.number("cloud_speedup", 0.0, 1e6);
    if (s.cloud_speedup <= 0.0)
      reader.fail("cloud_speedup",
                  "found " + reader.value("cloud_speedup").dump() + ", allowed: a number in (0, 1e6]");
    s.bytes_per_element = reader.integer("bytes_per_element", 1, 8);
    s.tx_power_w = reader.number("tx_power_w", 0.0, 50.0);
    s.reprofile_frames = reader.integer("reprofile_frames", 0, 1000000000);
    return std::make_unique<Neurosurgeon>(s);
  };
  return info;
}

}  // namespace edgetwin::policies

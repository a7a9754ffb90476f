// Placement baselines: everything on the device, everything on the cloud, a fixed split point.

#include <limits>
#include <stdexcept>

#include "builtin.hpp"
#include "param_reader.hpp"

namespace edgetwin::policies {

namespace {

/// Same split for every frame.
class FixedPlacement final : public Policy {
 public:
  FixedPlacement(int edge_units, double offload_share, double input_bytes_per_element = 0)
      : edge_units_(edge_units),
        offload_share_(offload_share),
        input_bytes_per_element_(input_bytes_per_element) {}
  FrameAction on_frame(const FrameObservation& /*obs*/) override {
    FrameAction a;
    a.edge_units = edge_units_;
    a.offload_share = offload_share_;
    a.input_bytes_per_element = input_bytes_per_element_;
    return a;
  }

 private:
  int edge_units_;
  double offload_share_;
  double input_bytes_per_element_;
};

/// Split after a unit named by index or by name; a name is looked up in each frame's model.
class FixedSplit final : public Policy {
 public:
  FixedSplit(int index, std::string name, double offload_share)
      : index_(index), name_(std::move(name)), offload_share_(offload_share) {}

  FrameAction on_frame(const FrameObservation& obs) override {
    FrameAction a;
    a.edge_units = edge_units(obs.model);
    a.offload_share = offload_share_;
    return a;
  }

  /// edge_units for `model`: k + 1 for a split after unit k, kAllUnits after the last unit.
  int edge_units(const traces::Model* model) const {
    int k = index_;
    if (!name_.empty()) {
      if (model == nullptr)
        throw std::invalid_argument("policy 'fixed_split': a unit name needs the frame's model");
      k = model->unit_index(name_);
      if (k < 0) {
        throw ParamError("policy 'fixed_split'", "split_after",
                         "found \"" + name_ + "\", but model " + model->id + " has no unit of that name");
      }
    } else if (model != nullptr && k >= static_cast<int>(model->units.size())) {
      throw ParamError("policy 'fixed_split'", "split_after",
                       "found " + std::to_string(k) + ", allowed for model " + model->id + ": 0.." +
                           std::to_string(model->units.size() - 1) + " (its " +
                           std::to_string(model->units.size()) + " units) or a unit name");
    }
    if (model != nullptr && k == static_cast<int>(model->units.size()) - 1) return kAllUnits;
    return k + 1;
  }

 private:
  int index_;
  std::string name_;
  double offload_share_;
};

}  // namespace

PolicyInfo edge_only_info() {
  PolicyInfo info;
  info.name = "edge_only";
  info.roles = {Role::placement};
  info.summary = "run every unit on the device; nothing is offloaded";
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext&) -> std::unique_ptr<Policy> {
    [[maybe_unused]] const ParamReader checked("policy 'edge_only'", p, params);  // rejects any param
    return std::make_unique<FixedPlacement>(kAllUnits, 1.0);
  };
  return info;
}

PolicyInfo cloud_only_info() {
  PolicyInfo info;
  info.name = "cloud_only";
  info.roles = {Role::placement};
  info.summary = "upload each input and run every unit on the cloud";
  info.params = {
      {"input_bits_per_pixel", "0",
       "image codec of the uploaded input, bits per pixel (JPEG: 0.75-2, docs/dvfo.md); 0 = the raw input "
       "tensor at the scenario's precision"},
      {"input_channels", "3", "input elements per pixel (3: RGB)"},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext&) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'cloud_only'", p, params);
    return std::make_unique<FixedPlacement>(0, 1.0, input_codec_bytes_per_element(reader));
  };
  return info;
}

PolicyInfo fixed_split_info() {
  PolicyInfo info;
  info.name = "fixed_split";
  info.roles = {Role::placement};
  info.summary = "run units 0..k on the device and the rest on the cloud, for every frame";
  info.params = {
      {"split_after", "0",
       "last unit run on the device: its index (0-based) or its name (e.g. \"layer2.1\"); the last unit = "
       "edge only"},
      {"offload_share", "1.0", "share of the split feature map sent to the cloud, (0, 1]"},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext& ctx) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'fixed_split'", p, params);
    const auto& split = reader.value("split_after");
    int index = -1;
    std::string name;
    if (split.is_string()) {
      name = split.get<std::string>();
      if (name.empty())
        reader.fail("split_after", "found \"\", allowed: a unit index or a non-empty unit name");
    } else {
      index = reader.integer("split_after", 0, std::numeric_limits<int>::max());
    }
    const double share = reader.number("offload_share", 0.0, 1.0);
    if (share <= 0.0)
      reader.fail("offload_share",
                  "found " + reader.value("offload_share").dump() + ", allowed: a number in (0, 1]");
    auto policy = std::make_unique<FixedSplit>(index, name, share);
    for (const auto* m : ctx.models) {
      if (m != nullptr) policy->edge_units(m);  // throws when a deployed model lacks the unit
    }
    return policy;
  };
  return info;
}

}  // namespace edgetwin::policies

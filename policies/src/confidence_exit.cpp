// confidence_exit: BranchyNet / EENet-style early exit. The frame runs the exit heads after its
// units and stops at the first head whose confidence reaches a threshold (docs/policies.md).

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "builtin.hpp"
#include "param_reader.hpp"

namespace edgetwin::policies {

namespace {

/// The units after which `model` has an exit head, ascending, each once (a unit may have several
/// heads; a checkpoint runs the unit's head once).
std::vector<int> exit_units_of(const traces::Model& model) {
  std::vector<int> units;
  for (const auto& e : model.exits) units.push_back(e.after_unit);
  std::sort(units.begin(), units.end());
  units.erase(std::unique(units.begin(), units.end()), units.end());
  return units;
}

class ConfidenceExit final : public Policy {
 public:
  /// `chosen`: the exits to use (after_unit, ascending), nullopt = all of the model's;
  /// `max_exit`: the last after_unit considered, -1 = no limit.
  ConfidenceExit(double threshold, std::optional<std::vector<int>> chosen, int max_exit)
      : threshold_(threshold), chosen_(std::move(chosen)), max_exit_(max_exit) {}

  FrameAction on_frame(const FrameObservation& obs) override {
    FrameAction a;
    if (obs.model == nullptr) return a;
    for (const int after : exit_units_of(*obs.model)) {
      if (max_exit_ >= 0 && after > max_exit_) break;
      if (chosen_ && !std::binary_search(chosen_->begin(), chosen_->end(), after)) continue;
      a.checkpoints.push_back(Checkpoint{after, true});
    }
    return a;
  }

  UnitAction on_unit(const UnitObservation& obs) override {
    UnitAction a;
    // An unknown confidence (NaN: the workload has no exit records) compares false: never stops.
    a.stop = obs.head.ran && obs.head.confidence >= threshold_;
    return a;
  }

 private:
  double threshold_;
  std::optional<std::vector<int>> chosen_;
  int max_exit_;
};

/// The `exits` parameter: nullopt for "all", else the listed after_unit indices (ascending,
/// each once), each an exit of every deployed model.
std::optional<std::vector<int>> read_exits(const ParamReader& reader, const PolicyContext& ctx) {
  const auto& v = reader.value("exits");
  if (v == "all") return std::nullopt;
  if (!v.is_array() || v.empty())
    reader.fail("exits", "found " + v.dump() + ", allowed: \"all\" or a non-empty list of unit indices");
  std::vector<int> units;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string key = "exits/" + std::to_string(i);
    if (!v[i].is_number_integer() || v[i].get<long long>() < 0 ||
        v[i].get<long long>() > std::numeric_limits<int>::max())
      reader.fail(key, "found " + v[i].dump() + ", allowed: the index of a unit with an exit head (>= 0)");
    const int after = v[i].get<int>();
    for (const auto* m : ctx.models) {
      if (m == nullptr) continue;
      const auto model_exits = exit_units_of(*m);
      if (!std::binary_search(model_exits.begin(), model_exits.end(), after)) {
        std::string allowed;
        for (const int u : model_exits) allowed += (allowed.empty() ? "" : ", ") + std::to_string(u);
        reader.fail(
            key, "found " + std::to_string(after) + ", but model " + m->id +
                     " has no exit head after that unit; its exits: " + (allowed.empty() ? "none" : allowed));
      }
    }
    units.push_back(after);
  }
  std::sort(units.begin(), units.end());
  units.erase(std::unique(units.begin(), units.end()), units.end());
  return units;
}

}  // namespace

PolicyInfo confidence_exit_info() {
  PolicyInfo info;
  info.name = "confidence_exit";
  info.roles = {Role::exit};
  info.summary =
      "run the exit heads and stop at the first whose confidence reaches a threshold (BranchyNet, EENet)";
  info.params = {
      {"threshold", "0.8",
       "stop at an exit head whose top-1 confidence is >= this, (0, 1]; an unknown confidence never stops"},
      {"exits", "\"all\"",
       "the exits to run: \"all\" (every exit of the frame's model) or a list of unit indices (after_unit), "
       "each an exit of every deployed model"},
      {"max_exit", "null", "last exit considered: exits after a later unit are not run; null = no limit"},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext& ctx) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'confidence_exit'", p, params);
    const double threshold = reader.number("threshold", 0.0, 1.0);
    if (threshold <= 0.0)
      reader.fail("threshold", "found " + reader.value("threshold").dump() + ", allowed: a number in (0, 1]");
    auto chosen = read_exits(reader, ctx);
    const int max_exit = reader.value("max_exit").is_null()
                             ? -1
                             : reader.integer("max_exit", 0, std::numeric_limits<int>::max());
    return std::make_unique<ConfidenceExit>(threshold, std::move(chosen), max_exit);
  };
  return info;
}

}  // namespace edgetwin::policies

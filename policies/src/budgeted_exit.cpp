// budgeted_exit: an EENet-like budgeted early-exit scheduler (our reading of Ilhan et al., EENet,
// arXiv:2301.07099): exit heads evaluated at every exit, one confidence threshold, adapted after
// every frame so that the mean share of backbone MACs run meets a budget (docs/policies.md).

#include <algorithm>
#include <string>
#include <vector>

#include "builtin.hpp"
#include "param_reader.hpp"

namespace edgetwin::policies {

namespace {

class BudgetedExit final : public Policy {
 public:
  BudgetedExit(double budget, double threshold, double step)
      : budget_(budget), threshold_(threshold), step_(step) {}

  FrameAction on_frame(const FrameObservation& obs) override {
    FrameAction a;
    if (obs.model == nullptr) return a;
    std::vector<int> units;
    for (const auto& e : obs.model->exits) units.push_back(e.after_unit);
    std::sort(units.begin(), units.end());
    units.erase(std::unique(units.begin(), units.end()), units.end());
    for (const int u : units) a.checkpoints.push_back(Checkpoint{u, true});
    return a;
  }

  UnitAction on_unit(const UnitObservation& obs) override {
    UnitAction a;
    a.stop = obs.head.ran && obs.head.confidence >= threshold_;
    return a;
  }

  bool wants_outcomes() const override { return true; }

  // After each frame: the share of the backbone's MACs it ran (to its exit, or 1); above the
  // budget lowers the threshold (earlier exits), below raises it, by step x the difference.
  void on_outcome(const Outcome& o) override {
    if (o.status != OutcomeStatus::completed || o.model == nullptr) return;
    const traces::Model& m = *o.model;
    double share = 1;
    if (o.exit_after_unit >= 0) {
      double before = 0;
      for (int i = 0; i <= o.exit_after_unit && i < static_cast<int>(m.units.size()); ++i)
        before += static_cast<double>(m.units[static_cast<std::size_t>(i)].macs);
      share = before / static_cast<double>(std::max<std::int64_t>(1, m.total_macs()));
    }
    threshold_ = std::clamp(threshold_ - step_ * (share - budget_), 0.01, 1.0);
  }

 private:
  double budget_, threshold_, step_;
};

}  // namespace

PolicyInfo budgeted_exit_info() {
  PolicyInfo info;
  info.name = "budgeted_exit";
  info.roles = {Role::exit};
  info.summary =
      "EENet-like budgeted early exit: heads at every exit, one confidence threshold steered so that the "
      "mean "
      "share of backbone MACs meets a budget";
  info.params = {
      {"budget", "0.5", "target mean share of the backbone's MACs per frame, (0, 1]"},
      {"threshold", "0.8", "starting confidence threshold, (0, 1]"},
      {"step", "0.05", "threshold change per frame per unit of (MACs share - budget), [0, 10]"},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext&) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'budgeted_exit'", p, params);
    const double budget = reader.number("budget", 0.0, 1.0);
    if (budget <= 0) reader.fail("budget", "found " + reader.value("budget").dump() + ", allowed: (0, 1]");
    const double threshold = reader.number("threshold", 0.0, 1.0);
    if (threshold <= 0)
      reader.fail("threshold", "found " + reader.value("threshold").dump() + ", allowed: (0, 1]");
    return std::make_unique<BudgetedExit>(budget, threshold, reader.number("step", 0.0, 10.0));
  };
  return info;
}

}  // namespace edgetwin::policies

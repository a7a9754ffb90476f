// DVFO (Zhang et al., IEEE TMC 2024): one learned decision per frame over the device's CPU, GPU
// and EMC clocks and the share xi of the split feature map's channels offloaded to the cloud, by a
// branched DQN (one head per dimension), with the "thinking-while-moving" concurrent mechanism
// (Xiao et al., ICLR 2020): the action decided at a frame applies to the next one, and the state
// carries the previous action and the decision time. The reward is our reconstruction:
// docs/dvfo.md. With `concurrent: false` (and a group in "wait" mode, random channel ranking) the
// same policy is the DRLDO-like baseline.

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "edgetwin/common/action_branches.hpp"
#include "edgetwin/policies/clock_tables.hpp"

#include "builtin.hpp"
#include "param_reader.hpp"

namespace edgetwin::policies {

namespace {

/// DVFO's learner, as far as the paper gives it (a DQN); every number here is ours (docs/dvfo.md).
nlohmann::json default_learner() {
  return {{"kind", "dqn"},
          {"hidden", {64, 64}},
          {"activation", "relu"},
          {"learning_rate", 0.001},
          {"gamma", 0.5},
          {"batch_size", 64},
          {"replay_capacity", 20000},
          {"warmup", 200},
          {"update_every", 1},
          {"target_update_every", 100},
          {"double_dqn", true},
          {"normalize_states", true},
          {"epsilon", {{"start", 1.0}, {"end", 0.02}, {"decay_decisions", 3000}, {"shape", "exponential"}}},
          {"seed", 1}};
}

class DvfoPolicy final : public Policy {
 public:
  struct Settings {
    std::vector<std::int64_t> cpu_khz, gpu_hz, emc_hz;  // action values per domain
    std::vector<double> shares;                         // xi bins; 0 = everything on the device
    int split_index = -1;                               // -1: by name, or "auto" when the name is empty
    std::string split_name;
    double eta = 0.5;
    double epsilon_pp = 1.0;  // allowed accuracy loss, percentage points
    double penalty = 1.0;     // reward per percentage point beyond epsilon_pp
    double energy_ref_j = 0;  // 0 = probed
    double latency_ref_s = 0;
    double reference_accuracy = 0;  // 0 = the highest expected accuracy seen for the model
    bool concurrent = true;
    bool accuracy_guard = true;
    int queue_guard = 2;  // frames not done at which the safe action runs; 0 = never
    double decision_s = 0.001;
    Clocks probe_clocks;  // the mode's highest clocks: the references' edge-only run
  };
  struct ModelInfo {
    int split_edge_units = kAllUnits;  // edge_units for xi > 0
    double energy_ref_j = 0;
    double latency_ref_s = 0;
    double best_accuracy = std::numeric_limits<double>::quiet_NaN();
    /// Largest accuracy loss (percentage points) seen per share bin; NaN = none seen yet.
    std::vector<double> share_loss_pp;
  };

  DvfoPolicy(Settings s, std::shared_ptr<Agent> agent) : s_(std::move(s)), agent_(std::move(agent)) {
    branches_ = {static_cast<int>(s_.cpu_khz.size()), static_cast<int>(s_.gpu_hz.size()),
                 static_cast<int>(s_.emc_hz.size()), static_cast<int>(s_.shares.size())};
    const auto zero = std::find(s_.shares.begin(), s_.shares.end(), 0.0);
    if (zero != s_.shares.end()) zero_bin_ = static_cast<int>(zero - s_.shares.begin());
  }

  std::optional<Clocks> initial_clocks() const override { return s_.probe_clocks; }
  bool wants_outcomes() const override { return true; }
  bool shares_state() const override { return true; }

  FrameAction on_frame(const FrameObservation& obs) override {
    if (obs.model == nullptr) {  // nothing to decide about (no model): the highest clocks, on the device
      FrameAction a;
      a.clocks = {{0, s_.probe_clocks}};
      return a;
    }
    const ModelInfo& info = model_info(obs);
    std::vector<float> state = state_of(obs, info);
    auto tuple = common::action_tuple(branches_, agent_->act(state));
    // Frames not done besides this one: waiting on the device, or decided (one policy per device)
    // and still uploading or on the cloud.
    const int not_done = obs.queue_length + static_cast<int>(pending_.size());
    if (s_.queue_guard > 0 && not_done >= s_.queue_guard) {
      // The queue guard (docs/dvfo.md): the device or its uplink falls behind the camera; the
      // safe action is the whole model on the device at the highest clocks of the action space.
      tuple = {branches_[0] - 1, branches_[1] - 1, branches_[2] - 1, zero_bin_ >= 0 ? zero_bin_ : tuple[3]};
    }
    if (s_.accuracy_guard) guard(tuple[3], info);
    // The agent learns from the action that ran (the guard's, when it changed the share).
    const int action = common::joint_action(branches_, tuple);
    // The action that applies to this frame: this one (wait mode, or the first frame of a
    // concurrent device), else the one decided at the previous frame.
    Decision now{state, action, tuple, obs.now_s};
    const Decision& applied = s_.concurrent && has_previous_ ? previous_ : now;
    pending_[obs.request_id] = applied;
    previous_ = now;
    has_previous_ = true;
    last_state_ = state;
    last_frame_s_ = obs.now_s;
    return action_of(tuple, info);
  }

  void on_outcome(const Outcome& o) override {
    const auto it = pending_.find(o.request_id);
    if (it == pending_.end()) return;  // dropped at arrival: never decided
    const Decision d = it->second;
    pending_.erase(it);
    if (o.status != OutcomeStatus::completed || o.model == nullptr) return;
    check_applied(o, d);
    auto& info = models_.at(o.model->id);
    const auto bin = static_cast<std::size_t>(d.tuple[3]);
    if (!std::isnan(o.accuracy) && s_.shares[bin] == 0 && s_.reference_accuracy <= 0) {
      info.best_accuracy =
          std::isnan(info.best_accuracy) ? o.accuracy : std::max(info.best_accuracy, o.accuracy);
    }
    const double loss = loss_pp(o, info);
    if (!std::isnan(loss)) {
      double& seen = info.share_loss_pp[bin];
      seen = std::isnan(seen) ? loss : std::max(seen, loss);
    }
    agent_->observe(d.state, d.action, reward_of(o, info), last_state_, false,
                    std::max(0.0, o.end_s - d.decided_s));
  }

  /// -(eta E/E_ref + (1 - eta) T/T_ref) - penalty max(0, loss - epsilon), loss in percentage
  /// points against the reference accuracy (docs/dvfo.md).
  double reward_of(const Outcome& o, const ModelInfo& info) const;

 private:
  struct Decision {
    std::vector<float> state;
    int action = 0;
    std::vector<int> tuple;
    double decided_s = 0;
  };

  /// Accuracy loss of an outcome in percentage points below the reference (never negative); NaN
  /// while the outcome or the reference has no accuracy.
  static double loss_pp(const Outcome& o, const ModelInfo& info) {
    if (std::isnan(o.accuracy) || std::isnan(info.best_accuracy))
      return std::numeric_limits<double>::quiet_NaN();
    return std::max(0.0, (info.best_accuracy - o.accuracy) * 100);
  }

  /// The accuracy guard (docs/dvfo.md): a share bin that has lost more than epsilon_pp is not used
  /// again; the decision falls back to the largest smaller bin seen within the budget, or to
  /// share 0. While the model's reference accuracy is unknown (no share-0 outcome yet), the
  /// share is 0 when the bins include it. Clocks are never changed.
  void guard(int& bin, const ModelInfo& info) const {
    const auto within = [&](int b) {
      return s_.shares[static_cast<std::size_t>(b)] == 0 ||
             info.share_loss_pp[static_cast<std::size_t>(b)] <= s_.epsilon_pp;  // false for NaN
    };
    if (s_.shares[static_cast<std::size_t>(bin)] == 0) return;
    if (std::isnan(info.best_accuracy)) {
      if (zero_bin_ >= 0) bin = zero_bin_;
      return;
    }
    if (!(info.share_loss_pp[static_cast<std::size_t>(bin)] > s_.epsilon_pp)) return;  // within, or unseen
    for (int b = bin - 1; b >= 0; --b) {
      if (within(b)) {
        bin = b;
        return;
      }
    }
  }

  const ModelInfo& model_info(const FrameObservation& obs) {
    auto it = models_.find(obs.model->id);
    if (it != models_.end()) return it->second;
    const traces::Model& m = *obs.model;
    const int n = static_cast<int>(m.units.size());
    ModelInfo info;
    info.share_loss_pp.assign(s_.shares.size(), std::numeric_limits<double>::quiet_NaN());
    int k = s_.split_index;
    if (!s_.split_name.empty()) {
      k = m.unit_index(s_.split_name);
      if (k < 0) {
        throw ParamError("policy 'dvfo'", "split_after",
                         "found \"" + s_.split_name + "\", but model " + m.id + " has no unit of that name");
      }
    } else if (k < 0) {
      // "auto": the smallest feature map in the first half of the model (ties: the earliest).
      k = 0;
      for (int i = 1; i < std::max(1, n / 2); ++i) {
        if (m.units[static_cast<std::size_t>(i)].boundary_elements <
            m.units[static_cast<std::size_t>(k)].boundary_elements)
          k = i;
      }
    }
    if (k >= n - 1) {
      throw ParamError("policy 'dvfo'", "split_after",
                       "found " + std::to_string(k) + ", allowed for model " + m.id + ": 0.." +
                           std::to_string(n - 2) + " (a unit before the last) or \"auto\"");
    }
    info.split_edge_units = k + 1;
    info.energy_ref_j = s_.energy_ref_j;
    info.latency_ref_s = s_.latency_ref_s;
    if (info.energy_ref_j <= 0 || info.latency_ref_s <= 0) {
      if (obs.probe == nullptr) {
        throw std::invalid_argument(
            "policy 'dvfo': energy_ref_j and latency_ref_s are 0 (probe them) but the device has no prober; "
            "give both");
      }
      // An offline profile (free): the whole model on the device at the mode's highest clocks.
      const ProbeResult r = obs.probe->measure({obs.model, 0, n, s_.probe_clocks, 1, false});
      if (info.energy_ref_j <= 0) info.energy_ref_j = r.energy_j;
      if (info.latency_ref_s <= 0) info.latency_ref_s = r.latency_s;
    }
    if (s_.reference_accuracy > 0) info.best_accuracy = s_.reference_accuracy;
    return models_.emplace(m.id, info).first->second;
  }

  std::vector<float> state_of(const FrameObservation& obs, const ModelInfo& info) const {
    std::vector<float> x = {
        static_cast<float>(obs.queue_length),           static_cast<float>(obs.uplink_bandwidth_bps / 1e6),
        static_cast<float>(obs.uplink_latency_s * 1e3), static_cast<float>(obs.complexity),
        static_cast<float>(info.latency_ref_s * 1e3),   static_cast<float>(info.energy_ref_j)};
    if (s_.concurrent) {
      // Thinking while moving (Xiao et al., ICLR 2020): the action still running and the time
      // the decision takes (the "action selection time") are part of the state.
      for (std::size_t d = 0; d < branches_.size(); ++d) {
        const double denom = std::max(1, branches_[d] - 1);
        x.push_back(has_previous_ ? static_cast<float>(previous_.tuple[d] / denom) : 0.0F);
      }
      x.push_back(static_cast<float>(s_.decision_s * 1e3));
      x.push_back(has_previous_ ? static_cast<float>(obs.now_s - last_frame_s_) : 0.0F);
    }
    return x;
  }

  FrameAction action_of(const std::vector<int>& tuple, const ModelInfo& info) const {
    FrameAction a;
    const Clocks c{s_.cpu_khz[static_cast<std::size_t>(tuple[0])],
                   s_.gpu_hz[static_cast<std::size_t>(tuple[1])],
                   s_.emc_hz[static_cast<std::size_t>(tuple[2])]};
    a.clocks = {{0, c}};
    const double xi = s_.shares[static_cast<std::size_t>(tuple[3])];
    if (xi > 0) {
      a.edge_units = info.split_edge_units;
      a.offload_share = xi;
    }
    a.decision_s = s_.decision_s;
    return a;
  }

  /// The outcome must show the placement of the action this policy believes was applied: a
  /// mismatch means the policy's `concurrent` does not match the group's decision mode.
  void check_applied(const Outcome& o, const Decision& d) const {
    const double xi = s_.shares[static_cast<std::size_t>(d.tuple[3])];
    const int units = static_cast<int>(o.model->units.size());
    const bool offloaded = o.edge_units < units;
    if (offloaded != (xi > 0) || (offloaded && std::abs(o.offload_share - xi) > 1e-9)) {
      std::ostringstream m;
      m << "policy 'dvfo': request " << o.request_id << " ran with offload share "
        << (offloaded ? o.offload_share : 0.0) << ", but the policy's record says " << xi
        << ": its param \"concurrent\" (" << (s_.concurrent ? "true" : "false")
        << ") must match the group's decision mode (\"concurrent\" / \"wait\"), and no other placement "
           "policy may "
           "play beside it";
      throw std::logic_error(m.str());
    }
  }

  Settings s_;
  std::shared_ptr<Agent> agent_;
  std::vector<int> branches_;
  int zero_bin_ = -1;  // the share bin of 0, if any
  std::map<std::string, ModelInfo> models_;
  std::map<long, Decision> pending_;
  Decision previous_;
  bool has_previous_ = false;
  std::vector<float> last_state_;
  double last_frame_s_ = 0;
};

double DvfoPolicy::reward_of(const Outcome& o, const ModelInfo& info) const {
  const double e = (o.device_energy_j + o.radio_energy_j) / info.energy_ref_j;
  const double t = o.latency_s / info.latency_ref_s;
  const double loss = loss_pp(o, info);
  return -(s_.eta * e + (1 - s_.eta) * t) -
         s_.penalty * std::max(0.0, std::isnan(loss) ? 0.0 : loss - s_.epsilon_pp);
}

/// "auto" levels of one domain: `count` steps spread over the mode's table (indices
/// round((n - 1) k / (count - 1)), k = 0..count-1), lowest and highest included; fewer when the
/// table is shorter. An array: ascending table values (or "min"/"max").
std::vector<std::int64_t> levels(const ParamReader& reader, const std::string& key,
                                 const std::vector<std::int64_t>& allowed, int count) {
  const auto& v = reader.value(key);
  if (v == "auto") return spread_levels(allowed, count);
  if (!v.is_array() || v.empty()) {
    reader.fail(key, "found " + v.dump() + ", allowed: \"auto\" or a non-empty array of table values");
  }
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto& e = v[i];
    std::int64_t value = 0;
    if (e == "max") {
      value = allowed.back();
    } else if (e == "min") {
      value = allowed.front();
    } else if (e.is_number_integer() && table_index(allowed, e.get<std::int64_t>()) >= 0) {
      value = e.get<std::int64_t>();
    } else {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::to_string(a);
      reader.fail(key + "/" + std::to_string(i),
                  "found " + e.dump() + ", allowed: " + list + ", \"min\", \"max\"");
    }
    if (!out.empty() && value <= out.back()) reader.fail(key, "values must be ascending");
    out.push_back(value);
  }
  return out;
}

}  // namespace

PolicyInfo dvfo_info() {
  PolicyInfo info;
  info.name = "dvfo";
  info.roles = {Role::clocks, Role::placement};
  info.learned = true;
  info.summary =
      "DVFO (TMC 2024): a branched DQN picks CPU x GPU x EMC clocks and the offloaded channel share per "
      "frame, thinking while moving (learned)";
  info.params = {
      {"cpu_levels", "\"auto\"",
       "CPU action values (kHz, ascending table values or \"min\"/\"max\"); \"auto\" = levels_per_domain "
       "steps spread over the power mode's table, lowest and highest included"},
      {"gpu_levels", "\"auto\"", "GPU action values (Hz), as cpu_levels"},
      {"emc_levels", "\"auto\"", "EMC action values (Hz), as cpu_levels"},
      {"levels_per_domain", "3", "steps per domain for \"auto\" levels, 1..16"},
      {"shares", "[0, 0.25, 0.5, 0.75, 1]",
       "offloaded channel share bins xi, ascending in [0, 1]; 0 = everything on the device"},
      {"split_after", "\"auto\"",
       "unit after which the channels are split (index or name); \"auto\" = the smallest feature map in the "
       "first half of the model"},
      {"eta", "0.5", "weight of energy against latency in the reward, [0, 1]"},
      {"epsilon_pp", "1", "accuracy loss allowed without penalty, percentage points, [0, 100]"},
      {"penalty", "1", "reward lost per percentage point of accuracy loss beyond epsilon_pp, >= 0"},
      {"energy_ref_j", "0",
       "energy that normalises the reward's E (device + radio, J); 0 = an offline probe of the whole model "
       "on the device at the mode's highest clocks"},
      {"latency_ref_s", "0", "latency that normalises the reward's T (s); 0 = the same probe's latency"},
      {"reference_accuracy", "0",
       "accuracy the loss is measured against, (0, 1]; 0 = the highest expected accuracy of the model's xi = "
       "0 outcomes so far"},
      {"concurrent", "true",
       "thinking while moving: the action decided at a frame applies to the next frame and the state holds "
       "the previous action and the decision time; must match the group's decision mode (\"concurrent\"); "
       "false = wait mode, no such state (the DRLDO-like baseline)"},
      {"accuracy_guard", "true",
       "a share bin whose observed accuracy loss exceeded epsilon_pp is not used again: the decision falls "
       "back to the largest smaller bin seen within it, or to share 0 (also while the model's reference "
       "accuracy is unknown); false = the reward's penalty only"},
      {"queue_guard", "2",
       "when at least this many of the device's other frames are not done (waiting on the device, or decided "
       "and still uploading or on the cloud), the decision is the whole model on the device (share 0) at the "
       "highest clock levels, whatever the agent chose; 0 = never"},
      {"decision_s", "0.001", "decision time reported to the group's decision cost (\"reported\"), s"},
      {"learner", "{}",
       "overrides of the learner spec (default: docs/dvfo.md), e.g. {\"learning_rate\": 0.0005}"},
      {"network", "\"dvfo\"", "name of the learned network"},
      {"checkpoint", "\"\"", "checkpoint directory to evaluate (written by edgetwin train)"},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext& ctx) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'dvfo'", p, params);
    const auto tables = context_tables(ctx, reader.who());
    DvfoPolicy::Settings s;
    const int per_domain = reader.integer("levels_per_domain", 1, 16);
    s.cpu_khz = levels(reader, "cpu_levels", tables.cpu_khz, per_domain);
    s.gpu_hz = levels(reader, "gpu_levels", tables.gpu_hz, per_domain);
    s.emc_hz = levels(reader, "emc_levels", tables.emc_hz, per_domain);
    s.probe_clocks = tables.max();
    const auto& shares = reader.value("shares");
    if (!shares.is_array() || shares.empty())
      reader.fail("shares", "found " + shares.dump() + ", allowed: a non-empty array");
    for (std::size_t i = 0; i < shares.size(); ++i) {
      const auto& e = shares[i];
      if (!e.is_number() || e.get<double>() < 0 || e.get<double>() > 1 ||
          (!s.shares.empty() && e.get<double>() <= s.shares.back())) {
        reader.fail("shares/" + std::to_string(i),
                    "found " + e.dump() + ", allowed: ascending numbers in [0, 1]");
      }
      s.shares.push_back(e.get<double>());
    }
    const auto& split = reader.value("split_after");
    if (split.is_string() && split.get<std::string>() != "auto") {
      s.split_name = split.get<std::string>();
    } else if (split.is_number_integer() && split.get<int>() >= 0) {
      s.split_index = split.get<int>();
    } else if (split != "auto") {
      reader.fail("split_after",
                  "found " + split.dump() + ", allowed: a unit index >= 0, a unit name or \"auto\"");
    }
    for (const traces::Model* m : ctx.models) {
      if (m == nullptr) continue;
      const int n = static_cast<int>(m->units.size());
      if (!s.split_name.empty() && m->unit_index(s.split_name) < 0)
        reader.fail("split_after",
                    "found \"" + s.split_name + "\", but model " + m->id + " has no unit of that name");
      if (s.split_index >= n - 1) {
        reader.fail("split_after", "found " + std::to_string(s.split_index) + ", allowed for model " + m->id +
                                       ": 0.." + std::to_string(n - 2) + ", a unit name or \"auto\"");
      }
    }
    s.eta = reader.number("eta", 0, 1);
    s.epsilon_pp = reader.number("epsilon_pp", 0, 100);
    s.penalty = reader.number("penalty", 0, 1e6);
    s.energy_ref_j = reader.number("energy_ref_j", 0, 1e6);
    s.latency_ref_s = reader.number("latency_ref_s", 0, 1e6);
    s.reference_accuracy = reader.number("reference_accuracy", 0, 1);
    s.concurrent = reader.boolean("concurrent");
    s.accuracy_guard = reader.boolean("accuracy_guard");
    s.queue_guard = reader.integer("queue_guard", 0, 1000000);
    s.decision_s = reader.number("decision_s", 0, 10);

    AgentRequest request;
    request.policy = "dvfo";
    const auto overrides = reader.object("learner");
    for (const char* fixed : {"state_dim", "action_count", "branches"}) {
      if (overrides.contains(fixed))
        reader.fail("learner", std::string("'") + fixed + "' is set by the policy");
    }
    if (overrides.value("kind", std::string("dqn")) != "dqn")
      reader.fail("learner", "kind " + overrides["kind"].dump() + ": allowed dqn (branched heads)");
    request.learner = default_learner();
    request.learner.merge_patch(overrides);
    const std::vector<int> branches = {static_cast<int>(s.cpu_khz.size()), static_cast<int>(s.gpu_hz.size()),
                                       static_cast<int>(s.emc_hz.size()), static_cast<int>(s.shares.size())};
    request.learner["branches"] = branches;
    request.learner["action_count"] = common::joint_action_count(branches);
    request.state_names = {"queue_length", "uplink_mbps",    "uplink_latency_ms",
                           "complexity",   "latency_ref_ms", "energy_ref_j"};
    if (s.concurrent) {
      for (const char* n : {"previous_cpu_level", "previous_gpu_level", "previous_emc_level",
                            "previous_share_bin", "decision_ms", "since_previous_frame_s"})
        request.state_names.push_back(n);
    }
    request.learner["state_dim"] = static_cast<int>(request.state_names.size());
    for (int joint = 0; joint < common::joint_action_count(branches); ++joint) {
      const auto t = common::action_tuple(branches, joint);
      std::ostringstream name;
      name << "cpu_khz=" << s.cpu_khz[static_cast<std::size_t>(t[0])]
           << ",gpu_hz=" << s.gpu_hz[static_cast<std::size_t>(t[1])]
           << ",emc_hz=" << s.emc_hz[static_cast<std::size_t>(t[2])]
           << ",share=" << s.shares[static_cast<std::size_t>(t[3])];
      request.action_names.push_back(name.str());
    }
    request.checkpoint = reader.text("checkpoint");
    request.network = reader.text("network");
    if (request.network.empty()) request.network = "dvfo";
    if (!ctx.agents) {
      throw std::invalid_argument(
          "policy 'dvfo' is learned: evaluate a trained checkpoint with `edgetwin run FILE --checkpoint DIR` "
          "(or its parameter \"checkpoint\"), or train one with `edgetwin train FILE --out DIR`");
    }
    return std::make_unique<DvfoPolicy>(std::move(s), ctx.agents(request));
  };
  return info;
}

}  // namespace edgetwin::policies

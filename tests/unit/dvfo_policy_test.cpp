// The DVFO policy (policies/src/dvfo.cpp) through a scripted agent: its branched action decoding,
// the reward (docs/dvfo.md) by hand, the thinking-while-moving bookkeeping (the transition of a
// request carries the action decided at the previous frame), the probed references; the
// AppealNet-like baseline and the cloud-only image codec; parameter errors.

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edgetwin/policies/clock_tables.hpp"
#include "edgetwin/policies/policy.hpp"
#include "edgetwin/traces/catalog.hpp"

namespace pol = edgetwin::policies;
using nlohmann::json;

namespace {

const edgetwin::traces::Catalog& catalog() {
  static const auto c = edgetwin::traces::Catalog::load(EDGETWIN_CATALOG_DIR);
  return c;
}
const edgetwin::traces::Model& effnet() {
  return catalog().model("efficientnet_b0");
}

class ScriptedAgent : public pol::Agent {
 public:
  struct Observed {
    std::vector<float> state;
    int action;
    double reward;
    std::vector<float> next_state;
    double dt_s;
  };
  explicit ScriptedAgent(std::vector<int> actions) : actions_(std::move(actions)) {}
  int act(const std::vector<float>& state) override {
    states.push_back(state);
    return actions_.at(states.size() - 1);
  }
  void observe(const std::vector<float>& s, int a, double r, const std::vector<float>& n, bool,
               double dt_s) override {
    observed.push_back({s, a, r, n, dt_s});
  }
  std::vector<std::vector<float>> states;
  std::vector<Observed> observed;

 private:
  std::vector<int> actions_;
};

struct Made {
  std::unique_ptr<pol::Policy> policy;
  std::shared_ptr<ScriptedAgent> agent;
  pol::AgentRequest request;
};

pol::PolicyContext context() {
  pol::PolicyContext ctx;
  ctx.board = &catalog().board("xavier_nx");
  ctx.models = {&effnet()};
  return ctx;
}

// cpu {min, max} x gpu {max} x emc {max} x shares {0, 0.5}: joint = 2 cpu + share. Without the
// accuracy and queue guards, so that the scripted actions run as given (the guards have their own
// tests).
json small(bool concurrent) {
  return {{"cpu_levels", {"min", "max"}},  {"gpu_levels", {"max"}},
          {"emc_levels", {"max"}},         {"shares", {0, 0.5}},
          {"split_after", "features.4.0"}, {"energy_ref_j", 0.2},
          {"latency_ref_s", 0.05},         {"concurrent", concurrent},
          {"accuracy_guard", false},       {"queue_guard", 0}};
}

Made make(const json& params, std::vector<int> actions) {
  pol::PolicyRegistry registry;
  pol::register_builtin_policies(registry);
  Made m;
  m.agent = std::make_shared<ScriptedAgent>(std::move(actions));
  auto ctx = context();
  ctx.agents = [&m](const pol::AgentRequest& r) {
    m.request = r;
    return m.agent;
  };
  m.policy = registry.create({pol::Role::clocks, pol::Role::placement}, "dvfo", params, ctx);
  return m;
}

pol::FrameObservation frame(long id, double now_s) {
  pol::FrameObservation o;
  o.now_s = now_s;
  o.arrival_s = now_s;
  o.request_id = id;
  o.model = &effnet();
  o.board = &catalog().board("xavier_nx");
  o.uplink_bandwidth_bps = 2e6;
  o.uplink_latency_s = 0.005;
  o.queue_length = 1;
  o.complexity = 0.4;
  return o;
}

pol::Outcome outcome(long id, double share, double end_s) {
  pol::Outcome o;
  o.request_id = id;
  o.model = &effnet();
  o.end_s = end_s;
  o.latency_s = 0.1;
  o.device_energy_j = 0.1;
  o.radio_energy_j = 0.02;
  o.accuracy = 0.77;
  o.offload_share = share;
  o.edge_units = share > 0 ? 7 : static_cast<int>(effnet().units.size());
  return o;
}

std::string make_error(const json& params) {
  try {
    make(params, {0});
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(DvfoPolicy, AJointActionDecodesToClocksOfEveryDomainAndAShareAfterTheSplitUnit) {
  auto m = make(small(false), {3, 0});
  const auto& modes = catalog().board("xavier_nx");
  const auto max = pol::ClockTables::for_mode(modes, -1).max();
  EXPECT_EQ(m.request.learner["branches"], json({2, 1, 1, 2}));
  EXPECT_EQ(m.request.learner["action_count"], 4);
  EXPECT_EQ(m.request.learner["state_dim"], 6);
  EXPECT_EQ(m.request.action_names.size(), 4u);
  const auto a = m.policy->on_frame(frame(1, 1.0));
  ASSERT_EQ(a.clocks.size(), 1u);
  EXPECT_EQ(a.clocks[0].first_unit, 0);
  EXPECT_EQ(a.clocks[0].clocks.cpu_khz, max.cpu_khz);
  EXPECT_EQ(a.clocks[0].clocks.gpu_hz, max.gpu_hz);
  EXPECT_EQ(a.clocks[0].clocks.emc_hz, max.emc_hz);
  EXPECT_EQ(a.edge_units, 7);  // features.4.0 is unit 6
  EXPECT_DOUBLE_EQ(a.offload_share, 0.5);
  EXPECT_DOUBLE_EQ(a.decision_s, 0.001);
  const auto b = m.policy->on_frame(frame(2, 1.2));
  EXPECT_EQ(b.clocks[0].clocks.cpu_khz, pol::ClockTables::for_mode(modes, -1).cpu_khz.front());
  EXPECT_EQ(b.edge_units, pol::kAllUnits);
}

TEST(DvfoPolicy, TheRewardWeighsEnergyAndLatencyAndPenalisesAccuracyLossBeyondEpsilon) {
  auto p = small(false);
  p["eta"] = 0.25;
  p["epsilon_pp"] = 0.5;
  p["penalty"] = 2;
  p["reference_accuracy"] = 0.78;
  auto m = make(p, {3});
  m.policy->on_frame(frame(1, 1.0));
  m.policy->on_outcome(outcome(1, 0.5, 1.1));
  ASSERT_EQ(m.agent->observed.size(), 1u);
  // E = (0.1 + 0.02) / 0.2 = 0.6, T = 0.1 / 0.05 = 2: 0.25 * 0.6 + 0.75 * 2 = 1.65; loss 1 pp,
  // 0.5 beyond epsilon, times 2 = 1.
  EXPECT_NEAR(m.agent->observed[0].reward, -2.65, 1e-9);
  EXPECT_EQ(m.agent->observed[0].action, 3);
  EXPECT_NEAR(m.agent->observed[0].dt_s, 0.1, 1e-12);
  // Within epsilon: no penalty.
  auto q = p;
  q["epsilon_pp"] = 1.5;
  auto n = make(q, {3});
  n.policy->on_frame(frame(1, 1.0));
  n.policy->on_outcome(outcome(1, 0.5, 1.1));
  EXPECT_NEAR(n.agent->observed[0].reward, -1.65, 1e-9);
}

TEST(DvfoPolicy, WithoutAReferenceAccuracyTheLossIsMeasuredAgainstTheEdgeOnlyOutcomes) {
  auto p = small(false);
  p["epsilon_pp"] = 0;
  auto m = make(p, {0, 1});
  m.policy->on_frame(frame(1, 1.0));
  m.policy->on_frame(frame(2, 1.2));
  auto edge = outcome(1, 0, 1.05);
  edge.accuracy = 0.78;
  m.policy->on_outcome(edge);
  m.policy->on_outcome(outcome(2, 0.5, 1.3));  // 0.77: 1 pp below the edge-only outcome
  ASSERT_EQ(m.agent->observed.size(), 2u);
  EXPECT_NEAR(m.agent->observed[0].reward, -(0.5 * 0.6 + 0.5 * 2), 1e-9);
  EXPECT_NEAR(m.agent->observed[1].reward, -(0.5 * 0.6 + 0.5 * 2) - 1.0, 1e-9);
}

TEST(DvfoPolicy, InConcurrentModeARequestsTransitionCarriesTheActionDecidedAtThePreviousFrame) {
  auto m = make(small(true), {3, 0, 3});
  EXPECT_EQ(m.request.learner["state_dim"], 12);
  m.policy->on_frame(frame(1, 1.0));
  m.policy->on_frame(frame(2, 1.2));
  m.policy->on_frame(frame(3, 1.4));
  // Frame 1 runs its own action (nothing earlier), frame 2 the one decided at frame 1 (3: share
  // 0.5), frame 3 the one decided at frame 2 (0: edge only).
  m.policy->on_outcome(outcome(1, 0.5, 1.1));
  m.policy->on_outcome(outcome(2, 0.5, 1.3));
  m.policy->on_outcome(outcome(3, 0, 1.5));
  ASSERT_EQ(m.agent->observed.size(), 3u);
  EXPECT_EQ(m.agent->observed[0].action, 3);
  EXPECT_EQ(m.agent->observed[1].action, 3);
  EXPECT_EQ(m.agent->observed[2].action, 0);
  EXPECT_EQ(m.agent->observed[1].state, m.agent->states[0]);
  EXPECT_EQ(m.agent->observed[2].state, m.agent->states[1]);
  EXPECT_NEAR(m.agent->observed[1].dt_s, 0.3, 1e-12);  // decided at 1.0, result at 1.3
  // The state: queue, Mbps, ms, complexity, references, then the previous action's levels (each
  // / (n - 1)), the decision time (ms) and the time since the previous frame.
  const std::vector<float> second = {1, 2, 5, 0.4F, 50, 0.2F, 1, 0, 0, 1, 1, 0.2F};
  ASSERT_EQ(m.agent->states[1].size(), second.size());
  for (std::size_t i = 0; i < second.size(); ++i) EXPECT_NEAR(m.agent->states[1][i], second[i], 1e-5) << i;
  EXPECT_EQ(m.agent->states[0][6], 0.0F);  // no previous action at the first frame
}

TEST(DvfoPolicy, TheAccuracyGuardStopsUsingAShareThatLostMoreThanEpsilon) {
  // shares {0, 0.25, 0.5} (joint = 3 cpu + share bin); the agent always asks for cpu max, share 0.5.
  auto p = small(false);
  p["shares"] = {0, 0.25, 0.5};
  p["accuracy_guard"] = true;
  p["epsilon_pp"] = 0.5;
  p["reference_accuracy"] = 0.78;
  auto m = make(p, {5, 5, 5, 4, 5});
  const auto first = m.policy->on_frame(frame(1, 1.0));
  EXPECT_DOUBLE_EQ(first.offload_share, 0.5);  // nothing seen yet: as asked
  m.policy->on_outcome(outcome(1, 0.5, 1.1));  // 0.77: 1 pp lost, beyond 0.5
  const auto second = m.policy->on_frame(frame(2, 1.2));
  // No smaller share was seen within the budget: share 0, clocks as asked.
  EXPECT_EQ(second.edge_units, pol::kAllUnits);
  EXPECT_EQ(second.clocks[0].clocks.cpu_khz, first.clocks[0].clocks.cpu_khz);
  m.policy->on_outcome(outcome(2, 0, 1.3));
  EXPECT_EQ(m.agent->observed[1].action, 3);  // the agent learns from the action that ran
  const auto third = m.policy->on_frame(frame(3, 1.4));
  EXPECT_EQ(third.edge_units, pol::kAllUnits);
  m.policy->on_outcome(outcome(3, 0, 1.5));
  const auto fourth = m.policy->on_frame(frame(4, 1.6));  // asks for 0.25: unseen, so allowed
  EXPECT_DOUBLE_EQ(fourth.offload_share, 0.25);
  auto within = outcome(4, 0.25, 1.7);
  within.accuracy = 0.777;  // 0.3 pp
  m.policy->on_outcome(within);
  // 0.5 again: falls back to 0.25, the largest smaller share seen within the budget.
  EXPECT_DOUBLE_EQ(m.policy->on_frame(frame(5, 1.8)).offload_share, 0.25);
}

TEST(DvfoPolicy, TheAccuracyGuardKeepsShareZeroUntilTheReferenceIsKnown) {
  auto p = small(false);
  p["accuracy_guard"] = true;
  auto m = make(p, {1, 1});
  EXPECT_EQ(m.policy->on_frame(frame(1, 1.0)).edge_units, pol::kAllUnits);
  auto edge = outcome(1, 0, 1.05);
  edge.accuracy = 0.78;
  m.policy->on_outcome(edge);
  EXPECT_DOUBLE_EQ(m.policy->on_frame(frame(2, 1.2)).offload_share, 0.5);
  // Off: the agent's share runs from the first frame.
  auto q = small(false);
  auto n = make(q, {1});
  EXPECT_DOUBLE_EQ(n.policy->on_frame(frame(1, 1.0)).offload_share, 0.5);
}

TEST(DvfoPolicy, TheQueueGuardRunsTheWholeModelAtTheHighestLevelsWhenFramesPileUp) {
  // Frames not done = waiting on the device (queue_length) + this device's earlier frames that
  // are decided but have no outcome yet (uploads or cloud work in flight).
  auto p = small(false);
  p["queue_guard"] = 2;
  auto m = make(p, {1, 1, 1, 1});  // cpu min, share 0.5
  const auto& nx = catalog().board("xavier_nx");
  const auto tables = pol::ClockTables::for_mode(nx, -1);
  auto f = frame(1, 1.0);
  f.queue_length = 1;  // 1 + 0 in flight: below the guard, the agent's action
  const auto a = m.policy->on_frame(f);
  EXPECT_EQ(a.clocks[0].clocks.cpu_khz, tables.cpu_khz.front());
  EXPECT_DOUBLE_EQ(a.offload_share, 0.5);
  f = frame(2, 1.2);
  f.queue_length = 0;  // 0 + 1 in flight
  EXPECT_DOUBLE_EQ(m.policy->on_frame(f).offload_share, 0.5);
  f = frame(3, 1.4);  // 0 + 2 in flight: share 0, the highest levels
  f.queue_length = 0;
  const auto c = m.policy->on_frame(f);
  EXPECT_EQ(c.clocks[0].clocks.cpu_khz, tables.cpu_khz.back());
  EXPECT_EQ(c.edge_units, pol::kAllUnits);
  m.policy->on_outcome(outcome(1, 0.5, 1.5));
  m.policy->on_outcome(outcome(2, 0.5, 1.6));
  m.policy->on_outcome(outcome(3, 0, 1.7));
  ASSERT_EQ(m.agent->observed.size(), 3u);
  EXPECT_EQ(m.agent->observed[2].action, 2);  // credited with what ran: cpu max, share 0
  f = frame(4, 1.8);                          // all done again: the agent's action
  f.queue_length = 1;
  EXPECT_DOUBLE_EQ(m.policy->on_frame(f).offload_share, 0.5);
  p["queue_guard"] = 0;  // off
  auto n = make(p, {1});
  f.queue_length = 50;
  EXPECT_DOUBLE_EQ(n.policy->on_frame(f).offload_share, 0.5);
}

TEST(DvfoPolicy, AnOutcomeThatShowsAnotherPlacementNamesTheConcurrentParam) {
  auto m = make(small(true), {3, 0});
  m.policy->on_frame(frame(1, 1.0));
  m.policy->on_frame(frame(2, 1.2));
  try {
    m.policy->on_outcome(outcome(2, 0, 1.3));  // the policy applied share 0.5 to request 2
    FAIL() << "expected a logic_error";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("\"concurrent\""), std::string::npos) << e.what();
  }
}

namespace {
class FixedProber : public pol::Prober {
 public:
  pol::ProbeResult measure(const pol::ProbeRequest& r) override {
    last = r;
    return {0.04, 7.5, 0.3};
  }
  pol::ProbeRequest last;
};
}  // namespace

TEST(DvfoPolicy, WithoutReferencesItProbesTheWholeModelOfflineAtTheHighestClocks) {
  auto p = small(false);
  p.erase("energy_ref_j");
  p.erase("latency_ref_s");
  p["split_after"] = "auto";
  auto m = make(p, {1});
  FixedProber prober;
  auto f = frame(1, 1.0);
  f.probe = &prober;
  const auto a = m.policy->on_frame(f);
  EXPECT_FALSE(prober.last.on_device);
  EXPECT_EQ(prober.last.first_unit, 0);
  EXPECT_EQ(prober.last.end_unit, static_cast<int>(effnet().units.size()));
  const auto& nx = catalog().board("xavier_nx");
  EXPECT_EQ(prober.last.clocks, pol::ClockTables::for_mode(nx, -1).max());
  EXPECT_NEAR(m.agent->states[0][4], 40, 1e-4);
  EXPECT_NEAR(m.agent->states[0][5], 0.3, 1e-6);
  EXPECT_EQ(a.edge_units, 7);  // "auto": features.4.0, the smallest map in the first half
}

TEST(DvfoPolicy, AutoLevelsSpreadOverTheModesTable) {
  auto p = small(false);
  p.erase("cpu_levels");
  p["levels_per_domain"] = 3;
  auto m = make(p, {0});
  const auto t = pol::ClockTables::for_mode(catalog().board("xavier_nx"), -1).cpu_khz;
  const auto& names = m.request.action_names;
  const int n = static_cast<int>(t.size());
  EXPECT_EQ(m.request.learner["branches"][0], 3);
  EXPECT_NE(names[0].find("cpu_khz=" + std::to_string(t.front()) + ","), std::string::npos) << names[0];
  EXPECT_NE(names.back().find("cpu_khz=" + std::to_string(t.back()) + ","), std::string::npos);
  EXPECT_NE(
      names[2].find("cpu_khz=" + std::to_string(t[static_cast<std::size_t>(std::lround((n - 1) / 2.0))])),
      std::string::npos)
      << names[2];
}

TEST(DvfoPolicy, BadParamsNameTheKeyAndWhatIsAllowed) {
  auto p = small(false);
  p["shares"] = {0.5, 0.25};
  EXPECT_NE(make_error(p).find("shares/1"), std::string::npos) << make_error(p);
  p = small(false);
  p["split_after"] = "layer9";
  EXPECT_NE(make_error(p).find("no unit of that name"), std::string::npos);
  p = small(false);
  p["learner"] = {{"branches", {2}}};
  EXPECT_NE(make_error(p).find("set by the policy"), std::string::npos);
  p = small(false);
  p["cpu_levels"] = {12345};
  EXPECT_NE(make_error(p).find("cpu_levels/0"), std::string::npos);
  p = small(false);
  p["concurrent"] = "yes";
  EXPECT_NE(make_error(p).find("allowed: true, false"), std::string::npos);
  p = small(false);
  p["accuracy_guard"] = 1;
  EXPECT_NE(make_error(p).find("accuracy_guard"), std::string::npos);
  p = small(false);
  p["queue_guard"] = -1;
  EXPECT_NE(make_error(p).find("queue_guard"), std::string::npos);
}

TEST(CloudOnly, AnImageCodecSetsTheUploadedBytesPerInputElement) {
  pol::PolicyRegistry registry;
  pol::register_builtin_policies(registry);
  const auto raw = registry.create(pol::Role::placement, "cloud_only", nullptr, context())->on_frame({});
  EXPECT_EQ(raw.edge_units, 0);
  EXPECT_EQ(raw.input_bytes_per_element, 0);
  const auto jpeg =
      registry.create(pol::Role::placement, "cloud_only", {{"input_bits_per_pixel", 1.5}}, context())
          ->on_frame({});
  EXPECT_DOUBLE_EQ(jpeg.input_bytes_per_element, 1.5 / 8 / 3);  // 0.0625 bytes per RGB element
}

TEST(AppealNet, FramesHarderThanTheThresholdGoToTheCloudWhole) {
  pol::PolicyRegistry registry;
  pol::register_builtin_policies(registry);
  auto p = registry.create(pol::Role::placement, "appealnet",
                           {{"threshold", 0.6}, {"difficulty_noise", 0}, {"input_bits_per_pixel", 2.4}},
                           context());
  pol::FrameObservation easy;
  easy.complexity = 0.55;
  pol::FrameObservation hard;
  hard.complexity = 0.65;
  EXPECT_EQ(p->on_frame(easy).edge_units, pol::kAllUnits);
  const auto a = p->on_frame(hard);
  EXPECT_EQ(a.edge_units, 0);
  EXPECT_DOUBLE_EQ(a.input_bytes_per_element, 0.1);
  // With estimation noise, a frame at the threshold goes either way, about half the time.
  auto noisy = registry.create(pol::Role::placement, "appealnet",
                               {{"threshold", 0.6}, {"difficulty_noise", 0.1}}, context());
  pol::FrameObservation at;
  at.complexity = 0.6;
  int cloud = 0;
  for (int i = 0; i < 2000; ++i) cloud += noisy->on_frame(at).edge_units == 0 ? 1 : 0;
  EXPECT_GT(cloud, 900);
  EXPECT_LT(cloud, 1100);
}

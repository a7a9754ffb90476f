// The zTT policy (policies/src/ztt.cpp): its state vector, reward and action grid against
// hand-computed values on the TX2 tables (zTT, MobiSys 2021, and github.com/ztt-21/zTT), through a scripted
// agent; parameter errors.

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/traces/catalog.hpp"

namespace pol = edgetwin::policies;
using nlohmann::json;

namespace {

const edgetwin::traces::Catalog& catalog() {
  static const auto c = edgetwin::traces::Catalog::load(EDGETWIN_CATALOG_DIR);
  return c;
}

/// Returns scripted actions and records what the policy tells it.
class ScriptedAgent : public pol::Agent {
 public:
  struct Observed {
    std::vector<float> state;
    int action;
    double reward;
    std::vector<float> next_state;
    bool done;
    double dt_s;
  };
  explicit ScriptedAgent(std::vector<int> actions) : actions_(std::move(actions)) {}
  int act(const std::vector<float>& state) override {
    states.push_back(state);
    return actions_.at(states.size() - 1);
  }
  void observe(const std::vector<float>& s, int a, double r, const std::vector<float>& n, bool done,
               double dt_s) override {
    observed.push_back({s, a, r, n, done, dt_s});
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

Made make_ztt(const json& params, std::vector<int> actions = {0, 0, 0}, int power_mode = -1) {
  pol::PolicyRegistry registry;
  pol::register_builtin_policies(registry);
  Made m;
  m.agent = std::make_shared<ScriptedAgent>(std::move(actions));
  pol::PolicyContext ctx;
  ctx.board = &catalog().board("tx2");
  ctx.power_mode = power_mode;
  ctx.agents = [&m](const pol::AgentRequest& r) {
    m.request = r;
    return m.agent;
  };
  m.policy = registry.create(pol::Role::clocks, "ztt", params, ctx);
  return m;
}

std::string make_error(const json& params, int power_mode = -1, bool with_agents = true) {
  pol::PolicyRegistry registry;
  pol::register_builtin_policies(registry);
  pol::PolicyContext ctx;
  ctx.board = &catalog().board("tx2");
  ctx.power_mode = power_mode;
  if (with_agents)
    ctx.agents = [](const pol::AgentRequest&) { return std::make_shared<ScriptedAgent>(std::vector<int>{}); };
  try {
    registry.create(pol::Role::clocks, "ztt", params, ctx);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

pol::TickObservation observation(double fps, double cpu_w, double gpu_w, double cpu_c, double gpu_c) {
  pol::TickObservation o;
  o.now_s = 1;
  o.period_s = 1;
  o.board = &catalog().board("tx2");
  o.clocks = {1420800, 1236750000, 1866000000};  // TX2 CPU index 7, GPU index 11
  o.fps = fps;
  o.cpu_power_w = cpu_w;
  o.gpu_power_w = gpu_w;
  o.power_w = 5.0;
  o.cpu_temp_c = cpu_c;
  o.gpu_temp_c = gpu_c;
  return o;
}

}  // namespace

TEST(Ztt, IsALearnedTickingClocksPolicy) {
  pol::PolicyRegistry registry;
  pol::register_builtin_policies(registry);
  const auto& info = registry.get("ztt");
  EXPECT_TRUE(info.learned);
  EXPECT_TRUE(info.plays(pol::Role::clocks));
  auto m = make_ztt(json::object());
  EXPECT_DOUBLE_EQ(m.policy->tick_period_s(), 1.0);
  EXPECT_TRUE(m.policy->shares_state());
  // Boots at the highest action clocks; EMC pinned at its maximum.
  const auto initial = m.policy->initial_clocks();
  ASSERT_TRUE(initial.has_value());
  EXPECT_EQ(*initial, (pol::Clocks{2035200, 1236750000, 1866000000}));
}

TEST(Ztt, AsksForZttsDqnWithItsStateAndActionSpec) {
  auto m = make_ztt(json{{"learner", {{"learning_rate", 0.01}}}});
  const auto& l = m.request.learner;
  EXPECT_EQ(m.request.policy, "ztt");
  EXPECT_EQ(l.at("kind"), "dqn");
  EXPECT_EQ(l.at("state_dim"), 7);
  EXPECT_EQ(l.at("action_count"), 9);
  EXPECT_EQ(l.at("hidden"), json::array({6, 6}));
  EXPECT_DOUBLE_EQ(l.at("learning_rate").get<double>(), 0.01);  // the override
  EXPECT_DOUBLE_EQ(l.at("gamma").get<double>(), 0.9);
  EXPECT_EQ(l.at("batch_size"), 64);
  EXPECT_EQ(l.at("replay_capacity"), 500);
  EXPECT_EQ(l.at("warmup"), 200);
  ASSERT_EQ(m.request.state_names.size(), 7U);
  ASSERT_EQ(m.request.action_names.size(), 9U);
  EXPECT_EQ(m.request.action_names[5], "cpu_khz=1420800,gpu_hz=1236750000");
}

TEST(Ztt, ASacVariantGetsSacDefaults) {
  auto m = make_ztt(json{{"learner", {{"kind", "sac"}, {"actor_learning_rate", 0.001}}}});
  const auto& l = m.request.learner;
  EXPECT_EQ(l.at("kind"), "sac");
  EXPECT_EQ(l.at("hidden"), json::array({6, 6}));
  EXPECT_DOUBLE_EQ(l.at("actor_learning_rate").get<double>(), 0.001);
  EXPECT_FALSE(l.contains("epsilon"));  // a DQN key
  EXPECT_EQ(l.at("action_count"), 9);
}

TEST(Ztt, StateRewardAndActionsMatchTheHandComputedValues) {
  auto m = make_ztt(json{{"target_fps", 15}}, {5, 0});
  // Tick 1: state (CPU index 7, GPU index 11, 1.2 W x 10, 2.3 W x 10, 45 °C, 47 °C, 12 fps).
  const auto a1 = m.policy->on_tick(observation(12, 1.2, 2.3, 45, 47));
  ASSERT_EQ(m.agent->states.size(), 1U);
  EXPECT_EQ(m.agent->states[0], (std::vector<float>{7, 11, 12, 23, 45, 47, 12}));
  EXPECT_TRUE(m.agent->observed.empty());  // nothing to learn from before the first action
  // Action 5 = CPU level 5 / 3 = 1 (index 7), GPU level 5 % 3 = 2 (index 11).
  EXPECT_TRUE(a1.change);
  EXPECT_EQ(a1.clocks, (pol::Clocks{1420800, 1236750000, 1866000000}));
  // Tick 2: the reward of action 5 is computed from what followed it.
  const auto a2 = m.policy->on_tick(observation(12, 1.2, 2.3, 45, 47));
  ASSERT_EQ(m.agent->observed.size(), 1U);
  const auto& o = m.agent->observed[0];
  // u = 12 / 15; v = 0.2 tanh(50 - 45); P = (1.2 + 2.3) x 10 = 35: beta / P = 2 / 35.
  EXPECT_NEAR(o.reward, 0.8 + 0.2 * std::tanh(5.0) + 2.0 / 35.0, 1e-12);
  EXPECT_EQ(o.action, 5);
  EXPECT_EQ(o.state, m.agent->states[0]);
  EXPECT_EQ(o.next_state, m.agent->states[1]);
  EXPECT_FALSE(o.done);
  EXPECT_DOUBLE_EQ(o.dt_s, 1.0);
  EXPECT_EQ(a2.clocks, (pol::Clocks{806400, 420750000, 1866000000}));  // action 0: indices 3, 3
}

TEST(Ztt, RewardCapsTheFrameRateAndPenalisesAHotCpu) {
  auto m = make_ztt(json{{"target_fps", 15}}, {0, 0, 0});
  m.policy->on_tick(observation(20, 1.0, 1.0, 30, 30));
  m.policy->on_tick(observation(20, 1.0, 1.0, 50, 30));  // at the target temperature: v = -2
  m.policy->on_tick(observation(20, 1.0, 1.0, 49, 30));
  ASSERT_EQ(m.agent->observed.size(), 2U);
  EXPECT_NEAR(m.agent->observed[0].reward, 1.0 - 2.0 + 2.0 / 20.0, 1e-12);
  EXPECT_NEAR(m.agent->observed[1].reward, 1.0 + 0.2 * std::tanh(1.0) + 2.0 / 20.0, 1e-12);
}

TEST(Ztt, WithoutRailsOrTemperaturesTheTotalPowerStandsInAndTheTemperatureTermIsZero) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto m = make_ztt(json{{"target_fps", 10}}, {0, 0});
  m.policy->on_tick(observation(10, nan, nan, nan, nan));
  m.policy->on_tick(observation(10, nan, nan, nan, nan));
  EXPECT_EQ(m.agent->states[0], (std::vector<float>{7, 11, 0, 50, 0, 0, 10}));
  EXPECT_NEAR(m.agent->observed[0].reward, 1.0 + 0.0 + 2.0 / 50.0, 1e-12);
}

TEST(Ztt, AutoLevelsAreZttsOnTheTx2AndThirdsOfTheTableElsewhere) {
  // TX2 MAXQ (mode 1): CPU capped at 1113600 kHz (6 steps: indices 1, 3, 5), GPU at 828.75 MHz
  // (8 steps: indices 1, 4, 7). Action 8 = the highest of both.
  auto m = make_ztt(json::object(), {8}, 1);
  EXPECT_EQ(m.request.action_names.front(), "cpu_khz=499200,gpu_hz=216750000");
  EXPECT_EQ(m.request.action_names.back(), "cpu_khz=1113600,gpu_hz=828750000");
}

TEST(Ztt, ParameterErrorsNameTheKeyAndWhatIsAllowed) {
  EXPECT_NE(make_error(json{{"cpu_levels", {3, 12}}}).find("allowed indices 0..11"), std::string::npos);
  EXPECT_NE(make_error(json{{"gpu_levels", {7, 3}}}).find("ascending"), std::string::npos);
  EXPECT_NE(make_error(json{{"learner", {{"action_count", 4}}}}).find("'action_count' is set by the policy"),
            std::string::npos);
  EXPECT_NE(make_error(json{{"learner", {{"kind", "ppo"}}}}).find("allowed dqn (zTT), sac"),
            std::string::npos);
  // TX2 MAXQ (mode 1) caps the CPU at 1113600 kHz: index 11 (2035200) is not allowed there.
  EXPECT_NE(make_error(json{{"cpu_levels", {3, 7, 11}}}, 1).find("above the power mode's cap"),
            std::string::npos);
  EXPECT_EQ(make_error(json{{"cpu_levels", {0, 4}}, {"gpu_levels", {0, 7}}}, 1), "");
  EXPECT_EQ(make_error(json::object(), 1), "");  // "auto" fits any mode
  EXPECT_NE(make_error(json{{"beta", -1}}).find("beta"), std::string::npos);
  EXPECT_NE(make_error(json::object(), -1, false).find("edgetwin run FILE --checkpoint DIR"),
            std::string::npos);
}

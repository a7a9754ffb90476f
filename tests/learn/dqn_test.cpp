// DQN on tiny problems with hand-known optima.

#include "edgetwin/learn/dqn.hpp"

#include <gtest/gtest.h>

#include "edgetwin/common/action_branches.hpp"
#include "edgetwin/learn/error.hpp"

#include "learn_test_envs.hpp"

namespace edgetwin::learn {
namespace {

using test::Bandit;
using test::Corridor;

class Dqn : public ::testing::Test {
 protected:
  void SetUp() override { use_single_torch_thread(); }
};

DqnConfig corridor_config(bool double_dqn) {
  DqnConfig c;
  c.state_dim = Corridor::kCells;
  c.action_count = 2;
  c.hidden = {32, 32};
  c.gamma = 0.9;
  c.learning_rate = 2e-3;
  c.batch_size = 32;
  c.warmup = 100;
  c.update_every = 1;
  c.target_update_every = 50;
  c.double_dqn = double_dqn;
  c.epsilon = {1.0, 0.1, 1500, EpsilonSchedule::Shape::kLinear};
  c.seed = 11;
  return c;
}

void expect_corridor_optimal(DqnLearner& dqn, const Corridor& env, bool per_second, double tolerance) {
  const auto q_star = test::corridor_optimal_q(env, dqn.config().gamma, per_second);
  for (int cell = 0; cell < Corridor::kGoal; ++cell) {
    const auto q = dqn.q_values(Corridor::encode(cell));
    EXPECT_EQ(dqn.act(Corridor::encode(cell), false), 1) << "cell " << cell;
    EXPECT_NEAR(q[1], q_star[static_cast<std::size_t>(cell)][1], tolerance) << "Q(" << cell << ", right)";
    EXPECT_NEAR(q[0], q_star[static_cast<std::size_t>(cell)][0], tolerance) << "Q(" << cell << ", left)";
  }
}

TEST_F(Dqn, CorridorGreedyPolicyAndQValuesAreOptimal) {
  DqnLearner dqn(corridor_config(false));
  Corridor env;
  env.reset();
  test::train(dqn, env, 4000);
  // Q*(s, right) = 0.9^(4-s), Q*(s, left) = 0.9^(6-s) (0.9^5 at s = 0).
  expect_corridor_optimal(dqn, env, false, 0.05);
  EXPECT_EQ(dqn.counters().decisions, 4000U);
  EXPECT_EQ(dqn.counters().updates, 4000U - 100U + 1U);  // from the 100th transition on
}

TEST_F(Dqn, DoubleDqnCorridorIsOptimalToo) {
  DqnLearner dqn(corridor_config(true));
  Corridor env;
  env.reset();
  test::train(dqn, env, 4000);
  expect_corridor_optimal(dqn, env, false, 0.05);
}

TEST_F(Dqn, SemiMdpDiscountsBySimulatedTime) {
  // Moving right takes 2 s, left 1 s; gamma = 0.9 per second, so Q*(s, right) = 0.81^(4-s).
  auto c = corridor_config(false);
  c.discount_per_second = true;
  c.polyak_tau = 0.05;  // soft target updates, the other option
  DqnLearner dqn(c);
  Corridor env;
  env.right_dt_s = 2.0;
  env.left_dt_s = 1.0;
  env.reset();
  test::train(dqn, env, 4000);
  expect_corridor_optimal(dqn, env, true, 0.05);
  // Far from the goal the per-decision answer (0.9^4 = 0.656) is clearly not what was learned.
  EXPECT_LT(dqn.q_values(Corridor::encode(0))[1], 0.55);
}

TEST_F(Dqn, ContextualBanditLearnsTheRewardTable) {
  DqnConfig c;
  c.state_dim = Bandit::kContexts;
  c.action_count = 9;
  c.hidden = {32, 32};
  c.learning_rate = 2e-3;
  c.batch_size = 32;
  c.warmup = 100;
  c.update_every = 1;
  c.target_update_every = 50;
  c.epsilon = {1.0, 0.2, 1000, EpsilonSchedule::Shape::kExponential};
  c.seed = 5;
  DqnLearner dqn(c);
  Bandit env;
  env.actions = 9;
  env.reset();
  test::train(dqn, env, 3000);
  for (int s = 0; s < Bandit::kContexts; ++s) {
    EXPECT_EQ(dqn.act(Bandit::encode(s), false), env.best(s)) << "context " << s;
    const auto q = dqn.q_values(Bandit::encode(s));
    for (int a = 0; a < 9; ++a)
      EXPECT_NEAR(q[static_cast<std::size_t>(a)], env.reward(s, a), 0.1) << s << "," << a;
  }
}

TEST_F(Dqn, GreedyRewardImprovesWithTraining) {
  // No single action is best in every context (best = 1, 4, 7, 1 of 9), so an untrained network,
  // whatever its weights, cannot be optimal everywhere; after training it must be.
  DqnConfig c;
  c.state_dim = Bandit::kContexts;
  c.action_count = 9;
  c.hidden = {32, 32};
  c.learning_rate = 2e-3;
  c.batch_size = 32;
  c.warmup = 100;
  c.update_every = 1;
  c.epsilon = {1.0, 0.2, 1000, EpsilonSchedule::Shape::kLinear};
  c.seed = 13;
  DqnLearner dqn(c);
  Bandit env;
  env.actions = 9;
  env.reset();
  const double before = test::bandit_greedy_reward(dqn, env);
  test::train(dqn, env, 2000);
  const double after = test::bandit_greedy_reward(dqn, env);
  EXPECT_LT(before, after);
  EXPECT_DOUBLE_EQ(after, 1.0);
}

TEST_F(Dqn, SameSeedSameWeightsBitForBit) {
  auto run = [](std::uint64_t seed) {
    auto c = corridor_config(true);
    c.seed = seed;
    DqnLearner dqn(c);
    Corridor env;
    env.reset();
    test::train(dqn, env, 600);
    return dqn.parameters_flat();
  };
  const auto a = run(3);
  EXPECT_EQ(a, run(3));
  EXPECT_NE(a, run(4));
}

TEST_F(Dqn, WarmupAndUpdateEvery) {
  auto c = corridor_config(false);
  c.warmup = 10;
  c.update_every = 4;
  DqnLearner dqn(c);
  Corridor env;
  env.reset();
  int updates = 0;
  for (int i = 0; i < 30; ++i) {
    dqn.observe(env.step(dqn.act(env.state(), true)));
    if (dqn.maybe_update()) ++updates;
    EXPECT_EQ(dqn.counters().updates, static_cast<std::uint64_t>(updates));
  }
  // Decisions 1..9 are warm-up; from the 10th on, one update per 4 decisions: 13, 17, 21, 25, 29.
  EXPECT_EQ(updates, 5);
  EXPECT_THROW(dqn.act({1.0F}, false), std::invalid_argument);
}

// Branched heads: a contextual bandit over three action dimensions of 3, 4 and 5 choices (60
// joint actions). In context c the reward is 1.0 * [a_0 = t_0(c)] + 0.6 * [a_1 = t_1(c)] +
// 0.3 * [a_2 = t_2(c)] (one step, done), with targets that differ per branch and per context, so
// the only way to collect the maximum 1.9 is to take each head's argmax and combine the three
// components in the right order: a learner that swapped branches or mixed up the mixed-radix digits
// would pick another joint action. Under any exploration Q_d(c, a_d) = w_d [a_d = t_d(c)] + the
// other heads' expected reward, so each head's argmax is t_d(c).
TEST_F(Dqn, BranchedHeadsFindTheJointOptimumOfAFactorisedBandit) {
  const std::vector<int> branches{3, 4, 5};
  const std::vector<std::vector<int>> targets{{2, 0, 4}, {0, 3, 1}, {1, 1, 0}, {2, 2, 3}};
  DqnConfig c;
  c.state_dim = 4;
  c.branches = branches;
  c.action_count = 60;
  c.hidden = {32, 32};
  c.learning_rate = 3e-3;
  c.batch_size = 32;
  c.warmup = 64;
  c.update_every = 1;
  c.target_update_every = 20;
  c.epsilon = {1.0, 0.2, 2000, EpsilonSchedule::Shape::kLinear};
  c.seed = 17;
  DqnLearner dqn(c);
  auto one_hot = [](int context) {
    std::vector<float> s(4, 0.0F);
    s[static_cast<std::size_t>(context)] = 1.0F;
    return s;
  };
  auto reward = [&](int context, const std::vector<int>& a) {
    const auto& t = targets[static_cast<std::size_t>(context)];
    return 1.0 * (a[0] == t[0]) + 0.6 * (a[1] == t[1]) + 0.3 * (a[2] == t[2]);
  };
  auto greedy_return = [&] {
    double total = 0;
    for (int context = 0; context < 4; ++context)
      total += reward(context, common::action_tuple(branches, dqn.act(one_hot(context), false)));
    return total / 4;
  };
  const double before = greedy_return();
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> pick(0, 3);
  for (int step = 0; step < 4000; ++step) {
    const int context = pick(rng);
    const auto s = one_hot(context);
    const int a = dqn.act(s, true);
    ASSERT_GE(a, 0);
    ASSERT_LT(a, 60);
    dqn.observe({s, a, reward(context, common::action_tuple(branches, a)), s, true, 1.0});
    dqn.maybe_update();
  }
  for (int context = 0; context < 4; ++context) {
    const int joint = dqn.act(one_hot(context), false);
    EXPECT_EQ(common::action_tuple(branches, joint), targets[static_cast<std::size_t>(context)])
        << "context " << context;
    EXPECT_EQ(joint, common::joint_action(branches, targets[static_cast<std::size_t>(context)]));
    // The heads' values: 12 outputs, head d's argmax = component d.
    EXPECT_EQ(dqn.q_values(one_hot(context)).size(), 12U);
  }
  EXPECT_LT(before, 1.9);
  EXPECT_DOUBLE_EQ(greedy_return(), 1.9);
}

TEST_F(Dqn, BranchesMustMultiplyToTheActionCount) {
  DqnConfig c;
  c.state_dim = 2;
  c.branches = {3, 4};
  c.action_count = 7;
  EXPECT_THROW(DqnLearner{c}, ConfigError);
  c.branches = {3, 0};
  c.action_count = 0;
  EXPECT_THROW(DqnLearner{c}, ConfigError);
}

}  // namespace
}  // namespace edgetwin::learn

// Discrete SAC on the same tiny problems: greedy policy optimal, temperature tuned both ways.

#include "edgetwin/learn/sac.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "learn_test_envs.hpp"

namespace edgetwin::learn {
namespace {

using test::Bandit;
using test::Corridor;

class Sac : public ::testing::Test {
 protected:
  void SetUp() override { use_single_torch_thread(); }
};

SacConfig corridor_config() {
  SacConfig c;
  c.state_dim = Corridor::kCells;
  c.action_count = 2;
  c.hidden = {32, 32};
  c.gamma = 0.9;
  c.actor_learning_rate = 3e-3;
  c.critic_learning_rate = 3e-3;
  c.alpha_learning_rate = 3e-3;
  c.initial_alpha = 0.05;
  c.target_entropy_ratio = 0.2;
  c.polyak_tau = 0.02;
  c.batch_size = 32;
  c.warmup = 100;
  c.update_every = 1;
  c.seed = 21;
  return c;
}

SacConfig bandit_config() {
  SacConfig c;
  c.state_dim = Bandit::kContexts;
  c.action_count = 9;
  c.hidden = {32, 32};
  c.actor_learning_rate = 3e-3;
  c.critic_learning_rate = 3e-3;
  c.alpha_learning_rate = 1e-2;
  c.polyak_tau = 0.02;
  c.batch_size = 32;
  c.warmup = 100;
  c.update_every = 1;
  c.seed = 8;
  return c;
}

TEST_F(Sac, CorridorGreedyPolicyIsOptimalAndTemperatureFalls) {
  SacLearner sac(corridor_config());
  Corridor env;
  env.reset();
  test::train(sac, env, 4000);
  for (int cell = 0; cell < Corridor::kGoal; ++cell) {
    EXPECT_EQ(sac.act(Corridor::encode(cell), false), 1) << "cell " << cell;
    const auto p = sac.probabilities(Corridor::encode(cell));
    EXPECT_GT(p[1], 0.5) << "cell " << cell;
  }
  EXPECT_DOUBLE_EQ(test::corridor_greedy_return(sac, 0, 0.9), std::pow(0.9, 4));
  // Target entropy 0.2 ln 2 nats is below the near-uniform start: alpha must have fallen.
  EXPECT_LT(sac.alpha(), 0.05);
}

TEST_F(Sac, BanditGreedyPolicyIsOptimalWithLowTargetEntropy) {
  auto c = bandit_config();
  c.initial_alpha = 0.5;
  c.target_entropy_ratio = 0.1;  // 0.22 nats, far below ln 9 = 2.2 of the initial policy
  SacLearner sac(c);
  Bandit env;
  env.actions = 9;
  env.reset();
  const double before = test::bandit_greedy_reward(sac, env);  // < 1: no action is best everywhere
  test::train(sac, env, 3000);
  for (int s = 0; s < Bandit::kContexts; ++s) EXPECT_EQ(sac.act(Bandit::encode(s), false), env.best(s)) << s;
  EXPECT_LT(before, test::bandit_greedy_reward(sac, env));
  EXPECT_LT(sac.alpha(), 0.5 / 2);
  // Critics: min(Q1, Q2) of the best action close to its reward (1); soft values carry the
  // entropy of nothing here (one-step episodes), so Q = r exactly in the limit.
  for (int s = 0; s < Bandit::kContexts; ++s) {
    EXPECT_NEAR(sac.q_values(Bandit::encode(s))[static_cast<std::size_t>(env.best(s))], 1.0, 0.1) << s;
  }
}

TEST_F(Sac, TemperatureRisesWhenThePolicyIsTooDeterministic) {
  auto c = bandit_config();
  c.initial_alpha = 0.001;       // almost no entropy bonus: the policy sharpens quickly
  c.target_entropy_ratio = 0.9;  // 1.98 nats wanted
  SacLearner sac(c);
  Bandit env;
  env.actions = 9;
  env.reset();
  test::train(sac, env, 1500);
  EXPECT_GT(sac.alpha(), 0.001 * 2);
  for (int s = 0; s < Bandit::kContexts; ++s) EXPECT_EQ(sac.act(Bandit::encode(s), false), env.best(s)) << s;
}

TEST_F(Sac, FixedTemperatureStaysPut) {
  auto c = bandit_config();
  c.auto_alpha = false;
  c.initial_alpha = 0.2;
  SacLearner sac(c);
  Bandit env;
  env.actions = 9;
  env.reset();
  test::train(sac, env, 300);
  EXPECT_NEAR(sac.alpha(), 0.2, 1e-6);
}

TEST_F(Sac, ExplorationSamplesThePolicy) {
  SacLearner sac(bandit_config());  // untrained: near-uniform over 9 actions
  std::vector<int> counts(9, 0);
  for (int i = 0; i < 9000; ++i) ++counts[static_cast<std::size_t>(sac.act(Bandit::encode(0), true))];
  const auto p = sac.probabilities(Bandit::encode(0));
  // Each count within 5 binomial standard deviations of its probability.
  for (std::size_t a = 0; a < 9; ++a) {
    const double sd = std::sqrt(9000.0 * p[a] * (1 - p[a]));
    EXPECT_NEAR(counts[a], 9000.0 * p[a], 5 * sd) << "action " << a;
  }
}

TEST_F(Sac, SameSeedSameWeightsBitForBit) {
  auto run = [](std::uint64_t seed) {
    auto c = corridor_config();
    c.seed = seed;
    SacLearner sac(c);
    Corridor env;
    env.reset();
    test::train(sac, env, 400);
    return sac.parameters_flat();
  };
  const auto a = run(3);
  EXPECT_EQ(a, run(3));
  EXPECT_NE(a, run(4));
}

}  // namespace
}  // namespace edgetwin::learn

// Reusable parts: MLP spec, replay buffer, normaliser, semi-MDP discount, epsilon schedule, learner specs.

#include <cmath>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edgetwin/learn/dqn.hpp"
#include "edgetwin/learn/error.hpp"
#include "edgetwin/learn/factory.hpp"
#include "edgetwin/learn/mlp_spec.hpp"
#include "edgetwin/learn/normalizer.hpp"
#include "edgetwin/learn/replay_buffer.hpp"

namespace edgetwin::learn {
namespace {

Transition make(float x, double reward, int action = 0) {
  Transition t;
  t.state = {x, -x};
  t.next_state = {x + 1, -x - 1};
  t.action = action;
  t.reward = reward;
  t.dt_s = 0.5;
  return t;
}

TEST(MlpSpec, ParameterCountAndJsonRoundTrip) {
  const MlpSpec spec{7, {64, 64}, 9, Activation::kTanh};
  // 7*64+64 + 64*64+64 + 64*9+9
  EXPECT_EQ(spec.parameter_count(), 512 + 4160 + 585);
  const auto j = spec.to_json();
  EXPECT_EQ(j.dump(), R"({"activation":"tanh","hidden":[64,64],"inputs":7,"outputs":9})");
  EXPECT_EQ(MlpSpec::from_json(j), spec);
  EXPECT_THROW(activation_from_string("sigmoid"), ConfigError);
  EXPECT_THROW((MlpSpec{7, {0}, 9, Activation::kRelu}.validate("x")), ConfigError);
}

TEST(ReplayBuffer, RingKeepsTheNewestInAgeOrder) {
  ReplayBuffer buffer(3, 2, 1);
  for (int i = 0; i < 5; ++i) buffer.push(make(static_cast<float>(i), i));
  EXPECT_EQ(buffer.size(), 3U);
  EXPECT_EQ(buffer.pushed(), 5U);
  EXPECT_DOUBLE_EQ(buffer.at(0).reward, 2.0);  // 0 and 1 were overwritten
  EXPECT_DOUBLE_EQ(buffer.at(1).reward, 3.0);
  EXPECT_DOUBLE_EQ(buffer.at(2).reward, 4.0);
  EXPECT_EQ(buffer.at(2).state, (std::vector<float>{4, -4}));
  EXPECT_EQ(buffer.at(2).next_state, (std::vector<float>{5, -5}));
  EXPECT_DOUBLE_EQ(buffer.at(2).dt_s, 0.5);
  EXPECT_THROW(buffer.at(3), std::out_of_range);
}

TEST(ReplayBuffer, RejectsWrongStateSizeAndEmptySampling) {
  ReplayBuffer buffer(4, 3, 1);
  EXPECT_THROW(buffer.sample(1), std::logic_error);
  EXPECT_THROW(buffer.push(make(1, 0)), std::invalid_argument);  // 2 values, expected 3
}

TEST(ReplayBuffer, SamplingIsSeededAndUniform) {
  ReplayBuffer a(3, 2, 42);
  ReplayBuffer b(3, 2, 42);
  ReplayBuffer c(3, 2, 43);
  for (int i = 0; i < 3; ++i) {
    a.push(make(static_cast<float>(i), i));
    b.push(make(static_cast<float>(i), i));
    c.push(make(static_cast<float>(i), i));
  }
  const auto sa = a.sample(64);
  EXPECT_EQ(sa.rewards, b.sample(64).rewards);
  EXPECT_NE(sa.rewards, c.sample(64).rewards);
  // Rows stay consistent: state[0] == reward for these transitions.
  for (std::size_t i = 0; i < sa.size(); ++i) EXPECT_FLOAT_EQ(sa.states[2 * i], sa.rewards[i]);
  // 30000 draws over 3 rows: each share within 0.02 of 1/3 (the binomial sd is 0.0027).
  std::map<float, int> counts;
  for (float r : a.sample(30000).rewards) ++counts[r];
  ASSERT_EQ(counts.size(), 3U);
  for (const auto& [r, n] : counts) EXPECT_NEAR(n / 30000.0, 1.0 / 3.0, 0.02) << "row " << r;
}

TEST(ReplayBuffer, BatchAppendConcatenatesRows) {
  TransitionBatch x;
  x.state_dim = 2;
  x.push_back(make(1, 1));
  TransitionBatch y;
  y.state_dim = 2;
  y.push_back(make(2, 2));
  y.push_back(make(3, 3));
  x.append(y);
  EXPECT_EQ(x.size(), 3U);
  EXPECT_EQ(x.states, (std::vector<float>{1, -1, 2, -2, 3, -3}));
  EXPECT_EQ(x.rewards, (std::vector<float>{1, 2, 3}));
}

TEST(SemiMdp, DiscountIsGammaToTheSojournTime) {
  EXPECT_DOUBLE_EQ(transition_discount(0.9, 2.0, true), 0.81);
  EXPECT_DOUBLE_EQ(transition_discount(0.9, 0.5, true), std::sqrt(0.9));
  EXPECT_DOUBLE_EQ(transition_discount(0.9, 0.0, true), 1.0);
  EXPECT_DOUBLE_EQ(transition_discount(0.9, 2.0, false), 0.9);  // per decision: dt ignored
}

TEST(RunningNormalizer, MatchesHandComputedMeanAndVariance) {
  RunningNormalizer n(2, 5.0, 0.0);
  for (float x : {1.0F, 2.0F, 3.0F, 4.0F}) n.update({x, 10.0F});
  EXPECT_EQ(n.count(), 4U);
  EXPECT_DOUBLE_EQ(n.mean()[0], 2.5);
  EXPECT_DOUBLE_EQ(n.mean()[1], 10.0);
  // Population variance of 1..4: (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
  EXPECT_DOUBLE_EQ(n.variance()[0], 1.25);
  EXPECT_DOUBLE_EQ(n.variance()[1], 0.0);
  const auto z = n.normalize({4.0F, 10.0F});
  EXPECT_NEAR(z[0], 1.5 / std::sqrt(1.25), 1e-6);
  EXPECT_FLOAT_EQ(z[1], 0.0F);
  EXPECT_FLOAT_EQ(n.normalize({100.0F, 10.0F})[0], 5.0F);  // clipped
  EXPECT_FLOAT_EQ(n.normalize({-100.0F, 10.0F})[0], -5.0F);
}

TEST(RunningNormalizer, SavesAndRestoresExactly) {
  RunningNormalizer n(3);
  for (int i = 0; i < 10; ++i) n.update({0.1F * i, std::sin(static_cast<float>(i)), 7.0F - i});
  RunningNormalizer m(3);
  m.load_json(nlohmann::json::parse(n.to_json().dump()));
  EXPECT_EQ(m.count(), n.count());
  EXPECT_EQ(m.mean(), n.mean());
  EXPECT_EQ(m.variance(), n.variance());
  RunningNormalizer wrong(2);
  EXPECT_THROW(wrong.load_json(n.to_json()), std::invalid_argument);
}

TEST(EpsilonSchedule, LinearAndExponentialShapes) {
  EpsilonSchedule lin{1.0, 0.1, 100, EpsilonSchedule::Shape::kLinear};
  EXPECT_DOUBLE_EQ(lin.at(0), 1.0);
  EXPECT_DOUBLE_EQ(lin.at(50), 0.55);
  EXPECT_DOUBLE_EQ(lin.at(100), 0.1);
  EXPECT_DOUBLE_EQ(lin.at(1000), 0.1);
  EpsilonSchedule exp{1.0, 0.1, 100, EpsilonSchedule::Shape::kExponential};
  EXPECT_DOUBLE_EQ(exp.at(0), 1.0);
  EXPECT_NEAR(exp.at(50), 0.1 + 0.9 * 0.1, 1e-12);  // 0.01^(1/2) = 0.1
  EXPECT_DOUBLE_EQ(exp.at(100), 0.1);
}

TEST(DqnConfig, RejectsOutOfRangeFieldsByName) {
  DqnConfig c;
  c.state_dim = 3;
  c.action_count = 2;
  c.batch_size = 0;
  try {
    c.validate();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "dqn config: batch_size: found 0, allowed >= 1");
  }
}

std::string spec_error(const nlohmann::json& spec) {
  try {
    make_learner(spec);
  } catch (const ConfigError& e) {  // a configuration error (exit code 2), not common::DataError
    return e.what();
  }
  return "accepted";
}

TEST(LearnerSpec, ReadsKeysAndNamesErrorsByPointer) {
  const auto spec = nlohmann::json::parse(
      R"({"kind": "dqn", "state_dim": 3, "action_count": 2, "hidden": [4], "batch_size": 8,
          "seed": 18446744073709551615, "double_dqn": true,
          "epsilon": {"start": 0.5, "decay_decisions": 10, "shape": "exponential"}})");
  const DqnConfig c = dqn_config_from_json(spec);
  EXPECT_EQ(c.hidden, std::vector<int>{4});
  EXPECT_EQ(c.batch_size, 8u);
  EXPECT_EQ(c.seed, 18446744073709551615ULL);
  EXPECT_TRUE(c.double_dqn);
  EXPECT_EQ(c.epsilon.start, 0.5);
  EXPECT_EQ(c.epsilon.decay_decisions, 10u);
  EXPECT_EQ(c.epsilon.shape, EpsilonSchedule::Shape::kExponential);

  auto with = [&spec](const char* key, const nlohmann::json& value) {
    auto s = spec;
    s[key] = value;
    return s;
  };
  EXPECT_EQ(spec_error(nlohmann::json::array()), "learner spec: /: expected an object, found an array");
  EXPECT_EQ(spec_error(with("kind", "ppo")), "learner spec: /kind: found \"ppo\", allowed: dqn, sac");
  EXPECT_EQ(spec_error(with("batch_size", -1)),
            "learner spec (dqn): /batch_size: found -1, allowed range [0, 9223372036854775807]");
  EXPECT_EQ(spec_error(with("batch_size", 0)), "dqn config: batch_size: found 0, allowed >= 1");
  EXPECT_EQ(spec_error(with("gamma", "high")),
            "learner spec (dqn): /gamma: expected a number, found the string \"high\"");
  EXPECT_EQ(spec_error(with("hidden", {4, 0})),
            "learner spec (dqn): /hidden/1: found 0, allowed: layer widths >= 1");
  EXPECT_EQ(spec_error(with("epsilon", {{"shape", "cubic"}})),
            "learner spec (dqn): /epsilon/shape: found \"cubic\", allowed: linear, exponential");
  const std::string unknown = spec_error(with("alpha", 1));
  EXPECT_EQ(unknown.rfind("learner spec (dqn): /alpha: unknown field; allowed fields here: kind, ", 0), 0u)
      << unknown;
  const std::string not_sac = spec_error(with("kind", "sac"));
  EXPECT_EQ(not_sac.rfind("learner spec (sac): /double_dqn: unknown field", 0), 0u) << not_sac;
}

}  // namespace
}  // namespace edgetwin::learn

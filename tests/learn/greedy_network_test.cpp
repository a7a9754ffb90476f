// The torch-free evaluator (agent_wire/greedy_network.hpp) against the learners' own act() and
// outputs, on 10,000 random inputs each: the same decisions and the same output bits, for DQN
// (one head and branched, with a state normaliser), SAC (the actor) and supervised networks, with
// every activation. Also: the checkpoint's record of greedy.json guards it.

#include "edgetwin/agent_wire/greedy_network.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "edgetwin/common/error.hpp"
#include "edgetwin/learn/dqn.hpp"
#include "edgetwin/learn/sac.hpp"
#include "edgetwin/learn/supervised.hpp"

namespace edgetwin::learn {
namespace {

namespace fs = std::filesystem;

class GreedyNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    use_single_torch_thread();
    dir_ =
        fs::temp_directory_path() /
        ("edgetwin_greedy_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

std::vector<float> random_state(std::mt19937_64& rng, int n) {
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::uniform_real_distribution<float> scale(0.1F, 20.0F);  // large values reach the normaliser's clip
  const float s = scale(rng);
  std::vector<float> x(static_cast<std::size_t>(n));
  for (auto& v : x) v = normal(rng) * s;
  return x;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

/// Trains a learner a little on random transitions so that weights, normaliser and heads are not
/// at their initial values.
template <typename Learner>
void train_randomly(Learner& learner, int state_dim, int actions, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> action(0, actions - 1);
  std::normal_distribution<double> reward(0.0, 1.0);
  for (int i = 0; i < 600; ++i) {
    learner.observe(
        {random_state(rng, state_dim), action(rng), reward(rng), random_state(rng, state_dim), false, 1.0});
    learner.maybe_update();
  }
}

template <typename Learner>
void expect_same(Learner& learner, const policies::GreedyNetwork& g, int state_dim, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  int differing_actions = 0, differing_outputs = 0;
  for (int i = 0; i < 10000; ++i) {
    const auto x = random_state(rng, state_dim);
    differing_actions += learner.act(x, false) != g.act(x);
    differing_outputs += !same_bits(learner.action_values(x), g.forward(x));
  }
  EXPECT_EQ(differing_actions, 0);
  EXPECT_EQ(differing_outputs, 0);
}

TEST_F(GreedyNetworkTest, DqnDecisionsAndQValuesAreTheLearnersBitForBit) {
  for (const auto activation : {Activation::kRelu, Activation::kTanh, Activation::kElu}) {
    for (const bool branched : {false, true}) {
      SCOPED_TRACE(to_string(activation) + (branched ? " branched" : " one head"));
      DqnConfig c;
      c.state_dim = 12;
      c.branches = branched ? std::vector<int>{4, 5, 3, 6} : std::vector<int>{};
      c.action_count = branched ? 360 : 100;
      c.hidden = {64, 64};
      c.activation = activation;
      c.warmup = 64;
      c.update_every = 1;
      c.normalize_states = true;
      c.seed = 3;
      DqnLearner dqn(c);
      train_randomly(dqn, c.state_dim, c.action_count, 5);
      const auto dir = (dir_ / (to_string(activation) + (branched ? "_b" : "_f"))).string();
      dqn.save(dir);
      const auto g = policies::GreedyNetwork::load(dir);
      EXPECT_EQ(g.action_count(), c.action_count);
      expect_same(dqn, g, c.state_dim, 11);
    }
  }
}

TEST_F(GreedyNetworkTest, SacGreedyActionsAreTheLearnersBitForBit) {
  SacConfig c;
  c.state_dim = 12;
  c.action_count = 100;
  c.hidden = {64, 64};
  c.warmup = 64;
  c.update_every = 1;
  c.normalize_states = true;
  c.seed = 4;
  SacLearner sac(c);
  train_randomly(sac, c.state_dim, c.action_count, 6);
  sac.save((dir_ / "sac").string());
  expect_same(sac, policies::GreedyNetwork::load((dir_ / "sac").string()), c.state_dim, 12);
}

TEST_F(GreedyNetworkTest, SupervisedOutputsAreTheTrainersBitForBit) {
  SupervisedConfig c;
  c.task = SupervisedTask::kRegression;
  c.network = MlpSpec{6, {32, 16}, 3, Activation::kTanh};
  c.epochs = 3;
  c.seed = 2;
  SupervisedTrainer trainer(c);
  Dataset data;
  data.input_dim = 6;
  std::mt19937_64 rng(9);
  for (int i = 0; i < 500; ++i) {
    const auto x = random_state(rng, 6);
    data.inputs.insert(data.inputs.end(), x.begin(), x.end());
    data.targets.insert(data.targets.end(), {x[0] * 0.1F, x[1] - x[2], 0.5F});
  }
  trainer.fit(data);
  trainer.save((dir_ / "sup").string());
  const auto g = policies::GreedyNetwork::load((dir_ / "sup").string());
  int differing = 0;
  for (int i = 0; i < 10000; ++i) {
    const auto x = random_state(rng, 6);
    differing += !same_bits(trainer.predict(x), g.forward(x));
  }
  EXPECT_EQ(differing, 0);
  EXPECT_EQ(g.mismatch({{"kind", "supervised"},
                        {"task", "regression"},
                        {"inputs", 6},
                        {"outputs", 3},
                        {"hidden", {32, 16}},
                        {"activation", "tanh"}}),
            "");
  EXPECT_EQ(g.mismatch({{"kind", "supervised"},
                        {"task", "regression"},
                        {"inputs", 6},
                        {"outputs", 4},
                        {"hidden", {32, 16}},
                        {"activation", "tanh"}}),
            "outputs is 3 in the checkpoint, 4 in the policy");
}

TEST_F(GreedyNetworkTest, AnEditedGreedyFileIsRefusedByName) {
  DqnConfig c;
  c.state_dim = 3;
  c.action_count = 4;
  c.hidden = {8};
  DqnLearner dqn(c);
  const auto dir = (dir_ / "edited").string();
  dqn.save(dir);
  {
    std::fstream f(dir + "/greedy.json", std::ios::in | std::ios::out);
    f.seekp(40);
    f.put('7');
  }
  try {
    policies::GreedyNetwork::load(dir);
    FAIL() << "no error";
  } catch (const common::DataError& e) {
    EXPECT_EQ(e.file(), dir + "/greedy.json");
    EXPECT_NE(std::string(e.what()).find("corrupted"), std::string::npos) << e.what();
  }
  EXPECT_THROW(policies::GreedyNetwork::from_json(nlohmann::json::parse(R"({"format": "x"})"), "f"),
               common::DataError);
}

}  // namespace
}  // namespace edgetwin::learn

// Checkpoints: round trip, bit-exact resume, and rejection of broken or mismatching checkpoints.

#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "edgetwin/learn/dqn.hpp"
#include "edgetwin/learn/error.hpp"
#include "edgetwin/learn/sac.hpp"
#include "edgetwin/learn/supervised.hpp"

#include "learn_test_envs.hpp"

namespace edgetwin::learn {
namespace {

namespace fs = std::filesystem;
using test::Corridor;

class Checkpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    use_single_torch_thread();
    dir_ = fs::temp_directory_path() /
           ("edgetwin_learn_ckpt_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir(const std::string& sub = "a") const { return (dir_ / sub).string(); }

  fs::path dir_;
};

DqnConfig dqn_config(std::uint64_t seed = 1) {
  DqnConfig c;
  c.state_dim = Corridor::kCells;
  c.action_count = 2;
  c.hidden = {16, 16};
  c.gamma = 0.9;
  c.batch_size = 16;
  c.warmup = 20;
  c.update_every = 2;
  c.target_update_every = 7;
  c.replay_capacity = 50;  // small: the ring wraps before the checkpoint
  c.normalize_states = true;
  c.epsilon = {1.0, 0.1, 300, EpsilonSchedule::Shape::kLinear};
  c.seed = seed;
  return c;
}

SacConfig sac_config(std::uint64_t seed = 1) {
  SacConfig c;
  c.state_dim = Corridor::kCells;
  c.action_count = 2;
  c.hidden = {16, 16};
  c.gamma = 0.9;
  c.batch_size = 16;
  c.warmup = 20;
  c.update_every = 2;
  c.replay_capacity = 50;
  c.seed = seed;
  return c;
}

std::vector<std::vector<float>> probe_states() {
  std::vector<std::vector<float>> states;
  for (int c = 0; c < Corridor::kCells; ++c) states.push_back(Corridor::encode(c));
  states.push_back({0.3F, -1.0F, 2.0F, 0.0F, 0.5F, 0.25F});
  return states;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "no CheckpointError";
}

TEST_F(Checkpoint, DqnRoundTripGivesIdenticalDecisionsAndQValues) {
  DqnLearner a(dqn_config(1));
  Corridor env;
  env.reset();
  test::train(a, env, 300);
  a.save(dir(), {{"policy", "ztt"}, {"scenario_hash", "abc123"}});

  const auto manifest = read_manifest(dir());
  EXPECT_EQ(manifest["kind"], "dqn");
  EXPECT_EQ(manifest["format_version"], kLearnerFormatVersion);
  EXPECT_EQ(manifest["state_dim"], 6);
  EXPECT_EQ(manifest["action_count"], 2);
  EXPECT_EQ(manifest["network"]["hidden"], nlohmann::json({16, 16}));
  EXPECT_EQ(manifest["hyper_parameters"]["target_update_every"], 7);
  EXPECT_EQ(manifest["counters"]["decisions"], 300);
  EXPECT_EQ(manifest["torch_version"], torch_version());
  EXPECT_EQ(manifest["user"]["policy"], "ztt");
  for (const char* f : {"online.pt", "target.pt", "optimizer.pt", "replay.pt", "normalizer.pt"}) {
    EXPECT_TRUE(fs::exists(fs::path(dir()) / f)) << f;
  }

  DqnLearner b(dqn_config(99));  // different initial weights: everything must come from the file
  EXPECT_FALSE(bitwise_equal(a.parameters_flat(), b.parameters_flat()));
  const auto loaded = b.load(dir());
  EXPECT_EQ(loaded["user"]["scenario_hash"], "abc123");
  EXPECT_EQ(b.counters().decisions, 300U);
  EXPECT_EQ(b.counters().updates, a.counters().updates);
  EXPECT_DOUBLE_EQ(b.epsilon(), a.epsilon());
  EXPECT_EQ(b.replay().size(), 50U);
  for (const auto& s : probe_states()) {
    EXPECT_EQ(a.act(s, false), b.act(s, false));
    EXPECT_TRUE(bitwise_equal(a.q_values(s), b.q_values(s)));
  }
}

TEST_F(Checkpoint, DqnResumeContinuesExactlyWhereItStopped) {
  // A trains 400 decisions straight; B trains 200, saves; C loads B's checkpoint and trains the
  // remaining 200 on the same environment stream. C must end bit for bit where A ended:
  // weights, optimiser moments, replay ring, normaliser, counters and random streams all resumed.
  DqnLearner a(dqn_config(1));
  Corridor env_a;
  env_a.reset();
  test::train(a, env_a, 400);

  DqnLearner b(dqn_config(1));
  Corridor env_b;
  env_b.reset();
  test::train(b, env_b, 200);
  b.save(dir());
  DqnLearner c(dqn_config(5));
  c.load(dir());
  EXPECT_EQ(c.counters().decisions, 200U);
  test::train(c, env_b, 200);

  EXPECT_EQ(c.counters().decisions, a.counters().decisions);
  EXPECT_EQ(c.counters().updates, a.counters().updates);
  EXPECT_TRUE(bitwise_equal(c.parameters_flat(), a.parameters_flat()));
}

TEST_F(Checkpoint, SacRoundTripAndResume) {
  SacLearner a(sac_config(1));
  Corridor env_a;
  env_a.reset();
  test::train(a, env_a, 300);

  SacLearner b(sac_config(1));
  Corridor env_b;
  env_b.reset();
  test::train(b, env_b, 150);
  b.save(dir(), {{"policy", "bcedge"}});
  SacLearner c(sac_config(7));
  c.load(dir());
  for (const auto& s : probe_states()) {
    EXPECT_EQ(b.act(s, false), c.act(s, false));
    EXPECT_TRUE(bitwise_equal(b.action_values(s), c.action_values(s)));
    EXPECT_TRUE(bitwise_equal(b.q_values(s), c.q_values(s)));
  }
  EXPECT_DOUBLE_EQ(c.alpha(), b.alpha());
  test::train(c, env_b, 150);
  EXPECT_EQ(c.counters().updates, a.counters().updates);
  EXPECT_TRUE(bitwise_equal(c.parameters_flat(), a.parameters_flat()));
}

TEST_F(Checkpoint, SupervisedRoundTrip) {
  SupervisedConfig config;
  config.network = MlpSpec{6, {8}, 2, Activation::kElu};
  config.epochs = 2;
  SupervisedTrainer a(config);
  Dataset d;
  d.input_dim = 6;
  for (int c = 0; c < Corridor::kCells; ++c) {
    const auto x = Corridor::encode(c);
    d.inputs.insert(d.inputs.end(), x.begin(), x.end());
    d.labels.push_back(c % 2);
  }
  a.fit(d);
  a.save(dir(), {{"model", "interference"}});
  config.seed = 3;
  SupervisedTrainer b(config);
  b.load(dir());
  EXPECT_EQ(b.updates(), a.updates());
  EXPECT_EQ(b.epochs_done(), 2);
  for (const auto& s : probe_states()) EXPECT_TRUE(bitwise_equal(a.predict(s), b.predict(s)));
  // Continuing both gives the same weights (optimiser state and shuffling restored).
  a.fit(d);
  b.fit(d);
  EXPECT_TRUE(bitwise_equal(a.parameters_flat(), b.parameters_flat()));
  // A supervised checkpoint is not a DQN one.
  DqnLearner dqn(dqn_config());
  EXPECT_NE(error_of([&] { dqn.load(dir()); }).find("/kind: found \"supervised\", expected \"dqn\""),
            std::string::npos);
}

TEST_F(Checkpoint, CorruptedTensorFileIsRejectedByName) {
  DqnLearner a(dqn_config());
  a.save(dir());
  const auto file = fs::path(dir()) / "online.pt";
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(file) / 2));
    f.put('\x5a');
  }
  DqnLearner b(dqn_config(2));
  const auto before = b.parameters_flat();
  const auto message = error_of([&] { b.load(dir()); });
  EXPECT_NE(message.find(file.string() + ": corrupted: content hash (FNV-1a 64) found "), std::string::npos)
      << message;
  // A failed load leaves the learner as it was.
  EXPECT_TRUE(bitwise_equal(before, b.parameters_flat()));
}

TEST_F(Checkpoint, TruncatedAndMissingFilesAreRejectedByName) {
  DqnLearner a(dqn_config());
  a.save(dir());
  const auto target = fs::path(dir()) / "target.pt";
  const auto size = fs::file_size(target);
  fs::resize_file(target, size - 100);
  DqnLearner b(dqn_config());
  auto message = error_of([&] { b.load(dir()); });
  EXPECT_NE(message.find(target.string() + ": truncated: found " + std::to_string(size - 100) +
                         " bytes, expected " + std::to_string(size)),
            std::string::npos)
      << message;

  a.save(dir());  // intact again
  fs::remove(fs::path(dir()) / "optimizer.pt");
  message = error_of([&] { b.load(dir()); });
  EXPECT_NE(message.find("optimizer.pt: missing file"), std::string::npos) << message;

  message = error_of([&] { b.load(dir("nowhere")); });
  EXPECT_NE(message.find("nowhere/manifest.json: missing file"), std::string::npos) << message;
}

TEST_F(Checkpoint, WrongKindIsRejected) {
  DqnLearner dqn(dqn_config());
  dqn.save(dir());
  SacLearner sac(sac_config());
  const auto message = error_of([&] { sac.load(dir()); });
  EXPECT_EQ(message,
            (fs::path(dir()) / "manifest.json").string() + ": /kind: found \"dqn\", expected \"sac\"");
}

TEST_F(Checkpoint, WrongDimsAndNetworkAreRejectedWithFoundAndExpected) {
  DqnLearner small(dqn_config());
  small.save(dir());
  const std::string manifest = (fs::path(dir()) / "manifest.json").string();

  auto wider = dqn_config();
  wider.state_dim = 7;
  DqnLearner w(wider);
  EXPECT_EQ(error_of([&] { w.load(dir()); }),
            manifest + ": /state_dim: found 6, expected 7 (the learner's config)");

  auto more_actions = dqn_config();
  more_actions.action_count = 9;
  DqnLearner m(more_actions);
  EXPECT_EQ(error_of([&] { m.load(dir()); }),
            manifest + ": /action_count: found 2, expected 9 (the learner's config)");

  auto deeper = dqn_config();
  deeper.hidden = {64, 64};
  DqnLearner d(deeper);
  EXPECT_EQ(error_of([&] { d.load(dir()); }),
            manifest + ": /network/hidden: found [16,16], expected [64,64] (the learner's config)");

  auto tanh = dqn_config();
  tanh.activation = Activation::kTanh;
  DqnLearner t(tanh);
  EXPECT_EQ(error_of([&] { t.load(dir()); }),
            manifest + ": /network/activation: found \"relu\", expected \"tanh\" (the learner's config)");

  auto raw = dqn_config();
  raw.normalize_states = false;
  DqnLearner r(raw);
  EXPECT_NE(
      error_of([&] { r.load(dir()); }).find("/hyper_parameters/normalize_states: found true, expected false"),
      std::string::npos);
}

TEST_F(Checkpoint, BranchedDqnRoundTripsAndOtherBranchesAreRejected) {
  auto c = dqn_config();
  c.branches = {2, 3, 2};  // 12 joint actions, 7 outputs
  c.action_count = 12;
  DqnLearner a(c);
  Corridor env;
  env.reset();
  for (int i = 0; i < 40; ++i) {
    const auto s = Corridor::encode(i % Corridor::kCells);
    a.observe({s, i % 12, 0.1 * (i % 3), s, false, 1.0});
    a.maybe_update();
  }
  a.save(dir());
  DqnLearner b(c);
  b.load(dir());
  EXPECT_EQ(a.parameters_flat(), b.parameters_flat());
  EXPECT_EQ(read_manifest(dir()).at("branches"), nlohmann::json({2, 3, 2}));
  for (int cell = 0; cell < Corridor::kCells; ++cell)
    EXPECT_EQ(a.act(Corridor::encode(cell), false), b.act(Corridor::encode(cell), false));
  // Same joint count (12) and same output count (7), other branches: refused by name.
  auto other = c;
  other.branches = {3, 2, 2};
  DqnLearner o(other);
  EXPECT_EQ(error_of([&] { o.load(dir()); }), (fs::path(dir()) / "manifest.json").string() +
                                                  ": /branches: found [2,3,2], expected [3,2,2] (the "
                                                  "learner's config)");
}

TEST_F(Checkpoint, TensorShapeIsCheckedEvenWhenTheManifestAgrees) {
  // A checkpoint of a 16x16 network whose manifest is edited to claim 8x8 (and whose file records
  // stay valid): the tensor file itself is then named with found and expected shapes.
  DqnLearner a(dqn_config());
  a.save(dir());
  const auto path = fs::path(dir()) / "manifest.json";
  auto j = read_manifest(dir());
  j["network"]["hidden"] = {8, 8};
  std::ofstream(path) << j.dump(2);
  auto narrow = dqn_config();
  narrow.hidden = {8, 8};
  DqnLearner n(narrow);
  EXPECT_EQ(error_of([&] { n.load(dir()); }),
            (fs::path(dir()) / "online.pt").string() +
                ": layer0_weight: found shape [6, 16] Float, expected [6, 8] Float");
}

TEST_F(Checkpoint, NewerFormatIsRejected) {
  DqnLearner a(dqn_config());
  a.save(dir());
  auto j = read_manifest(dir());
  j["format_version"] = kLearnerFormatVersion + 1;
  std::ofstream(fs::path(dir()) / "manifest.json") << j.dump(2);
  EXPECT_NE(error_of([&] { a.load(dir()); }).find("/format_version: found 2, this build reads 1 to 1"),
            std::string::npos);
}

}  // namespace
}  // namespace edgetwin::learn

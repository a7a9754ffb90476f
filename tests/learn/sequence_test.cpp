// Sequence inputs (SupervisedConfig::sequence): attention against FrameExit-style mean pooling on a
// task only attention can solve, the hand-written front against libtorch, checkpoints.

#include <cmath>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "edgetwin/agent_wire/greedy_network.hpp"
#include "edgetwin/learn/error.hpp"
#include "edgetwin/learn/factory.hpp"
#include "edgetwin/learn/supervised.hpp"

namespace edgetwin::learn {
namespace {

namespace fs = std::filesystem;

constexpr int kWindow = 7;
constexpr int kKeys = 6;
constexpr int kFeatures = kKeys + 1;  // a one-hot key and a value

/// Recall: the window's first six vectors carry the six keys (one-hot) in a random order, with
/// values +1 on three of them and -1 on the others; the last vector carries one of those keys and
/// value 0. The label is 1 when the earlier vector with the last one's key has value +1. The
/// window's mean is the same for every row (each key once, values summing to 0) apart from the
/// last key, which the last vector shows anyway: mean pooling sees nothing of the label (50 %),
/// while attention with the last vector's key as query retrieves it.
Dataset recall_task(int rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Dataset d;
  d.input_dim = kWindow * kFeatures;
  std::vector<int> keys{0, 1, 2, 3, 4, 5};
  std::vector<float> values{1, 1, 1, -1, -1, -1};
  std::uniform_int_distribution<int> which(0, kWindow - 2);
  for (int r = 0; r < rows; ++r) {
    std::shuffle(keys.begin(), keys.end(), rng);
    std::shuffle(values.begin(), values.end(), rng);
    const int match = which(rng);
    for (int t = 0; t < kWindow; ++t) {
      std::vector<float> x(kFeatures, 0.0F);
      const bool last = t + 1 == kWindow;
      x[static_cast<std::size_t>(keys[static_cast<std::size_t>(last ? match : t)])] = 1.0F;
      x[kKeys] = last ? 0.0F : values[static_cast<std::size_t>(t)];
      d.inputs.insert(d.inputs.end(), x.begin(), x.end());
    }
    d.labels.push_back(values[static_cast<std::size_t>(match)] > 0 ? 1 : 0);
  }
  return d;
}

SupervisedConfig recall_config(const std::string& pool) {
  SupervisedConfig c;
  c.task = SupervisedTask::kClassification;
  c.sequence = SequenceSpec{kWindow, kFeatures, pool, 8};
  c.network = MlpSpec{kWindow * kFeatures, {32}, 2, Activation::kRelu};
  c.learning_rate = 0.01;
  c.batch_size = 64;
  c.epochs = 25;
  c.validation_fraction = 0.25;
  c.seed = 3;
  return c;
}

class Sequence : public ::testing::Test {
 protected:
  void SetUp() override { use_single_torch_thread(); }
};

TEST_F(Sequence, AttentionRecallsWhatMeanPoolingCannot) {
  const auto data = recall_task(4000, 1);
  const auto fresh = recall_task(1000, 2);
  SupervisedTrainer attention(recall_config("attention"));
  SupervisedTrainer mean(recall_config("mean"));
  const auto a = attention.fit(data).back();
  const auto m = mean.fit(data).back();
  const double a_fresh = attention.evaluate(fresh).validation_accuracy;
  const double m_fresh = mean.evaluate(fresh).validation_accuracy;
  std::cout << "recall: attention validation " << a.validation_accuracy << " fresh " << a_fresh
            << ", mean pooling validation " << m.validation_accuracy << " fresh " << m_fresh << "\n";
  EXPECT_GE(a.validation_accuracy, 0.95);
  EXPECT_GE(a_fresh, 0.95);
  EXPECT_LE(m_fresh, 0.6);  // chance is 0.5: the label is independent of what the mean keeps
}

// The torch-free front (GreedyNetwork) against the autograd forward the trainer learns with, on
// random weights and inputs: equal up to float rounding (different summation orders), for both
// pools. predict() itself goes through the torch-free path, so that a checkpoint server and
// `edgetwin run` without libtorch give the same bits.
TEST_F(Sequence, TorchFreeFrontMatchesTheAutogradForward) {
  for (const std::string pool : {"attention", "mean"}) {
    SCOPED_TRACE(pool);
    auto c = recall_config(pool);
    c.network.activation = Activation::kTanh;
    SupervisedTrainer trainer(c);
    const auto data = recall_task(200, 4);
    Dataset batch = data;
    for (int i = 0; i < 200; ++i) {
      std::vector<float> x(data.inputs.begin() + i * data.input_dim,
                           data.inputs.begin() + (i + 1) * data.input_dim);
      const auto mine = trainer.predict(x);
      // The evaluation path of the trainer (autograd forward, no grad): evaluate on one row.
      Dataset one;
      one.input_dim = data.input_dim;
      one.inputs = x;
      one.labels = {data.labels[static_cast<std::size_t>(i)]};
      const double loss = trainer.evaluate(one).validation_loss;
      // Cross-entropy from the torch-free logits.
      const double top = std::max(mine[0], mine[1]);
      const double lse = top + std::log(std::exp(mine[0] - top) + std::exp(mine[1] - top));
      const double expected = lse - mine[static_cast<std::size_t>(one.labels[0])];
      EXPECT_NEAR(loss, expected, 1e-5 * (1 + std::abs(expected))) << "row " << i;
    }
  }
}

TEST_F(Sequence, CheckpointsRoundTripAndOtherSequencesAreRefused) {
  const auto dir = (fs::temp_directory_path() / "edgetwin_sequence_ckpt").string();
  fs::remove_all(dir);
  auto c = recall_config("attention");
  c.epochs = 2;
  SupervisedTrainer a(c);
  const auto data = recall_task(300, 5);
  a.fit(data);
  a.save(dir);
  SupervisedTrainer b(c);
  b.load(dir);
  EXPECT_EQ(a.parameters_flat(), b.parameters_flat());
  const std::vector<float> x(data.inputs.begin(), data.inputs.begin() + data.input_dim);
  EXPECT_EQ(a.predict(x), b.predict(x));
  EXPECT_EQ(policies::GreedyNetwork::load(dir).forward(x), a.predict(x));
  // The spec round trip: the manifest gives back a spec that fits.
  const auto spec = spec_from_manifest(read_manifest(dir));
  EXPECT_EQ(spec.at("sequence").at("window"), kWindow);
  EXPECT_EQ(spec_mismatch(spec, spec), "");
  auto other = c;
  other.sequence->pool = "mean";
  SupervisedTrainer o(other);
  try {
    o.load(dir);
    FAIL() << "no error";
  } catch (const CheckpointError& e) {
    EXPECT_EQ(e.where(), "/sequence");
  }
  fs::remove_all(dir);
}

TEST_F(Sequence, SpecsNameTheirSequenceErrors) {
  const nlohmann::json bad = {{"kind", "supervised"},
                              {"outputs", 2},
                              {"sequence", {{"window", 4}, {"features", 3}, {"pool", "max"}}}};
  try {
    supervised_config_from_json(bad);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/sequence/pool"), std::string::npos) << e.what();
  }
  const auto ok = supervised_config_from_json(
      {{"kind", "supervised"}, {"outputs", 2}, {"sequence", {{"window", 4}, {"features", 3}}}});
  EXPECT_EQ(ok.network.inputs, 12);
  EXPECT_EQ(ok.mlp().inputs, 3 + 16);
}

}  // namespace
}  // namespace edgetwin::learn

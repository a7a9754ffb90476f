// Supervised trainer on synthetic problems whose best achievable error is known (zero).

#include "edgetwin/learn/supervised.hpp"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

namespace edgetwin::learn {
namespace {

// Three classes in [-1, 1]^4: label = argmax_k (w_k . x). Points whose best and second-best
// scores differ by less than 0.2 are dropped, so the classes are separable with a margin and
// the Bayes accuracy is 100%.
Dataset separable(int rows, std::uint64_t seed) {
  const float w[3][4] = {{1, -1, 0.5F, 0}, {-0.5F, 1, 1, -1}, {0, 0.3F, -1, 1}};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  Dataset d;
  d.input_dim = 4;
  while (static_cast<int>(d.labels.size()) < rows) {
    float x[4];
    for (float& v : x) v = u(rng);
    float score[3];
    for (int k = 0; k < 3; ++k) score[k] = w[k][0] * x[0] + w[k][1] * x[1] + w[k][2] * x[2] + w[k][3] * x[3];
    int best = 0;
    for (int k = 1; k < 3; ++k) best = score[k] > score[best] ? k : best;
    float second = -1e9F;
    for (int k = 0; k < 3; ++k) second = k != best ? std::max(second, score[k]) : second;
    if (score[best] - second < 0.2F) continue;
    d.inputs.insert(d.inputs.end(), x, x + 4);
    d.labels.push_back(best);
  }
  return d;
}

SupervisedConfig classifier_config() {
  SupervisedConfig c;
  c.task = SupervisedTask::kClassification;
  c.network = MlpSpec{4, {32, 32}, 3, Activation::kRelu};
  c.learning_rate = 3e-3;
  c.batch_size = 32;
  c.epochs = 30;
  c.validation_fraction = 0.25;
  c.seed = 9;
  return c;
}

class Supervised : public ::testing::Test {
 protected:
  void SetUp() override { use_single_torch_thread(); }
};

TEST_F(Supervised, SeparableClassesReachHighValidationAccuracy) {
  SupervisedTrainer trainer(classifier_config());
  const auto data = separable(2000, 1);
  const double before = trainer.evaluate(data).validation_accuracy;
  const auto history = trainer.fit(data);
  ASSERT_EQ(history.size(), 30U);
  EXPECT_EQ(history.back().epoch, 30);
  // 1500 training rows, 32 per batch -> 47 steps per epoch.
  EXPECT_EQ(trainer.updates(), 30U * 47U);
  // Separable with margin: a perfect classifier exists, so after 30 epochs only a thin band
  // around the learned boundaries may still be wrong; 95% leaves room for that band and the
  // 500-row validation sample.
  EXPECT_GT(history.back().validation_accuracy, 0.95);
  EXPECT_LT(before, 0.6);  // an untrained network is close to chance (1/3)
  EXPECT_LT(history.back().train_loss, history.front().train_loss);
  // A fresh sample from the same distribution agrees.
  EXPECT_GT(trainer.evaluate(separable(500, 2)).validation_accuracy, 0.95);
}

TEST_F(Supervised, RegressionFitsASmoothFunction) {
  SupervisedConfig c;
  c.task = SupervisedTask::kRegression;
  c.network = MlpSpec{3, {32, 32}, 1, Activation::kTanh};
  c.learning_rate = 3e-3;
  c.batch_size = 32;
  c.epochs = 60;
  c.validation_fraction = 0.2;
  c.seed = 4;
  Dataset d;
  d.input_dim = 3;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  double sum = 0;
  double sum2 = 0;
  for (int i = 0; i < 1500; ++i) {
    const float x0 = u(rng), x1 = u(rng), x2 = u(rng);
    const float y = 2 * x0 - x1 + 0.5F * x0 * x2;
    d.inputs.insert(d.inputs.end(), {x0, x1, x2});
    d.targets.push_back(y);
    sum += y;
    sum2 += y * y;
  }
  const double variance = sum2 / 1500 - (sum / 1500) * (sum / 1500);  // about 1.7
  SupervisedTrainer trainer(c);
  const auto history = trainer.fit(d);
  EXPECT_TRUE(std::isnan(history.back().validation_accuracy));
  // Noise-free target: validation MSE below 1% of the target variance.
  EXPECT_LT(history.back().validation_loss, 0.01 * variance);
  EXPECT_NEAR(trainer.predict({0.5F, -0.5F, 1.0F})[0], 2 * 0.5 + 0.5 + 0.25, 0.1);
}

TEST_F(Supervised, RejectsInconsistentData) {
  SupervisedTrainer trainer(classifier_config());
  Dataset d = separable(10, 1);
  d.labels[3] = 3;  // only 3 classes
  EXPECT_THROW(trainer.fit(d), std::invalid_argument);
  Dataset wrong = separable(10, 1);
  wrong.input_dim = 3;
  EXPECT_THROW(trainer.fit(wrong), std::invalid_argument);
}

TEST_F(Supervised, SameSeedSameWeightsBitForBit) {
  auto run = [](std::uint64_t seed) {
    auto c = classifier_config();
    c.epochs = 2;
    c.seed = seed;
    SupervisedTrainer trainer(c);
    trainer.fit(separable(300, 1));
    return trainer.parameters_flat();
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1), run(2));
}

}  // namespace
}  // namespace edgetwin::learn

// The data-parallel hook: two learners whose reducer averages their gradients (an MPI allreduce
// simulated with two threads in one process) stay identical, and match one learner trained on
// the union of their batches.
//
// Why they match: every loss is a mean over the batch, so for two equal-size batches B1 and B2,
// (grad L(B1) + grad L(B2)) / 2 = grad L(B1 u B2). Clipping acts on that same averaged vector,
// Adam sees the same gradient sequence, and target networks follow the same parameters, so the
// trajectories agree up to floating-point summation order (checked to 1e-5 after 5 steps).

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "edgetwin/learn/dqn.hpp"
#include "edgetwin/learn/sac.hpp"
#include "edgetwin/learn/supervised.hpp"

#include "learn_test_envs.hpp"

namespace edgetwin::learn {
namespace {

/// Allreduce-average over two ranks: each rank deposits its gradient and waits for the other;
/// the average is computed once, in rank order, so both ranks receive the same bits.
class TwoRankAverage {
 public:
  void reduce(int rank, std::vector<float>& gradient) {
    std::unique_lock<std::mutex> lock(mutex_);
    const int generation = generation_;
    slots_[rank] = gradient;
    if (++arrived_ == 2) {
      result_.resize(gradient.size());
      for (std::size_t i = 0; i < result_.size(); ++i) result_[i] = (slots_[0][i] + slots_[1][i]) * 0.5F;
      arrived_ = 0;
      ++generation_;
      ++calls_;
      changed_.notify_all();
    } else {
      changed_.wait(lock, [&] { return generation_ != generation; });
    }
    gradient = result_;
  }
  int calls() const { return calls_; }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<float> slots_[2];
  std::vector<float> result_;
  int arrived_ = 0;
  int generation_ = 0;
  int calls_ = 0;
};

TransitionBatch random_batch(int rows, int state_dim, int actions, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> u(-1, 1);
  TransitionBatch b;
  b.state_dim = state_dim;
  for (int i = 0; i < rows; ++i) {
    Transition t;
    for (int d = 0; d < state_dim; ++d) {
      t.state.push_back(u(rng));
      t.next_state.push_back(u(rng));
    }
    t.action = std::uniform_int_distribution<int>(0, actions - 1)(rng);
    t.reward = u(rng);
    t.done = u(rng) > 0.7F;
    t.dt_s = 0.5 + (u(rng) + 1);
    b.push_back(t);
  }
  return b;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
  return m;
}

/// Runs the check for any learner type with update_on(batch).
template <typename Learner, typename Config>
void check_two_ranks_equal_union(const Config& config, int state_dim, int actions) {
  use_single_torch_thread();
  Learner rank0(config);
  Config other = config;
  other.seed = config.seed + 100;  // different initial weights ...
  Learner rank1(other);
  rank1.set_parameters_flat(rank0.parameters_flat());  // ... made identical, as ranks do at start
  Learner single(config);
  ASSERT_EQ(single.parameters_flat(), rank0.parameters_flat());

  std::mt19937_64 rng(12);
  std::vector<TransitionBatch> b0, b1, both;
  for (int step = 0; step < 5; ++step) {
    b0.push_back(random_batch(16, state_dim, actions, rng));
    b1.push_back(random_batch(16, state_dim, actions, rng));
    both.push_back(b0.back());
    both.back().append(b1.back());
  }
  TwoRankAverage allreduce;
  rank0.set_gradient_reducer([&](std::vector<float>& g) {
    allreduce.reduce(0, g);
    return true;
  });
  rank1.set_gradient_reducer([&](std::vector<float>& g) {
    allreduce.reduce(1, g);
    return true;
  });
  std::thread t0([&] {
    for (const auto& b : b0) rank0.update_on(b);
  });
  std::thread t1([&] {
    for (const auto& b : b1) rank1.update_on(b);
  });
  t0.join();
  t1.join();
  for (const auto& b : both) single.update_on(b);

  EXPECT_EQ(allreduce.calls(), 5);
  EXPECT_EQ(rank0.parameters_flat(), rank1.parameters_flat());  // bit for bit
  EXPECT_LT(max_abs_diff(rank0.parameters_flat(), single.parameters_flat()), 1e-5);
  // The check can fail: the ranks really moved, and differently from a rank without the reducer.
  Learner alone(config);
  for (const auto& b : b0) alone.update_on(b);
  EXPECT_GT(max_abs_diff(alone.parameters_flat(), rank0.parameters_flat()), 1e-4);
}

TEST(DataParallel, DqnRanksStayIdenticalAndMatchTheUnionBatch) {
  DqnConfig c;
  c.state_dim = 5;
  c.action_count = 4;
  c.hidden = {16, 16};
  c.gamma = 0.9;
  c.discount_per_second = true;
  c.double_dqn = true;
  c.target_update_every = 2;  // a hard copy inside the 5 steps
  c.learning_rate = 1e-2;
  c.max_grad_norm = 0.5;  // active: clipping acts on the averaged gradient
  c.seed = 3;
  check_two_ranks_equal_union<DqnLearner>(c, 5, 4);
}

TEST(DataParallel, SacRanksStayIdenticalAndMatchTheUnionBatch) {
  SacConfig c;
  c.state_dim = 5;
  c.action_count = 4;
  c.hidden = {16, 16};
  c.actor_learning_rate = 1e-2;
  c.critic_learning_rate = 1e-2;
  c.alpha_learning_rate = 1e-2;
  c.polyak_tau = 0.1;
  c.seed = 3;
  check_two_ranks_equal_union<SacLearner>(c, 5, 4);
}

TEST(DataParallel, SupervisedRanksMatchTheUnionBatch) {
  use_single_torch_thread();
  SupervisedConfig c;
  c.network = MlpSpec{3, {8}, 2, Activation::kRelu};
  c.learning_rate = 1e-2;
  SupervisedTrainer rank0(c), rank1(c), single(c);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  auto batch = [&](int rows) {
    Dataset d;
    d.input_dim = 3;
    for (int i = 0; i < rows; ++i) {
      for (int k = 0; k < 3; ++k) d.inputs.push_back(u(rng));
      d.labels.push_back(d.inputs[d.inputs.size() - 3] > 0 ? 1 : 0);
    }
    return d;
  };
  TwoRankAverage allreduce;
  rank0.set_gradient_reducer([&](std::vector<float>& g) {
    allreduce.reduce(0, g);
    return true;
  });
  rank1.set_gradient_reducer([&](std::vector<float>& g) {
    allreduce.reduce(1, g);
    return true;
  });
  std::vector<Dataset> d0, d1;
  for (int i = 0; i < 4; ++i) {
    d0.push_back(batch(10));
    d1.push_back(batch(10));
  }
  std::thread t0([&] {
    for (const auto& d : d0) rank0.train_step(d);
  });
  std::thread t1([&] {
    for (const auto& d : d1) rank1.train_step(d);
  });
  t0.join();
  t1.join();
  for (int i = 0; i < 4; ++i) {
    Dataset both = d0[static_cast<std::size_t>(i)];
    both.inputs.insert(both.inputs.end(), d1[static_cast<std::size_t>(i)].inputs.begin(),
                       d1[static_cast<std::size_t>(i)].inputs.end());
    both.labels.insert(both.labels.end(), d1[static_cast<std::size_t>(i)].labels.begin(),
                       d1[static_cast<std::size_t>(i)].labels.end());
    single.train_step(both);
  }
  EXPECT_EQ(rank0.parameters_flat(), rank1.parameters_flat());
  EXPECT_LT(max_abs_diff(rank0.parameters_flat(), single.parameters_flat()), 1e-5);
}

TEST(DataParallel, AReducerThatDeclinesSkipsTheStep) {
  use_single_torch_thread();
  std::mt19937_64 rng(9);
  const auto batch = random_batch(8, 3, 4, rng);
  DqnConfig dc;
  dc.state_dim = 3;
  dc.action_count = 4;
  dc.hidden = {8};
  DqnLearner dqn(dc);
  SacConfig sc;
  sc.state_dim = 3;
  sc.action_count = 4;
  sc.hidden = {8};
  SacLearner sac(sc);
  for (DiscreteLearner* learner :
       {static_cast<DiscreteLearner*>(&dqn), static_cast<DiscreteLearner*>(&sac)}) {
    const auto before = learner->parameters_flat();
    bool answer = false;
    learner->set_gradient_reducer([&](std::vector<float>&) { return answer; });
    const auto skipped = learner->update_on(batch);
    EXPECT_FALSE(skipped.applied) << learner->kind();
    EXPECT_EQ(learner->parameters_flat(), before) << learner->kind();
    EXPECT_EQ(learner->counters().updates, 0U) << learner->kind();
    answer = true;
    const auto taken = learner->update_on(batch);
    EXPECT_TRUE(taken.applied) << learner->kind();
    EXPECT_NE(learner->parameters_flat(), before) << learner->kind();
    EXPECT_EQ(learner->counters().updates, 1U) << learner->kind();
  }
}

TEST(DataParallel, SetParametersFlatChecksTheSize) {
  DqnConfig c;
  c.state_dim = 2;
  c.action_count = 2;
  c.hidden = {4};
  DqnLearner dqn(c);
  // 2*4+4 + 4*2+2 = 22 parameters.
  EXPECT_EQ(dqn.parameters_flat().size(), 22U);
  EXPECT_THROW(dqn.set_parameters_flat(std::vector<float>(21)), std::invalid_argument);
}

}  // namespace
}  // namespace edgetwin::learn

#pragma once
// Tiny environments with hand-known optima for the learner tests, and the loops that drive a
// learner through them.

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "edgetwin/learn/learner.hpp"

namespace edgetwin::learn::test {

/// Corridor of 6 cells, 0..5; cell 5 is the goal (terminal). Actions: 0 = left (cell 0 stays),
/// 1 = right. Reward 1 on entering the goal, 0 otherwise. Episodes start in a random cell 0..4
/// and are cut after 20 steps. State: one-hot over the 6 cells. With per-step discount g:
/// Q*(s, right) = g^(4-s), Q*(s, left) = g^(6-s) for s >= 1 and g^5 for s = 0.
/// `right_dt_s` / `left_dt_s`: simulated time of each move (semi-MDP variant).
struct Corridor {
  static constexpr int kCells = 6;
  static constexpr int kGoal = 5;
  double right_dt_s = 1.0;
  double left_dt_s = 1.0;
  int cell = 0;
  int steps = 0;
  std::mt19937_64 rng{2024};

  static std::vector<float> encode(int c) {
    std::vector<float> s(kCells, 0.0F);
    s[static_cast<std::size_t>(c)] = 1.0F;
    return s;
  }
  void reset() {
    cell = std::uniform_int_distribution<int>(0, kGoal - 1)(rng);
    steps = 0;
  }
  std::vector<float> state() const { return encode(cell); }
  /// Applies `action`, returns the transition; resets after a terminal or cut episode.
  Transition step(int action) {
    Transition t;
    t.state = state();
    t.action = action;
    const int next = action == 1 ? cell + 1 : std::max(cell - 1, 0);
    t.dt_s = action == 1 ? right_dt_s : left_dt_s;
    t.done = next == kGoal;
    t.reward = t.done ? 1.0 : 0.0;
    t.next_state = encode(next);
    cell = next;
    ++steps;
    if (t.done || steps >= 20) reset();
    return t;
  }
};

/// Q* of the corridor by value iteration (discount per transition gamma^dt when per_second,
/// else gamma), q[cell][action] for cells 0..4.
inline std::vector<std::vector<double>> corridor_optimal_q(const Corridor& env, double gamma,
                                                           bool per_second) {
  std::vector<double> v(Corridor::kCells, 0.0);
  std::vector<std::vector<double>> q(Corridor::kGoal, std::vector<double>(2, 0.0));
  for (int iter = 0; iter < 500; ++iter) {
    for (int c = 0; c < Corridor::kGoal; ++c) {
      for (int a = 0; a < 2; ++a) {
        const int next = a == 1 ? c + 1 : std::max(c - 1, 0);
        const double dt = a == 1 ? env.right_dt_s : env.left_dt_s;
        const double discount = per_second ? std::pow(gamma, dt) : gamma;
        q[static_cast<std::size_t>(c)][static_cast<std::size_t>(a)] =
            next == Corridor::kGoal ? 1.0 : discount * v[static_cast<std::size_t>(next)];
      }
    }
    for (int c = 0; c < Corridor::kGoal; ++c) v[static_cast<std::size_t>(c)] = std::max(q[c][0], q[c][1]);
  }
  return q;
}

/// Contextual bandit: 4 contexts (one-hot), `actions` actions, one step per episode.
/// r(s, a) = 1 - 0.25 * |a - best(s)| with best(s) = (3 s + 1) mod actions, so Q* = r.
struct Bandit {
  int actions = 4;
  int context = 0;
  std::mt19937_64 rng{77};

  static constexpr int kContexts = 4;
  int best(int s) const { return (3 * s + 1) % actions; }
  double reward(int s, int a) const { return 1.0 - 0.25 * std::abs(a - best(s)); }
  static std::vector<float> encode(int s) {
    std::vector<float> x(kContexts, 0.0F);
    x[static_cast<std::size_t>(s)] = 1.0F;
    return x;
  }
  void reset() { context = std::uniform_int_distribution<int>(0, kContexts - 1)(rng); }
  std::vector<float> state() const { return encode(context); }
  Transition step(int action) {
    Transition t;
    t.state = state();
    t.action = action;
    t.reward = reward(context, action);
    t.next_state = t.state;
    t.done = true;
    reset();
    return t;
  }
};

/// Mean reward of the greedy policy over the bandit's contexts (1 = optimal in every context).
inline double bandit_greedy_reward(DiscreteLearner& learner, const Bandit& env) {
  double sum = 0;
  for (int s = 0; s < Bandit::kContexts; ++s)
    sum += env.reward(s, learner.act(Bandit::encode(s), /*explore=*/false));
  return sum / Bandit::kContexts;
}

/// Runs `decisions` training decisions: act(explore), step, observe, maybe_update.
template <typename Env>
void train(DiscreteLearner& learner, Env& env, int decisions) {
  for (int i = 0; i < decisions; ++i) {
    const int a = learner.act(env.state(), /*explore=*/true);
    learner.observe(env.step(a));
    learner.maybe_update();
  }
}

/// Discounted return of the greedy policy from `start` in the corridor (0 if the goal is not
/// reached within 10 steps).
inline double corridor_greedy_return(DiscreteLearner& learner, int start, double gamma) {
  int cell = start;
  for (int t = 0; t < 10; ++t) {
    const int a = learner.act(Corridor::encode(cell), /*explore=*/false);
    cell = a == 1 ? cell + 1 : std::max(cell - 1, 0);
    if (cell == Corridor::kGoal) return std::pow(gamma, t);
  }
  return 0.0;
}

}  // namespace edgetwin::learn::test

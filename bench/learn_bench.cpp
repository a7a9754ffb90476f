// Learner throughput: decisions per wall-clock second with learning off (act only) and on (act +
// observe + maybe_update, an update of batch 64 every 4 decisions) for DQN and discrete SAC on a
// zTT-sized problem (7 state values, 9 actions) and a DVFO-sized one (12 state values, 100
// actions), two hidden layers of 64, one torch thread; then a DVFO-sized branched DQN (12 state
// values; CPU x GPU x EMC x offload-share heads of 12, 13, 9 and 10: 14,040 joint actions, 44
// outputs) and the BCEdge pair: a discrete SAC over 56 (batch size, instances) actions plus a
// supervised interference predictor (8 inputs, 32 x 32, one output) that predicts once per decision
// and takes a minibatch step of 64 rows every 16 decisions. The ratio on/off is the cost of learning
// relative to pure inference measured in the same process. The machine's load average is printed
// before and after: on a shared machine the rates fall as the load rises. "on cpu" divides by the
// thread's CPU time instead of wall time: the rate without the time other processes took the core
// (still slowed by a busy sibling hyperthread or shared caches).
//
// Usage: edgetwin_learn_bench [--quick]

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "edgetwin/learn/dqn.hpp"
#include "edgetwin/learn/sac.hpp"
#include "edgetwin/learn/supervised.hpp"

#include <time.h>

namespace {

using edgetwin::learn::DiscreteLearner;
using edgetwin::learn::Transition;

struct Problem {
  const char* name;
  int state_dim;
  int actions;
  std::vector<int> branches;  ///< DQN heads; empty = one head
};

std::unique_ptr<DiscreteLearner> make(const std::string& kind, const Problem& p) {
  if (kind == "dqn") {
    edgetwin::learn::DqnConfig c;
    c.state_dim = p.state_dim;
    c.action_count = p.actions;
    c.branches = p.branches;
    c.hidden = {64, 64};
    c.batch_size = 64;
    c.update_every = 4;
    c.warmup = 1000;
    c.target_update_every = 500;
    // Steady-state exploration: 95% of the decisions run the network.
    c.epsilon = {0.05, 0.05, 0, edgetwin::learn::EpsilonSchedule::Shape::kLinear};
    return std::make_unique<edgetwin::learn::DqnLearner>(c);
  }
  edgetwin::learn::SacConfig c;
  c.state_dim = p.state_dim;
  c.action_count = p.actions;
  c.hidden = {64, 64};
  c.batch_size = 64;
  c.update_every = 4;
  c.warmup = 1000;
  return std::make_unique<edgetwin::learn::SacLearner>(c);
}

double thread_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Rates {
  double wall = 0;  ///< decisions per wall second
  double cpu = 0;   ///< decisions per second of this thread's CPU time
};

// Decisions per second over `n` decisions; `learn` adds observe + maybe_update.
Rates rate(DiscreteLearner& learner, const std::vector<std::vector<float>>& states, int n, bool learn) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> reward(-1, 1);
  Transition t;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = thread_cpu_s();
  std::size_t i = 0;
  for (int d = 0; d < n; ++d) {
    const auto& s = states[i];
    i = (i + 1) % states.size();
    const int a = learner.act(s, /*explore=*/true);
    if (learn) {
      t.state = s;
      t.action = a;
      t.reward = reward(rng);
      t.next_state = states[i];
      t.done = false;
      t.dt_s = 1.0;
      learner.observe(t);
      learner.maybe_update();
    }
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return {n / elapsed.count(), n / (thread_cpu_s() - cpu_start)};
}

// The first three fields of /proc/loadavg (1, 5 and 15 minutes), or "unknown".
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(in >> one >> five >> fifteen)) return "unknown";
  return one + " " + five + " " + fifteen;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  edgetwin::learn::use_single_torch_thread();
  const int off_decisions = quick ? 20000 : 200000;
  const int on_decisions = quick ? 4000 : 40000;
  const Problem problems[] = {{"zTT (7 -> 64 -> 64 -> 9)", 7, 9, {}},
                              {"DVFO (12 -> 64 -> 64 -> 100)", 12, 100, {}},
                              {"DVFO branched (12 -> 64 -> 64 -> 44)", 12, 14040, {12, 13, 9, 10}}};
  std::printf("load average (1, 5, 15 min) before: %s\n", load_average().c_str());
  std::printf("%-46s %-5s %14s %14s %9s %18s %9s\n", "problem", "kind", "off [dec/s]", "on [dec/s]", "on/off",
              "on cpu [dec/cpu s]", "updates");
  for (const auto& p : problems) {
    std::mt19937_64 rng(1);
    std::normal_distribution<float> g(0, 1);
    std::vector<std::vector<float>> states(4096, std::vector<float>(static_cast<std::size_t>(p.state_dim)));
    for (auto& s : states) {
      for (auto& v : s) v = g(rng);
    }
    for (const char* kind : {"dqn", "sac"}) {
      if (!p.branches.empty() && std::strcmp(kind, "sac") == 0) continue;  // SAC has no branched form
      auto off_learner = make(kind, p);
      const double off = rate(*off_learner, states, off_decisions, false).wall;
      auto on_learner = make(kind, p);
      rate(*on_learner, states, 1000, true);  // fill the warm-up so every measured 4th decision updates
      const auto updates_before = on_learner->counters().updates;
      const Rates on = rate(*on_learner, states, on_decisions, true);
      std::printf("%-46s %-5s %14.0f %14.0f %9.3f %18.0f %9llu\n", p.name, kind, off, on.wall, on.wall / off,
                  on.cpu, static_cast<unsigned long long>(on_learner->counters().updates - updates_before));
    }
  }
  // The BCEdge pair: SAC decisions plus the interference predictor's predictions and updates.
  {
    const Problem p{"BCEdge pair (SAC 10 -> 56, predictor 8 -> 1)", 10, 56, {}};
    edgetwin::learn::SupervisedConfig pc;
    pc.task = edgetwin::learn::SupervisedTask::kRegression;
    pc.network = edgetwin::learn::MlpSpec{8, {32, 32}, 1, edgetwin::learn::Activation::kRelu};
    std::mt19937_64 rng(2);
    std::normal_distribution<float> g(0, 1);
    std::vector<std::vector<float>> states(4096, std::vector<float>(10));
    for (auto& s : states) {
      for (auto& v : s) v = g(rng);
    }
    edgetwin::learn::Dataset batch;
    batch.input_dim = 8;
    for (int r = 0; r < 64; ++r) {
      for (int i = 0; i < 8; ++i) batch.inputs.push_back(g(rng));
      batch.targets.push_back(g(rng));
    }
    for (const bool learn : {false, true}) {
      auto sac = make("sac", p);
      edgetwin::learn::SupervisedTrainer predictor(pc);
      if (learn) rate(*sac, states, 1000, true);
      const int n = learn ? on_decisions : off_decisions / 4;
      std::vector<float> x(8);
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = thread_cpu_s();
      std::size_t i = 0;
      edgetwin::learn::Transition t;
      for (int d = 0; d < n; ++d) {
        const auto& s = states[i];
        i = (i + 1) % states.size();
        std::copy_n(s.begin(), 8, x.begin());
        const float slowdown = predictor.predict(x)[0];
        const int a = sac->act(s, true);
        if (learn) {
          t.state = s;
          t.action = a;
          t.reward = slowdown;
          t.next_state = states[i];
          sac->observe(t);
          sac->maybe_update();
          if (d % 16 == 0) predictor.train_step(batch);
        }
      }
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
      std::printf("%-46s %-5s %14s %14.0f %9s %18.0f %9llu\n", p.name, learn ? "on" : "off", "",
                  n / elapsed.count(), "", n / (thread_cpu_s() - cpu_start),
                  static_cast<unsigned long long>(predictor.updates()));
    }
  }
  std::printf("load average (1, 5, 15 min) after: %s\n", load_average().c_str());
  return 0;
}

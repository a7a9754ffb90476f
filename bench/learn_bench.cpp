// Learner throughput: decisions per wall-clock second with learning off (act only) and on (act +
// observe + maybe_update, an update of batch 64 every 4 decisions) for DQN and discrete SAC on a
// zTT-sized problem (7 state values, 9 actions) and a DVFO-sized one (12 state values, 100
// actions), two hidden layers of 64, one torch thread. The ratio on/off is the cost of learning
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

#include <time.h>

namespace {

using edgetwin::learn::DiscreteLearner;
using edgetwin::learn::Transition;

struct Problem {
  const char* name;
  int state_dim;
  int actions;
};

std::unique_ptr<DiscreteLearner> make(const std::string& kind, const Problem& p) {
  if (kind == "dqn") {
    edgetwin::learn::DqnConfig c;
    c.state_dim = p.state_dim;
    c.action_count = p.actions;
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
  const Problem problems[] = {{"zTT (7 -> 64 -> 64 -> 9)", 7, 9}, {"DVFO (12 -> 64 -> 64 -> 100)", 12, 100}};
  std::printf("load average (1, 5, 15 min) before: %s\n", load_average().c_str());
  std::printf("%-30s %-5s %14s %14s %9s %18s %9s\n", "problem", "kind", "off [dec/s]", "on [dec/s]", "on/off",
              "on cpu [dec/cpu s]", "updates");
  for (const auto& p : problems) {
    std::mt19937_64 rng(1);
    std::normal_distribution<float> g(0, 1);
    std::vector<std::vector<float>> states(4096, std::vector<float>(static_cast<std::size_t>(p.state_dim)));
    for (auto& s : states) {
      for (auto& v : s) v = g(rng);
    }
    for (const char* kind : {"dqn", "sac"}) {
      auto off_learner = make(kind, p);
      const double off = rate(*off_learner, states, off_decisions, false).wall;
      auto on_learner = make(kind, p);
      rate(*on_learner, states, 1000, true);  // fill the warm-up so every measured 4th decision updates
      const auto updates_before = on_learner->counters().updates;
      const Rates on = rate(*on_learner, states, on_decisions, true);
      std::printf("%-30s %-5s %14.0f %14.0f %9.3f %18.0f %9llu\n", p.name, kind, off, on.wall, on.wall / off,
                  on.cpu, static_cast<unsigned long long>(on_learner->counters().updates - updates_before));
    }
  }
  std::printf("load average (1, 5, 15 min) after: %s\n", load_average().c_str());
  return 0;
}

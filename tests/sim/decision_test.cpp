// The decision interface in a running simulation (docs/policies.md, "Decision points"): policies
// that play several roles, checkpoints after units, outcomes, decision cost and probes. Each test
// runs one SimGrid engine (one process per test case); expectations are composed by hand from the
// trace store, as in simulation_test.cpp.

#include <cmath>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/simulation.hpp"
#include "edgetwin/traces/synth.hpp"

#include "sim_fixture.hpp"

namespace edgetwin::sim {
namespace {

using policies::Clocks;
using traces::ClockSetting;

struct Fixture : test::MobileNetFixture {
  int units() const { return static_cast<int>(model().units.size()); }
  Clocks max() const {
    const auto& mode = nx().power_mode(nx().default_power_mode);
    return {mode.cpu_max_khz, mode.gpu_max_hz, mode.emc_max_hz};
  }
  // Units [first, last] at `c` on `board`: latency and energy, straight from the store.
  std::pair<double, double> run(int first, int last, const Clocks& c,
                                const std::string& board = "xavier_nx") const {
    double s = 0, j = 0;
    for (int i = first; i <= last; ++i) {
      const auto e = store.estimate(board, "mobilenet_v2", i, 1, 1, {c.cpu_khz, c.gpu_hz, c.emc_hz});
      s += e.latency_s;
      j += e.latency_s * e.power_total_w;
    }
    return {s, j};
  }
  // The exit head after `unit` at `c`: its own trace rows.
  std::pair<double, double> head(int unit, const Clocks& c) const {
    const auto e =
        store.head_estimate("xavier_nx", "mobilenet_v2", unit, 1, 1, {c.cpu_khz, c.gpu_hz, c.emc_hz});
    return {e.latency_s, e.latency_s * e.power_total_w};
  }
  void add(const std::string& name, std::vector<policies::Role> roles,
           std::function<std::unique_ptr<policies::Policy>()> make, bool learned = false) {
    policies::PolicyInfo info;
    info.name = name;
    info.roles = std::move(roles);
    info.summary = "test policy";
    info.learned = learned;
    info.make = [make](const nlohmann::json&, const policies::PolicyContext&) { return make(); };
    registry.add(info);
  }
};

ScenarioSpec scenario(double fps, double duration_s, std::map<std::string, PolicySpec> pols,
                      bool with_cloud = false) {
  return test::one_group_scenario(1, fps, duration_s, std::move(pols), with_cloud);
}

PolicySpec named(const char* name) {
  return {name, nlohmann::json::object()};
}

// Plays exit and clocks in one call: exits after `exits[k % 2]`, and runs the exit unit itself
// (and its head) at a lower GPU clock: the clocks depend on the exit it chose.
class ExitThenClocks : public policies::Policy {
 public:
  ExitThenClocks(std::vector<int> exits, Clocks high, Clocks low, int* calls)
      : exits_(std::move(exits)), high_(high), low_(low), calls_(calls) {}
  policies::FrameAction on_frame(const policies::FrameObservation& obs) override {
    ++*calls_;
    EXPECT_EQ(obs.decided->exit_after_unit, policies::kNoExit);  // first in the chain
    policies::FrameAction a;
    a.exit_after_unit = exits_[static_cast<std::size_t>(frame_++ % 2)];
    a.clocks = {{0, high_}, {a.exit_after_unit, low_}};
    return a;
  }

 private:
  std::vector<int> exits_;
  Clocks high_, low_;
  int* calls_;
  int frame_ = 0;
};

TEST(Decisions, ATwoRolePolicyAnswersOnceAndItsClockSegmentsFollowItsExit) {
  Fixture f;
  const auto& exits = f.model().exits;
  ASSERT_GE(exits.size(), 6u);
  const int e0 = exits[2].after_unit, e1 = exits[5].after_unit;
  const Clocks high = f.max();
  const Clocks low{high.cpu_khz, f.nx().gpu_freqs_hz[3], high.emc_hz};
  int calls = 0;
  f.add("exit_then_clocks", {policies::Role::exit, policies::Role::clocks}, [&] {
    return std::make_unique<ExitThenClocks>(std::vector<int>{e0, e1}, high, low, &calls);
  });
  const auto spec = scenario(1.0, 2.0, {{"exit+clocks", named("exit_then_clocks")}});
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 2u);
  EXPECT_EQ(calls, 2);  // one call per frame, not one per role
  const double gpu_s = f.nx().gpu_transition.latency_s;
  for (int k = 0; k < 2; ++k) {
    const int e = k == 0 ? e0 : e1;
    const auto& r = result.requests[static_cast<std::size_t>(k)];
    EXPECT_EQ(r.exit_after_unit, e);
    EXPECT_EQ(r.units, e + 1);
    // Frame 0 starts at the boot clocks (high); frame 1 starts at low and goes back to high.
    const double transitions_s = k == 0 ? gpu_s : 2 * gpu_s;
    const auto [before_s, before_j] = f.run(0, e - 1, high);
    const auto [exit_s, exit_j] = f.run(e, e, low);
    const auto [head_s, head_j] = f.head(e, low);
    EXPECT_NEAR(r.latency_s(), before_s + transitions_s + exit_s + head_s, 1e-9) << "frame " << k;
  }
}

// A chain of two policies: the clocks policy sees the exit policy's answer.
class FixedExit : public policies::Policy {
 public:
  explicit FixedExit(int exit) : exit_(exit) {}
  policies::FrameAction on_frame(const policies::FrameObservation&) override {
    policies::FrameAction a;
    a.exit_after_unit = exit_;
    return a;
  }

 private:
  int exit_;
};

class ClocksAfterExit : public policies::Policy {
 public:
  ClocksAfterExit(Clocks low, int* seen) : low_(low), seen_(seen) {}
  policies::FrameAction on_frame(const policies::FrameObservation& obs) override {
    *seen_ = obs.decided->exit_after_unit;
    policies::FrameAction a;
    a.exit_after_unit = 0;  // not its role: ignored
    a.clocks = {{obs.decided->exit_after_unit, low_}};
    return a;
  }

 private:
  Clocks low_;
  int* seen_;
};

TEST(Decisions, ALaterPolicyInTheChainSeesTheExitChosenBeforeIt) {
  Fixture f;
  const int e = f.model().exits[3].after_unit;
  const Clocks high = f.max();
  const Clocks low{high.cpu_khz, f.nx().gpu_freqs_hz[2], high.emc_hz};
  int seen = -2;
  f.add("fixed_exit_test", {policies::Role::exit}, [&] { return std::make_unique<FixedExit>(e); });
  f.add("clocks_after_exit", {policies::Role::clocks},
        [&] { return std::make_unique<ClocksAfterExit>(low, &seen); });
  const auto spec =
      scenario(1.0, 1.0, {{"clocks", named("clocks_after_exit")}, {"exit", named("fixed_exit_test")}});
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 1u);
  EXPECT_EQ(seen, e);
  EXPECT_EQ(result.requests[0].exit_after_unit, e);  // the clocks policy's exit field is ignored
  const auto [before_s, before_j] = f.run(0, e - 1, high);
  const auto [exit_s, exit_j] = f.run(e, e, low);
  const auto [head_s, head_j] = f.head(e, low);
  EXPECT_NEAR(result.requests[0].latency_s(), before_s + f.nx().gpu_transition.latency_s + exit_s + head_s,
              1e-9);
}

// BranchyNet-like: evaluates the head at every exit and stops at the second one it sees.
class StopAtSecondHead : public policies::Policy {
 public:
  explicit StopAtSecondHead(std::vector<int> exits) : exits_(std::move(exits)) {}
  policies::FrameAction on_frame(const policies::FrameObservation&) override {
    heads_ = 0;
    policies::FrameAction a;
    for (const int e : exits_) a.checkpoints.push_back({e, true});
    return a;
  }
  policies::UnitAction on_unit(const policies::UnitObservation& obs) override {
    EXPECT_TRUE(obs.head.ran);
    policies::UnitAction a;
    a.stop = ++heads_ == 2;
    return a;
  }

 private:
  std::vector<int> exits_;
  int heads_ = 0;
};

TEST(Decisions, AThresholdPolicyStopsAfterTheSecondHeadAndPaysForBothHeads) {
  Fixture f;
  const auto& exits = f.model().exits;
  const int e0 = exits[1].after_unit, e1 = exits[4].after_unit, e2 = exits[7].after_unit;
  f.add("stop_at_second", {policies::Role::exit}, [&] {
    return std::make_unique<StopAtSecondHead>(std::vector<int>{e0, e1, e2});
  });
  const auto spec = scenario(1.0, 1.0, {{"exit", named("stop_at_second")}});
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 1u);
  const auto& r = result.requests[0];
  EXPECT_EQ(r.exit_after_unit, e1);
  EXPECT_EQ(r.units, e1 + 1);
  const Clocks c = f.max();
  const auto [units_s, units_j] = f.run(0, e1, c);
  const auto [h0_s, h0_j] = f.head(e0, c);
  const auto [h1_s, h1_j] = f.head(e1, c);
  EXPECT_NEAR(r.latency_s(), units_s + h0_s + h1_s, 1e-9);
  EXPECT_NEAR(r.energy_j, units_j + h0_j + h1_j, 1e-9);
}

// Offloads after `split` units and logs decisions and outcomes in the order they come.
class OffloadAndLog : public policies::Policy {
 public:
  OffloadAndLog(int split, std::vector<std::string>* log, std::vector<policies::Outcome>* outcomes)
      : split_(split), log_(log), outcomes_(outcomes) {}
  bool wants_outcomes() const override { return true; }
  policies::FrameAction on_frame(const policies::FrameObservation& obs) override {
    log_->push_back("decide " + std::to_string(obs.request_id % 1000));
    policies::FrameAction a;
    a.edge_units = split_;
    return a;
  }
  void on_outcome(const policies::Outcome& o) override {
    log_->push_back("outcome " + std::to_string(o.request_id % 1000));
    outcomes_->push_back(o);
  }

 private:
  int split_;
  std::vector<std::string>* log_;
  std::vector<policies::Outcome>* outcomes_;
};

TEST(Decisions, AnOffloadedRequestsOutcomeArrivesAfterTheNextDecisionWithTheCloudEnergy) {
  Fixture f;
  const int split = 4;
  std::vector<std::string> log;
  std::vector<policies::Outcome> outcomes;
  f.add("offload_and_log", {policies::Role::placement},
        [&] { return std::make_unique<OffloadAndLog>(split, &log, &outcomes); });
  // 100 fps: the upload of the split feature map over 1 MB/s takes longer than a frame period.
  const auto spec = scenario(100.0, 0.02, {{"placement", named("offload_and_log")}}, true);
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 2u);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(log, (std::vector<std::string>{"decide 0", "decide 1", "outcome 0", "outcome 1"}));
  // The outcome carries what the record says, and the cloud's energy is its units' on the RTX 3080.
  const int n = f.units();
  const auto cloud_max = traces::Synthesizer::max_clocks(f.catalog.board("rtx3080"));
  const auto [cloud_s, cloud_j] =
      f.run(split, n - 1, {cloud_max.cpu_khz, cloud_max.gpu_hz, cloud_max.emc_hz}, "rtx3080");
  for (std::size_t k = 0; k < 2; ++k) {
    const auto& o = outcomes[k];
    const auto& r = result.requests[k];
    EXPECT_EQ(o.request_id, r.id);
    EXPECT_EQ(o.status, policies::OutcomeStatus::completed);
    EXPECT_NEAR(o.cloud_energy_j, cloud_j, 1e-9);
    EXPECT_GT(o.radio_energy_j, 0);
    EXPECT_NEAR(o.device_energy_j + o.radio_energy_j, r.energy_j, 1e-12);
    EXPECT_NEAR(o.latency_s, r.latency_s(), 1e-12);
    EXPECT_EQ(o.edge_units, split);
  }
}

// Clocks that change at every frame: the GPU table's k-th value at the k-th decision.
class CountingClocks : public policies::Policy {
 public:
  explicit CountingClocks(const traces::Board& b) : board_(b) {}
  policies::FrameAction on_frame(const policies::FrameObservation& obs) override {
    policies::FrameAction a;
    a.clocks = {
        {0, {obs.clocks.cpu_khz, board_.gpu_freqs_hz[static_cast<std::size_t>(k_++)], obs.clocks.emc_hz}}};
    return a;
  }

 private:
  const traces::Board& board_;
  int k_ = 0;
};

TEST(Decisions, ATwoMillisecondDecisionDelaysTheFrameByTwoMillisecondsAtTheCpusPower) {
  Fixture f;
  auto spec = scenario(1.0, 1.0, {{"clocks", named("max_clocks")}});
  spec.groups[0].decision.cost = "fixed";
  spec.groups[0].decision.cost_s = 0.002;
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 1u);
  const Clocks c = f.max();
  const auto [units_s, units_j] = f.run(0, f.units() - 1, c);
  const double cpu_w = f.synth.cpu_busy_power_w(f.nx(), {c.cpu_khz, c.gpu_hz, c.emc_hz});
  EXPECT_GT(cpu_w, f.synth.idle_power_w(f.nx(), {c.cpu_khz, c.gpu_hz, c.emc_hz}));
  const auto& r = result.requests[0];
  EXPECT_NEAR(r.decision_s, 0.002, 1e-15);
  EXPECT_NEAR(r.latency_s(), 0.002 + units_s, 1e-9);
  EXPECT_NEAR(r.energy_j, 0.002 * cpu_w + units_j, 1e-9);
}

TEST(Decisions, InConcurrentModeTheActionAppliesToTheNextFrame) {
  Fixture f;
  f.add("counting_clocks", {policies::Role::clocks},
        [&] { return std::make_unique<CountingClocks>(f.nx()); });
  auto spec = scenario(1.0, 3.0, {{"clocks", named("counting_clocks")}});
  spec.groups[0].decision.cost = "fixed";
  spec.groups[0].decision.cost_s = 0.002;
  spec.groups[0].decision.mode = "concurrent";
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 3u);
  const auto& t = f.nx().gpu_freqs_hz;
  // Frame 0 waits for decision 0; frame k >= 1 runs decision k - 1 (made at frame k - 1).
  EXPECT_EQ(result.requests[0].gpu_hz, t[0]);
  EXPECT_EQ(result.requests[1].gpu_hz, t[0]);
  EXPECT_EQ(result.requests[2].gpu_hz, t[1]);
  const Clocks c0{f.max().cpu_khz, t[0], f.max().emc_hz};
  const auto [units_s, units_j] = f.run(0, f.units() - 1, c0);
  const double gpu_s = f.nx().gpu_transition.latency_s;
  EXPECT_NEAR(result.requests[0].latency_s(), 0.002 + gpu_s + units_s, 1e-9);
  // Frame 1 does not wait for its decision (no transition either: same clocks as frame 0); the
  // decision's core adds its dynamic power only.
  EXPECT_NEAR(result.requests[1].latency_s(), units_s, 1e-9);
  const ClockSetting s0{c0.cpu_khz, c0.gpu_hz, c0.emc_hz};
  const double extra_w = f.synth.cpu_busy_power_w(f.nx(), s0) - f.synth.idle_power_w(f.nx(), s0);
  EXPECT_NEAR(result.requests[1].energy_j, units_j + 0.002 * extra_w, 1e-9);
  EXPECT_NEAR(result.requests[1].decision_s, 0.002, 1e-15);
}

// Probes the whole model at the current clocks on the device, once per frame.
class ProbeEveryFrame : public policies::Policy {
 public:
  explicit ProbeEveryFrame(std::vector<policies::ProbeResult>* out) : out_(out) {}
  policies::FrameAction on_frame(const policies::FrameObservation& obs) override {
    policies::ProbeRequest r;
    r.model = obs.model;
    r.first_unit = 0;
    r.end_unit = static_cast<int>(obs.model->units.size());
    r.clocks = obs.clocks;
    out_->push_back(obs.probe->measure(r));
#if !defined(__SANITIZE_ADDRESS__)
    // Under AddressSanitizer an exception unwound on a SimGrid actor's stack leaves that stack
    // poisoned (ASan ignores __asan_handle_no_return on stacks it did not create: google/sanitizers
    // issue 189), and the next call on it reports a false stack-buffer-overflow: checked only
    // without ASan.
    EXPECT_THROW(obs.probe->measure({obs.model, 3, 2, obs.clocks, 1, true}), std::invalid_argument);
#endif
    return {};
  }

 private:
  std::vector<policies::ProbeResult>* out_;
};

TEST(Decisions, AProbeReturnsTheTracesValueWithinTheNoiseModelAndChargesItsTime) {
  Fixture f;
  std::vector<policies::ProbeResult> probes;
  f.add("probe_every_frame", {policies::Role::clocks},
        [&] { return std::make_unique<ProbeEveryFrame>(&probes); });
  const auto spec = scenario(1.0, 20.0, {{"clocks", named("probe_every_frame")}});
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 20u);
  ASSERT_EQ(probes.size(), 20u);
  const Clocks c = f.max();
  const auto [units_s, units_j] = f.run(0, f.units() - 1, c);
  double var = 0;
  for (int i = 0; i < f.units(); ++i) {
    const double sd =
        f.store.estimate("xavier_nx", "mobilenet_v2", i, 1, 1, {c.cpu_khz, c.gpu_hz, c.emc_hz}).latency_std_s;
    var += sd * sd;
  }
  const double sd = std::sqrt(var);
  ASSERT_GT(sd, 0);
  double mean = 0;
  bool varied = false;
  for (std::size_t k = 0; k < probes.size(); ++k) {
    const auto& p = probes[k];
    EXPECT_LT(std::abs(p.latency_s - units_s), 5 * sd) << k;
    EXPECT_NEAR(p.power_w, units_j / units_s, 0.05 * units_j / units_s) << k;
    EXPECT_NEAR(p.energy_j, p.latency_s * p.power_w, 1e-12);
    varied = varied || p.latency_s != probes[0].latency_s;
    mean += p.latency_s / static_cast<double>(probes.size());
    // The frame waited for the probe, then ran its units; both are its energy.
    const auto& r = result.requests[k];
    EXPECT_NEAR(r.latency_s(), p.latency_s + units_s, 1e-9) << k;
    EXPECT_NEAR(r.energy_j, p.energy_j + units_j, 1e-9) << k;
  }
  EXPECT_TRUE(varied);
  EXPECT_LT(std::abs(mean - units_s), 3 * sd / std::sqrt(20.0));
}

// A learned policy for exit and clocks: one act() per frame; the transition of a frame completes
// when its outcome arrives.
class CountingAgent : public policies::Agent {
 public:
  int act(const std::vector<float>&) override {
    ++acts;
    return 0;
  }
  void observe(const std::vector<float>&, int, double reward, const std::vector<float>&, bool,
               double) override {
    ++observes;
    rewards.push_back(reward);
  }
  int acts = 0;
  int observes = 0;
  std::vector<double> rewards;
};

class LearnedExitAndClocks : public policies::Policy {
 public:
  explicit LearnedExitAndClocks(std::shared_ptr<policies::Agent> agent) : agent_(std::move(agent)) {}
  bool wants_outcomes() const override { return true; }
  policies::FrameAction on_frame(const policies::FrameObservation& obs) override {
    state_ = {static_cast<float>(obs.queue_length)};
    action_ = agent_->act(state_);
    policies::FrameAction a;
    a.exit_after_unit = obs.model->exits[static_cast<std::size_t>(action_)].after_unit;
    return a;
  }
  void on_outcome(const policies::Outcome& o) override {
    agent_->observe(state_, action_, -o.device_energy_j, state_, false, o.latency_s);
  }

 private:
  std::shared_ptr<policies::Agent> agent_;
  std::vector<float> state_;
  int action_ = 0;
};

TEST(Decisions, ALearnedTwoRolePolicyMakesExactlyOneTransitionPerFrame) {
  Fixture f;
  auto agent = std::make_shared<CountingAgent>();
  policies::PolicyInfo info;
  info.name = "learned_exit_clocks";
  info.roles = {policies::Role::exit, policies::Role::clocks};
  info.summary = "test policy";
  info.learned = true;
  info.make = [](const nlohmann::json&, const policies::PolicyContext& ctx) {
    return std::make_unique<LearnedExitAndClocks>(ctx.agents(policies::AgentRequest{}));
  };
  f.registry.add(info);
  const auto spec = scenario(5.0, 2.0, {{"exit+clocks", named("learned_exit_clocks")}});
  RunOptions options;
  options.agents = [agent](const policies::AgentRequest&) { return agent; };
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, options);
  ASSERT_EQ(result.requests.size(), 10u);
  EXPECT_EQ(agent->acts, 10);
  EXPECT_EQ(agent->observes, 10);
  for (std::size_t k = 0; k < 10; ++k) EXPECT_NEAR(agent->rewards[k], -result.requests[k].energy_j, 1e-12);
}

TEST(Decisions, ADroppedFrameReachesThePolicyAsADroppedOutcome) {
  Fixture f;
  std::vector<std::string> log;
  std::vector<policies::Outcome> outcomes;
  const int n = f.units();
  f.add("offload_and_log", {policies::Role::placement},
        [&] { return std::make_unique<OffloadAndLog>(n + 5, &log, &outcomes); });  // clamped: edge only
  auto spec = scenario(1000.0, 0.01, {{"placement", named("offload_and_log")}});
  spec.videos[0].queue_limit = 1;
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  long dropped = 0;
  for (const auto& o : outcomes) dropped += o.status == policies::OutcomeStatus::dropped ? 1 : 0;
  EXPECT_GT(dropped, 0);
  EXPECT_EQ(static_cast<long>(outcomes.size()) - dropped, static_cast<long>(result.requests.size()));
  EXPECT_EQ(dropped, result.summary["overall"]["requests_dropped"].get<long>());
}

}  // namespace
}  // namespace edgetwin::sim

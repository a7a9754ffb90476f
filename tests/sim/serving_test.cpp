// Serving devices beyond the traces (docs/simulation.md, "Serving devices"): heterogeneous
// interference between models on one GPU, the board-memory cap, queue limits and timeouts, and
// the utility. Each test runs one SimGrid engine (its own process under ctest); expectations are
// computed by hand from the trace store and the formulas of the docs.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "edgetwin/sim/metrics.hpp"
#include "edgetwin/sim/simulation.hpp"
#include "edgetwin/traces/serving_model.hpp"
#include "edgetwin/traces/synth.hpp"

#include "sim_fixture.hpp"
#include <unistd.h>

namespace edgetwin::sim {
namespace {

using traces::ClockSetting;

struct Fixture : test::MobileNetFixture {
  Fixture() {
    store.add(synth.generate(catalog.board("xavier_nx"), catalog.model("resnet50"), traces::SynthOptions{}));
  }
  ClockSetting max_clocks() const {
    const auto& mode = nx().power_mode(nx().default_power_mode);
    return {mode.cpu_max_khz, mode.gpu_max_hz, mode.emc_max_hz};
  }
  // Whole-model latency and energy of one batch alone (concurrency 1) at the maximum clocks.
  std::pair<double, double> alone(const std::string& model, int batch) const {
    double s = 0, j = 0;
    for (std::size_t i = 0; i < catalog.model(model).units.size(); ++i) {
      const auto e = store.estimate("xavier_nx", model, static_cast<int>(i), batch, 1, max_clocks());
      s += e.latency_s;
      j += e.latency_s * e.power_total_w;
    }
    return {s, j};
  }
};

// A serving Xavier NX deploying `models` with fixed batching `params`; one single-frame video
// stream per entry of `frames` (model, start time).
ScenarioSpec serving(const std::vector<std::string>& models, nlohmann::json params,
                     const std::vector<std::pair<std::string, double>>& frames) {
  auto spec = test::one_group_scenario(1, 1.0, 1.0,
                                       {{"clocks", {"max_clocks", nlohmann::json::object()}},
                                        {"batching", {"fixed_batching", std::move(params)}}});
  spec.groups.front().models = models;
  const auto v = spec.videos.front();
  spec.videos.clear();
  for (std::size_t i = 0; i < frames.size(); ++i) {
    auto w = v;
    w.name = "f" + std::to_string(i);
    w.model = frames[i].first;
    w.start_s = frames[i].second;
    spec.videos.push_back(w);
  }
  return spec;
}

const RequestRecord& by_stream(const RunResult& r, const std::string& stream) {
  for (const auto& x : r.requests) {
    if (x.stream == stream) return x;
  }
  throw std::runtime_error("no request of stream " + stream);
}

TEST(ServingInterference, TwoModelsOnOneGpuSlowEachOtherAsTheCorunnerModelSays) {
  Fixture f;
  auto spec =
      serving({"mobilenet_v2", "resnet50"}, {{"instances", 1}}, {{"mobilenet_v2", 0}, {"resnet50", 0}});
  spec.groups.front().serving.interference = "corunner";
  spec.groups.front().serving.interference_alpha = 0.5;
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 2u);
  // The demands (compute and DRAM time over latency, alone) from the synthetic model.
  const auto dm = f.synth.gpu_demand(f.nx(), f.catalog.model("mobilenet_v2"), 1, f.max_clocks(), "fp32");
  const auto dr = f.synth.gpu_demand(f.nx(), f.catalog.model("resnet50"), 1, f.max_clocks(), "fp32");
  const double c = dm.compute + dr.compute, m = dm.memory + dr.memory;
  auto slowdown = [&](traces::GpuDemand self, traces::GpuDemand other) {
    const double a = self.compute / (self.compute + self.memory);
    return (a * std::max(1.0, c) + (1 - a) * std::max(1.0, m)) * (1 + 0.5 * other.memory);
  };
  const double sm = slowdown(dm, dr), sr = slowdown(dr, dm);
  ASSERT_GT(sm, 1.0);
  ASSERT_GT(sr, 1.0);
  ASSERT_NE(sm, sr);  // heterogeneous: each model suffers its own slowdown
  const auto [lm, em] = f.alone("mobilenet_v2", 1);
  const auto [lr, er] = f.alone("resnet50", 1);
  // Both start at 0; the one that ends first ran slowed all along; the other then finishes its
  // remaining share alone.
  const double end_m = lm * sm, end_r = lr * sr;
  const double first = std::min(end_m, end_r);
  const double second_alone = end_m < end_r ? lr : lm;
  const double second_slowed = end_m < end_r ? end_r : end_m;
  const double second = first + (1.0 - first / second_slowed) * second_alone;
  EXPECT_NEAR(by_stream(result, "f0").end_s, end_m < end_r ? first : second, 1e-9);
  EXPECT_NEAR(by_stream(result, "f1").end_s, end_m < end_r ? second : first, 1e-9);
  EXPECT_EQ(by_stream(result, "f0").concurrency, 2);
  // Energy: the requests' attributed energies add up to the meter's busy energy.
  EXPECT_NEAR(result.summary["overall"]["device_busy_energy_j"].get<double>(),
              by_stream(result, "f0").energy_j + by_stream(result, "f1").energy_j, 1e-9);
  (void)em;
  (void)er;
}

TEST(ServingInterference, AMeasuredSlowdownReplacesTheModel) {
  Fixture f;
  const auto dir =
      std::filesystem::temp_directory_path() / ("edgetwin_corunner_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = (dir / "slowdowns.csv").string();
  {
    std::ofstream out(file);
    out << "# measured\nboard,model,batch,corunners,slowdown,source\n"
        << "xavier_nx,mobilenet_v2,1,resnet50@1,1.5,test\n"
        << "xavier_nx,resnet50,1,mobilenet_v2@1,1.25,test\n";
  }
  auto spec =
      serving({"mobilenet_v2", "resnet50"}, {{"instances", 1}}, {{"mobilenet_v2", 0}, {"resnet50", 0}});
  spec.groups.front().serving.interference = "corunner";
  spec.groups.front().serving.slowdowns =
      std::make_shared<traces::CorunnerTable>(traces::CorunnerTable::load(file));
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  std::filesystem::remove_all(dir);
  const auto [lm, em] = f.alone("mobilenet_v2", 1);
  const auto [lr, er] = f.alone("resnet50", 1);
  ASSERT_LT(lm * 1.5, lr * 1.25);  // MobileNet-v2 ends first, then ResNet-50 runs alone
  const double first = lm * 1.5;
  EXPECT_NEAR(by_stream(result, "f0").end_s, first, 1e-9);
  EXPECT_NEAR(by_stream(result, "f1").end_s, first + (1.0 - first / (lr * 1.25)) * lr, 1e-9);
  (void)em;
  (void)er;
}

TEST(ServingMemory, AnActionBeyondTheBoardsMemoryIsCappedAndCounted) {
  Fixture f;
  // Room for 2.5 MobileNet-v2 instances at batch 1: the policy's 4 become 2.
  const double per_instance = traces::instance_memory_bytes(f.model(), 1, 4.0);
  double params = 0, peak = 0;
  for (const auto& u : f.model().units) {
    params += static_cast<double>(u.param_count);
    peak = std::max(peak, static_cast<double>(u.input_elements + u.output_elements));
  }
  ASSERT_DOUBLE_EQ(per_instance, 4.0 * (params + peak));  // weights + largest activations, fp32
  auto spec = serving({"mobilenet_v2"}, {{"instances", 4}},
                      {{"mobilenet_v2", 0}, {"mobilenet_v2", 0}, {"mobilenet_v2", 0}});
  spec.groups.front().serving.memory_fraction = 2.5 * per_instance / f.nx().memory_bytes;
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 3u);
  int most = 0;
  for (const auto& r : result.requests) most = std::max(most, r.concurrency);
  EXPECT_EQ(most, 2);  // three frames at once, only two instances loaded
  EXPECT_EQ(result.summary["groups"]["g"]["models"]["mobilenet_v2"]["memory_capped_actions"].get<long>(), 1);
}

TEST(ServingQueues, ADroppedAndATimedOutRequestAreRowsOfRequestsCsvWithTheirStatus) {
  Fixture f;
  const auto [l1, e1] = f.alone("mobilenet_v2", 1);
  ASSERT_GT(l1, 0.004);  // the first frame is still running when the others arrive and time out
  // One instance, a queue of one: f0 runs at once, f1 waits, f2 finds the queue full; f1 times
  // out 0.003 s after its arrival, before f0 ends.
  auto spec = serving({"mobilenet_v2"}, {{"instances", 1}},
                      {{"mobilenet_v2", 0}, {"mobilenet_v2", 0.0005}, {"mobilenet_v2", 0.001}});
  spec.groups.front().serving.queue_limit = 1;
  spec.groups.front().serving.timeout_s = 0.003;
  spec.videos[1].slo_s = 0.1;
  const auto dir = std::filesystem::temp_directory_path() / ("edgetwin_queues_" + std::to_string(::getpid()));
  RunOptions options;
  options.out_dir = dir.string();
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, options);
  ASSERT_EQ(result.requests.size(), 3u);
  const auto& ok = by_stream(result, "f0");
  const auto& timed_out = by_stream(result, "f1");
  const auto& dropped = by_stream(result, "f2");
  EXPECT_EQ(ok.status, RequestStatus::ok);
  EXPECT_NEAR(ok.end_s, l1, 1e-9);
  EXPECT_EQ(timed_out.status, RequestStatus::timed_out);
  EXPECT_NEAR(timed_out.end_s, 0.0005 + 0.003, 1e-12);
  EXPECT_FALSE(timed_out.slo_met());
  EXPECT_EQ(dropped.status, RequestStatus::dropped);
  EXPECT_NEAR(dropped.end_s, 0.001, 1e-12);
  // Summaries: served requests only in the latency figures; the others counted.
  EXPECT_EQ(result.summary["overall"]["requests_completed"].get<long>(), 1);
  EXPECT_EQ(result.summary["overall"]["requests_dropped"].get<long>(), 1);
  const auto& m = result.summary["groups"]["g"]["models"]["mobilenet_v2"];
  EXPECT_EQ(m["requests"].get<long>(), 3);
  EXPECT_EQ(m["dropped"].get<long>(), 1);
  EXPECT_EQ(m["timed_out"].get<long>(), 1);
  // requests.csv: every request is a row, with its status in the last column.
  std::ifstream csv(dir / "requests.csv");
  std::string line, text;
  std::getline(csv, line);
  EXPECT_EQ(line.substr(line.rfind(',') + 1), "status");
  int rows = 0;
  std::map<std::string, int> statuses;
  while (std::getline(csv, line)) {
    ++rows;
    ++statuses[line.substr(line.rfind(',') + 1)];
  }
  std::filesystem::remove_all(dir);
  EXPECT_EQ(rows, 3);
  EXPECT_EQ(statuses["ok"], 1);
  EXPECT_EQ(statuses["dropped"], 1);
  EXPECT_EQ(statuses["timed_out"], 1);
}

TEST(ServingUtility, TheUtilityOfAHandMadeSetOfRequests) {
  // Model "a" over a 2 s window: three served (latency/SLO 0.5, 1.0, 2.0: the last misses), one
  // dropped, one timed out. X = 3/2 = 1.5/s; mean latency/SLO = 3.5/3; V = 1 - 2/5 = 0.6.
  auto rec = [](double latency, double slo, RequestStatus status) {
    RequestRecord r;
    r.model = "a";
    r.arrival_s = 0.25;
    r.end_s = 0.25 + latency;
    r.slo_s = slo;
    r.status = status;
    return r;
  };
  const std::vector<RequestRecord> rs = {
      rec(0.05, 0.1, RequestStatus::ok), rec(0.1, 0.1, RequestStatus::ok), rec(0.2, 0.1, RequestStatus::ok),
      rec(0.0, 0.1, RequestStatus::dropped), rec(0.3, 0.1, RequestStatus::timed_out)};
  const UtilityParams p{10.0, 0.5, 2.0};
  const double expected = 1.5 / 10.0 - 0.5 * (3.5 / 3.0) - 2.0 * 0.6;
  ServingTally t;
  for (const auto& r : rs) t.add(r);
  EXPECT_NEAR(utility(t, 2.0, p), expected, 1e-12);
  const auto s = summarize_models(rs, 0, {"a"}, 2.0, p);
  EXPECT_NEAR(s["models"]["a"]["utility"].get<double>(), expected, 1e-12);
  EXPECT_NEAR(s["utility"].get<double>(), expected, 1e-12);
  EXPECT_NEAR(s["models"]["a"]["slo_satisfaction"].get<double>(), 0.4, 1e-12);
  EXPECT_EQ(s["models"]["a"]["timed_out"].get<long>(), 1);
  // Per slot of 1 s (by end_s): all five end in slot 0, so slot 0 has 2 x the rate of the run.
  std::ostringstream out;
  write_slots(out, rs, 0, "g", {"a"}, 2.0, 1.0, p);
  std::string slot0;
  std::istringstream in(out.str());
  std::getline(in, slot0);
  const double u0 = 3.0 / 10.0 - 0.5 * (3.5 / 3.0) - 2.0 * 0.6;
  EXPECT_EQ(slot0.substr(0, slot0.find(',')), "0");
  EXPECT_NEAR(std::stod(slot0.substr(slot0.rfind(',') + 1)), u0, 1e-12);
}

}  // namespace
}  // namespace edgetwin::sim

namespace edgetwin::traces {
namespace {

TEST(CorunnerTable, RowsAreFoundInAnyCoRunnerOrderAndBadRowsNameFileLineAndColumn) {
  const auto t = CorunnerTable::parse(
      "board,model,batch,corunners,slowdown,source\nnx,a,2,b@1+c@4,1.5,x\nnx,a,2,,1,alone\n", "f.csv");
  EXPECT_EQ(t.size(), 2u);
  EXPECT_DOUBLE_EQ(*t.find("nx", "a", 2, {{"c", 4}, {"b", 1}}), 1.5);
  EXPECT_DOUBLE_EQ(*t.find("nx", "a", 2, {}), 1.0);
  EXPECT_FALSE(t.find("nx", "a", 2, {{"b", 1}}).has_value());
  try {
    CorunnerTable::parse("board,model,batch,corunners,slowdown,source\nnx,a,2,b@1,-1,x\n", "f.csv");
    FAIL() << "a negative slowdown was accepted";
  } catch (const common::DataError& e) {
    EXPECT_EQ(e.file(), "f.csv");
    EXPECT_EQ(e.where(), "line 2, column 5");
  }
  EXPECT_THROW(CorunnerTable::parse("board,model,batch,corunners,slowdown,source\nnx,a,2,b1,1,x\n", "f.csv"),
               common::DataError);
  EXPECT_THROW(CorunnerTable::parse("board,model\n", "f.csv"), common::DataError);
  EXPECT_THROW(CorunnerTable::parse("board,model,batch,corunners,slowdown,source\nnx,a,2,,1,x\nnx,a,2,,1,y\n",
                                    "f.csv"),
               common::DataError);
}

TEST(CorunnerSlowdown, AloneIsOneAndEachModelFeelsTheResourceItNeeds) {
  EXPECT_DOUBLE_EQ(corunner_slowdown({0.6, 0.3}, {}, 0.2), 1.0);
  // Compute-bound self (a = 0.8/1.0) beside a memory-bound co-runner: C = 1.0, M = 0.2 + 0.9.
  EXPECT_DOUBLE_EQ(corunner_slowdown({0.8, 0.2}, {{0.2, 0.9}}, 0.2),
                   (0.8 * 1.0 + 0.2 * 1.1) * (1 + 0.2 * 0.9));
  // The memory-bound one: a = 0.2/1.1.
  EXPECT_DOUBLE_EQ(corunner_slowdown({0.2, 0.9}, {{0.8, 0.2}}, 0.2),
                   (0.2 / 1.1 * 1.0 + 0.9 / 1.1 * 1.1) * (1 + 0.2 * 0.2));
}

}  // namespace
}  // namespace edgetwin::traces

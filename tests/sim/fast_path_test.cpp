// The local-time fast path against the per-activity path (docs/simulation.md "Local time fast
// path"): the same scenario run both ways gives the same summary, the same requests (matched by
// id) and the same timeline rows, up to floating-point rounding. SimGrid allows one engine per
// process, so each run happens in a child process (fork) that writes its results to a folder;
// the test process itself never starts an engine.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/simulation.hpp"
#include "edgetwin/traces/synth.hpp"

#include "sim_fixture.hpp"
#include <sys/wait.h>
#include <unistd.h>

namespace edgetwin::sim {
namespace {

namespace fs = std::filesystem;

using Fixture = test::MobileNetFixture;

// What a run in a child process reports besides its result files.
struct Run {
  fs::path dir;
  nlohmann::json meta;  ///< activities, local_activities, local_time_devices, requests, simulated_end_s
};

// Runs `spec` in a child process with the fast path on or off; results go to `dir`.
Run run_in_child(const Fixture& f, const ScenarioSpec& spec, bool fast_path, const fs::path& dir) {
  fs::remove_all(dir);
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = fork();
  if (pid == 0) {
    try {
      RunOptions options;
      options.out_dir = dir.string();
      options.fast_path = fast_path;
      options.engine_args = {"--log=root.thresh:critical"};
      const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, options);
      std::ofstream(dir / "meta.json") << nlohmann::json{
          {"activities", result.activities},
          {"local_activities", result.local_activities},
          {"local_time_devices", result.local_time_devices},
          {"requests", result.requests.size()},
          {"started_actors", result.started_actors},
          {"planned_actors", result.planned_actors},
          {"simulated_end_s",
           result.simulated_end_s}}.dump();
      std::cout.flush();
      _exit(0);
    } catch (const std::exception& e) {
      std::cerr << "child run failed: " << e.what() << "\n";
      _exit(2);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "run in child process failed";
  Run run;
  run.dir = dir;
  std::ifstream meta(dir / "meta.json");
  if (meta) meta >> run.meta;
  return run;
}

bool close(double a, double b) {
  return std::abs(a - b) <= std::max(1e-12, 1e-9 * std::max(std::abs(a), std::abs(b)));
}

// Every number within 1e-9 relative (or 1e-12 absolute), everything else equal.
void expect_json_close(const nlohmann::json& a, const nlohmann::json& b, const std::string& where) {
  ASSERT_EQ(a.type(), b.type()) << where;
  if (a.is_object()) {
    ASSERT_EQ(a.size(), b.size()) << where;
    for (const auto& [key, value] : a.items()) {
      ASSERT_TRUE(b.contains(key)) << where << "/" << key;
      expect_json_close(value, b[key], where + "/" + key);
    }
  } else if (a.is_number()) {
    EXPECT_TRUE(close(a.get<double>(), b.get<double>())) << where << ": " << a << " vs " << b;
  } else {
    EXPECT_EQ(a, b) << where;
  }
}

using Row = std::vector<std::string>;

std::vector<Row> read_csv(const fs::path& file, Row* header) {
  std::ifstream in(file);
  EXPECT_TRUE(in) << file;
  std::vector<Row> rows;
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    Row row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) row.push_back(cell);
    if (!line.empty() && line.back() == ',') row.emplace_back();
    if (first) {
      *header = row;
      first = false;
    } else {
      rows.push_back(row);
    }
  }
  return rows;
}

// Cells that parse as numbers within the tolerance, others equal.
void expect_rows_close(const Row& header, const Row& a, const Row& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t c = 0; c < a.size(); ++c) {
    if (a[c] == b[c]) continue;
    char* end_a = nullptr;
    char* end_b = nullptr;
    const double x = std::strtod(a[c].c_str(), &end_a);
    const double y = std::strtod(b[c].c_str(), &end_b);
    const bool numbers = !a[c].empty() && !b[c].empty() && *end_a == '\0' && *end_b == '\0';
    EXPECT_TRUE(numbers && close(x, y)) << what << " column " << header[c] << ": " << a[c] << " vs " << b[c];
  }
}

// The two runs agree: summary metrics, every request by id, every timeline row by (device, time).
void expect_same_results(const Run& fast, const Run& slow) {
  nlohmann::json sf, ss;
  std::ifstream(fast.dir / "summary.json") >> sf;
  std::ifstream(slow.dir / "summary.json") >> ss;
  expect_json_close(sf, ss, "summary.json");

  Row header;
  auto by_id = [&](const fs::path& file) {
    std::map<long, Row> rows;
    for (auto& r : read_csv(file, &header)) rows.emplace(std::stol(r.at(0)), std::move(r));
    return rows;
  };
  const auto rf = by_id(fast.dir / "requests.csv");
  const auto rs = by_id(slow.dir / "requests.csv");
  ASSERT_EQ(rf.size(), rs.size());
  ASSERT_GT(rf.size(), 0u);
  for (const auto& [id, row] : rf) {
    const auto it = rs.find(id);
    ASSERT_NE(it, rs.end()) << "request " << id << " only on the fast path";
    expect_rows_close(header, row, it->second, "request " + std::to_string(id));
  }

  auto timeline = [&](const fs::path& file) {
    auto rows = read_csv(file, &header);
    // Row order differs between the paths (fast-path devices write their own rows): compare
    // by (device, sample time).
    std::stable_sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) {
      const int dx = std::stoi(x.at(1)), dy = std::stoi(y.at(1));
      return dx != dy ? dx < dy : std::stod(x.at(0)) < std::stod(y.at(0));
    });
    return rows;
  };
  const auto tf = timeline(fast.dir / "timeline.csv");
  const auto ts = timeline(slow.dir / "timeline.csv");
  ASSERT_EQ(tf.size(), ts.size());
  for (std::size_t i = 0; i < tf.size(); ++i)
    expect_rows_close(header, tf[i], ts[i], "timeline row " + std::to_string(i));
}

fs::path scratch(const std::string& name) {
  return fs::temp_directory_path() / ("edgetwin_fast_path_" + std::to_string(getpid())) / name;
}

policies::Clocks max_clocks(const traces::Board& b) {
  const auto& mode = b.power_mode(b.default_power_mode);
  return {mode.cpu_max_khz, mode.gpu_max_hz, mode.emc_max_hz};
}

// Clock segments per frame (a test policy): complex frames run their first units at the
// maximum clocks and the rest at lower GPU/EMC clocks; the others run at the lower clocks
// throughout. Transitions come and go from frame to frame.
class PerFrameSegments : public policies::Policy {
 public:
  PerFrameSegments(policies::Clocks high, policies::Clocks low) : high_(high), low_(low) {}
  policies::FrameAction on_frame(const policies::FrameObservation& obs) override {
    policies::FrameAction a;
    if (obs.complexity > 0.5)
      a.clocks = {{0, high_}, {7, low_}};
    else
      a.clocks = {{0, low_}};
    return a;
  }

 private:
  policies::Clocks high_, low_;
};

// Early exits (a test policy): easy frames, and any request that finds a queue, leave after
// the model's second exit point. Depends on what the device observes (queue length).
class EasyExit : public policies::Policy {
 public:
  policies::FrameAction on_frame(const policies::FrameObservation& obs) override {
    policies::FrameAction a;
    if ((obs.complexity < 0.45 || obs.queue_length > 1) && obs.model->exits.size() > 1) {
      a.exit_after_unit = obs.model->exits[1].after_unit;
    }
    return a;
  }
};

void register_test_policies(Fixture& f) {
  const auto& b = f.nx();
  const auto high = max_clocks(b);
  const policies::Clocks low{high.cpu_khz, b.gpu_freqs_hz[3], b.emc_freqs_hz[2]};
  policies::PolicyInfo seg;
  seg.name = "per_frame_segments";
  seg.roles = {policies::Role::clocks};
  seg.summary = "test policy";
  seg.make = [high, low](const nlohmann::json&, const policies::PolicyContext&) {
    return std::make_unique<PerFrameSegments>(high, low);
  };
  f.registry.add(seg);
  policies::PolicyInfo exit;
  exit.name = "easy_exit";
  exit.roles = {policies::Role::exit};
  exit.summary = "test policy";
  exit.make = [](const nlohmann::json&, const policies::PolicyContext&) {
    return std::make_unique<EasyExit>();
  };
  f.registry.add(exit);
}

DeviceGroupSpec group(const std::string& name, int count, std::map<std::string, PolicySpec> pols) {
  DeviceGroupSpec g;
  g.name = name;
  g.board = "xavier_nx";
  g.count = count;
  g.models = {"mobilenet_v2"};
  g.policies = std::move(pols);
  g.access.bandwidth_bps = 8e6;  // 1 MB/s: uploads of a few 100 kB overlap on the link
  g.access.latency_s = 0.01;
  return g;
}

VideoStreamSpec video(const std::string& name, const std::string& group, double fps, double start_s,
                      double duration_s) {
  VideoStreamSpec v;
  v.name = name;
  v.group = group;
  v.model = "mobilenet_v2";
  v.fps = fps;
  v.start_s = start_s;
  v.duration_s = duration_s - start_s;
  v.slo_s = 0.05;
  return v;
}

RequestStreamSpec requests(const std::string& name, const std::string& group, ArrivalSpec arrival,
                           double duration_s) {
  RequestStreamSpec r;
  r.name = name;
  r.group = group;
  r.arrival = arrival;
  r.mix = {ModelShare{"mobilenet_v2", 1.0, 0.1}};
  r.duration_s = duration_s;
  return r;
}

// Devices 0-2: per-frame clock segments and early exits, 30 fps video + Poisson requests;
// 3-4: fixed clocks, MMPP requests + 10 fps video; 5-6: fixed_split offloading half the split
// feature map to one cloud GPU, Poisson + MMPP requests; 7-8: the ondemand governor (ticks:
// never on the fast path), 15 fps video. The timeline interval does not divide any frame period,
// so no sample falls on an arrival.
ScenarioSpec mixed_scenario(const Fixture& f, double duration_s) {
  ScenarioSpec spec;
  spec.name = "fast_path_mixed";
  spec.seed = 11;
  spec.duration_s = duration_s;
  const auto& b = f.nx();
  const auto top = max_clocks(b);
  spec.groups.push_back(group("seg", 3,
                              {{"clocks", {"per_frame_segments", nlohmann::json::object()}},
                               {"exit", {"easy_exit", nlohmann::json::object()}}}));
  spec.groups.push_back(
      group("fixed", 2,
            {{"clocks",
              {"fixed_clocks",
               {{"cpu_khz", top.cpu_khz}, {"gpu_hz", b.gpu_freqs_hz[4]}, {"emc_hz", b.emc_freqs_hz[3]}}}}}));
  spec.groups.push_back(
      group("split", 2,
            {{"clocks", {"max_clocks", nlohmann::json::object()}},
             {"placement", {"fixed_split", {{"split_after", 5}, {"offload_share", 0.5}}}}}));
  spec.groups.push_back(group("gov", 2, {{"clocks", {"ondemand", nlohmann::json::object()}}}));
  spec.clouds.push_back(CloudSpec{"c", "rtx3080", 1});
  spec.wan.bandwidth_bps = 8e9;
  spec.wan.latency_s = 0.02;
  ArrivalSpec poisson;
  poisson.rate_hz = 5;
  ArrivalSpec mmpp;
  mmpp.kind = "mmpp";
  mmpp.rate_hz = 2;
  mmpp.burst_rate_hz = 25;
  mmpp.mean_calm_s = 2;
  mmpp.mean_burst_s = 0.5;
  spec.videos.push_back(video("v30", "seg", 30, 0, duration_s));
  spec.videos.push_back(video("v10", "fixed", 10, 0.0137, duration_s));
  spec.videos.push_back(video("v15", "gov", 15, 0.0051, duration_s));
  spec.requests.push_back(requests("p", "seg", poisson, duration_s));
  spec.requests.push_back(requests("m", "fixed", mmpp, duration_s));
  ArrivalSpec slow = poisson;
  slow.rate_hz = 3;
  spec.requests.push_back(requests("q", "split", slow, duration_s));
  spec.requests.push_back(requests("b", "split", mmpp, duration_s));
  spec.outputs.timeline_interval_s = 0.3719;
  return spec;
}

TEST(FastPath, MixedScenarioGivesThePerActivityResults) {
  Fixture f;
  register_test_policies(f);
  const auto spec = mixed_scenario(f, 12.0);
  const auto fast = run_in_child(f, spec, true, scratch("mixed_fast"));
  const auto slow = run_in_child(f, spec, false, scratch("mixed_slow"));
  // Seven devices qualify (the two ondemand devices tick); none does with the fast path off.
  EXPECT_EQ(fast.meta.at("local_time_devices").get<int>(), 7);
  EXPECT_EQ(slow.meta.at("local_time_devices").get<int>(), 0);
  EXPECT_EQ(slow.meta.at("local_activities").get<long>(), 0);
  // The governor group, uploads and downloads stay engine activities; the rest runs locally.
  EXPECT_LT(fast.meta.at("activities").get<long>(), slow.meta.at("activities").get<long>() / 2);
  EXPECT_GT(fast.meta.at("local_activities").get<long>(), 2000);
  EXPECT_TRUE(
      close(fast.meta.at("simulated_end_s").get<double>(), slow.meta.at("simulated_end_s").get<double>()));
  expect_same_results(fast, slow);
  // The scenario exercises what it claims to: offloads, early exits, clock changes, a queue.
  nlohmann::json s;
  std::ifstream(fast.dir / "summary.json") >> s;
  EXPECT_GT(s["groups"]["split"]["requests_offloaded"].get<long>(), 20);
  EXPECT_GT(s["groups"]["seg"]["clock_changes"].get<long>(), 100);
  EXPECT_GT(s["groups"]["gov"]["requests_completed"].get<long>(), 300);
  Row header;
  long exits = 0;
  for (const auto& r : read_csv(fast.dir / "requests.csv", &header)) exits += r.at(11) != "-1" ? 1 : 0;
  EXPECT_GT(exits, 50);
  fs::remove_all(scratch(""));
}

// Exit and placement in one policy whose decisions depend on the outcomes it has received (so any
// difference in when outcomes arrive changes the results), with checkpoints that run exit heads,
// probes on the device every fifth frame, and a decision cost in concurrent mode.
class OutcomeSteered final : public policies::Policy {
 public:
  policies::FrameAction on_frame(const policies::FrameObservation& obs) override {
    const auto& m = *obs.model;
    policies::FrameAction a;
    a.edge_units = outcomes_ % 3 == 0 ? 4 : policies::kAllUnits;
    a.checkpoints = {{m.exits[1].after_unit, true}, {m.exits[3].after_unit, true}};
    if (frames_++ % 5 == 0) obs.probe->measure({&m, 0, 3, obs.clocks, 1, true});
    return a;
  }
  policies::UnitAction on_unit(const policies::UnitObservation& obs) override {
    policies::UnitAction a;
    a.stop = obs.head.ran && (frames_ + outcomes_ + static_cast<long>(latency_sum_s_ * 1e3)) % 2 == 1;
    return a;
  }
  bool wants_outcomes() const override { return true; }
  void on_outcome(const policies::Outcome& o) override {
    ++outcomes_;
    latency_sum_s_ += o.latency_s;
  }

 private:
  long frames_ = 0;
  long outcomes_ = 0;
  double latency_sum_s_ = 0;
};

TEST(FastPath, OutcomesCheckpointsProbesAndDecisionCostGiveThePerActivityResults) {
  Fixture f;
  policies::PolicyInfo info;
  info.name = "outcome_steered";
  info.roles = {policies::Role::exit, policies::Role::placement};
  info.summary = "test policy";
  info.make = [](const nlohmann::json&, const policies::PolicyContext&) {
    return std::make_unique<OutcomeSteered>();
  };
  f.registry.add(info);
  ScenarioSpec spec;
  spec.name = "fast_path_decisions";
  spec.seed = 5;
  spec.duration_s = 6;
  // Three devices whose frames never arrive at the same instant: at exact ties between devices
  // that share the cloud, the order in which the two paths serve them may differ (docs/simulation.md).
  const double starts[] = {0.003, 0.0071, 0.0113};
  for (int d = 0; d < 3; ++d) {
    const std::string name = "steered" + std::to_string(d);
    spec.groups.push_back(group(name, 1,
                                {{"exit+placement", {"outcome_steered", nlohmann::json::object()}},
                                 {"clocks", {"max_clocks", nlohmann::json::object()}}}));
    auto& g = spec.groups.back();
    g.decision.cost = "fixed";
    g.decision.cost_s = 0.001;
    g.decision.mode = "concurrent";
    g.access.bandwidth_bps = 200e6;  // uploads end within a few frames
    spec.videos.push_back(video("v" + std::to_string(d), name, 20, starts[d], 6));
  }
  spec.clouds.push_back(CloudSpec{"c", "rtx3080", 1});
  spec.wan.bandwidth_bps = 8e9;
  spec.wan.latency_s = 0.02;
  spec.outputs.timeline_interval_s = 0.5;
  const auto fast = run_in_child(f, spec, true, scratch("decisions_fast"));
  const auto slow = run_in_child(f, spec, false, scratch("decisions_slow"));
  EXPECT_EQ(fast.meta.at("local_time_devices").get<int>(), 3);
  expect_same_results(fast, slow);
  nlohmann::json s;
  std::ifstream(fast.dir / "summary.json") >> s;
  EXPECT_GT(s["overall"]["requests_offloaded"].get<long>(), 20);
  EXPECT_LT(s["overall"]["requests_offloaded"].get<long>(),
            s["overall"]["requests_completed"].get<long>() - 20);
  Row header;
  long stopped = 0;
  for (const auto& r : read_csv(fast.dir / "requests.csv", &header)) stopped += r.at(11) != "-1" ? 1 : 0;
  EXPECT_GT(stopped, 20);
  if (!HasFailure()) fs::remove_all(scratch(""));
}

TEST(FastPath, OneVideoDeviceRunsWithoutEngineActivitiesAndMatches) {
  Fixture f;
  ScenarioSpec spec;
  spec.name = "fast_path_one";
  spec.duration_s = 20;
  spec.groups.push_back(group("g", 1, {{"clocks", {"max_clocks", nlohmann::json::object()}}}));
  spec.videos.push_back(video("v", "g", 30, 0, 20));
  spec.outputs.timeline_interval_s = 0.5;  // samples fall on frame arrivals (every 15th frame)
  const auto fast = run_in_child(f, spec, true, scratch("one_fast"));
  const auto slow = run_in_child(f, spec, false, scratch("one_slow"));
  // 600 frames, each one merged run of units: no engine activity at all on the fast path.
  EXPECT_EQ(fast.meta.at("requests").get<long>(), 600);
  EXPECT_EQ(fast.meta.at("activities").get<long>(), 0);
  EXPECT_EQ(fast.meta.at("local_activities").get<long>(), 600);
  EXPECT_EQ(slow.meta.at("activities").get<long>(), 600);
  expect_same_results(fast, slow);
  // Request ids: (device x 1000 + stream) x 10^9 + sequence; here device 0, stream 0: 0..599.
  Row header;
  std::vector<long> ids;
  for (const auto& r : read_csv(fast.dir / "requests.csv", &header)) ids.push_back(std::stol(r.at(0)));
  std::sort(ids.begin(), ids.end());
  ASSERT_EQ(ids.size(), 600u);
  EXPECT_EQ(ids.front(), 0);
  EXPECT_EQ(ids.back(), 599);
  fs::remove_all(scratch(""));
}

// Devices that cannot offload (edge_only, or no placement policy) share one actor per run of
// consecutive such devices; the results are still the per-activity path's, timeline included.
TEST(FastPath, EngineFreeDevicesShareAnActorAndMatch) {
  Fixture f;
  ScenarioSpec spec;
  spec.name = "fast_path_shared";
  spec.seed = 3;
  spec.duration_s = 8;
  const PolicySpec clocks{"max_clocks", nlohmann::json::object()};
  spec.groups.push_back(
      group("edge", 3, {{"placement", {"edge_only", nlohmann::json::object()}}, {"clocks", clocks}}));
  spec.groups.push_back(
      group("cloud", 1, {{"placement", {"cloud_only", nlohmann::json::object()}}, {"clocks", clocks}}));
  spec.groups.push_back(group("none", 2, {{"clocks", clocks}}));
  const double starts[] = {0.0013, 0.0057, 0.0091};
  for (std::size_t g = 0; g < spec.groups.size(); ++g)
    spec.videos.push_back(video("v" + std::to_string(g), spec.groups[g].name, 10, starts[g], 8));
  spec.clouds.push_back(CloudSpec{"c", "rtx3080", 1});
  spec.wan.bandwidth_bps = 8e9;
  spec.wan.latency_s = 0.02;
  spec.outputs.timeline_interval_s = 0.3719;
  const auto fast = run_in_child(f, spec, true, scratch("shared_fast"));
  const auto slow = run_in_child(f, spec, false, scratch("shared_slow"));
  EXPECT_EQ(fast.meta.at("local_time_devices").get<int>(), 6);
  // "edge" shares one actor, "cloud" has its controller, "none" shares another; the timeline:
  // 4 (6 controllers + 1 on the per-activity path without sharing). The cloud server's actors
  // start with the offloads that need them (cloud_server.hpp).
  EXPECT_EQ(fast.meta.at("started_actors").get<long>(), 4);
  EXPECT_EQ(fast.meta.at("planned_actors").get<long>(), 4);
  EXPECT_EQ(slow.meta.at("started_actors").get<long>(), 6 * 2 + 1);  // a source and a controller each
  EXPECT_EQ(slow.meta.at("planned_actors").get<long>(), 6 * 2 + 1);
  expect_same_results(fast, slow);
  nlohmann::json s;
  std::ifstream(fast.dir / "summary.json") >> s;
  EXPECT_EQ(s["groups"]["edge"]["requests_completed"].get<long>(), 3 * 80);
  EXPECT_EQ(s["groups"]["cloud"]["requests_offloaded"].get<long>(), 80);
  EXPECT_EQ(s["groups"]["none"]["requests_offloaded"].get<long>(), 0);
  if (!HasFailure()) fs::remove_all(scratch(""));
}

TEST(FastPath, RequestIdsNameDeviceStreamAndSequenceOnBothPaths) {
  Fixture f;
  register_test_policies(f);
  const auto spec = mixed_scenario(f, 3.0);
  for (const bool fast_path : {true, false}) {
    const auto run = run_in_child(f, spec, fast_path, scratch(fast_path ? "ids_fast" : "ids_slow"));
    Row header;
    // Per (device, stream): the ids are device x 1000 + stream (streams: v30 0, v10 1, v15 2,
    // p 3, m 4, q 5, b 6), times 10^9, plus 0, 1, 2, ... in arrival order.
    std::map<std::pair<long, long>, std::vector<std::pair<double, long>>> seen;
    const std::map<std::string, long> stream{{"v30", 0}, {"v10", 1}, {"v15", 2}, {"p", 3},
                                             {"m", 4},   {"q", 5},   {"b", 6}};
    for (const auto& r : read_csv(run.dir / "requests.csv", &header)) {
      const long id = std::stol(r.at(0));
      const long device = std::stol(r.at(1));
      const long s = stream.at(r.at(3));
      EXPECT_EQ(id / 1000000000L, device * 1000 + s) << "request " << id;
      seen[{device, s}].emplace_back(std::stod(r.at(5)), id % 1000000000L);
    }
    EXPECT_EQ(seen.size(), 2u * 3 + 2 * 2 + 2 * 2 + 2 * 1);  // (device, stream) pairs
    for (auto& [key, arrivals] : seen) {
      std::sort(arrivals.begin(), arrivals.end());
      for (std::size_t i = 0; i < arrivals.size(); ++i) {
        EXPECT_EQ(arrivals[i].second, static_cast<long>(i))
            << "device " << key.first << " stream " << key.second;
      }
    }
  }
  fs::remove_all(scratch(""));
}

TEST(FastPath, SameScenarioTwiceGivesByteIdenticalFiles) {
  Fixture f;
  register_test_policies(f);
  const auto spec = mixed_scenario(f, 4.0);
  const auto a = run_in_child(f, spec, true, scratch("det_a"));
  const auto b = run_in_child(f, spec, true, scratch("det_b"));
  auto bytes = [](const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  for (const char* file : {"summary.json", "requests.csv", "timeline.csv"}) {
    const auto x = bytes(a.dir / file);
    EXPECT_FALSE(x.empty()) << file;
    EXPECT_EQ(x, bytes(b.dir / file)) << file;
  }
  fs::remove_all(scratch(""));
}

// A per-frame clocks policy that says it shares state across devices (as a learner fed by
// several devices does): its devices must stay on the per-activity path.
class SharedMaxClocks : public policies::Policy {
 public:
  explicit SharedMaxClocks(policies::Clocks c) : c_(c) {}
  policies::FrameAction on_frame(const policies::FrameObservation&) override {
    policies::FrameAction a;
    a.clocks = {{0, c_}};
    return a;
  }
  bool shares_state() const override { return true; }

 private:
  policies::Clocks c_;
};

TEST(FastPath, DevicesWhosePolicySharesStateStayOnThePerActivityPath) {
  Fixture f;
  policies::PolicyInfo shared;
  shared.name = "shared_max";
  shared.roles = {policies::Role::clocks};
  shared.summary = "test policy";
  const auto high = max_clocks(f.nx());
  shared.make = [high](const nlohmann::json&, const policies::PolicyContext&) {
    return std::make_unique<SharedMaxClocks>(high);
  };
  f.registry.add(shared);
  ScenarioSpec spec;
  spec.name = "fast_path_shared";
  spec.duration_s = 5;
  spec.groups.push_back(group("shared", 2, {{"clocks", {"shared_max", nlohmann::json::object()}}}));
  spec.groups.push_back(group("plain", 1, {{"clocks", {"max_clocks", nlohmann::json::object()}}}));
  spec.videos.push_back(video("a", "shared", 30, 0, 5));
  spec.videos.push_back(video("b", "plain", 30, 0, 5));
  const auto fast = run_in_child(f, spec, true, scratch("shared_fast"));
  EXPECT_EQ(fast.meta.at("local_time_devices").get<int>(), 1);  // only the "plain" device
  EXPECT_EQ(fast.meta.at("requests").get<long>(), 3 * 150);
  fs::remove_all(scratch(""));
}

TEST(FastPath, ACaptureBufferDropsTheFramesThatFindItFullOnBothPaths) {
  Fixture f;
  ScenarioSpec spec;
  spec.name = "fast_path_drops";
  spec.duration_s = 4;
  // 1,000 frames/s against a service time of milliseconds: most frames find the buffer full.
  spec.groups.push_back(group("g", 1, {{"clocks", {"max_clocks", nlohmann::json::object()}}}));
  spec.videos.push_back(video("v", "g", 1000, 0, 4));
  spec.videos.back().queue_limit = 1;
  const auto fast = run_in_child(f, spec, true, scratch("drops_fast"));
  const auto slow = run_in_child(f, spec, false, scratch("drops_slow"));
  nlohmann::json sf, ss;
  std::ifstream(fast.dir / "summary.json") >> sf;
  std::ifstream(slow.dir / "summary.json") >> ss;
  const auto& of = sf.at("overall");
  const auto completed = of.at("requests_completed").get<long>();
  const auto dropped = of.at("requests_dropped").get<long>();
  EXPECT_EQ(completed + dropped, 4000);  // every arrival is either processed or dropped
  EXPECT_GT(dropped, 3000);
  // The device never idles while frames arrive, so it completes one frame per service time L.
  // Each completed frame but the first arrived within 1 ms of its predecessor's start and waited
  // for it: its latency is in (2L - 1 ms, 2L], so the median gives L to within 0.5 ms.
  const double p50 = of.at("latency_p50_s").get<double>();
  EXPECT_GE(static_cast<double>(completed), 4.0 / (p50 / 2) - 2);
  EXPECT_LE(static_cast<double>(completed), 4.0 / ((p50 - 0.001) / 2) + 2);
  EXPECT_LT(of.at("latency_p95_s").get<double>(), p50 + 0.0011);
  EXPECT_EQ(ss.at("overall").at("requests_dropped").get<long>(), dropped);
  EXPECT_EQ(ss.at("overall").at("requests_completed").get<long>(), completed);
  EXPECT_EQ(fast.meta.at("local_time_devices").get<int>(), 1);
  // Without the buffer limit nothing is dropped.
  spec.videos.back().queue_limit = 0;
  spec.duration_s = 0.5;
  spec.videos.back().duration_s = 0.5;
  const auto all = run_in_child(f, spec, true, scratch("drops_none"));
  nlohmann::json sa;
  std::ifstream(all.dir / "summary.json") >> sa;
  EXPECT_EQ(sa.at("overall").at("requests_dropped").get<long>(), 0);
  EXPECT_EQ(sa.at("overall").at("requests_completed").get<long>(), 500);
  fs::remove_all(scratch(""));
}

// DVFO's channel split (docs/simulation.md "Channel split") on both paths: devices whose cloud
// branch ends last (slow links), devices whose own branch ends last (fast links), all sharing one
// cloud GPU, with receive energy, a codec and a fusion.
TEST(FastPath, AChannelSplitGivesThePerActivityResults) {
  Fixture f;
  ScenarioSpec spec;
  spec.name = "fast_path_channel_split";
  spec.seed = 3;
  spec.duration_s = 6;
  const double starts[] = {0.002, 0.0067, 0.0121, 0.0173};
  const double bandwidths[] = {8e6, 8e6, 400e6, 400e6};
  for (int d = 0; d < 4; ++d) {
    const std::string name = "cs" + std::to_string(d);
    spec.groups.push_back(group(
        name, 1,
        {{"clocks", {"max_clocks", nlohmann::json::object()}},
         {"placement", {"fixed_split", {{"split_after", 9}, {"offload_share", d % 2 == 0 ? 0.5 : 0.2}}}}}));
    auto& g = spec.groups.back();
    g.access.bandwidth_bps = bandwidths[d];
    g.access.radio_rx_power_w = 0.94;
    g.channel_split.enabled = true;
    g.channel_split.entropy_ratio = 0.6;
    g.channel_split.encode_s_per_melement = 0.02;
    g.channel_split.fusion_s = 0.0005;
    spec.videos.push_back(video("v" + std::to_string(d), name, 20, starts[d], 6));
  }
  spec.clouds.push_back(CloudSpec{"c", "rtx3080", 1});
  spec.wan.bandwidth_bps = 8e9;
  spec.wan.latency_s = 0.002;
  spec.outputs.timeline_interval_s = 0.5;
  const auto fast = run_in_child(f, spec, true, scratch("split_fast"));
  const auto slow = run_in_child(f, spec, false, scratch("split_slow"));
  EXPECT_EQ(fast.meta.at("local_time_devices").get<int>(), 4);
  expect_same_results(fast, slow);
  nlohmann::json s;
  std::ifstream(fast.dir / "summary.json") >> s;
  EXPECT_EQ(s["overall"]["requests_offloaded"].get<long>(), 4 * 120);
  if (!HasFailure()) fs::remove_all(scratch(""));
}

}  // namespace
}  // namespace edgetwin::sim

// Tallies of a run that add up over shards (run_tallies.hpp, metrics.hpp DeviceSums):
// hand-computed merges, the idle extension of a shard that ended first, the file round trip and
// what a merge refuses. Engine-free.

#include "edgetwin/sim/run_tallies.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace edgetwin::sim {
namespace {

RequestRecord request(int group, double arrival, double end, double energy, double slo = 0) {
  RequestRecord r;
  r.group = group;
  r.model = "m";
  r.arrival_s = arrival;
  r.end_s = end;
  r.energy_j = energy;
  r.slo_s = slo;
  r.units = 2;
  r.edge_units = 2;
  return r;
}

DeviceTotals device(int index, double energy, double idle, double end_idle_w) {
  DeviceTotals d;
  d.device = index;
  d.energy_j = energy;
  d.idle_j = idle;
  d.busy_j = energy - idle;
  d.rail_j = {energy};
  d.end_idle_w = end_idle_w;
  d.end_rail_w = {end_idle_w};
  return d;
}

TEST(DeviceSums, MergeOfTwoShardsIsTheWholeScope) {
  DeviceSums a(1), b(1);
  a.add(device(0, 5, 4, 1));
  b.add(device(1, 3, 2, 1));
  a.end_s = b.end_s = 10;
  a.merge(b);
  EXPECT_EQ(a.devices, 2);
  EXPECT_DOUBLE_EQ(a.device_j, 8);
  EXPECT_DOUBLE_EQ(a.idle_j, 6);
  EXPECT_DOUBLE_EQ(a.rail_j.at(0), 8);
  EXPECT_DOUBLE_EQ(a.end_idle_w, 2);
  DeviceSums other_rails(2);
  EXPECT_THROW(a.merge(other_rails), std::invalid_argument);
}

TEST(DeviceSums, AShardThatEndedFirstIdlesUntilTheOtherEnds) {
  // A ended at 9 s with its device idle at 1.5 W; B at 10 s: A's device idles 1 s more.
  DeviceSums a(1), b(1);
  a.add(device(0, 5, 4, 1.5));
  b.add(device(1, 3, 2, 0.5));
  a.end_s = 9;
  b.end_s = 10;
  a.merge(b);
  EXPECT_DOUBLE_EQ(a.end_s, 10);
  EXPECT_DOUBLE_EQ(a.device_j, 5 + 1.5 + 3);
  EXPECT_DOUBLE_EQ(a.idle_j, 4 + 1.5 + 2);
  EXPECT_DOUBLE_EQ(a.busy_j, 1 + 1);
  EXPECT_DOUBLE_EQ(a.rail_j.at(0), 5 + 1.5 + 3);
  EXPECT_DOUBLE_EQ(a.end_idle_w, 2.0);
  // The merge is symmetric: B first gives the same totals.
  DeviceSums c(1), d(1);
  c.add(device(1, 3, 2, 0.5));
  d.add(device(0, 5, 4, 1.5));
  c.end_s = 10;
  d.end_s = 9;
  c.merge(d);
  EXPECT_DOUBLE_EQ(c.device_j, a.device_j);
}

// Shard r of k: one serving device whose one request (arrival r, latency 0.5 s, 1 J, SLO 1 s)
// ended at r + 0.5 s; the shard ended at 4 + r s with its device idle at 1 W.
RunTallies shard(int r, int k) {
  RunTallies t;
  t.scenario = "s";
  t.scenario_hash = "42";
  t.duration_s = 4;
  t.simulated_end_s = 4 + r;
  t.shard = r;
  t.shards = k;
  t.slots_csv = true;
  GroupTally g;
  g.name = "server";
  g.rails = {"IN"};
  g.devices = DeviceSums(1);
  g.devices.end_s = t.simulated_end_s;
  g.serving = true;
  g.slot_s = 2;
  ModelTally m;
  m.model = "m";
  m.slots.resize(2);
  m.has_devices = true;
  m.memory_capped_actions = r + 1;
  const auto req = request(0, r, r + 0.5, 1, 1);
  m.tally.add(req);
  m.latencies.push_back(req.latency_s());
  m.slots[req.end_s < 2 ? 0 : 1].add(req);
  g.requests.add(req);
  g.latencies.push_back(req.latency_s());
  g.devices.add(device(r, 2, 1, 1));
  g.models.push_back(m);
  t.groups.push_back(g);
  t.overall = DeviceSums(0);
  t.overall.end_s = t.simulated_end_s;
  t.overall.add(device(r, 2, 1, 1));
  return t;
}

TEST(RunTallies, WrittenAndReadBackTheyMergeIntoTheWholeSummary) {
  const auto dir = std::filesystem::temp_directory_path() / "edgetwin_run_tallies_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "0");
  std::filesystem::create_directories(dir / "1");
  write_tallies(shard(0, 2), (dir / "0").string());
  write_tallies(shard(1, 2), (dir / "1").string());
  auto merged = read_tallies((dir / "0").string());
  merged.merge(read_tallies((dir / "1").string()));
  const auto s = merged.summary();
  EXPECT_DOUBLE_EQ(s["simulated_end_s"].get<double>(), 5);
  EXPECT_EQ(s["overall"]["requests_completed"], 2);
  // Shard 0 ended at 4 s with 1 W idle: 1 J more to reach 5 s.
  EXPECT_DOUBLE_EQ(s["overall"]["device_energy_j"].get<double>(), 2 + 1 + 2);
  EXPECT_DOUBLE_EQ(s["groups"]["server"]["rail_energy_j"]["IN"].get<double>(), 5);
  const auto& model = s["groups"]["server"]["models"]["m"];
  EXPECT_EQ(model["completed"], 2);
  EXPECT_EQ(model["memory_capped_actions"], 3);
  EXPECT_DOUBLE_EQ(s["utility"].get<double>(), model["utility"].get<double>());
  // Slots of 2 s: both requests end in the first (0.5 s and 1.5 s).
  EXPECT_EQ(
      merged.slots_csv_text(merged.record_tally()),
      "slot_start_s,group,model,requests,completed,dropped,timed_out,throughput_rps,latency_mean_s,"
      "slo_satisfaction,utility\n"
      "0,server,m,2,2,0,0,1,0.5,1," +
          [&] {
            std::ostringstream u;
            u << utility(merged.groups[0].models[0].slots[0], 2, {}) << "\n";
            return u.str();
          }() +
          "2,server,m,0,0,0,0,0,,,0\n");
  std::filesystem::remove_all(dir);
}

TEST(RunTallies, ShardsOfAnotherRunOrATruncatedFileAreRefused) {
  auto a = shard(0, 2);
  auto b = shard(1, 2);
  b.scenario_hash = "43";
  EXPECT_THROW(a.merge(b), std::invalid_argument);
  const auto dir = std::filesystem::temp_directory_path() / "edgetwin_run_tallies_truncated";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  write_tallies(shard(0, 2), dir.string());
  std::filesystem::resize_file(dir / "shard_latencies.bin", 12);  // magic + half a latency
  try {
    read_tallies(dir.string());
    FAIL() << "a truncated latency file was read";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("shard_latencies.bin: shorter than shard.json says"),
              std::string::npos)
        << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edgetwin::sim

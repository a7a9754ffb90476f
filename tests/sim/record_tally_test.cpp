// RecordTally: the compact form of the request records behind summary.json and slots.csv.
// Engine-free; expectations computed by hand.

#include "edgetwin/sim/record_tally.hpp"

#include <cmath>
#include <sstream>

#include <gtest/gtest.h>

namespace edgetwin::sim {
namespace {

RequestRecord served(int group, double latency_s, const std::string& model = "a") {
  RequestRecord r;
  r.group = group;
  r.model = model;
  r.arrival_s = 1.0;
  r.start_s = 1.0;
  r.end_s = 1.0 + latency_s;
  return r;
}

TEST(RecordTally, RunPercentilesMergeTheGroupsExactly) {
  // Group 0: 0.1, 0.5; group 1: 0.3; group 5 (outside the tally's 2): 0.2, 0.4.
  RecordTally t(2);
  for (const auto& r : {served(0, 0.5), served(5, 0.2), served(1, 0.3), served(0, 0.1), served(5, 0.4)})
    t.add(r);
  // All five sorted: 0.1 0.2 0.3 0.4 0.5. p50: rank 2 -> 0.3; p95: rank 3.8 -> 0.4 + 0.8 x 0.1;
  // p99: rank 3.96 -> 0.4 + 0.96 x 0.1; p0 and p100: the extremes.
  const auto run = t.latency_percentiles(-1, {50, 95, 99, 0, 100});
  EXPECT_NEAR(run[0], 0.3, 1e-12);
  EXPECT_NEAR(run[1], 0.48, 1e-12);
  EXPECT_NEAR(run[2], 0.496, 1e-12);
  EXPECT_NEAR(run[3], 0.1, 1e-12);
  EXPECT_NEAR(run[4], 0.5, 1e-12);
  // Group 0 alone: 0.1 0.5, p50 at rank 0.5 -> 0.3; group 1 alone: 0.3 at every percentile.
  EXPECT_NEAR(t.latency_percentiles(0, {50})[0], 0.3, 1e-12);
  EXPECT_NEAR(t.latency_percentiles(1, {95})[0], 0.3, 1e-12);
  EXPECT_EQ(t.records(), 5);
  EXPECT_EQ(t.scope(-1).served, 5);
  EXPECT_EQ(t.scope(0).served, 2);
  EXPECT_NEAR(t.scope(-1).latency_sum_s, 1.5, 1e-12);
  // Asked again (already sorted): the same answers.
  EXPECT_NEAR(t.latency_percentiles(-1, {95})[0], 0.48, 1e-12);
}

TEST(RecordTally, NoServedRequestGivesNanPercentiles) {
  RecordTally t(1);
  auto dropped = served(0, 0.2);
  dropped.status = RequestStatus::dropped;
  t.add(dropped);
  EXPECT_EQ(t.records(), 1);
  EXPECT_EQ(t.scope(-1).served, 0);
  EXPECT_TRUE(std::isnan(t.latency_percentiles(-1, {50})[0]));
  EXPECT_TRUE(std::isnan(t.latency_percentiles(0, {50})[0]));
}

TEST(RecordTally, SummaryFromTheTallyEqualsTheSummaryOfTheRecords) {
  std::vector<RequestRecord> records{served(0, 0.1), served(1, 0.4), served(0, 0.25), served(1, 0.05)};
  records[0].slo_s = 0.2, records[1].slo_s = 0.2, records[2].energy_j = 2.5, records[3].accuracy = 0.7;
  records[1].units = 3, records[1].edge_units = 1;
  std::vector<DeviceTotals> devices(2);
  devices[0].energy_j = 10, devices[0].idle_j = 6, devices[0].busy_j = 4, devices[0].rail_j = {10.0};
  devices[1].device = devices[1].group = 1;
  devices[1].energy_j = 5, devices[1].idle_j = 5, devices[1].rail_j = {5.0};
  RecordTally t(2);
  for (const auto& r : records) t.add(r);
  for (int g = -1; g < 2; ++g) {
    EXPECT_EQ(summarize(t, devices, 2.0, {"IN"}, g).dump(),
              summarize(records, devices, 2.0, {"IN"}, g).dump())
        << "group " << g;
  }
  const auto run = summarize(t, devices, 2.0);
  EXPECT_EQ(run["requests_completed"].get<long>(), 4);
  EXPECT_EQ(run["requests_offloaded"].get<long>(), 1);
  EXPECT_DOUBLE_EQ(run["slo_violation_rate"].get<double>(), 0.5);  // 0.4 > 0.2, 0.1 <= 0.2
  EXPECT_DOUBLE_EQ(run["accuracy_mean"].get<double>(), 0.7);
  EXPECT_NEAR(run["latency_mean_s"].get<double>(), 0.2, 1e-12);  // (0.1 + 0.4 + 0.25 + 0.05) / 4
}

TEST(RecordTally, ServingModelsAndSlotsCountEveryRow) {
  RecordTally t(1);
  t.track_models(0, {"a", "b"}, 2.0, 1.0);
  auto late = served(0, 4.0);  // ends at 5 s, after the run: the last slot
  auto dropped = served(0, 0.0, "b");
  dropped.status = RequestStatus::dropped;
  for (const auto& r : {served(0, 0.2), late, dropped, served(0, 0.5, "c")}) t.add(r);
  const auto& models = t.models(0);
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].total.requests, 2);
  EXPECT_EQ(models[0].total.completed, 2);
  EXPECT_EQ(models[1].total.requests, 1);
  EXPECT_EQ(models[1].total.dropped, 1);
  ASSERT_EQ(models[0].slots.size(), 2u);
  EXPECT_EQ(models[0].slots[1].completed, 2);  // ends 1.2 s and 5 s: slot [1, 2) and the last
  std::ostringstream from_tally, from_records;
  write_slots(from_tally, t, 0, "g", {});
  write_slots(from_records, {served(0, 0.2), late, dropped, served(0, 0.5, "c")}, 0, "g", {"a", "b"}, 2.0,
              1.0, {});
  EXPECT_EQ(from_tally.str(), from_records.str());
  // Model "c" is not tracked, but it is a served request of the group and of the run.
  EXPECT_EQ(t.scope(0).served, 3);
}

}  // namespace
}  // namespace edgetwin::sim

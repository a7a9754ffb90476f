// The results database (engine-free): schema, state changes, metric columns added on demand,
// per-group rows, reopening.

#include "edgetwin/sweep/results_db.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "edgetwin/sweep/run_id.hpp"

#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using edgetwin::sweep::ResultsDb;
using edgetwin::sweep::Statement;
using nlohmann::json;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("edgetwin_sweep_db_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<edgetwin::sweep::SweepRun> two_runs() {
  std::vector<edgetwin::sweep::SweepRun> runs(2);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    runs[i].index = i;
    runs[i].group = "all";
    runs[i].seed = 1 + i;
    runs[i].resolved = {{"name", "t"}, {"seed", 1 + i}};
    runs[i].document = runs[i].resolved;
    runs[i].id = edgetwin::sweep::run_id_of(runs[i].document);
    runs[i].axes = {{"policy", "/platform/groups/0/policies/clocks/name",
                     i == 0 ? json("max_clocks") : json("ondemand"), ""},
                    {"bandwidth_bps", "/platform/groups/0/access/bandwidth_bps", 5e6, ""}};
  }
  return runs;
}

json summary(double energy) {
  return json::parse(
      R"({"duration_s": 5.0, "scenario": "t", "seed": 1, "simulated_end_s": 5.01, "synthetic_traces": true,
      "overall": {"energy_per_request_j": )" +
      std::to_string(energy) + R"(, "requests_completed": 10, "devices": 2,
                  "rail_energy_j": {"VDD_IN": 3.0}, "Bad-Name": 1, "status": 7},
      "groups": {"cams": {"energy_per_request_j": 0.5, "latency_p95_s": 0.07}, "lab": {"throughput_rps": 3}}})");
}

std::string text_of(ResultsDb& db, const std::string& sql) {
  Statement s(db.database(), sql);
  return s.step() ? (s.is_null(0) ? "NULL" : s.text(0)) : "<no row>";
}

TEST(ResultsDb, CreatesTheSchemaAndRecordsEveryState) {
  const auto dir = fresh_dir("states");
  const std::string path = (dir / "results.sqlite").string();
  EXPECT_EQ(edgetwin::sweep::runs_dir_for(path), (dir / "results.runs").string());
  const auto runs = two_runs();
  {
    ResultsDb db(path, "test 1.0");
    EXPECT_EQ(text_of(db, "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(text_of(db, "SELECT value FROM meta WHERE key = 'schema_version'"), "1");
    EXPECT_EQ(text_of(db, "SELECT value FROM meta WHERE key = 'edgetwin_version'"), "test 1.0");
    db.add_sweep("00000000000000aa", "s", "/x/s.json", "{}");
    db.add_runs("00000000000000aa", runs);
    db.add_runs("00000000000000aa", runs);  // idempotent
    EXPECT_EQ(text_of(db, "SELECT count(*) FROM runs"), "2");
    EXPECT_EQ(text_of(db, "SELECT count(*) FROM run_axes"), "4");
    EXPECT_EQ(text_of(db, "SELECT value_text FROM run_axes WHERE axis = 'policy' AND run_id = '" +
                              runs[1].id + "'"),
              "ondemand");
    EXPECT_EQ(text_of(db, "SELECT value_num FROM run_axes WHERE axis = 'bandwidth_bps' AND run_id = '" +
                              runs[1].id + "'"),
              "5000000.0");
    EXPECT_EQ(
        text_of(db, "SELECT value_num FROM run_axes WHERE axis = 'policy' AND run_id = '" + runs[1].id + "'"),
        "NULL");
    EXPECT_EQ(text_of(db, "SELECT value_json FROM run_axes WHERE axis = 'policy' AND run_id = '" +
                              runs[1].id + "'"),
              "\"ondemand\"");
    EXPECT_EQ(text_of(db, "SELECT status FROM runs WHERE run_index = 0"), "pending");

    db.mark_running(runs[0].id, "host");
    EXPECT_EQ(text_of(db, "SELECT status || ' ' || attempts || ' ' || worker FROM runs WHERE run_index = 0"),
              "running 1 host");
    db.mark_done(runs[0].id, summary(0.25), "results.runs/" + runs[0].id, 1.5, "2024-01-01T00:00:00Z");
    db.mark_running(runs[1].id, "host");
    db.mark_failed(runs[1].id, "exit code 1:\nboom", 1, 0.5, "2024-01-01T00:00:00Z");
  }
  ResultsDb db(path, "test 1.0");  // reopened
  const auto status = db.statuses();
  EXPECT_EQ(status.at(runs[0].id), "done");
  EXPECT_EQ(status.at(runs[1].id), "failed");
  EXPECT_EQ(text_of(db, "SELECT energy_per_request_j FROM runs WHERE run_index = 0"), "0.25");
  EXPECT_EQ(text_of(db, "SELECT requests_completed || ' ' || devices FROM runs WHERE run_index = 0"),
            "10.0 2.0");
  EXPECT_EQ(text_of(db, "SELECT simulated_end_s || ' ' || synthetic_traces FROM runs WHERE run_index = 0"),
            "5.01 1");
  EXPECT_EQ(text_of(db, "SELECT out_dir || ' ' || wall_s || ' ' || exit_code FROM runs WHERE run_index = 0"),
            "results.runs/" + runs[0].id + " 1.5 0");
  EXPECT_EQ(text_of(db, "SELECT energy_per_request_j FROM runs WHERE run_index = 1"), "NULL");
  EXPECT_EQ(text_of(db, "SELECT error || '|' || exit_code FROM runs WHERE run_index = 1"),
            "exit code 1:\nboom|1");
  // Only numbers with metric names become columns: no rail_energy_j object, no "Bad-Name",
  // and "status" cannot shadow the fixed column.
  const auto metrics = db.metric_columns();
  EXPECT_EQ(metrics, (std::vector<std::string>{"simulated_end_s", "synthetic_traces", "devices",
                                               "energy_per_request_j", "requests_completed"}));
  EXPECT_EQ(text_of(db, "SELECT latency_p95_s FROM group_summaries WHERE device_group = 'cams'"), "0.07");
  EXPECT_EQ(text_of(db,
                    "SELECT throughput_rps || ' ' || ifnull(latency_p95_s, 'NULL') FROM group_summaries "
                    "WHERE device_group = 'lab'"),
            "3.0 NULL");
  db.mark_pending(runs[1].id);
  EXPECT_EQ(db.statuses().at(runs[1].id), "pending");
  EXPECT_EQ(text_of(db, "PRAGMA integrity_check"), "ok");
  fs::remove_all(dir);
}

TEST(ResultsDb, RefusesAnotherSchemaVersion) {
  const auto dir = fresh_dir("version");
  const std::string path = (dir / "r.sqlite").string();
  {
    ResultsDb db(path, "x");
    db.database().exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
  }
  EXPECT_THROW(ResultsDb(path, "x"), std::runtime_error);
  fs::remove_all(dir);
}

TEST(ResultsDb, MetricNames) {
  EXPECT_TRUE(edgetwin::sweep::is_metric_name("latency_p95_s"));
  EXPECT_FALSE(edgetwin::sweep::is_metric_name("Latency"));
  EXPECT_FALSE(edgetwin::sweep::is_metric_name("9lives"));
  EXPECT_FALSE(edgetwin::sweep::is_metric_name("a-b"));
  EXPECT_FALSE(edgetwin::sweep::is_metric_name("run_id"));
  EXPECT_FALSE(edgetwin::sweep::is_metric_name(""));
}

}  // namespace

// The local runner with a stand-in child (a shell script instead of `edgetwin run`): every run
// recorded, a failing run does not stop the others, re-runs skip finished runs, timeouts, stale
// folders of interrupted runs, the sweep lock. Engine-free.

#include "edgetwin/sweep/runner.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "edgetwin/sweep/progress.hpp"
#include "edgetwin/sweep/run_id.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using edgetwin::sweep::ResultsDb;
using edgetwin::sweep::RunnerOptions;
using edgetwin::sweep::SweepRun;
using nlohmann::json;

// Writes a summary whose energy is the scenario's "x"; fails when the scenario says "fail",
// hangs when it says "hang".
constexpr const char* kFakeRun = R"sh(
if grep -q '"mode": "fail"' "$1"; then echo "error: this run was told to fail" >&2; exit 3; fi
if grep -q '"mode": "hang"' "$1"; then sleep 30; fi
x=$(sed -n 's/.*"x": \([0-9.]*\).*/\1/p' "$1")
mkdir -p "$2" && echo "{\"overall\": {\"energy_j\": $x}, \"groups\": {}, \"simulated_end_s\": 5, \"synthetic_traces\": false}" > "$2/summary.json"
echo "id,latency_s" > "$2/requests.csv"
)sh";

struct Fixture {
  fs::path dir;
  std::string db_path;
  int launches = 0;
  edgetwin::sweep::RunCommand command;

  explicit Fixture(const std::string& name)
      : dir(fs::temp_directory_path() /
            ("edgetwin_sweep_runner_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    db_path = (dir / "results.sqlite").string();
    command = [this](const std::string& scenario, const std::string& out) {
      ++launches;
      return std::vector<std::string>{"/bin/sh", "-c", kFakeRun, "fake_run", scenario, out};
    };
  }
  ~Fixture() { fs::remove_all(dir); }
  fs::path runs_dir() const { return dir / "results.runs"; }
};

std::vector<SweepRun> make_runs(const std::vector<std::string>& modes) {
  std::vector<SweepRun> runs;
  for (std::size_t i = 0; i < modes.size(); ++i) {
    SweepRun r;
    r.index = i;
    r.group = "all";
    r.seed = i;
    r.resolved = {{"mode", modes[i]}, {"x", 1.5 + static_cast<double>(i)}};
    r.document = r.resolved;
    r.id = edgetwin::sweep::run_id_of(r.document);
    runs.push_back(r);
  }
  return runs;
}

RunnerOptions quiet_options(int jobs) {
  RunnerOptions o;
  o.jobs = jobs;
  o.quiet = true;
  return o;
}

TEST(LocalRunner, RecordsEveryRunAndAFailureDoesNotStopTheOthers) {
  Fixture f("basic");
  const auto runs = make_runs({"ok", "fail", "ok", "ok"});
  ResultsDb db(f.db_path, "test");
  db.add_runs("s", runs);
  const auto outcome = edgetwin::sweep::run_local(runs, db, f.db_path, f.command, quiet_options(2));
  EXPECT_EQ(f.launches, 4);
  EXPECT_EQ(outcome.total, 4u);
  EXPECT_EQ(outcome.done, 3u);
  EXPECT_EQ(outcome.failed, 1u);
  EXPECT_EQ(outcome.skipped, 0u);
  EXPECT_FALSE(outcome.interrupted);
  const auto status = db.statuses();
  for (const auto& r : runs) {
    const bool ok = r.resolved["mode"] == "ok";
    EXPECT_EQ(status.at(r.id), ok ? "done" : "failed");
    EXPECT_EQ(fs::exists(f.runs_dir() / r.id / "summary.json"), ok) << r.id;
  }
  EXPECT_FALSE(fs::exists(f.runs_dir() / ".staging" / runs[1].id));
  edgetwin::sweep::Statement energy(db.database(),
                                    "SELECT energy_j, out_dir, attempts FROM runs WHERE run_index = 2");
  ASSERT_TRUE(energy.step());
  EXPECT_DOUBLE_EQ(energy.real(0), 3.5);
  EXPECT_EQ(energy.text(1), "results.runs/" + runs[2].id);
  EXPECT_EQ(energy.integer(2), 1);
  edgetwin::sweep::Statement error(db.database(), "SELECT error, exit_code FROM runs WHERE run_index = 1");
  ASSERT_TRUE(error.step());
  EXPECT_EQ(error.text(0), "exit code 3:\nerror: this run was told to fail");
  EXPECT_EQ(error.integer(1), 3);

  // The same command again: everything finished is skipped, nothing launched.
  const auto again = edgetwin::sweep::run_local(runs, db, f.db_path, f.command, quiet_options(2));
  EXPECT_EQ(f.launches, 4);
  EXPECT_EQ(again.skipped, 4u);
  EXPECT_EQ(again.done, 3u);
  EXPECT_EQ(again.failed, 1u);

  // --retry-failed runs the failed one only (it fails again: attempts 2).
  auto retry = quiet_options(1);
  retry.retry_failed = true;
  const auto retried = edgetwin::sweep::run_local(runs, db, f.db_path, f.command, retry);
  EXPECT_EQ(f.launches, 5);
  EXPECT_EQ(retried.skipped, 3u);
  edgetwin::sweep::Statement attempts(db.database(), "SELECT attempts FROM runs WHERE run_index = 1");
  ASSERT_TRUE(attempts.step());
  EXPECT_EQ(attempts.integer(0), 2);
}

TEST(LocalRunner, InterruptedRunsAreRerunAndTheirStaleFoldersRemoved) {
  Fixture f("resume");
  const auto runs = make_runs({"ok", "ok"});
  ResultsDb db(f.db_path, "test");
  db.add_runs("s", runs);
  // As a SIGKILLed sweep leaves it: run 0 'running', with a half-written folder.
  db.mark_running(runs[0].id, "gone");
  fs::create_directories(f.runs_dir() / runs[0].id);
  std::ofstream(f.runs_dir() / runs[0].id / "junk") << "x";
  fs::create_directories(f.runs_dir() / ".staging" / runs[0].id / "out");
  const auto outcome = edgetwin::sweep::run_local(runs, db, f.db_path, f.command, quiet_options(1));
  EXPECT_EQ(outcome.done, 2u);
  EXPECT_FALSE(fs::exists(f.runs_dir() / runs[0].id / "junk"));
  EXPECT_TRUE(fs::exists(f.runs_dir() / runs[0].id / "summary.json"));
  EXPECT_FALSE(fs::exists(f.runs_dir() / ".staging" / runs[0].id));
}

TEST(LocalRunner, TimeoutKillsTheRunAndRecordsIt) {
  Fixture f("timeout");
  const auto runs = make_runs({"hang", "ok"});
  ResultsDb db(f.db_path, "test");
  db.add_runs("s", runs);
  auto options = quiet_options(2);
  options.timeout_s = 0.3;
  const auto outcome = edgetwin::sweep::run_local(runs, db, f.db_path, f.command, options);
  EXPECT_EQ(outcome.done, 1u);
  EXPECT_EQ(outcome.failed, 1u);
  edgetwin::sweep::Statement error(db.database(), "SELECT error FROM runs WHERE run_index = 0");
  ASSERT_TRUE(error.step());
  EXPECT_NE(error.text(0).find("timed out after 0.3 s (--timeout-s)"), std::string::npos) << error.text(0);
}

TEST(LocalRunner, RefusesASecondRunnerOnTheSameDatabase) {
  Fixture f("lock");
  const auto runs = make_runs({"ok"});
  ResultsDb db(f.db_path, "test");
  db.add_runs("s", runs);
  fs::create_directories(f.runs_dir());
  const int fd = ::open((f.runs_dir() / ".lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  EXPECT_THROW(edgetwin::sweep::run_local(runs, db, f.db_path, f.command, quiet_options(1)),
               std::runtime_error);
  ::close(fd);
  EXPECT_EQ(f.launches, 0);
}

TEST(Progress, LineAndDurations) {
  EXPECT_EQ(edgetwin::sweep::progress_line({200, 57, 2, 2}, 72),
            "[##........] 57/200 done, 2 failed, 2 running, ETA 1m12s");
  EXPECT_EQ(edgetwin::sweep::progress_line({4, 4, 0, 0}, 0),
            "[##########] 4/4 done, 0 failed, 0 running, ETA 0s");
  EXPECT_EQ(edgetwin::sweep::progress_line({10, 3, 2, 1}, -1),
            "[#####.....] 3/10 done, 2 failed, 1 running, ETA ?");
  EXPECT_EQ(edgetwin::sweep::format_duration(45.4), "45s");
  EXPECT_EQ(edgetwin::sweep::format_duration(7380), "2h03m");
}

}  // namespace

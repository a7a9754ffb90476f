#include "edgetwin/sweep/run_book.hpp"

#include <fstream>
#include <stdexcept>

#include "edgetwin/common/json_reader.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace edgetwin::sweep {

namespace fs = std::filesystem;

SweepLock::SweepLock(const std::string& db_path) {
  const fs::path dir = fs::absolute(runs_dir_for(db_path));
  fs::create_directories(dir);
  const std::string path = (dir / ".lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0 || ::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error(path + ": another sweep is running on this database; wait for it or stop it");
  }
}

SweepLock::~SweepLock() {
  ::close(fd_);
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

RunBook::RunBook(ResultsDb& db, const std::string& db_path, const std::vector<SweepRun>& runs,
                 bool retry_failed)
    : db_(db),
      runs_dir_(fs::absolute(runs_dir_for(db_path))),
      runs_dir_name_(fs::path(runs_dir_for(db_path)).filename().string()) {
  fs::create_directories(runs_dir_);
  const auto status = db_.statuses();
  fs::remove_all(runs_dir_ / ".staging");
  counts_.total = runs.size();
  for (const auto& run : runs) {
    const auto it = status.find(run.id);
    const std::string s = it == status.end() ? "pending" : it->second;
    if (s == "done" || (s == "failed" && !retry_failed)) {
      ++skipped_;
      ++(s == "done" ? counts_.done : counts_.failed);
      continue;
    }
    fs::remove_all(runs_dir_ / run.id);  // a half-finished run's folder
    queue_.push_back(&run);
  }
}

const SweepRun* RunBook::next() {
  if (queue_.empty()) return nullptr;
  const SweepRun* run = queue_.front();
  queue_.pop_front();
  return run;
}

RunPaths RunBook::paths_of(const SweepRun& run) const {
  const fs::path staging = runs_dir_ / ".staging" / run.id;
  return {staging, staging / "scenario.json", staging / "out", staging / "run.log"};
}

RunPaths RunBook::begin(const SweepRun& run, const std::string& worker) {
  RunPaths p = paths_of(run);
  fs::remove_all(p.staging);
  fs::create_directories(p.staging);
  std::ofstream(p.scenario) << run.resolved.dump(2) << "\n";
  db_.mark_running(run.id, worker);
  return p;
}

bool RunBook::succeed(const SweepRun& run, double wall_s, const std::string& started_at) {
  const RunPaths p = paths_of(run);
  nlohmann::json summary;
  try {
    summary = common::read_json_file((p.out / "summary.json").string());
  } catch (const std::exception& e) {
    fail(run, std::string("the run exited 0 but its summary is unreadable: ") + e.what(), 0, wall_s,
         started_at);
    return false;
  }
  // The folder is in place before the row says done: a crash in between re-runs the run.
  const fs::path target = runs_dir_ / run.id;
  fs::remove_all(target);
  fs::rename(p.out, target);
  db_.mark_done(run.id, summary, runs_dir_name_ + "/" + run.id, wall_s, started_at);
  fs::remove_all(p.staging);
  ++counts_.done;
  ++finished_here_;
  return true;
}

void RunBook::fail(const SweepRun& run, const std::string& error, std::optional<int> exit_code, double wall_s,
                   const std::string& started_at) {
  db_.mark_failed(run.id, error, exit_code, wall_s, started_at);
  fs::remove_all(paths_of(run).staging);
  ++counts_.failed;
  ++finished_here_;
}

void RunBook::put_back(const SweepRun& run) {
  db_.mark_pending(run.id);
  fs::remove_all(paths_of(run).staging);
}

ProgressCounts RunBook::counts(std::size_t running) const {
  ProgressCounts c = counts_;
  c.running = running;
  return c;
}

double RunBook::eta_s(std::size_t running) const {
  if (finished_here_ == 0) return -1;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return elapsed / static_cast<double>(finished_here_) * static_cast<double>(queue_.size() + running);
}

}  // namespace edgetwin::sweep

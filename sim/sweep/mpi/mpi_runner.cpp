// The MPI runner: a coordinator on rank 0 (the database, the run book, progress) and workers
// that each run one child process at a time. Messages are JSON strings:
//   worker -> 0  kTagReady  {"host": ...}                    (once, at start)
//   worker -> 0  kTagResult {"index", "ok", "exit_code", "error", "wall_s"}
//   0 -> worker  kTagRun    {"index", "id", "scenario", "out", "log"}
//   0 -> worker  kTagStop   {}

#include "mpi_runner.hpp"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include "edgetwin/common/child_process.hpp"
#include "edgetwin/sweep/run_book.hpp"

#include <mpi.h>

namespace edgetwin::sweep {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

enum Tag : int { kTagReady = 1, kTagResult = 2, kTagRun = 3, kTagStop = 4 };

void send(const json& message, int to, Tag tag) {
  const std::string text = message.dump();
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

// Receives the message `status` announced (from MPI_Probe/Iprobe).
json receive(const MPI_Status& status) {
  int length = 0;
  MPI_Get_count(&status, MPI_CHAR, &length);
  std::string text(static_cast<std::size_t>(length), '\0');
  MPI_Recv(text.data(), length, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD,
           MPI_STATUS_IGNORE);
  return json::parse(text);
}

struct Assigned {
  const SweepRun* run;
  Clock::time_point started;
  std::string started_at;
};

}  // namespace

MpiSession::MpiSession() {
  MPI_Init(nullptr, nullptr);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() {
  MPI_Finalize();
}

void MpiSession::abort(int exit_code) const {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::abort();  // MPI_Abort does not return; the standard does not say so
}

RunnerOutcome run_mpi_coordinator(const MpiSession& mpi, const std::vector<SweepRun>& runs, ResultsDb& db,
                                  const std::string& db_path, const RunnerOptions& options) {
  const SweepLock lock(db_path);
  RunBook book(db, db_path, runs, options.retry_failed);
  Progress progress(std::cerr, options.tty, options.quiet, options.progress_interval_s);
  const StopSignals signals;
  std::map<int, Assigned> active;    // rank -> its run
  std::map<int, std::string> hosts;  // rank -> host name
  int stopped = 0;
  while (stopped < mpi.size() - 1) {
    if (stop_requested()) {
      for (const auto& [rank, a] : active) book.put_back(*a.run);
      std::cerr << "\ninterrupted: " << active.size()
                << " running runs put back to pending; aborting the MPI job; "
                   "resume with the same command\n";
      mpi.abort(1);
    }
    int arrived = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &arrived, &status);
    if (arrived == 0) {
      progress.update(book.counts(active.size()), book.eta_s(active.size()));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    const int rank = status.MPI_SOURCE;
    const json message = receive(status);
    if (status.MPI_TAG == kTagReady) hosts[rank] = message.value("host", "?");
    if (status.MPI_TAG == kTagResult) {
      const Assigned a = active.at(rank);
      active.erase(rank);
      const double wall_s = message.at("wall_s").get<double>();
      if (message.at("ok").get<bool>()) {
        book.succeed(*a.run, wall_s, a.started_at);
      } else {
        const json& code = message.at("exit_code");
        book.fail(*a.run, message.at("error").get<std::string>(),
                  code.is_null() ? std::nullopt : std::optional<int>(code.get<int>()), wall_s, a.started_at);
        if (!options.quiet)
          std::cerr << (options.tty ? "\r\x1b[K" : "") << "run " << a.run->index << " (" << a.run->id << ", "
                    << a.run->label() << ") failed on rank " << rank << "\n";
      }
    }
    if (const SweepRun* run = book.next()) {
      const RunPaths p = book.begin(*run, hosts[rank] + " rank " + std::to_string(rank));
      active[rank] = {run, Clock::now(), utc_now()};
      send({{"index", run->index},
            {"id", run->id},
            {"scenario", p.scenario.string()},
            {"out", p.out.string()},
            {"log", p.log.string()}},
           rank, kTagRun);
    } else {
      send(json::object(), rank, kTagStop);
      ++stopped;
    }
  }
  const auto counts = book.counts(0);
  progress.finish(counts);
  RunnerOutcome outcome;
  outcome.total = counts.total;
  outcome.skipped = book.skipped();
  outcome.done = counts.done;
  outcome.failed = counts.failed;
  return outcome;
}

void run_mpi_worker(const MpiSession& mpi, const std::vector<SweepRun>& runs, const RunCommand& command,
                    const RunnerOptions& options) {
  (void)mpi;
  send({{"host", host_name()}}, 0, kTagReady);
  while (true) {
    MPI_Status status;
    MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    const json order = receive(status);
    if (status.MPI_TAG == kTagStop) return;
    const auto index = order.at("index").get<std::size_t>();
    const auto started = Clock::now();
    json result = {{"index", index}, {"ok", false}, {"exit_code", nullptr}, {"error", ""}, {"wall_s", 0.0}};
    if (index >= runs.size() || runs[index].id != order.at("id").get<std::string>()) {
      result["error"] = "this rank expanded a different sweep (run " + std::to_string(index) + " is not " +
                        order.at("id").get<std::string>() + "); start every rank from the same files";
    } else {
      try {
        common::ChildProcess child(
            command(order.at("scenario").get<std::string>(), order.at("out").get<std::string>()),
            order.at("log").get<std::string>());
        std::optional<common::ExitStatus> exit;
        while (!(exit = child.poll())) {
          const double wall_s = std::chrono::duration<double>(Clock::now() - started).count();
          if (options.timeout_s > 0 && wall_s > options.timeout_s) {
            child.terminate(0);
            result["error"] = timeout_message(options.timeout_s);
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        if (exit) {
          result["ok"] = exit->ok();
          result["exit_code"] = exit->exit_code;
          if (!exit->ok()) result["error"] = failure_message(*exit, order.at("log").get<std::string>());
        }
      } catch (const std::exception& e) {
        result["error"] = e.what();
      }
    }
    result["wall_s"] = std::chrono::duration<double>(Clock::now() - started).count();
    send(result, 0, kTagResult);
  }
}

}  // namespace edgetwin::sweep

// A cloud GPU server: a FIFO queue of offloaded jobs, each running the model's remaining units
// at the server's maximum clocks from the server board's traces.

#include "world.hpp"

XBT_LOG_NEW_DEFAULT_SUBCATEGORY(edgetwin_cloud, edgetwin, "EdgeTwin cloud servers");

namespace edgetwin::sim::detail {

CloudServer::CloudServer(World& world, int index, sg4::Host* host, const traces::Board& board)
    : world_(world),
      index_(index),
      host_(host),
      board_(board),
      clocks_(traces::Synthesizer::max_clocks(board)) {}

CloudServer::~CloudServer() = default;

sg4::Mailbox* CloudServer::connect() {
  if (!idle_.empty()) {
    Worker* w = idle_.back();  // the most recently used stack: still warm in the caches
    idle_.pop_back();
    return w->mailbox;
  }
  // A new worker posts its receive when it first runs (later in this instant); the upload
  // waits for it in the mailbox and starts then, at the same simulated time.
  const std::string name = "cloud-" + std::to_string(index_) + "-" + std::to_string(workers_.size());
  workers_.push_back(std::make_unique<Worker>());
  Worker* w = workers_.back().get();
  w->mailbox = sg4::Mailbox::by_name(name);
  w->turn = sg4::Semaphore::create(0);
  sg4::Actor::create(name, host_, [this, w] { work(*w); })->daemonize();
  return w->mailbox;
}

void CloudServer::work(Worker& worker) {
  while (true) {
    // One simcall each way (Comm::wait on a comm not started yet): the upload ...
    Job* job = nullptr;
    worker.mailbox->get_init()->set_dst_data(reinterpret_cast<void**>(&job), sizeof(void*))->wait();
    if (incoming_ > 0) --incoming_;
    // ... first come, first served: a job that finds the server busy waits for the one ahead to
    // hand it over (actors do not preempt each other: no lock).
    if (busy_) {
      waiting_.push_back(&worker);
      worker.turn->acquire();
    }
    busy_ = true;
    serve(*job);
    if (waiting_.empty()) {
      busy_ = false;
    } else {
      Worker* next = waiting_.front();
      waiting_.pop_front();
      next->turn->release();  // the server stays busy: it is the next job's now
    }
    // ... and the result.
    job->result_start_s = sg4::Engine::get_clock();
    worker.mailbox->put_init(job, static_cast<std::uint64_t>(job->result_bytes))->wait();
    idle_.push_back(&worker);
  }
}

void CloudServer::serve(Job& job) {
  UnitsQuery query;
  query.board = &board_;
  query.model = job.request->model;
  query.first = job.first_unit;
  query.last = job.last_unit;
  query.clocks = {clocks_.cpu_khz, clocks_.gpu_hz, clocks_.emc_hz};
  const RunSums run = world_.trace.run_units(query);
  const double run_s = run.latency_s * job.scale, run_j = run.energy_j * job.scale;
  sg4::this_actor::execute(run_s * kHostSpeedFlops);
  ++world_.activities;
  job.energy_j = run_j;
  XBT_DEBUG("cloud %d: request %ld units %d..%d in %g s", index_, job.request->id, job.first_unit,
            job.last_unit, run_s);
}

}  // namespace edgetwin::sim::detail

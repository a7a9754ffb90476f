// A cloud GPU server: a FIFO queue of offloaded jobs, each running the model's remaining units
// at the server's maximum clocks from the server board's traces.

#include <mutex>

#include "world.hpp"

XBT_LOG_NEW_DEFAULT_SUBCATEGORY(edgetwin_cloud, edgetwin, "EdgeTwin cloud servers");

namespace edgetwin::sim::detail {

CloudServer::CloudServer(World& world, int index, sg4::Host* host, const traces::Board& board)
    : world_(world),
      index_(index),
      host_(host),
      board_(board),
      clocks_(traces::Synthesizer::max_clocks(board)),
      mutex_(sg4::Mutex::create()),
      cv_(sg4::ConditionVariable::create()) {}

void CloudServer::submit(Job* job) {
  // No lock: actors do not preempt each other; the server holds the mutex the condition
  // variable needs (as Device::run_controller, device.cpp).
  if (incoming_ > 0) --incoming_;
  queue_.push_back(job);
  cv_->notify_one();
}

void CloudServer::run() {
  std::unique_lock<sg4::Mutex> lock(*mutex_);
  while (true) {
    cv_->wait(lock, [this] { return !queue_.empty(); });
    Job* job = queue_.front();
    queue_.pop_front();
    busy_ = true;
    UnitsQuery query;
    query.board = &board_;
    query.model = job->request->model;
    query.first = job->first_unit;
    query.last = job->last_unit;
    query.clocks = {clocks_.cpu_khz, clocks_.gpu_hz, clocks_.emc_hz};
    const RunSums run = world_.trace.run_units(query);
    const double run_s = run.latency_s * job->scale, run_j = run.energy_j * job->scale;
    sg4::this_actor::execute(run_s * kHostSpeedFlops);
    ++world_.activities;
    job->energy_j = run_j;
    busy_ = false;
    XBT_DEBUG("cloud %d: request %ld units %d..%d in %g s", index_, job->request->id, job->first_unit,
              job->last_unit, run_s);
    job->done->release();
  }
}

}  // namespace edgetwin::sim::detail

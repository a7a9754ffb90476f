// The run's offload actors, recycled (offload_pool.hpp).

#include "world.hpp"

namespace edgetwin::sim::detail {

OffloadPool::~OffloadPool() = default;

void OffloadPool::submit(OffloadJob job, sg4::Host* host) {
  auto& idle = idle_[host];
  if (!idle.empty()) {
    Worker* w = idle.back();  // the most recently used stack: still warm in the caches
    idle.pop_back();
    w->waiting = false;
    w->job = std::move(job);
    w->has_job = true;
    w->wake->release();
    return;
  }
  workers_.push_back(std::make_unique<Worker>());
  Worker* w = workers_.back().get();
  w->wake = sg4::Semaphore::create(0);
  w->idle = &idle;
  w->job = std::move(job);
  w->has_job = true;
  sg4::Actor::create("offload-" + std::to_string(workers_.size() - 1), host, [this, w] { run(*w); });
}

void OffloadPool::producer_finished() {
  if (--producers_ > 0) return;
  closed_ = true;
  // In creation order (has_job is false: the worker exits).
  for (auto& w : workers_) {
    if (w->waiting) w->wake->release();
  }
  idle_.clear();
}

void OffloadPool::run(Worker& worker) {
  while (worker.has_job) {
    worker.has_job = false;
    OffloadJob job = std::move(worker.job);
    job.device->offload(job);
    if (closed_) return;
    worker.waiting = true;
    worker.idle->push_back(&worker);
    worker.wake->acquire();
  }
}

}  // namespace edgetwin::sim::detail

#pragma once
// Internal to the simulation core: the actors that carry offloaded requests (offload_pool.cpp).

#include <memory>
#include <unordered_map>
#include <vector>

#include <simgrid/s4u.hpp>

#include "edgetwin/sim/metrics.hpp"

#include "request.hpp"

namespace edgetwin::sim::detail {

namespace sg4 = simgrid::s4u;

class Device;
struct SplitJoin;

/// One offloaded request: what Device::offload needs (upload, cloud units, download, fusion).
struct OffloadJob {
  Device* device = nullptr;
  Request request;
  RequestRecord record;
  int first_unit = 0;
  int last_unit = 0;
  double bytes = 0;
  double cloud_scale = 1.0;
  std::shared_ptr<SplitJoin> join;
};

/// The run's offload actors, reused (docs/performance.md "Offload-heavy fleets"). Each offloaded
/// request runs in an actor of its own, concurrently with the device's controller and with the
/// device's other offloads, as when every request created a fresh actor; only the actors are
/// recycled: a finished worker waits for the next job instead of exiting, so a run creates as many
/// workers as offloads are ever in flight at once instead of one actor (and one stack: mmap, page
/// faults, munmap) per request. A worker is the device's end of the request's transfers (mailbox
/// communications with the cloud server's worker, cloud_server.hpp), so it runs on the device's
/// host: idle workers are kept per host. Actors do not preempt each other, so the pool needs no
/// lock.
class OffloadPool {
 public:
  OffloadPool() = default;
  OffloadPool(const OffloadPool&) = delete;
  OffloadPool& operator=(const OffloadPool&) = delete;
  ~OffloadPool();
  /// Starts `job` now in an idle worker on `host` (the device's), or in a new one created there.
  void submit(OffloadJob job, sg4::Host* host);
  /// Controllers that may still submit; set before the run (start_actors). When the last one has
  /// finished, idle workers exit and busy ones exit after their job, so the run ends as before.
  void add_producer() { ++producers_; }
  void producer_finished();
  long workers_created() const { return static_cast<long>(workers_.size()); }

 private:
  struct Worker {
    sg4::SemaphorePtr wake;                ///< released when a job (or the end) is handed over
    std::vector<Worker*>* idle = nullptr;  ///< its host's idle workers (idle_)
    OffloadJob job;
    bool has_job = false;
    bool waiting = false;  ///< in its host's idle list
  };
  void run(Worker& worker);  ///< actor body
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unordered_map<const sg4::Host*, std::vector<Worker*>> idle_;  ///< by host
  int producers_ = 0;
  bool closed_ = false;
};

}  // namespace edgetwin::sim::detail

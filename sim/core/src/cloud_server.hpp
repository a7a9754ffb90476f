#pragma once
// Internal to the simulation core: a cloud GPU server (cloud_server.cpp).

#include <deque>

#include <simgrid/s4u.hpp>

#include "edgetwin/traces/board.hpp"
#include "edgetwin/traces/trace_store.hpp"

#include "request.hpp"

namespace edgetwin::sim::detail {

namespace sg4 = simgrid::s4u;

struct World;

/// A cloud GPU server with a FIFO request queue (one job at a time).
class CloudServer {
 public:
  CloudServer(World& world, int index, sg4::Host* host, const traces::Board& board);
  struct Job {
    const Request* request = nullptr;  ///< owned by the offload's job
    int first_unit = 0;
    int last_unit = 0;
    double scale = 1.0;   ///< time and energy factor (channel split: the offloaded share's compute)
    double energy_j = 0;  ///< filled by the server
    sg4::SemaphorePtr done;
  };
  /// An offload picked this server (World::pick_cloud) and is uploading to it; submit() ends that.
  void reserve() { ++incoming_; }
  void submit(Job* job);
  /// Its load for World::pick_cloud: jobs queued, running, or on their way (picked at the
  /// upload's start, still uploading), so that uploads starting together spread over the servers.
  int queue_length() const { return static_cast<int>(queue_.size()) + (busy_ ? 1 : 0) + incoming_; }
  sg4::Host* host() const { return host_; }
  void run();  ///< actor body (daemon)

 private:
  World& world_;
  int index_;
  sg4::Host* host_;
  const traces::Board& board_;
  traces::ClockSetting clocks_;
  std::deque<Job*> queue_;
  bool busy_ = false;
  int incoming_ = 0;  ///< offloads that picked this server and are still uploading
  sg4::MutexPtr mutex_;
  sg4::ConditionVariablePtr cv_;
};

}  // namespace edgetwin::sim::detail

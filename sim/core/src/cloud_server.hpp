#pragma once
// Internal to the simulation core: a cloud GPU server (cloud_server.cpp).

#include <deque>
#include <memory>
#include <vector>

#include <simgrid/s4u.hpp>

#include "edgetwin/traces/board.hpp"
#include "edgetwin/traces/trace_store.hpp"

#include "request.hpp"

namespace edgetwin::sim::detail {

namespace sg4 = simgrid::s4u;

struct World;

/// A cloud GPU server with a FIFO request queue (one job at a time). Its jobs are carried by
/// actors on its host, one per offload in flight to it and recycled like the offload workers
/// (docs/performance.md "Offload-heavy fleets"): each receives an upload, waits for its turn,
/// runs the job and sends the result back. Transfers are mailbox communications between the
/// offload's worker on the device's host and this server's worker: a host-to-host
/// Comm::sendto would do the same transfer, but SimGrid 3.32 keeps every such (detached)
/// communication in one list that it scans whole at each one's end, a cost that grows with
/// the number of transfers in flight.
class CloudServer {
 public:
  CloudServer(World& world, int index, sg4::Host* host, const traces::Board& board);
  ~CloudServer();
  CloudServer(const CloudServer&) = delete;
  CloudServer& operator=(const CloudServer&) = delete;
  struct Job {
    const Request* request = nullptr;  ///< owned by the offload's job
    int first_unit = 0;
    int last_unit = 0;
    double scale = 1.0;         ///< time and energy factor (channel split: the offloaded share's compute)
    double result_bytes = 0;    ///< what comes back down
    double energy_j = 0;        ///< filled by the server
    double result_start_s = 0;  ///< filled by the server: when the result starts down
  };
  /// An offload picked this server (World::pick_cloud) and is uploading to it; the upload's end
  /// (the server's worker receiving it) ends that.
  void reserve() { ++incoming_; }
  /// The mailbox of an idle worker of this server, now bound to one job: the offload puts the
  /// job there (the upload: a Job* with the upload's size) and then gets the result from it.
  /// Creates a worker on the server's host when none is idle.
  sg4::Mailbox* connect();
  /// Its load for World::pick_cloud: jobs waiting, running, or on their way (picked at the
  /// upload's start, still uploading), so that uploads starting together spread over the servers.
  int queue_length() const { return static_cast<int>(waiting_.size()) + (busy_ ? 1 : 0) + incoming_; }
  sg4::Host* host() const { return host_; }

 private:
  struct Worker {
    sg4::Mailbox* mailbox = nullptr;  ///< the offload's upload arrives here, the result leaves here
    sg4::SemaphorePtr turn;           ///< released when the job ahead hands the server over
  };
  void work(Worker& worker);  ///< actor body (daemon)
  void serve(Job& job);       ///< runs the job's units on the server
  World& world_;
  int index_;
  sg4::Host* host_;
  const traces::Board& board_;
  traces::ClockSetting clocks_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Worker*> idle_;
  std::deque<Worker*> waiting_;  ///< received jobs waiting for the server, in arrival order
  bool busy_ = false;
  int incoming_ = 0;  ///< offloads that picked this server and are still uploading
};

}  // namespace edgetwin::sim::detail

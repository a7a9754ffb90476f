// The local-time fast path of an edge device (docs/simulation.md "Local time fast path"): a
// device that nothing else observes or influences between two of its own interactions runs
// ahead of the engine in its own clock, replaying its units, transitions and exit heads without
// engine activities, and lets the engine catch up (sleep_until) only before an interaction: an
// offload (the upload shares links and the cloud's queue) and the end of its work. The request
// code itself is the per-activity path's (device.cpp): Device::now(), busy_for() and wait_for()
// are the only places where the two paths differ.

#include "world.hpp"

XBT_LOG_NEW_DEFAULT_SUBCATEGORY(edgetwin_local, edgetwin, "EdgeTwin local-time fast path of edge devices");

namespace edgetwin::sim::detail {

bool Device::local_time_eligible() const {
  const auto& group = world_.spec.groups[static_cast<std::size_t>(group_)];
  // Serving devices share their GPU between instance actors, ticking governors and bandwidth
  // processes change the device's state at engine times, a HIL backend waits for a board. A
  // policy that shares state across devices (a learner fed by several devices) must see their
  // calls in engine order.
  for (const auto& policy : policy_) {
    if (policy && policy->shares_state()) return false;
  }
  return !serving() && !ticks() && group.access.process.kind == "constant" && group.backend == "trace";
}

bool Device::engine_free() const {
  if (!local_time_eligible()) return false;
  if (world_.clouds.empty()) return true;  // nowhere to offload to
  const auto& group = world_.spec.groups[static_cast<std::size_t>(group_)];
  const auto& split = group.channel_split;
  if (split.enabled) return false;
  // The policy in the placement role alone sets what is offloaded (Device::ask_chain).
  for (const auto& [roles, policy] : group.policies) {
    std::size_t start = 0;
    while (start <= roles.size()) {
      const std::size_t end = std::min(roles.find('+', start), roles.size());
      if (roles.compare(start, end - start, "placement") == 0) return policy.name == "edge_only";
      start = end + 1;
    }
  }
  return true;  // no placement policy: every unit runs on the device
}

void Device::add_local_arrivals(std::unique_ptr<ArrivalStream> arrivals) {
  fast_.enabled = true;
  fast_.arrivals.add(std::move(arrivals));
}

void Device::pull_arrivals(double t_s, bool inclusive) {
  for (int s = fast_.arrivals.earliest(); s >= 0; s = fast_.arrivals.earliest()) {
    Request& head = fast_.arrivals.head(s);
    if (head.arrival_s > t_s || (!inclusive && head.arrival_s == t_s)) return;
    if (head.queue_limit > 0 && static_cast<int>(queue_.size()) >= head.queue_limit)
      drop(head);
    else
      queue_.push_back(std::move(head));
    fast_.arrivals.advance(s);
  }
}

void Device::advance_local(double to_s) {
  // Timeline samples the device passes are written as the timeline actor would write them at
  // that time: energy integrated up to it, the clocks and the queue then.
  const double interval_s = world_.spec.outputs.timeline_interval_s;
  while (true) {
    const double sample_s = static_cast<double>(fast_.next_sample) * interval_s;
    if (sample_s > to_s) break;
    // A running upload adds its radio energy when it ends (engine time): let it end first.
    if (uploads_in_flight_ > 0) sg4::this_actor::sleep_until(sample_s);
    // An arrival at the sample's instant is not in the sample's queue: on the per-activity path
    // the timeline actor does not see it either (tests/sim/fast_path_test.cpp samples on frames).
    pull_arrivals(sample_s, false);
    sample_timeline(sample_s, interval_s);
    ++fast_.next_sample;
  }
  fast_.now_s = to_s;
}

void Device::sync_engine() {
  if (fast_.now_s > sg4::Engine::get_clock()) sg4::this_actor::sleep_until(fast_.now_s);
}

void Device::run_local_controller(bool own_actor) {
  while (true) {
    pull_arrivals(fast_.now_s);
    if (queue_.empty()) {
      // Idle until the next arrival (the earliest stream head), or done.
      const double next_s = fast_.arrivals.next_arrival_s();
      if (next_s < 0) break;
      advance_local(std::max(fast_.now_s, next_s));
      continue;
    }
    Request request = std::move(queue_.front());
    queue_.pop_front();
    process(request);
  }
  meter_.advance(fast_.now_s);
  // The engine ends when the last device's work ends, as on the per-activity path (a shared
  // actor waits for the latest of its devices).
  if (own_actor) sync_engine();
  fast_.done = true;
  world_.offloads.producer_finished();
  XBT_DEBUG("device %d done in local time at %g s: %ld requests", index_, fast_.now_s, completed_);
}

}  // namespace edgetwin::sim::detail

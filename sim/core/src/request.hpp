#pragma once
// Internal to the simulation core: a request as it travels through a device, and its id.

#include <string>

#include "edgetwin/traces/model.hpp"

namespace edgetwin::sim::detail {

struct Request {
  long id = 0;
  int device = 0;
  const traces::Model* model = nullptr;
  std::string stream;
  double arrival_s = 0;
  double slo_s = 0;
  double complexity = 0.5;
  int queue_limit = 0;  ///< drop this request at arrival if this many wait (0 = never)
};

/// Request ids are deterministic per device: (device x kMaxStreams + stream) x kMaxSequence +
/// sequence, where `stream` is the scenario's stream index (videos first, then request streams)
/// and `sequence` counts that stream's arrivals on that device from 0. Both paths (per-activity
/// and local time) give a request the same id whatever the order devices run in.
inline constexpr long kMaxStreams = 1000;
inline constexpr long kMaxSequence = 1000000000;
/// Throws std::length_error when `sequence` would not fit.
long request_id(int device, int stream, long sequence);

}  // namespace edgetwin::sim::detail

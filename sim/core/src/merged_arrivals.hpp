#pragma once
// Internal to the simulation core: a fast-path device's arrival streams, merged in arrival order.

#include <cstddef>
#include <memory>
#include <vector>

#include "arrival_stream.hpp"
#include "request.hpp"

namespace edgetwin::sim::detail {

/// The arrival streams of a device on the local-time fast path, which pulls them itself instead
/// of source actors. Heads are taken in arrival order, the lowest stream index first on ties, as
/// the source actors (created in stream order) deliver them on the per-activity path.
class MergedArrivals {
 public:
  /// Adds a stream (in stream order) and reads its first arrival.
  void add(std::unique_ptr<ArrivalStream> stream);
  /// The stream whose head is the earliest arrival (lowest index on ties); -1 when all ended.
  /// Few streams per device: a scan.
  int earliest() const;
  /// The earliest head's arrival time; -1 when all streams ended.
  double next_arrival_s() const;
  /// The head of stream `s` (valid while earliest() or a scan says it has one).
  Request& head(int s) { return heads_[static_cast<std::size_t>(s)]; }
  /// Replaces the head of stream `s` with its next arrival.
  void advance(int s);

 private:
  std::vector<std::unique_ptr<ArrivalStream>> streams_;
  std::vector<Request> heads_;  ///< next arrival per stream (valid if has_head_)
  std::vector<bool> has_head_;
};

}  // namespace edgetwin::sim::detail

#pragma once
// Internal to the simulation core: the arrivals of one workload stream on one device.

#include <string>
#include <utility>

#include "request.hpp"

namespace edgetwin::sim::detail {

/// The arrivals of one workload stream on one device, in arrival order (workload.cpp). A source
/// actor replays them on the engine; a device on the local-time fast path pulls them itself
/// (device_fast_path.cpp). Both see the same requests: same times, ids, models, SLOs, complexities.
class ArrivalStream {
 public:
  explicit ArrivalStream(std::string name) : name_(std::move(name)) {}
  virtual ~ArrivalStream() = default;
  /// Overwrites `request` with the next arrival (arrival_s non-decreasing); false at the end.
  virtual bool next(Request& request) = 0;
  const std::string& name() const { return name_; }  ///< its source actor's name

 private:
  std::string name_;
};

}  // namespace edgetwin::sim::detail

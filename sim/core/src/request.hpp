#pragma once
// Internal to the simulation core: a request as it travels through a device, and its id.

#include <cstdint>
#include <string>

#include "edgetwin/traces/accuracy.hpp"
#include "edgetwin/traces/exit_records.hpp"
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
  /// Accuracy table its result is scored with (its video stream's dataset); nullptr = the model's
  /// default table (request streams, or a model without a table).
  const traces::AccuracyTable* accuracy_table = nullptr;
  /// Per-frame exit records of its video stream (owned by the World; nullptr = none), and the key
  /// of this frame's record (ExitRecordSource::frame_key of its device and frame number).
  const traces::ExitRecordSource* exit_records = nullptr;
  std::uint64_t exit_record_key = 0;
};

/// 0/1 correctness of `r`'s result from the head of the exit after unit `exit_after_unit`
/// (-1 = the final head: the whole model ran), from its stream's exit records; -1 when the
/// stream has none. Cheap (a hash and a few flops, or an array lookup); no simulated time.
inline int request_correct(const Request& r, int exit_after_unit) {
  return r.exit_records == nullptr
             ? -1
             : r.exit_records->correct(r.exit_record_key, r.complexity, exit_after_unit);
}
/// The whole outcome (confidence and correctness) at that head; requires r.exit_records.
inline traces::ExitOutcome request_exit_outcome(const Request& r, int exit_after_unit) {
  return r.exit_records->outcome(r.exit_record_key, r.complexity, exit_after_unit);
}

/// Request ids are deterministic per device: (device x kMaxStreams + stream) x kMaxSequence +
/// sequence, where `stream` is the scenario's stream index (videos first, then request streams)
/// and `sequence` counts that stream's arrivals on that device from 0. Both paths (per-activity
/// and local time) give a request the same id whatever the order devices run in.
inline constexpr long kMaxStreams = 1000;
inline constexpr long kMaxSequence = 1000000000;
/// Throws std::length_error when `sequence` would not fit.
long request_id(int device, int stream, long sequence);

}  // namespace edgetwin::sim::detail

#pragma once
/// Per-unit trace files: one CSV file per (board, model, runtime, precision) with a provenance
/// header. Format, columns and units: docs/traces.md.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "edgetwin/traces/catalog.hpp"

namespace edgetwin::traces {

/// The newest trace format version this build reads and writes (first line: `# edgetwin-trace 2`).
/// Version 2 adds exit-head rows (`unit` = `head:K`); version 1 files (no head rows) still load,
/// and the writer writes version 1 when a trace has no head rows (docs/traces.md).
inline constexpr int kTraceFormatVersion = 2;
/// The oldest version this build reads.
inline constexpr int kTraceFormatMinVersion = 1;

/// Where a trace's numbers come from.
struct Provenance {
  std::string kind;       ///< "measured" or "synthetic-calibrated"
  std::string board;      ///< board id
  std::string model;      ///< model id
  std::string runtime;    ///< e.g. "pytorch" (libtorch/PyTorch eager on the Jetson GPU)
  std::string precision;  ///< "fp32", "fp16" or "int8"
  // measured:
  std::string software_stack;  ///< e.g. "JetPack 5.1.2, libtorch 1.13"
  std::string date;            ///< ISO date of the measurement
  // synthetic-calibrated:
  std::string generator;                 ///< e.g. "edgetwin-synth 1"
  std::vector<std::string> calibration;  ///< public figures the generator was calibrated to
  std::string notes;
};

/// The clock setting of one sample (one value per domain).
struct ClockSetting {
  std::int64_t cpu_khz = 0;
  std::int64_t gpu_hz = 0;
  std::int64_t emc_hz = 0;
  bool operator==(const ClockSetting& other) const {
    return cpu_khz == other.cpu_khz && gpu_hz == other.gpu_hz && emc_hz == other.emc_hz;
  }
};

/// One measured (or generated) sample of one unit, or of one exit head (TraceFile::head_samples).
struct TraceSample {
  int unit = 0;  ///< unit index in the model catalog; for a head sample: the exit's after_unit
  int batch = 1;
  int concurrency = 1;  ///< model instances running at once on the GPU
  int exit = -1;        ///< head samples: index of the exit in Model::exits; -1 for unit samples
  ClockSetting clocks;
  double latency_mean_s = 0;  ///< one execution of the unit at this batch (per instance)
  double latency_std_s = 0;
  int repeats = 1;                   ///< executions averaged
  double power_total_w = 0;          ///< whole-module power while the unit runs (all instances)
  std::vector<double> rail_power_w;  ///< per TraceFile::rails, NaN where unknown
};

struct TraceFile {
  Provenance provenance;
  std::vector<std::string> rails;  ///< rail columns present, in file order
  std::vector<TraceSample> samples;
  /// Samples of the model's exit heads (file rows `head:K`): `unit` = the exit's after_unit,
  /// `exit` = its index in Model::exits. Empty in a version-1 file.
  std::vector<TraceSample> head_samples;
  std::string path;  ///< file it was read from ("" if built in memory)
};

/// Reads and validates a trace file against the catalog: unknown board/model/unit, frequencies
/// outside the board's tables, non-positive latency, bad numbers, duplicate keys, rails the board
/// does not have... each throws DataError naming the file, the line and the column (the full
/// list of rules is in docs/traces.md). `path` only names the stream in messages.
TraceFile read_trace_file(const std::string& path, const Catalog& catalog);
TraceFile parse_trace(std::istream& in, const std::string& path, const Catalog& catalog);

/// Writes `trace` in the documented format (deterministic output: samples in the given order,
/// shortest round-trip number form, so read(write(t)) == t exactly). The text is validated by
/// the reader before anything is written: a trace that would be rejected throws DataError (file
/// "<written trace>") and std::invalid_argument when the provenance holds fields of the other
/// kind (which the format could not carry).
void write_trace_file(const TraceFile& trace, const std::string& path, const Catalog& catalog);
void write_trace(const TraceFile& trace, std::ostream& out, const Catalog& catalog);

}  // namespace edgetwin::traces

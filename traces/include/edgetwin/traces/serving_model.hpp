#pragma once
// What a serving device needs beyond the per-unit traces (BCEdge's setting, docs/simulation.md
// "Serving devices"): the memory one model instance holds, the ground-truth model of the slowdown
// a batch suffers from the batches it shares the GPU with (heterogeneous interference), and the
// file format of measured co-runner slowdowns that replaces that model where it has a row.
// Engine-free; no SimGrid.

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "edgetwin/traces/model.hpp"

namespace edgetwin::traces {

/// Bytes one loaded instance of `model` holds at batch size `batch` (our reconstruction,
/// docs/simulation.md "Board memory"): its weights (every unit's parameters) plus the largest
/// activations alive at once in a chain of units, batch x max over units of (input + output
/// elements), at `element_bytes` per element, plus a fixed per-instance overhead (runtime
/// context, workspace).
double instance_memory_bytes(const Model& model, int batch, double element_bytes, double overhead_bytes = 0);

/// How much of the GPU's compute and DRAM bandwidth a batch uses while it runs alone: roofline
/// compute time and DRAM time over its latency (each >= 0; both 0 for a CPU-bound batch).
struct GpuDemand {
  double compute = 0;
  double memory = 0;
};

/// Ground-truth slowdown (>= 1) of a batch with demand `self` while `others` run beside it
/// (docs/simulation.md, "Heterogeneous interference"). With C and M the summed compute and memory
/// demands of all running batches (self included) and a = c/(c+m) the compute share of self's
/// demand (1 when both are 0):
///   S = (a * max(1, C) + (1 - a) * max(1, M)) * (1 + alpha * sum of the others' memory demand).
/// The first factor stretches the compute-bound part of the batch when the GPU's compute is
/// oversubscribed and its memory-bound part when DRAM bandwidth is; the second is cache and
/// DRAM-controller contention, which grows with the co-runners' traffic. Alone: S = 1.
double corunner_slowdown(const GpuDemand& self, const std::vector<GpuDemand>& others, double alpha);

/// One model at one batch size in a co-runner set: "model@batch".
struct CorunnerEntry {
  std::string model;
  int batch = 1;
  bool operator<(const CorunnerEntry& o) const { return std::tie(model, batch) < std::tie(o.model, o.batch); }
  bool operator==(const CorunnerEntry& o) const { return model == o.model && batch == o.batch; }
};

/// Measured co-runner slowdowns (docs/traces.md, "Co-runner slowdowns"): a CSV file with the
/// header `board,model,batch,corunners,slowdown,source`; `corunners` is `model@batch` entries
/// joined by `+` in any order (empty: alone), `slowdown` > 0 the latency with those co-runners
/// over the latency alone. Lines starting with `#` are comments. A key appears once.
class CorunnerTable {
 public:
  /// Reads and checks `path`; throws common::DataError naming the file, line and column.
  static CorunnerTable load(const std::string& path);
  /// Parses `text` as if read from `path` (for tests and error messages).
  static CorunnerTable parse(const std::string& text, const std::string& path);
  /// The measured slowdown of `model` at `batch` on `board` with exactly `corunners` (any
  /// order), if the file has that row.
  std::optional<double> find(const std::string& board, const std::string& model, int batch,
                             std::vector<CorunnerEntry> corunners) const;
  std::size_t size() const { return rows_.size(); }

 private:
  std::map<std::string, double> rows_;  ///< by key()
  static std::string key(const std::string& board, const std::string& model, int batch,
                         std::vector<CorunnerEntry> corunners);
};

}  // namespace edgetwin::traces

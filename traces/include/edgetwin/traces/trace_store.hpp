#pragma once
/// TraceStore: answers "how long and at what power does unit u of model m run on board b at
/// batch n, concurrency k and clocks (cpu, gpu, emc)?" for any frequency combination of the
/// board's tables. Exact for sampled points; otherwise from per-unit fits on a basis in 1/f of each
/// domain (latency: summed, or overlapped as p-norms) and f (power, or energy = power x latency).
/// See docs/traces.md.

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "edgetwin/traces/catalog.hpp"
#include "edgetwin/traces/trace_format.hpp"

namespace edgetwin::traces {

/// What the store answers for one unit execution.
struct UnitEstimate {
  double latency_s = 0;  ///< per instance, one execution at the requested batch
  double latency_std_s = 0;
  double power_total_w = 0;
  std::vector<double> rail_power_w;  ///< per TraceFile::rails of the trace answered, NaN unknown
  bool exact = false;                ///< true when a sample with exactly this key was returned
};

/// Fit quality of one (unit, batch, concurrency) group, or of one (exit head, batch, concurrency).
struct FitQuality {
  int unit = 0;   ///< the unit; for a head: the exit's after_unit
  int exit = -1;  ///< a head group: index of the exit in Model::exits
  int batch = 1;
  int concurrency = 1;
  int points = 0;
  double latency_rms_rel = 0;      ///< in-sample RMS relative error
  double latency_loo_max_rel = 0;  ///< worst leave-one-out relative error (NaN with 1 point)
  double power_rms_rel = 0;
  double power_loo_max_rel = 0;
  std::string latency_model;  ///< model kept for latency: "linear" or e.g. "overlap p=3 q=4" (docs/traces.md)
  std::string power_model;    ///< model kept for total power: "power basis" or "energy"
  std::vector<std::string> dropped_terms;  ///< e.g. "latency: fcpu_max/fcpu: 1 distinct cpu_khz"
};

/// Identifies one trace of the store.
struct TraceKey {
  std::string board;
  std::string model;
  std::string runtime = "pytorch";
  std::string precision = "fp32";
};

class TraceStore {
 public:
  explicit TraceStore(const Catalog& catalog);
  ~TraceStore();
  TraceStore(TraceStore&&) noexcept;
  TraceStore& operator=(TraceStore&&) noexcept;

  /// Adds a validated trace file (one board, model, runtime and precision). Each (unit, batch,
  /// concurrency) group is fitted the first time a query needs it, so loading is cheap; the
  /// store is therefore not safe for concurrent queries. A second file for the same key is an
  /// error (std::invalid_argument): traces of different runtimes or precisions are never mixed.
  void add(TraceFile trace);
  /// Loads every `*.csv` trace under `dir` (recursively, in path order); returns the number of files.
  int load_dir(const std::string& dir);

  /// Keys of every trace held, in order.
  std::vector<TraceKey> keys() const;
  bool has(const std::string& board, const std::string& model, const std::string& precision = "fp32",
           const std::string& runtime = "pytorch") const;
  /// Unit estimate. Batch and concurrency between sampled values are interpolated linearly;
  /// outside the sampled range, or for clocks not in the board's tables, throws
  /// std::invalid_argument naming the allowed values. Cheap, called per simulated unit.
  UnitEstimate estimate(const std::string& board, const std::string& model, int unit, int batch,
                        int concurrency, const ClockSetting& clocks, const std::string& precision = "fp32",
                        const std::string& runtime = "pytorch") const;
  /// Same, into `out` (reuses its rail vector: no allocation once `out` has held an answer).
  void estimate_into(UnitEstimate& out, const std::string& board, const std::string& model, int unit,
                     int batch, int concurrency, const ClockSetting& clocks,
                     const std::string& precision = "fp32", const std::string& runtime = "pytorch") const;
  /// Estimate of the exit head after unit `after_unit` (the first exit of Model::exits after that
  /// unit), from the trace's head rows, answered exactly like estimate() (exact samples, batch and
  /// concurrency interpolation, clock fits). Throws std::invalid_argument when the model has no
  /// exit there (listing its exit points) or for clocks outside the tables, and common::DataError
  /// naming the trace file when the trace has no head rows for that exit (a trace that predates
  /// traced heads: regenerate it). Cheap, called per simulated early exit.
  UnitEstimate head_estimate(const std::string& board, const std::string& model, int after_unit, int batch,
                             int concurrency, const ClockSetting& clocks,
                             const std::string& precision = "fp32",
                             const std::string& runtime = "pytorch") const;
  /// Same, into `out` (no allocation once `out` has held an answer).
  void head_estimate_into(UnitEstimate& out, const std::string& board, const std::string& model,
                          int after_unit, int batch, int concurrency, const ClockSetting& clocks,
                          const std::string& precision = "fp32",
                          const std::string& runtime = "pytorch") const;
  /// Largest sampled batch size and concurrency of one unit (what estimate() accepts at most).
  std::pair<int, int> max_batch_concurrency(const std::string& board, const std::string& model, int unit,
                                            const std::string& precision = "fp32",
                                            const std::string& runtime = "pytorch") const;
  const TraceFile& trace(const std::string& board, const std::string& model,
                         const std::string& precision = "fp32", const std::string& runtime = "pytorch") const;
  /// Fit quality of every (unit, batch, concurrency) group of one trace, in (unit, batch,
  /// concurrency) order. Leave-one-out refits every group: meant for `traces inspect`, not hot paths.
  std::vector<FitQuality> fit_quality(const std::string& board, const std::string& model,
                                      const std::string& precision = "fp32",
                                      const std::string& runtime = "pytorch") const;
  /// The same for the exit-head groups (FitQuality::exit >= 0), in (exit, batch, concurrency) order.
  std::vector<FitQuality> head_fit_quality(const std::string& board, const std::string& model,
                                           const std::string& precision = "fp32",
                                           const std::string& runtime = "pytorch") const;
  const Catalog& catalog() const { return *catalog_; }

 private:
  struct Entry;
  static std::vector<FitQuality> group_quality(const Entry& e, bool heads);
  // Heterogeneous lookup on (board, model, runtime, precision) without building a key string.
  using KeyRef = std::tuple<const std::string&, const std::string&, const std::string&, const std::string&>;
  struct KeyLess {
    using is_transparent = void;
    static KeyRef ref(const TraceKey& k) { return KeyRef(k.board, k.model, k.runtime, k.precision); }
    static const KeyRef& ref(const KeyRef& k) { return k; }
    // One string compare per field (tuple's < would compare each field both ways).
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      const KeyRef& x = ref(a);
      const KeyRef& y = ref(b);
      if (const int c = std::get<0>(x).compare(std::get<0>(y))) return c < 0;
      if (const int c = std::get<1>(x).compare(std::get<1>(y))) return c < 0;
      if (const int c = std::get<2>(x).compare(std::get<2>(y))) return c < 0;
      return std::get<3>(x).compare(std::get<3>(y)) < 0;
    }
  };

  const Catalog* catalog_;
  std::map<TraceKey, std::unique_ptr<Entry>, KeyLess> entries_;
  const Entry& entry(const std::string& board, const std::string& model, const std::string& precision,
                     const std::string& runtime) const;
};

}  // namespace edgetwin::traces

#pragma once
// Internal to the simulation core: the execution-backend seam. Every place that turns model units
// into time and energy (FIFO devices, exit heads, serving batches, cloud servers, probes) asks an
// ExecutionBackend; the trace replay (TraceBackend) is the first implementation, the board
// bridge (a real Jetson behind the board daemon) the second (docs/architecture.md, "Execution
// backends").

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "edgetwin/policies/decision.hpp"
#include "edgetwin/traces/board.hpp"
#include "edgetwin/traces/model.hpp"
#include "edgetwin/traces/trace_store.hpp"

#include "run_sum_cache.hpp"

namespace edgetwin::sim::detail {

/// Units [first, last] of `model` run back to back on `board` at `clocks`, `batch` samples per
/// execution and `concurrency` instances side by side.
struct UnitsQuery {
  const traces::Board* board = nullptr;
  const traces::Model* model = nullptr;
  int first = 0;
  int last = 0;
  policies::Clocks clocks;
  int batch = 1;
  int concurrency = 1;
};

class ExecutionBackend {
 public:
  virtual ~ExecutionBackend() = default;
  /// "trace" or "hil" (the scenario's `backend` values).
  virtual const char* name() const = 0;
  /// True when the same query always gives the same answer (trace replay): callers may keep
  /// answers instead of asking again. A board measures anew each time.
  virtual bool replays() const = 0;
  /// Time (per instance), energy (all instances together over that time) and energy per board
  /// rail (NaN: rails the source does not name) of the run, and the spread of its time.
  virtual RunSums run_units(const UnitsQuery& query) = 0;
  /// The exit head after unit `after_unit`, run right after that unit (`first`/`last` of the
  /// query are ignored).
  virtual RunSums run_head(const UnitsQuery& query, int after_unit) = 0;
  /// Per-unit answers at one setting when the backend knows them ahead (replay); nullptr when it
  /// does not (a board measures runs). Lets a caller grow a run unit by unit (a governor's tick
  /// falls inside a unit) without asking once per unit.
  virtual const std::vector<RunSums>* per_unit(const UnitsQuery& query) = 0;
  /// True once the backend can no longer answer (a lost board link). Its answers are then zero
  /// runs; the device stops taking work and its actor returns normally: an exception thrown on
  /// a SimGrid actor's stack (this_actor::exit unwinds with one) would abort the engine if it
  /// escaped, and ASan cannot follow it across SimGrid's context switches.
  virtual bool stopped() const { return false; }
};

/// Replays the traces of a TraceStore. Answers are computed once per distinct setting and kept:
/// the store's fit path costs ~2k instructions per call and a run revisits the same few settings
/// (docs/performance.md).
class TraceBackend final : public ExecutionBackend {
 public:
  TraceBackend(const traces::TraceStore& store, std::string precision, std::string runtime)
      : store_(store), precision_(std::move(precision)), runtime_(std::move(runtime)) {}
  const char* name() const override { return "trace"; }
  bool replays() const override { return true; }
  RunSums run_units(const UnitsQuery& query) override;
  RunSums run_head(const UnitsQuery& query, int after_unit) override;
  const std::vector<RunSums>* per_unit(const UnitsQuery& query) override { return &units(query); }

  /// Every unit of the query's model at its setting, each as a run of one unit.
  const std::vector<RunSums>& units(const UnitsQuery& query);
  /// Trace rail r -> board rail index (-1: the board has no such rail).
  const std::vector<int>& rail_map(const traces::Board& board, const traces::Model& model);

 private:
  using Key = std::tuple<const traces::Board*, const traces::Model*, std::int64_t, std::int64_t, std::int64_t,
                         int, int>;
  RunSums empty_run(const traces::Board& board, const traces::Model& model);
  void add(RunSums& sums, const traces::Board& board, const traces::Model& model,
           const traces::UnitEstimate& est, double scale = 1.0);

  const traces::TraceStore& store_;
  std::string precision_;
  std::string runtime_;
  std::map<Key, std::vector<RunSums>> units_;
  /// (board, model, after_unit, cpu, gpu, emc, batch)
  using HeadKey = std::tuple<const traces::Board*, const traces::Model*, int, std::int64_t, std::int64_t,
                             std::int64_t, int>;
  std::map<HeadKey, RunSums> heads_;
  std::map<std::pair<const traces::Board*, const traces::Model*>, std::vector<int>> rail_maps_;
};

}  // namespace edgetwin::sim::detail

#pragma once
/// The compact form of a run's request records: what summary.json and slots.csv need, kept as
/// the records complete, without the records themselves (no strings, no per-record rows beside
/// one latency per served request). Engine-free; docs/performance.md "Request records and
/// summaries in bounded memory".
///
/// Memory: 8 bytes per served request (its latency, for exact percentiles), plus, for the
/// models of a serving group (track_models), another 8 bytes per served request of those models
/// and one ServingTally per slot. Everything else is a fixed number of counters per scope.
/// Summaries from a tally are exactly those from the records it was fed, in the same order
/// (the sums are accumulated in that order; order statistics do not depend on it).

#include <cstddef>
#include <string>
#include <vector>

#include "edgetwin/sim/metrics.hpp"

namespace edgetwin::sim {

/// Sums over one scope's served requests (the whole run, or one device group).
struct ScopeTally {
  long served = 0;
  double latency_sum_s = 0;
  double attributed_j = 0;  ///< energy_j of the requests
  double cloud_j = 0;
  long slo_total = 0;
  long slo_missed = 0;
  long offloaded = 0;
  long with_accuracy = 0;
  double accuracy_sum = 0;
  long with_label = 0;
  long correct = 0;
  void add(const RequestRecord& r);     ///< a served request
  void merge(const ScopeTally& other);  ///< another shard's sums of the same scope
};

class RecordTally {
 public:
  /// Scopes for device groups 0 .. groups - 1 (records of other groups count in the run's scope
  /// only).
  explicit RecordTally(int groups = 0);
  /// Serving group `group`: per model of `models`, a ServingTally and latencies over the run, and
  /// ServingTallies per `slot_s` window of `duration_s` (by end_s; later ones in the last).
  void track_models(int group, const std::vector<std::string>& models, double duration_s, double slot_s);
  /// Room for `served` latencies of `group` (no reallocation peak while they grow).
  void reserve(int group, std::size_t served);
  /// Counts one record (in completion order).
  void add(const RequestRecord& r);
  /// Adds a shard's sums and served latencies of `group` (its run's scope too), and of its
  /// tracked model `model` (index in track_models' list): how `edgetwin merge` rebuilds the
  /// tally of a run from its shards (run_tallies.hpp).
  void add_scope(int group, const ScopeTally& sums, const std::vector<double>& latencies_s);
  void add_model(int group, std::size_t model, const ServingTally& total,
                 const std::vector<double>& latencies_s, const std::vector<ServingTally>& slots);
  /// The served latencies of `group` (sorted if percentiles were asked already).
  const std::vector<double>& latencies(int group) const;

  long records() const { return records_; }  ///< rows added (served or not)
  int groups() const { return static_cast<int>(groups_.size()); }
  /// The run's (`group` < 0) or one group's sums.
  const ScopeTally& scope(int group) const;
  /// The latency of the served requests of `group` (< 0: of the run) at each percentile of `ps`
  /// ([0, 100]), by linear interpolation between order statistics as percentile() does; NaN
  /// when none. Exact. Sorts the kept latencies in place the first time (logically const).
  std::vector<double> latency_percentiles(int group, const std::vector<double>& ps) const;

  /// A tracked serving group's model (index in the models given to track_models).
  struct ModelTally {
    std::string name;
    ServingTally total;
    std::vector<double> latencies_s;  ///< served requests
    std::vector<ServingTally> slots;
  };
  /// The models tracked for `group`; empty when it is not tracked.
  const std::vector<ModelTally>& models(int group) const;
  double slot_s(int group) const;

 private:
  struct Group {
    ScopeTally sums;
    mutable std::vector<double> latencies_s;  ///< served requests; sorted once asked
    mutable bool sorted = true;
    std::vector<ModelTally> models;
    double slot_s = 0;
  };
  long records_ = 0;
  ScopeTally run_;
  std::vector<Group> groups_;
  mutable std::vector<double> other_latencies_s_;  ///< served requests of groups outside [0, groups)
  mutable bool other_sorted_ = true;
};

/// The summary of one scope (the run's, `group` < 0, or one device group's) from a tally and
/// the devices' totals: the one function behind summary.json's "overall" and "groups" entries
/// (summarize() of records builds a tally and calls it). `rail_names`, `max_*_temp_c`: as
/// summarize().
nlohmann::json summarize(const RecordTally& tally, const std::vector<DeviceTotals>& devices,
                         double duration_s, const std::vector<std::string>& rail_names = {}, int group = -1);
/// The same from the scope's device sums (what a merge of shards has instead of every device).
nlohmann::json summarize(const RecordTally& tally, const DeviceSums& devices, double duration_s,
                         const std::vector<std::string>& rail_names, int group);
/// summarize_models() from a tally whose `group` was tracked with these models.
nlohmann::json summarize_models(const RecordTally& tally, int group, double duration_s,
                                const UtilityParams& params);
/// write_slots() from a tally whose `group` was tracked (its slot length and duration).
void write_slots(std::ostream& out, const RecordTally& tally, int group, const std::string& group_name,
                 const UtilityParams& params);

}  // namespace edgetwin::sim

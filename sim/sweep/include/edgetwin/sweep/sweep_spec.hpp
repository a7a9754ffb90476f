#pragma once
/// The `"sweep"` block of a scenario file (docs/sweeps.md) and its expansion into runs: for each
/// group, the cartesian product of the grid axes (first axis slowest) and the zipped lists (one
/// more dimension, advanced together), times the seeds.

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/common/error.hpp"

namespace edgetwin::sweep {

/// One axis: the values written at `pointer` of the scenario. A zipped axis may have no pointer
/// (a label advancing with the other zipped lists).
struct SweepAxis {
  std::string axis;                    ///< name, unique among a group's axes
  std::string pointer;                 ///< JSON pointer into the scenario; "" for a zipped label
  std::vector<nlohmann::json> values;  ///< any JSON: numbers, strings, whole objects
  std::string where;                   ///< this axis in the file, e.g. "/sweep/grid/1"
};

/// A group of runs: `set` applied to the scenario, then its own axes (or the top-level ones).
struct SweepGroup {
  std::string name;
  std::vector<std::pair<std::string, nlohmann::json>> set;  ///< pointer -> value, in key order
  std::vector<SweepAxis> grid;
  std::vector<SweepAxis> zip;
  std::string where;  ///< "/sweep/groups/0"; "/sweep" for the implicit group "all"
};

struct SweepSpec {
  std::string name;  ///< default: the scenario's name
  std::string file;  ///< the scenario file, for messages
  std::vector<std::uint64_t> seeds;
  std::vector<SweepGroup> groups;  ///< the file's groups, or one group "all" with the top-level axes
  nlohmann::json block;            ///< the "sweep" object as written
};

/// One axis value of a run, as stored in the results database's run_axes table.
struct AxisValue {
  std::string axis;
  std::string pointer;  ///< "" for a zipped label
  nlohmann::json value;
  std::string where;  ///< the value in the file, e.g. "/sweep/grid/1/values/0"
};

/// One expanded run.
struct SweepRun {
  std::size_t index = 0;  ///< position in the expansion order
  std::string group;
  std::string group_where;
  std::uint64_t seed = 0;
  std::string seed_where;  ///< "/sweep/seeds/2", or "/seed" for the scenario's own seed
  std::vector<AxisValue> axes;
  nlohmann::json document;  ///< the scenario with set, axis values and /seed applied, no "sweep"
  std::string id;           ///< run_id_of(document)
  nlohmann::json resolved;  ///< the typed, resolved scenario (filled by the validator)

  /// "group nx, policy=\"ondemand\", seed 2": names the run in messages and listings.
  std::string label() const;
};

/// Every problem found in a sweep; what() lists them, one "FILE: POINTER: reason" per line.
class SweepError : public std::runtime_error {
 public:
  explicit SweepError(std::vector<common::DataError> errors);
  const std::vector<common::DataError>& errors() const { return errors_; }

 private:
  std::vector<common::DataError> errors_;
};

/// Whether a scenario document has a "sweep" block.
bool has_sweep(const nlohmann::json& document);

/// Reads and checks the "sweep" block of `document` (read from `file`); throws SweepError with
/// every structural error (names, pointers, value lists, zip lengths, groups, seeds).
SweepSpec read_sweep_spec(const nlohmann::json& document, const std::string& file);

/// Number of runs the spec expands to.
std::size_t run_count(const SweepSpec& spec);

/// The typed validation of one expanded document: returns the resolved scenario, or throws
/// SweepError whose errors point into the scenario (the caller wraps sim::parse_scenario).
using ScenarioValidator = std::function<nlohmann::json(const nlohmann::json& document)>;

/// Expands `spec` over `document` and validates every run with `validate`. Throws SweepError:
/// scenario errors caused by a sweep value name that value's pointer (/sweep/grid/1/values/0),
/// and two runs with the same scenario are reported as a duplicate run.
std::vector<SweepRun> expand_sweep(const nlohmann::json& document, const SweepSpec& spec,
                                   const ScenarioValidator& validate);

}  // namespace edgetwin::sweep

#pragma once
/// The sweep results database (schema_version 1, docs/sweeps.md): one SQLite file holding the
/// sweeps, every run with its status, resolved scenario, timings and one column per summary
/// metric, the runs' axis values and per-device-group metrics. Every state change is one short
/// transaction (WAL, synchronous=FULL), so a sweep killed at any moment loses no finished run.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/sweep/sqlite.hpp"
#include "edgetwin/sweep/sweep_spec.hpp"

namespace edgetwin::sweep {

inline constexpr int kSchemaVersion = 1;

/// The current time as ISO-8601 UTC ("2024-05-01T12:00:00Z").
std::string utc_now();

/// Whether `name` can be a metric column: [a-z][a-z0-9_]* and not one of the fixed columns.
bool is_metric_name(const std::string& name);

/// `db_path` with its extension replaced by ".runs" (results.sqlite -> results.runs).
std::string runs_dir_for(const std::string& db_path);

class ResultsDb {
 public:
  /// Opens or creates the database and its tables; throws SqliteError, or std::runtime_error
  /// when the file holds another schema version.
  ResultsDb(const std::string& path, const std::string& edgetwin_version);

  Database& database() { return db_; }

  /// Records a sweep (once per sweep_id).
  void add_sweep(const std::string& sweep_id, const std::string& name, const std::string& file,
                 const std::string& spec_json);
  /// Inserts the runs not yet in the database as 'pending', with their axis values; runs already
  /// there (same run id) keep their row. One transaction.
  void add_runs(const std::string& sweep_id, const std::vector<SweepRun>& runs);

  /// run_id -> status of every run in the database.
  std::map<std::string, std::string> statuses();

  void mark_running(const std::string& run_id, const std::string& worker);
  /// Stores the summary's metrics (adding columns for new metric names), out_dir (relative to
  /// the database's folder) and timings.
  void mark_done(const std::string& run_id, const nlohmann::json& summary, const std::string& out_dir,
                 double wall_s, const std::string& started_at);
  void mark_failed(const std::string& run_id, const std::string& error, std::optional<int> exit_code,
                   double wall_s, const std::string& started_at);
  /// Back to 'pending' (an interrupted run), clearing its timings.
  void mark_pending(const std::string& run_id);

  /// Metric columns of the runs table (beyond the fixed ones), in table order.
  std::vector<std::string> metric_columns();

 private:
  void ensure_columns(const std::string& table,
                      const std::vector<std::pair<std::string, const char*>>& columns);
  std::set<std::string>& known_columns(const std::string& table);

  Database db_;
  std::map<std::string, std::set<std::string>> columns_;  ///< table -> column names (cache)
};

}  // namespace edgetwin::sweep

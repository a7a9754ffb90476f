#include "edgetwin/sweep/results_db.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "edgetwin/sweep/run_id.hpp"

namespace edgetwin::sweep {

namespace {

using nlohmann::json;

constexpr std::array<const char*, 15> kFixedRunColumns = {
    "run_id",   "sweep_id",      "run_index", "sweep_group", "seed",        "status", "error", "exit_code",
    "attempts", "scenario_json", "out_dir",   "started_at",  "finished_at", "wall_s", "worker"};

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sweeps(sweep_id TEXT PRIMARY KEY, name TEXT NOT NULL, file TEXT NOT NULL,
                                  spec_json TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
  run_id TEXT PRIMARY KEY, sweep_id TEXT NOT NULL, run_index INTEGER NOT NULL,
  sweep_group TEXT NOT NULL, seed INTEGER NOT NULL, status TEXT NOT NULL, error TEXT,
  exit_code INTEGER, attempts INTEGER NOT NULL DEFAULT 0, scenario_json TEXT NOT NULL,
  out_dir TEXT, started_at TEXT, finished_at TEXT, wall_s REAL, worker TEXT,
  simulated_end_s REAL, synthetic_traces INTEGER);
CREATE TABLE IF NOT EXISTS run_axes(
  run_id TEXT NOT NULL, axis TEXT NOT NULL, pointer TEXT NOT NULL, value_json TEXT NOT NULL,
  value_num REAL, value_text TEXT, PRIMARY KEY(run_id, axis));
CREATE TABLE IF NOT EXISTS group_summaries(
  run_id TEXT NOT NULL, device_group TEXT NOT NULL, PRIMARY KEY(run_id, device_group));
)sql";

// The numbers of a summary object, in key order (nested objects such as rail_energy_j and
// non-numbers are not metrics).
std::vector<std::pair<std::string, double>> numbers_of(const json& object) {
  std::vector<std::pair<std::string, double>> out;
  if (!object.is_object()) return out;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (it.value().is_number() && is_metric_name(it.key()))
      out.emplace_back(it.key(), it.value().get<double>());
  }
  return out;
}

std::string quoted(const std::string& name) {
  return "\"" + name + "\"";
}

}  // namespace

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

bool is_metric_name(const std::string& name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) return false;
  return std::none_of(kFixedRunColumns.begin(), kFixedRunColumns.end(),
                      [&](const char* c) { return name == c; }) &&
         name != "device_group";
}

std::string runs_dir_for(const std::string& db_path) {
  return std::filesystem::path(db_path).replace_extension(".runs").string();
}

ResultsDb::ResultsDb(const std::string& path, const std::string& edgetwin_version) : db_(path) {
  // WAL keeps readers (plots) off the writer's back; FULL syncs every commit, so a committed run
  // survives even a power cut, not only a SIGKILL.
  db_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  Transaction t(db_);
  db_.exec(kSchema);
  Statement version(db_, "SELECT value FROM meta WHERE key = 'schema_version'");
  if (version.step()) {
    if (version.text(0) != std::to_string(kSchemaVersion)) {
      throw std::runtime_error(path + ": results database schema_version " + version.text(0) +
                               ", this edgetwin writes version " + std::to_string(kSchemaVersion));
    }
  } else {
    Statement insert(db_, "INSERT INTO meta(key, value) VALUES (?, ?)");
    insert.bind(1, std::string("schema_version")).bind(2, std::to_string(kSchemaVersion)).run();
    insert.bind(1, std::string("edgetwin_version")).bind(2, edgetwin_version).run();
    insert.bind(1, std::string("created_at")).bind(2, utc_now()).run();
  }
  t.commit();
}

std::set<std::string>& ResultsDb::known_columns(const std::string& table) {
  auto it = columns_.find(table);
  if (it != columns_.end()) return it->second;
  auto& names = columns_[table];
  Statement info(db_, "PRAGMA table_info(" + quoted(table) + ")");
  while (info.step()) names.insert(info.text(1));
  return names;
}

void ResultsDb::ensure_columns(const std::string& table,
                               const std::vector<std::pair<std::string, const char*>>& columns) {
  auto& known = known_columns(table);
  for (const auto& [name, type] : columns) {
    if (known.count(name) != 0) continue;
    db_.exec("ALTER TABLE " + quoted(table) + " ADD COLUMN " + quoted(name) + " " + type);
    known.insert(name);
  }
}

std::vector<std::string> ResultsDb::metric_columns() {
  std::vector<std::string> out;
  Statement info(db_, "PRAGMA table_info(runs)");
  while (info.step()) {
    const std::string name = info.text(1);
    if (std::none_of(kFixedRunColumns.begin(), kFixedRunColumns.end(),
                     [&](const char* c) { return name == c; }))
      out.push_back(name);
  }
  return out;
}

void ResultsDb::add_sweep(const std::string& sweep_id, const std::string& name, const std::string& file,
                          const std::string& spec_json) {
  Transaction t(db_);
  Statement insert(
      db_,
      "INSERT OR IGNORE INTO sweeps(sweep_id, name, file, spec_json, created_at) VALUES (?, ?, ?, ?, ?)");
  insert.bind(1, sweep_id).bind(2, name).bind(3, file).bind(4, spec_json).bind(5, utc_now()).run();
  t.commit();
}

void ResultsDb::add_runs(const std::string& sweep_id, const std::vector<SweepRun>& runs) {
  Transaction t(db_);
  Statement insert(
      db_,
      "INSERT OR IGNORE INTO runs(run_id, sweep_id, run_index, sweep_group, seed, status, scenario_json) "
      "VALUES (?, ?, ?, ?, ?, 'pending', ?)");
  Statement axis(db_,
                 "INSERT OR IGNORE INTO run_axes(run_id, axis, pointer, value_json, value_num, value_text) "
                 "VALUES (?, ?, ?, ?, ?, ?)");
  for (const auto& run : runs) {
    insert.bind(1, run.id)
        .bind(2, sweep_id)
        .bind(3, static_cast<std::int64_t>(run.index))
        .bind(4, run.group)
        .bind(5, static_cast<std::int64_t>(run.seed))
        .bind(6, canonical_json(run.resolved))
        .run();
    for (const auto& a : run.axes) {
      axis.bind(1, run.id).bind(2, a.axis).bind(3, a.pointer).bind(4, canonical_json(a.value));
      if (a.value.is_number())
        axis.bind(5, a.value.get<double>());
      else
        axis.bind_null(5);
      if (a.value.is_string())
        axis.bind(6, a.value.get<std::string>());
      else
        axis.bind_null(6);
      axis.run();
    }
  }
  t.commit();
}

std::map<std::string, std::string> ResultsDb::statuses() {
  std::map<std::string, std::string> out;
  Statement select(db_, "SELECT run_id, status FROM runs");
  while (select.step()) out[select.text(0)] = select.text(1);
  return out;
}

void ResultsDb::mark_running(const std::string& run_id, const std::string& worker) {
  Transaction t(db_);
  Statement update(
      db_,
      "UPDATE runs SET status = 'running', attempts = attempts + 1, started_at = ?, finished_at = NULL, "
      "wall_s = NULL, error = NULL, exit_code = NULL, worker = ? WHERE run_id = ?");
  update.bind(1, utc_now()).bind(2, worker).bind(3, run_id).run();
  t.commit();
}

void ResultsDb::mark_done(const std::string& run_id, const json& summary, const std::string& out_dir,
                          double wall_s, const std::string& started_at) {
  const auto overall = numbers_of(summary.value("overall", json::object()));
  std::vector<std::pair<std::string, const char*>> columns;
  columns.reserve(overall.size());
  for (const auto& m : overall) columns.emplace_back(m.first, "REAL");
  Transaction t(db_);
  ensure_columns("runs", columns);
  std::string sql =
      "UPDATE runs SET status = 'done', error = NULL, exit_code = 0, out_dir = ?, started_at = ?, "
      "finished_at = ?, wall_s = ?, simulated_end_s = ?, synthetic_traces = ?";
  for (const auto& m : overall) sql += ", " + quoted(m.first) + " = ?";
  sql += " WHERE run_id = ?";
  Statement update(db_, sql);
  update.bind(1, out_dir).bind(2, started_at).bind(3, utc_now()).bind(4, wall_s);
  int i = 5;
  const auto end = summary.find("simulated_end_s");
  if (end != summary.end() && end->is_number())
    update.bind(i++, end->get<double>());
  else
    update.bind_null(i++);
  const auto synthetic = summary.find("synthetic_traces");
  if (synthetic != summary.end() && synthetic->is_boolean())
    update.bind(i++, static_cast<std::int64_t>(synthetic->get<bool>() ? 1 : 0));
  else
    update.bind_null(i++);
  for (const auto& m : overall) update.bind(i++, m.second);
  update.bind(i, run_id).run();

  Statement clear(db_, "DELETE FROM group_summaries WHERE run_id = ?");
  clear.bind(1, run_id).run();
  const json groups = summary.value("groups", json::object());
  for (auto it = groups.begin(); it != groups.end(); ++it) {
    const auto metrics = numbers_of(it.value());
    std::vector<std::pair<std::string, const char*>> group_columns;
    group_columns.reserve(metrics.size());
    for (const auto& m : metrics) group_columns.emplace_back(m.first, "REAL");
    ensure_columns("group_summaries", group_columns);
    std::string names = "run_id, device_group", marks = "?, ?";
    for (const auto& m : metrics) {
      names += ", ";
      names += quoted(m.first);
      marks += ", ?";
    }
    Statement insert(db_, "INSERT INTO group_summaries(" + names + ") VALUES (" + marks + ")");
    insert.bind(1, run_id).bind(2, it.key());
    int k = 3;
    for (const auto& m : metrics) insert.bind(k++, m.second);
    insert.run();
  }
  t.commit();
}

void ResultsDb::mark_failed(const std::string& run_id, const std::string& error, std::optional<int> exit_code,
                            double wall_s, const std::string& started_at) {
  Transaction t(db_);
  Statement update(
      db_,
      "UPDATE runs SET status = 'failed', error = ?, exit_code = ?, out_dir = NULL, started_at = ?, "
      "finished_at = ?, wall_s = ? WHERE run_id = ?");
  update.bind(1, error);
  if (exit_code)
    update.bind(2, static_cast<std::int64_t>(*exit_code));
  else
    update.bind_null(2);
  update.bind(3, started_at).bind(4, utc_now()).bind(5, wall_s).bind(6, run_id).run();
  t.commit();
}

void ResultsDb::mark_pending(const std::string& run_id) {
  Transaction t(db_);
  Statement update(
      db_,
      "UPDATE runs SET status = 'pending', started_at = NULL, finished_at = NULL, wall_s = NULL, "
      "worker = NULL, out_dir = NULL WHERE run_id = ?");
  update.bind(1, run_id).run();
  t.commit();
}

}  // namespace edgetwin::sweep

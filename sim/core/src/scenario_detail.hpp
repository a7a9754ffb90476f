#pragma once
// Internal helpers shared by the scenario_*.cpp readers (not installed, not public API).

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/common/json_reader.hpp"
#include "edgetwin/common/strings.hpp"
#include "edgetwin/sim/scenario.hpp"

namespace edgetwin::sim::detail {

/// Collects DataErrors so that one load reports every defect instead of the first.
class ErrorCollector {
 public:
  /// Runs `f`; a DataError it throws is recorded and reading goes on. Returns whether `f` succeeded.
  template <class F>
  bool check(F&& f) {
    try {
      std::forward<F>(f)();
      return true;
    } catch (const common::DataError& e) {
      errors_.push_back(e);
      return false;
    }
  }
  void add(common::DataError error) { errors_.push_back(std::move(error)); }
  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }
  std::vector<common::DataError> take() { return std::move(errors_); }

 private:
  std::vector<common::DataError> errors_;
};

/// What the readers need besides the JSON node.
struct ReadContext {
  const traces::Catalog& catalog;
  ErrorCollector& errors;
  std::string file;                ///< scenario file, for messages
  std::filesystem::path base_dir;  ///< folder of the scenario file, for relative paths
};

// Limits of "sensible" values (docs/scenarios.md lists them).
inline constexpr double kMaxDurationS = 30.0 * 24 * 3600;
inline constexpr double kMaxBandwidthBps = 1e12;
inline constexpr double kMaxLatencyS = 10;
inline constexpr double kMaxRateHz = 1e6;
inline constexpr double kMaxSloS = 3600;
inline constexpr double kMaxRadioPowerW = 50;
inline constexpr std::int64_t kMaxGroupCount = 1000000;  // request ids fit in 64 bits up to ~9 M devices
inline constexpr std::int64_t kMaxCloudCount = 1000;

/// Adds one error per key of `r` outside `allowed` (require_only stops at the first).
void check_keys(const common::JsonReader& r, const std::vector<std::string>& allowed, ErrorCollector& errors);
/// A number in (0, max]; the `_or` forms return `fallback` when the key is absent.
double positive(const common::JsonReader& r, const char* key, double max);
double positive_or(const common::JsonReader& r, const char* key, double fallback, double max);
/// A number in [0, max], or `fallback` when absent.
double non_negative_or(const common::JsonReader& r, const char* key, double fallback, double max);
/// A name: letters, digits, '_', '-', '.'; used in host names and CSV columns.
std::string read_name(const common::JsonReader& r, const char* key = "name");
/// The optional object member `key` (nullopt when absent or not an object; the latter is recorded).
std::optional<common::JsonReader> optional_object(const common::JsonReader& r, const char* key,
                                                  ErrorCollector& errors);
/// The array-of-objects member `key` (empty when absent); a non-object element is recorded and skipped.
std::vector<common::JsonReader> object_list(const common::JsonReader& r, const char* key,
                                            ErrorCollector& errors);
using common::join;
/// Reports `name` at `r`/`key` when `seen` already holds it, then adds it.
void check_unique(const common::JsonReader& r, const std::string& name, std::vector<std::string>& seen,
                  const std::string& what, ErrorCollector& errors);

/// Applies `overrides` to `doc`; errors name `file` and the override's pointer.
void apply_overrides(nlohmann::json& doc, const std::vector<Override>& overrides, const std::string& file,
                     ErrorCollector& errors);

/// `access`: a device's access link, which may also give the radio's radio_tx_power_w.
LinkSpec read_link(const common::JsonReader& r, const LinkSpec& defaults, ReadContext& ctx,
                   bool access = false);
void read_platform(const common::JsonReader& platform, ReadContext& ctx, ScenarioSpec& spec);
void read_workloads(const common::JsonReader& workloads, ReadContext& ctx, ScenarioSpec& spec);

/// The resolved document: every field with its effective value (written as scenario.resolved.json).
nlohmann::json to_json(const ScenarioSpec& spec);

}  // namespace edgetwin::sim::detail

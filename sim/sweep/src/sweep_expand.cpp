// Expanding a sweep into runs: group set, then axis values, then /seed, applied to copies of the
// scenario; every run validated; errors mapped back to the sweep value that caused them.

#include <algorithm>
#include <map>
#include <optional>

#include "edgetwin/common/json_pointer.hpp"
#include "edgetwin/sweep/run_id.hpp"
#include "edgetwin/sweep/sweep_spec.hpp"

namespace edgetwin::sweep {

namespace {

using common::DataError;
using nlohmann::json;

// The combinations of one group, in expansion order: grid axes (first slowest), then the zip
// block as one more dimension; each entry holds a value index per dimension.
std::vector<std::vector<std::size_t>> combinations(const SweepGroup& g) {
  std::vector<std::size_t> sizes;
  for (const auto& a : g.grid) sizes.push_back(a.values.size());
  if (!g.zip.empty()) sizes.push_back(g.zip.front().values.size());
  std::vector<std::vector<std::size_t>> out;
  std::vector<std::size_t> index(sizes.size(), 0);
  while (true) {
    out.push_back(index);
    std::size_t d = sizes.size();
    while (d > 0) {
      --d;
      if (++index[d] < sizes[d]) break;
      index[d] = 0;
      if (d == 0) return out;
    }
    if (sizes.empty()) return out;
  }
}

std::vector<AxisValue> axis_values(const SweepGroup& g, const std::vector<std::size_t>& combo) {
  std::vector<AxisValue> values;
  for (std::size_t d = 0; d < g.grid.size(); ++d) {
    const auto& a = g.grid[d];
    values.push_back(
        {a.axis, a.pointer, a.values[combo[d]], a.where + "/values/" + std::to_string(combo[d])});
  }
  for (const auto& a : g.zip) {
    const std::size_t k = combo.back();
    values.push_back({a.axis, a.pointer, a.values[k], a.where + "/values/" + std::to_string(k)});
  }
  return values;
}

// The sweep pointer responsible for a scenario error at `pointer` in `run`, or "" when the
// error is the scenario's own.
std::string culprit(const SweepRun& run, const SweepGroup& group, const std::string& pointer) {
  if (pointer == "/seed") return run.seed_where;
  for (auto it = run.axes.rbegin(); it != run.axes.rend(); ++it) {
    if (!it->pointer.empty() &&
        (common::pointer_within(pointer, it->pointer) || common::pointer_within(it->pointer, pointer)))
      return it->where;
  }
  for (auto it = group.set.rbegin(); it != group.set.rend(); ++it) {
    if (common::pointer_within(pointer, it->first) || common::pointer_within(it->first, pointer))
      return group.where + "/set/" + common::escape_token(it->first);
  }
  return "";
}

struct Expander {
  const json& document;
  const SweepSpec& spec;
  std::vector<common::DataError> errors;
  std::vector<std::string> keys;  ///< what makes two errors the same (not the run they were found in)

  void add(common::DataError e, std::string key = "") {
    if (key.empty()) key = e.what();
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) return;
    keys.push_back(std::move(key));
    errors.push_back(std::move(e));
  }

  // The run's document; false (errors recorded) when a pointer does not fit the scenario.
  bool build(SweepRun& run, const SweepGroup& g) {
    run.document = document;
    run.document.erase("sweep");
    bool ok = true;
    auto apply = [&](const std::string& where, const std::string& pointer, const json& value) {
      try {
        common::set_at_pointer(run.document, pointer, value);
      } catch (const std::exception& e) {
        add(common::DataError(spec.file, where, "cannot set " + pointer + ": " + e.what()));
        ok = false;
      }
    };
    for (const auto& [pointer, value] : g.set)
      apply(g.where + "/set/" + common::escape_token(pointer), pointer, value);
    for (const auto& a : run.axes) {
      if (!a.pointer.empty()) apply(a.where, a.pointer, a.value);
    }
    run.document["seed"] = run.seed;
    run.id = run_id_of(run.document);
    return ok;
  }

  void validate(SweepRun& run, const SweepGroup& g, const ScenarioValidator& validator) {
    try {
      run.resolved = validator(run.document);
    } catch (const SweepError& e) {
      for (const auto& error : e.errors()) {
        const std::string where = culprit(run, g, error.where());
        if (where.empty()) {
          add(error);  // the scenario's own error, the same in every run
        } else {
          // Reported once, with the first run it broke.
          add(common::DataError(spec.file, where,
                                "in run " + std::to_string(run.index) + " (" + run.label() +
                                    "): " + error.where() + ": " + error.reason()),
              where + "\n" + error.where() + "\n" + error.reason());
        }
      }
    }
  }
};

}  // namespace

std::string SweepRun::label() const {
  std::string text = "group " + group;
  for (const auto& a : axes) text += ", " + a.axis + "=" + a.value.dump();
  return text + ", seed " + std::to_string(seed);
}

std::vector<SweepRun> expand_sweep(const json& document, const SweepSpec& spec,
                                   const ScenarioValidator& validator) {
  Expander expander{document, spec, {}, {}};
  std::vector<SweepRun> runs;
  std::map<std::string, std::size_t> by_id, by_resolved;
  for (const auto& g : spec.groups) {
    for (const auto& combo : combinations(g)) {
      for (std::size_t s = 0; s < spec.seeds.size(); ++s) {
        SweepRun run;
        run.index = runs.size();
        run.group = g.name;
        run.group_where = g.where;
        run.seed = spec.seeds[s];
        run.seed_where = spec.block.contains("seeds") ? "/sweep/seeds/" + std::to_string(s) : "/seed";
        run.axes = axis_values(g, combo);
        if (!expander.build(run, g)) continue;
        expander.validate(run, g, validator);
        // Two runs with one scenario would be one run: the spec repeats itself.
        const std::string resolved_id = run.resolved.is_null() ? "" : run_id_of(run.resolved);
        std::optional<std::size_t> first;
        if (const auto it = by_id.find(run.id); it != by_id.end())
          first = it->second;
        else if (const auto r = by_resolved.find(resolved_id); !resolved_id.empty() && r != by_resolved.end())
          first = r->second;
        if (first) {
          const auto& other = runs[*first];
          expander.add(common::DataError(spec.file, g.where,
                                         "duplicate run: run " + std::to_string(run.index) + " (" +
                                             run.label() + ") and run " + std::to_string(other.index) + " (" +
                                             other.label() + ") expand to the same scenario (run id " +
                                             other.id + "); allowed: every run distinct"));
        }
        by_id.emplace(run.id, run.index);
        if (!resolved_id.empty()) by_resolved.emplace(resolved_id, run.index);
        runs.push_back(std::move(run));
      }
    }
  }
  if (!expander.errors.empty()) throw SweepError(std::move(expander.errors));
  return runs;
}

}  // namespace edgetwin::sweep

// Reading the "sweep" block: every structural error at once, each naming the file, the pointer
// inside /sweep, what was found and what is allowed.

#include "edgetwin/sweep/sweep_spec.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>

#include "edgetwin/common/json_pointer.hpp"
#include "edgetwin/common/json_reader.hpp"

namespace edgetwin::sweep {

namespace {

using common::DataError;
using common::JsonReader;
using nlohmann::json;

std::string compose(const std::vector<common::DataError>& errors) {
  std::string text;
  for (const auto& e : errors) text += (text.empty() ? "" : "\n") + std::string(e.what());
  return text;
}

// Runs `f`, recording a DataError it throws so that reading goes on.
template <class F>
bool collect(std::vector<common::DataError>& errors, F&& f) {
  try {
    f();
    return true;
  } catch (const common::DataError& e) {
    errors.push_back(e);
    return false;
  }
}

bool is_name(const std::string& s) {
  return !s.empty() &&
         s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
             std::string::npos;
}

void check_keys(const common::JsonReader& r, const std::vector<std::string>& allowed,
                std::vector<common::DataError>& errors) {
  for (auto it = r.node().begin(); it != r.node().end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) != allowed.end()) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    errors.emplace_back(r.file(), r.pointer_to(it.key()),
                        "unknown field \"" + it.key() + "\"; allowed fields here: " + list);
  }
}

// A pointer a sweep may write: into the scenario, not into the sweep itself, not the seed.
void check_target_pointer(const common::JsonReader& r, const std::string& key, const std::string& pointer) {
  try {
    if (common::parse_pointer(pointer).empty())
      throw std::invalid_argument("found \"\", allowed: a JSON pointer such as /platform/groups/0/count");
  } catch (const std::invalid_argument& e) {
    r.fail(key, e.what());
  }
  if (common::pointer_within(pointer, "/sweep"))
    r.fail(key, "found \"" + pointer + "\"; a sweep cannot change itself");
  if (pointer == "/seed") r.fail(key, "found \"/seed\"; list seeds in /sweep/seeds instead");
}

SweepAxis read_axis(const common::JsonReader& r, bool zipped, std::vector<common::DataError>& errors) {
  SweepAxis axis;
  axis.where = r.pointer();
  check_keys(r, {"axis", "pointer", "values"}, errors);
  collect(errors, [&] {
    axis.axis = r.string("axis");
    if (!is_name(axis.axis))
      r.fail("axis", "found \"" + axis.axis + "\", allowed: a name of letters, digits, '_', '-', '.'");
  });
  collect(errors, [&] {
    if (zipped && !r.has("pointer")) return;  // a label advancing with the other zipped lists
    axis.pointer = r.string("pointer");
    check_target_pointer(r, "pointer", axis.pointer);
  });
  collect(errors, [&] {
    if (!r.has("values")) r.fail("values", "required field is missing");
    const json& values = r.node().at("values");
    if (!values.is_array() || values.empty()) {
      r.fail("values",
             "expected a non-empty array, found " +
                 (values.is_array() ? std::string("an empty array") : common::describe_json(values)));
    }
    axis.values.assign(values.begin(), values.end());
  });
  return axis;
}

// The axes of a "grid" or "zip" member; zipped lists must have one length.
std::vector<SweepAxis> read_axes(const common::JsonReader& r, const char* key,
                                 std::vector<common::DataError>& errors) {
  std::vector<SweepAxis> axes;
  if (!r.has(key)) return axes;
  const json& list = r.node().at(key);
  if (!list.is_array() || list.empty()) {
    errors.emplace_back(r.file(), r.pointer_to(key),
                        "expected a non-empty array of axes {\"axis\", \"pointer\", \"values\"}, found " +
                            (list.is_array() ? std::string("an empty array") : common::describe_json(list)));
    return axes;
  }
  const bool zipped = std::string(key) == "zip";
  for (std::size_t i = 0; i < list.size(); ++i) {
    collect(errors, [&] {
      axes.push_back(
          read_axis(common::JsonReader(list[i], r.file(), r.pointer_to(key) + "/" + std::to_string(i)),
                    zipped, errors));
    });
  }
  if (zipped) {
    for (const auto& a : axes) {
      if (a.values.size() == axes.front().values.size() || a.values.empty() || axes.front().values.empty())
        continue;
      errors.emplace_back(r.file(), a.where + "/values",
                          "found " + std::to_string(a.values.size()) + " values, allowed: as many as " +
                              axes.front().where + "/values (" + std::to_string(axes.front().values.size()) +
                              "); zipped lists advance together");
    }
  }
  return axes;
}

// Axis names unique, and no two axes writing the same pointer.
void check_axes_distinct(const SweepGroup& g, const std::string& file,
                         std::vector<common::DataError>& errors) {
  std::vector<const SweepAxis*> all;
  for (const auto& a : g.grid) all.push_back(&a);
  for (const auto& a : g.zip) all.push_back(&a);
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (!all[i]->axis.empty() && all[i]->axis == all[j]->axis) {
        errors.emplace_back(file, all[i]->where + "/axis",
                            "found \"" + all[i]->axis + "\" again (also " + all[j]->where +
                                "); allowed: axis names must be unique");
      } else if (!all[i]->pointer.empty() && all[i]->pointer == all[j]->pointer) {
        errors.emplace_back(file, all[i]->where + "/pointer",
                            "found \"" + all[i]->pointer + "\" again (also " + all[j]->where +
                                "); allowed: one axis per pointer");
      }
    }
  }
}

std::vector<std::uint64_t> read_seeds(const common::JsonReader& r, const json& document,
                                      std::vector<common::DataError>& errors) {
  if (!r.has("seeds")) {
    // The scenario's own seed (its loader checks the range).
    const auto it = document.find("seed");
    return {it != document.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 1};
  }
  std::vector<std::uint64_t> seeds;
  const json& list = r.node().at("seeds");
  if (!list.is_array() || list.empty()) {
    errors.emplace_back(r.file(), r.pointer_to("seeds"),
                        "expected a non-empty array of integers, found " +
                            (list.is_array() ? std::string("an empty array") : common::describe_json(list)));
    return seeds;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& s = list[i];
    const bool ok = s.is_number_unsigned() || (s.is_number_integer() && s.get<std::int64_t>() >= 0);
    if (!ok || (ok && s.get<std::uint64_t>() >
                          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))) {
      errors.emplace_back(r.file(), r.pointer_to("seeds") + "/" + std::to_string(i),
                          "found " + common::describe_json(s) + ", allowed: an integer in [0, 2^63-1]");
      continue;
    }
    const auto seed = s.get<std::uint64_t>();
    if (std::find(seeds.begin(), seeds.end(), seed) != seeds.end()) {
      errors.emplace_back(r.file(), r.pointer_to("seeds") + "/" + std::to_string(i),
                          "found " + s.dump() + " again; allowed: each seed once");
      continue;
    }
    seeds.push_back(seed);
  }
  return seeds;
}

SweepGroup read_group(const common::JsonReader& r, const SweepGroup& defaults,
                      std::vector<common::DataError>& errors) {
  SweepGroup g;
  g.where = r.pointer();
  check_keys(r, {"name", "set", "grid", "zip"}, errors);
  collect(errors, [&] {
    g.name = r.string("name");
    if (!is_name(g.name))
      r.fail("name", "found \"" + g.name + "\", allowed: a name of letters, digits, '_', '-', '.'");
  });
  collect(errors, [&] {
    if (!r.has("set")) return;
    const json& set = r.node().at("set");
    if (!set.is_object())
      r.fail("set",
             "expected an object {\"/json/pointer\": value, ...}, found " + common::describe_json(set));
    const common::JsonReader set_reader(set, r.file(), r.pointer_to("set"));
    for (auto it = set.begin(); it != set.end(); ++it) {
      if (collect(errors, [&] { check_target_pointer(set_reader, it.key(), it.key()); }))
        g.set.emplace_back(it.key(), it.value());
    }
  });
  g.grid = r.has("grid") ? read_axes(r, "grid", errors) : defaults.grid;
  g.zip = r.has("zip") ? read_axes(r, "zip", errors) : defaults.zip;
  return g;
}

}  // namespace

SweepError::SweepError(std::vector<common::DataError> errors)
    : std::runtime_error(compose(errors)), errors_(std::move(errors)) {}

bool has_sweep(const json& document) {
  return document.is_object() && document.contains("sweep");
}

SweepSpec read_sweep_spec(const json& document, const std::string& file) {
  std::vector<common::DataError> errors;
  SweepSpec spec;
  spec.file = file;
  if (!has_sweep(document))
    throw SweepError(
        {common::DataError(file, "/sweep", "required field is missing: this scenario has no sweep")});
  spec.block = document.at("sweep");
  if (!spec.block.is_object())
    throw SweepError({common::DataError(file, "/sweep",
                                        "expected an object, found " + common::describe_json(spec.block))});
  const common::JsonReader r(spec.block, file, "/sweep");
  check_keys(r, {"name", "seeds", "grid", "zip", "groups"}, errors);
  collect(errors, [&] {
    const auto it = document.find("name");
    const std::string scenario_name = it != document.end() && it->is_string()
                                          ? it->get<std::string>()
                                          : std::filesystem::path(file).stem().string();
    spec.name = r.string_or("name", scenario_name);
    if (!is_name(spec.name))
      r.fail("name", "found \"" + spec.name + "\", allowed: a name of letters, digits, '_', '-', '.'");
  });
  spec.seeds = read_seeds(r, document, errors);
  SweepGroup top;
  top.name = "all";
  top.where = "/sweep";
  top.grid = read_axes(r, "grid", errors);
  top.zip = read_axes(r, "zip", errors);
  if (!r.has("groups")) {
    spec.groups.push_back(top);
  } else {
    const json& list = spec.block.at("groups");
    if (!list.is_array() || list.empty()) {
      errors.emplace_back(
          file, "/sweep/groups",
          "expected a non-empty array of groups {\"name\", \"set\", ...}, found " +
              (list.is_array() ? std::string("an empty array") : common::describe_json(list)));
    } else {
      for (std::size_t i = 0; i < list.size(); ++i) {
        collect(errors, [&] {
          const SweepGroup g = read_group(
              common::JsonReader(list[i], file, "/sweep/groups/" + std::to_string(i)), top, errors);
          for (const auto& other : spec.groups) {
            if (!g.name.empty() && other.name == g.name)
              throw common::DataError(file, g.where + "/name",
                                      "found \"" + g.name + "\" again; allowed: group names must be unique");
          }
          spec.groups.push_back(g);
        });
      }
    }
  }
  for (const auto& g : spec.groups) check_axes_distinct(g, file, errors);
  // Groups inheriting the top-level axes would repeat the same message.
  std::vector<common::DataError> unique;
  for (auto& e : errors) {
    const bool seen = std::any_of(unique.begin(), unique.end(), [&](const common::DataError& u) {
      return std::string(u.what()) == e.what();
    });
    if (!seen) unique.push_back(std::move(e));
  }
  if (!unique.empty()) throw SweepError(std::move(unique));
  return spec;
}

std::size_t run_count(const SweepSpec& spec) {
  std::size_t total = 0;
  for (const auto& g : spec.groups) {
    std::size_t n = spec.seeds.size();
    for (const auto& a : g.grid) n *= a.values.size();
    if (!g.zip.empty()) n *= g.zip.front().values.size();
    total += n;
  }
  return total;
}

}  // namespace edgetwin::sweep

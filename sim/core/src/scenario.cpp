// Scenario loading: read the file, apply overrides, read every section collecting all errors,
// then resolve (docs/architecture.md, "Design rules").

#include "edgetwin/sim/scenario.hpp"

#include <filesystem>
#include <limits>

#include "edgetwin/common/json_reader.hpp"

#include "scenario_detail.hpp"

namespace edgetwin::sim {

namespace {

std::string compose(const std::vector<common::DataError>& errors) {
  std::string text;
  for (const auto& e : errors) text += (text.empty() ? "" : "\n") + std::string(e.what());
  return text;
}

using common::JsonReader;

void read_runtime(const common::JsonReader& r, detail::ReadContext& ctx, ScenarioSpec& spec) {
  detail::check_keys(r, {"precision", "runtime", "traces_dir"}, ctx.errors);
  ctx.errors.check([&] {
    spec.precision = r.has("precision") ? r.one_of("precision", {"fp32", "fp16", "int8"}) : "fp32";
  });
  ctx.errors.check([&] {
    spec.runtime = r.string_or("runtime", "pytorch");
    const bool ok =
        !spec.runtime.empty() &&
        spec.runtime.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-.") == std::string::npos;
    if (!ok)
      r.fail("runtime", "found \"" + spec.runtime + "\", allowed: a lowercase runtime id such as pytorch");
  });
  ctx.errors.check([&] {
    const std::string dir = r.string_or("traces_dir", "");
    if (dir.empty()) return;
    const std::filesystem::path path =
        std::filesystem::path(dir).is_absolute() ? std::filesystem::path(dir) : ctx.base_dir / dir;
    spec.traces_dir = std::filesystem::absolute(path).lexically_normal().string();
    if (!std::filesystem::is_directory(spec.traces_dir)) {
      r.fail("traces_dir", "found \"" + dir + "\" (" + spec.traces_dir +
                               "), not a directory; allowed: \"\" or an "
                               "existing trace directory, relative to the scenario file");
    }
  });
}

void read_outputs(const common::JsonReader& r, detail::ReadContext& ctx, ScenarioSpec& spec) {
  detail::check_keys(r, {"requests_csv", "timeline_csv", "timeline_interval_s"}, ctx.errors);
  ctx.errors.check([&] { spec.outputs.requests_csv = r.boolean_or("requests_csv", true); });
  ctx.errors.check([&] { spec.outputs.timeline_csv = r.boolean_or("timeline_csv", true); });
  ctx.errors.check([&] {
    spec.outputs.timeline_interval_s = detail::positive_or(r, "timeline_interval_s", 1.0, spec.duration_s);
  });
}

void read_training(const common::JsonReader& r, detail::ReadContext& ctx, ScenarioSpec& spec) {
  detail::check_keys(r, {"episodes", "eval_every", "checkpoint_every", "eval_seed"}, ctx.errors);
  auto& t = spec.training;
  ctx.errors.check(
      [&] { t.episodes = static_cast<int>(r.has("episodes") ? r.integer_in("episodes", 1, 1000000) : 20); });
  ctx.errors.check([&] {
    t.eval_every = static_cast<int>(r.has("eval_every") ? r.integer_in("eval_every", 0, 1000000) : 5);
  });
  ctx.errors.check([&] {
    t.checkpoint_every =
        static_cast<int>(r.has("checkpoint_every") ? r.integer_in("checkpoint_every", 0, 1000000) : 10);
  });
  ctx.errors.check([&] {
    t.eval_seed = static_cast<std::uint64_t>(
        r.has("eval_seed") ? r.integer_in("eval_seed", 0, std::numeric_limits<std::int64_t>::max()) : 0);
  });
}

void read_document(const common::JsonReader& root, detail::ReadContext& ctx, ScenarioSpec& spec) {
  detail::check_keys(root,
                     // "sweep" is read by `edgetwin sweep` (edgetwin/sweep/sweep_spec.hpp), not here.
                     {"$schema", "name", "description", "duration_s", "seed", "platform", "workloads",
                      "outputs", "runtime", "sweep", "training"},
                     ctx.errors);
  ctx.errors.check([&] {
    spec.name = root.has("name") ? detail::read_name(root) : std::filesystem::path(ctx.file).stem().string();
  });
  ctx.errors.check([&] { spec.description = root.string_or("description", ""); });
  ctx.errors.check(
      [&] { spec.duration_s = detail::positive_or(root, "duration_s", 60, detail::kMaxDurationS); });
  ctx.errors.check([&] {
    spec.seed = static_cast<std::uint64_t>(
        root.has("seed") ? root.integer_in("seed", 0, std::numeric_limits<std::int64_t>::max()) : 1);
  });
  if (const auto runtime = detail::optional_object(root, "runtime", ctx.errors))
    read_runtime(*runtime, ctx, spec);
  ctx.errors.check([&] { detail::read_platform(root.object("platform"), ctx, spec); });
  ctx.errors.check([&] { detail::read_workloads(root.object("workloads"), ctx, spec); });
  if (const auto outputs = detail::optional_object(root, "outputs", ctx.errors))
    read_outputs(*outputs, ctx, spec);
  if (const auto training = detail::optional_object(root, "training", ctx.errors))
    read_training(*training, ctx, spec);
}

}  // namespace

ScenarioError::ScenarioError(std::vector<common::DataError> errors)
    : std::runtime_error(compose(errors)), errors_(std::move(errors)) {}

int ScenarioSpec::device_count() const {
  int total = 0;
  for (const auto& g : groups) total += g.count;
  return total;
}

ScenarioSpec load_scenario(const std::string& path, const traces::Catalog& catalog,
                           const std::vector<Override>& overrides) {
  nlohmann::json document;
  try {
    document = common::read_json_file(path);
  } catch (const common::DataError& e) {
    throw ScenarioError({e});
  }
  return parse_scenario(std::move(document), path, catalog, overrides);
}

ScenarioSpec parse_scenario(nlohmann::json document, const std::string& file, const traces::Catalog& catalog,
                            const std::vector<Override>& overrides) {
  detail::ErrorCollector errors;
  detail::apply_overrides(document, overrides, file, errors);
  const std::filesystem::path base = std::filesystem::path(file).parent_path();
  detail::ReadContext ctx{catalog, errors, file, base.empty() ? std::filesystem::path(".") : base};
  ScenarioSpec spec;
  spec.file = file;
  errors.check([&] { read_document(common::JsonReader(document, file), ctx, spec); });
  if (!errors.empty()) throw ScenarioError(errors.take());
  spec.resolved = detail::to_json(spec);
  return spec;
}

}  // namespace edgetwin::sim

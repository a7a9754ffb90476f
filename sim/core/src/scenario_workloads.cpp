// Reading the workloads section: video streams and request streams, checked against the groups.

#include <algorithm>
#include <filesystem>
#include <limits>
#include <memory>

#include "scenario_detail.hpp"

namespace edgetwin::sim::detail {

using common::JsonReader;

namespace {

const DeviceGroupSpec* find_group(const ScenarioSpec& spec, const std::string& name) {
  for (const auto& g : spec.groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

// The group a stream names; fails listing the groups when it is unknown.
const DeviceGroupSpec* read_group_ref(const common::JsonReader& r, const ScenarioSpec& spec, std::string& out,
                                      ReadContext& ctx) {
  const DeviceGroupSpec* group = nullptr;
  ctx.errors.check([&] {
    out = r.string("group");
    group = find_group(spec, out);
    if (group == nullptr) {
      std::vector<std::string> names;
      for (const auto& g : spec.groups) names.push_back(g.name);
      r.fail("group", "found unknown group \"" + out + "\", allowed: " + join(names));
    }
  });
  return group;
}

// A model that exists in the catalog and is deployed on `group` (when the group is known).
std::string read_deployed_model(const common::JsonReader& r, const DeviceGroupSpec* group, ReadContext& ctx) {
  const std::string model = r.string("model");
  if (!ctx.catalog.has_model(model)) {
    r.fail("model", "found unknown model \"" + model + "\", allowed: " + join(ctx.catalog.model_ids()));
  }
  // A group whose models failed to read has none: do not pile a derived error on that one.
  if (group != nullptr && !group->models.empty() &&
      std::find(group->models.begin(), group->models.end(), model) == group->models.end()) {
    r.fail("model", "found \"" + model + "\", not deployed on group \"" + group->name +
                        "\"; allowed (its models): " + join(group->models));
  }
  return model;
}

// start_s within the scenario; duration_s positive, cut at the scenario's end.
void read_window(const common::JsonReader& r, double scenario_s, double& start_s, double& duration_s,
                 ReadContext& ctx) {
  ctx.errors.check([&] {
    start_s = non_negative_or(r, "start_s", 0, kMaxDurationS);
    if (start_s >= scenario_s) {
      r.fail("start_s", "found " + r.node().at("start_s").dump() +
                            ", allowed: before the scenario's end (duration_s " +
                            nlohmann::json(scenario_s).dump() + ")");
    }
  });
  ctx.errors.check([&] {
    const double wanted =
        positive_or(r, "duration_s", std::numeric_limits<double>::infinity(), kMaxDurationS);
    duration_s = std::max(0.0, std::min(wanted, scenario_s - start_s));
  });
}

ComplexitySpec read_complexity(const common::JsonReader& c, ReadContext& ctx) {
  check_keys(c, {"mean", "jitter", "scene_change_rate_hz", "scene_spread"}, ctx.errors);
  ComplexitySpec s;
  ctx.errors.check([&] { s.mean = non_negative_or(c, "mean", s.mean, 1); });
  ctx.errors.check([&] { s.jitter = non_negative_or(c, "jitter", s.jitter, 1); });
  ctx.errors.check([&] {
    s.scene_change_rate_hz = non_negative_or(c, "scene_change_rate_hz", s.scene_change_rate_hz, 1000);
  });
  ctx.errors.check([&] { s.scene_spread = non_negative_or(c, "scene_spread", s.scene_spread, 1); });
  return s;
}

// The accuracy table a stream is scored with: its `dataset`, else the model's default table.
void read_dataset(const common::JsonReader& v, VideoStreamSpec& s, ReadContext& ctx) {
  const std::vector<std::string> keys = ctx.catalog.accuracy_datasets(s.model);
  if (!v.has("dataset")) {
    if (!keys.empty()) s.dataset = keys.front();
    return;
  }
  s.dataset = v.string("dataset");
  if (std::find(keys.begin(), keys.end(), s.dataset) == keys.end()) {
    v.fail("dataset", "found \"" + s.dataset + "\", allowed: " +
                          (keys.empty() ? "none (model " + s.model + " has no accuracy table)"
                                        : join(keys) + " (the accuracy tables of model " + s.model + ")"));
  }
}

// {"file": "path"} (relative to the scenario file) or {"generator": {...}}: exactly one.
ExitRecordsSpec read_exit_records(const common::JsonReader& e, const VideoStreamSpec& video,
                                  ReadContext& ctx) {
  check_keys(e, {"file", "generator"}, ctx.errors);
  ExitRecordsSpec s;
  if (e.has("file") == e.has("generator")) {
    e.fail("", "found " +
                   std::string(e.has("file") ? "both file and generator" : "neither file nor generator") +
                   ", allowed: exactly one of {\"file\": \"path\"} or {\"generator\": {...}}");
  }
  const traces::Model& model = ctx.catalog.model(video.model);
  if (e.has("file")) {
    s.kind = "file";
    const std::filesystem::path given = e.string("file");
    s.file = std::filesystem::absolute(given.is_absolute() ? given : ctx.base_dir / given)
                 .lexically_normal()
                 .string();
    if (!std::filesystem::is_regular_file(s.file)) {
      e.fail("file", "found \"" + given.string() + "\" (" + s.file +
                         "), allowed: an existing exit-records file, relative to the scenario file");
    }
    auto records = std::make_shared<traces::ExitRecordsFile>(traces::read_exit_records_file(s.file, model));
    if (!video.dataset.empty() && records->provenance.dataset_key != video.dataset) {
      e.fail("file", "the records are of dataset \"" + records->provenance.dataset_key +
                         "\", the stream's is \"" + video.dataset +
                         "\"; allowed: records of the stream's dataset (its \"dataset\" field)");
    }
    s.records = std::move(records);
    return s;
  }
  s.kind = "generator";
  if (video.dataset.empty()) {
    e.fail("generator",
           "model " + video.model +
               " has no accuracy table, which the generator needs (docs/exit_records.md); allowed: "
               "\"file\" records, or a model with a table");
  }
  const auto g = optional_object(e, "generator", ctx.errors);
  if (!g) return s;
  check_keys(
      *g,
      {"complexity_sensitivity", "confidence_separation", "confidence_noise", "features", "feature_noise"},
      ctx.errors);
  ctx.errors.check([&] {
    s.complexity_sensitivity = non_negative_or(*g, "complexity_sensitivity", s.complexity_sensitivity, 0.5);
  });
  ctx.errors.check([&] {
    s.confidence_separation = non_negative_or(*g, "confidence_separation", s.confidence_separation, 20);
  });
  ctx.errors.check(
      [&] { s.confidence_noise = non_negative_or(*g, "confidence_noise", s.confidence_noise, 20); });
  ctx.errors.check([&] {
    if (g->has("features"))
      s.features = static_cast<int>(g->integer_in("features", 0, traces::kMaxGeneratedFeatures));
  });
  ctx.errors.check([&] { s.feature_noise = non_negative_or(*g, "feature_noise", s.feature_noise, 20); });
  return s;
}

VideoStreamSpec read_video(const common::JsonReader& v, const ScenarioSpec& spec, ReadContext& ctx) {
  check_keys(v,
             {"name", "group", "model", "fps", "start_s", "duration_s", "slo_s", "complexity", "queue_limit",
              "dataset", "exit_records"},
             ctx.errors);
  VideoStreamSpec s;
  ctx.errors.check([&] { s.name = read_name(v); });
  const DeviceGroupSpec* group = read_group_ref(v, spec, s.group, ctx);
  ctx.errors.check([&] { s.model = read_deployed_model(v, group, ctx); });
  ctx.errors.check([&] { s.fps = positive_or(v, "fps", s.fps, 1000); });
  read_window(v, spec.duration_s, s.start_s, s.duration_s, ctx);
  ctx.errors.check([&] { s.slo_s = non_negative_or(v, "slo_s", 0, kMaxSloS); });
  if (const auto c = optional_object(v, "complexity", ctx.errors)) s.complexity = read_complexity(*c, ctx);
  ctx.errors.check([&] {
    s.queue_limit = static_cast<int>(v.has("queue_limit") ? v.integer_in("queue_limit", 0, 1000000) : 0);
  });
  // Both need a known model (an unknown one has been reported above).
  if (ctx.catalog.has_model(s.model)) {
    const bool dataset_ok = ctx.errors.check([&] { read_dataset(v, s, ctx); });
    if (dataset_ok) {
      if (const auto e = optional_object(v, "exit_records", ctx.errors)) {
        ctx.errors.check([&] { s.exit_records = read_exit_records(*e, s, ctx); });
      }
    }
  }
  return s;
}

ArrivalSpec read_arrival(const common::JsonReader& a, ReadContext& ctx) {
  ArrivalSpec s;
  if (!ctx.errors.check([&] {
        s.kind = a.has("kind") ? a.one_of("kind", {"poisson", "mmpp"}) : "poisson";
      })) {
    return s;
  }
  ctx.errors.check([&] { s.rate_hz = positive(a, "rate_hz", kMaxRateHz); });
  if (s.kind == "poisson") {
    check_keys(a, {"kind", "rate_hz"}, ctx.errors);
    return s;
  }
  check_keys(a, {"kind", "rate_hz", "burst_rate_hz", "mean_calm_s", "mean_burst_s"}, ctx.errors);
  ctx.errors.check([&] { s.burst_rate_hz = positive(a, "burst_rate_hz", kMaxRateHz); });
  ctx.errors.check([&] { s.mean_calm_s = positive(a, "mean_calm_s", kMaxDurationS); });
  ctx.errors.check([&] { s.mean_burst_s = positive(a, "mean_burst_s", kMaxDurationS); });
  return s;
}

void read_mix(const common::JsonReader& r, const DeviceGroupSpec* group, RequestStreamSpec& s,
              ReadContext& ctx) {
  if (!r.has("mix")) {
    ctx.errors.add(
        common::DataError(ctx.file, r.pointer_to("mix"),
                          "required field is missing; allowed: an array of {model, weight, slo_s}"));
    return;
  }
  const auto shares = object_list(r, "mix", ctx.errors);
  if (shares.empty() && r.node().at("mix").is_array()) {
    ctx.errors.add(common::DataError(ctx.file, r.pointer_to("mix"),
                                     "found an empty array, allowed: at least one model"));
  }
  for (const auto& m : shares) {
    check_keys(m, {"model", "weight", "slo_s"}, ctx.errors);
    ModelShare share;
    ctx.errors.check([&] {
      share.model = read_deployed_model(m, group, ctx);
      for (const auto& other : s.mix) {
        if (other.model == share.model)
          m.fail("model", "found \"" + share.model + "\" twice; allowed: each model once");
      }
    });
    ctx.errors.check([&] { share.weight = positive_or(m, "weight", 1, 1e9); });
    ctx.errors.check([&] { share.slo_s = non_negative_or(m, "slo_s", 0, kMaxSloS); });
    s.mix.push_back(share);
  }
}

RequestStreamSpec read_request(const common::JsonReader& r, const ScenarioSpec& spec, ReadContext& ctx) {
  check_keys(r, {"name", "group", "arrival", "mix", "start_s", "duration_s"}, ctx.errors);
  RequestStreamSpec s;
  ctx.errors.check([&] { s.name = read_name(r); });
  const DeviceGroupSpec* group = read_group_ref(r, spec, s.group, ctx);
  ctx.errors.check([&] { s.arrival = read_arrival(r.object("arrival"), ctx); });
  read_mix(r, group, s, ctx);
  read_window(r, spec.duration_s, s.start_s, s.duration_s, ctx);
  return s;
}

}  // namespace

void read_workloads(const common::JsonReader& workloads, ReadContext& ctx, ScenarioSpec& spec) {
  check_keys(workloads, {"videos", "requests"}, ctx.errors);
  std::vector<std::string> names;
  for (const auto& v : object_list(workloads, "videos", ctx.errors)) {
    spec.videos.push_back(read_video(v, spec, ctx));
    if (!spec.videos.back().name.empty())
      check_unique(v, spec.videos.back().name, names, "stream", ctx.errors);
  }
  for (const auto& r : object_list(workloads, "requests", ctx.errors)) {
    spec.requests.push_back(read_request(r, spec, ctx));
    if (!spec.requests.back().name.empty())
      check_unique(r, spec.requests.back().name, names, "stream", ctx.errors);
  }
  const auto entries = [&](const char* key) {
    return workloads.has(key) && workloads.node().at(key).is_array() ? workloads.node().at(key).size() : 0;
  };
  if (entries("videos") + entries("requests") == 0) {
    ctx.errors.add(common::DataError(ctx.file, workloads.pointer(),
                                     "found no stream, allowed: at least one entry in videos or requests"));
  }
}

}  // namespace edgetwin::sim::detail

// Scenario loading: shipped files load, defaults and overrides, every defect reported at once with
// file + pointer + found + allowed, and the JSON Schema covering every key the loader accepts.

#include "edgetwin/sim/scenario.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edgetwin/traces/catalog.hpp"

namespace fs = std::filesystem;
using edgetwin::common::DataError;
using edgetwin::sim::Override;
using edgetwin::sim::ScenarioError;
using edgetwin::sim::ScenarioSpec;
using nlohmann::json;

namespace {

const std::string kScenarioDir = EDGETWIN_SCENARIO_DIR;

const edgetwin::traces::Catalog& catalog() {
  static const auto c = edgetwin::traces::Catalog::load(EDGETWIN_CATALOG_DIR);
  return c;
}

// A small valid document; tests break one thing at a time.
json minimal() {
  return json::parse(R"({
    "name": "t", "duration_s": 10,
    "platform": {"groups": [{"name": "cams", "board": "xavier_nx", "models": ["mobilenet_v2"]}]},
    "workloads": {"videos": [{"name": "v", "group": "cams", "model": "mobilenet_v2"}]}
  })");
}

ScenarioSpec parse(const json& doc, const std::vector<Override>& overrides = {}) {
  return edgetwin::sim::parse_scenario(doc, "mem.json", catalog(), overrides);
}

std::vector<DataError> errors_of(const json& doc, const std::vector<Override>& overrides = {},
                                 const std::string& file = "mem.json") {
  try {
    edgetwin::sim::parse_scenario(doc, file, catalog(), overrides);
  } catch (const ScenarioError& e) {
    return e.errors();
  }
  return {};
}

// The error at `pointer`, or nullptr.
const DataError* find(const std::vector<DataError>& errors, const std::string& pointer) {
  for (const auto& e : errors) {
    if (e.where() == pointer) return &e;
  }
  return nullptr;
}

std::string dump(const std::vector<DataError>& errors) {
  std::string out;
  for (const auto& e : errors) out += std::string(e.what()) + "\n";
  return out;
}

// Expects exactly one error, at `pointer`, whose reason contains every piece of `parts`.
void expect_single(const std::vector<DataError>& errors, const std::string& pointer,
                   const std::vector<std::string>& parts) {
  ASSERT_EQ(errors.size(), 1u) << dump(errors);
  EXPECT_EQ(errors[0].where(), pointer) << dump(errors);
  EXPECT_EQ(errors[0].file(), "mem.json");
  for (const auto& p : parts)
    EXPECT_NE(errors[0].reason().find(p), std::string::npos) << p << " in " << dump(errors);
}

std::vector<std::string> shipped_scenarios() {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(kScenarioDir)) {
    if (entry.path().extension() == ".json" && entry.path().parent_path().filename() != "schema") {
      files.push_back(entry.path().string());
    }
  }
  return files;
}

TEST(Scenario, ShippedScenariosLoad) {
  const auto files = shipped_scenarios();
  ASSERT_GE(files.size(), 3u);
  for (const auto& file : files) {
    try {
      const auto spec = edgetwin::sim::load_scenario(file, catalog());
      EXPECT_FALSE(spec.groups.empty()) << file;
      EXPECT_EQ(spec.file, file);
    } catch (const ScenarioError& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

TEST(Scenario, QuickstartContents) {
  const auto spec = edgetwin::sim::load_scenario(kScenarioDir + "/quickstart.json", catalog());
  EXPECT_EQ(spec.name, "quickstart");
  EXPECT_DOUBLE_EQ(spec.duration_s, 60);
  ASSERT_EQ(spec.groups.size(), 1u);
  EXPECT_EQ(spec.groups[0].board, "xavier_nx");
  EXPECT_EQ(spec.device_count(), 4);
  EXPECT_EQ(spec.groups[0].policies.at("clocks").name, "max_clocks");
  ASSERT_EQ(spec.clouds.size(), 1u);
  EXPECT_EQ(spec.clouds[0].board, "rtx3080");
  ASSERT_EQ(spec.videos.size(), 1u);
  EXPECT_DOUBLE_EQ(spec.videos[0].fps, 30);
  EXPECT_EQ(spec.requests.size(), 1u);
}

TEST(Scenario, DefaultsAreFilled) {
  const auto spec = parse(minimal());
  const auto& g = spec.groups.at(0);
  EXPECT_EQ(spec.seed, 1u);
  EXPECT_EQ(g.count, 1);
  EXPECT_EQ(g.power_mode, catalog().board("xavier_nx").default_power_mode);
  EXPECT_EQ(g.backend, "trace");
  EXPECT_TRUE(g.policies.empty());
  EXPECT_DOUBLE_EQ(g.access.bandwidth_bps, 100e6);
  EXPECT_DOUBLE_EQ(g.access.latency_s, 0.002);
  EXPECT_EQ(g.access.process.kind, "constant");
  EXPECT_DOUBLE_EQ(spec.wan.bandwidth_bps, 1e9);
  EXPECT_DOUBLE_EQ(spec.wan.latency_s, 0.02);
  EXPECT_TRUE(spec.clouds.empty());
  const auto& v = spec.videos.at(0);
  EXPECT_DOUBLE_EQ(v.fps, 30);
  EXPECT_DOUBLE_EQ(v.start_s, 0);
  EXPECT_DOUBLE_EQ(v.duration_s, 10);  // until the scenario's end
  EXPECT_DOUBLE_EQ(v.slo_s, 0);
  EXPECT_DOUBLE_EQ(v.complexity.mean, 0.5);
  EXPECT_DOUBLE_EQ(v.complexity.scene_spread, 0.2);
  EXPECT_TRUE(spec.outputs.requests_csv);
  EXPECT_DOUBLE_EQ(spec.outputs.timeline_interval_s, 1);
  EXPECT_EQ(spec.precision, "fp32");
  EXPECT_EQ(spec.runtime, "pytorch");

  const json& r = spec.resolved;
  EXPECT_EQ(r.at("seed"), 1);
  EXPECT_EQ(r.at("platform").at("groups").at(0).at("power_mode"), g.power_mode);
  EXPECT_EQ(r.at("platform").at("groups").at(0).at("access").at("bandwidth_bps"), 100e6);
  EXPECT_EQ(r.at("platform").at("wan").at("latency_s"), 0.02);
  EXPECT_EQ(r.at("workloads").at("videos").at(0).at("duration_s"), 10.0);
  EXPECT_EQ(r.at("workloads").at("requests"), json::array());
  EXPECT_EQ(r.at("runtime").at("traces_dir"), "");
}

TEST(Scenario, AmbientAndInitialTemperatureDefaultAndAppearResolved) {
  const auto spec = parse(minimal());
  EXPECT_DOUBLE_EQ(spec.groups[0].ambient_c, 25.0);
  EXPECT_DOUBLE_EQ(spec.groups[0].initial_temp_c, 25.0);
  json doc = minimal();
  doc["platform"]["groups"][0]["ambient_c"] = 40;
  const auto hot = parse(doc);
  EXPECT_DOUBLE_EQ(hot.groups[0].initial_temp_c, 40.0);  // follows the ambient
  const json& g = hot.resolved.at("platform").at("groups").at(0);
  EXPECT_EQ(g.at("ambient_c"), 40.0);
  EXPECT_EQ(g.at("initial_temp_c"), 40.0);
  // A sweep varies it by JSON pointer; an explicit initial temperature stays.
  doc["platform"]["groups"][0]["initial_temp_c"] = 55.5;
  const auto swept = parse(doc, {{"/platform/groups/0/ambient_c", "-10"}});
  EXPECT_DOUBLE_EQ(swept.groups[0].ambient_c, -10.0);
  EXPECT_DOUBLE_EQ(swept.groups[0].initial_temp_c, 55.5);
}

TEST(ScenarioErrors, AmbientAndInitialTemperatureOutOfRange) {
  json doc = minimal();
  doc["platform"]["groups"][0]["ambient_c"] = 120;
  doc["platform"]["groups"][0]["initial_temp_c"] = "hot";
  const auto errors = errors_of(doc);
  ASSERT_EQ(errors.size(), 2u);
  const auto* ambient = find(errors, "/platform/groups/0/ambient_c");
  ASSERT_NE(ambient, nullptr);
  EXPECT_NE(std::string(ambient->what()).find("found 120, allowed range [-50, 100]"), std::string::npos)
      << ambient->what();
  EXPECT_NE(find(errors, "/platform/groups/0/initial_temp_c"), nullptr);
}

// Clock tables per L4T release (docs/boards.md, "Releases"): a group picks a release of its board
// file with "release" (the catalog entry "<board>@<release>"), or names that entry as its board;
// without either it gets the file's default release. An unknown release names the allowed ones.
TEST(Scenario, AGroupPicksItsBoardsRelease) {
  auto doc = minimal();
  doc["platform"]["groups"][0]["board"] = "tx2";
  EXPECT_EQ(parse(doc).groups[0].board, "tx2");
  EXPECT_EQ(catalog().board("tx2").release.id, "r28.2");
  doc["platform"]["groups"][0]["release"] = "r32";
  const auto spec = parse(doc);
  EXPECT_EQ(spec.groups[0].board, "tx2@r32");
  const auto& gpu = catalog().board("tx2@r32").gpu_freqs_hz;
  EXPECT_NE(std::find(gpu.begin(), gpu.end(), 854250000), gpu.end());
  EXPECT_EQ(std::find(gpu.begin(), gpu.end(), 828750000), gpu.end());
  auto named = minimal();
  named["platform"]["groups"][0]["board"] = "tx2@r32";
  EXPECT_EQ(parse(named).groups[0].board, "tx2@r32");
  doc["platform"]["groups"][0]["release"] = "r99";
  expect_single(errors_of(doc), "/platform/groups/0/release", {"found \"r99\"", "r28.2", "r32"});
}

TEST(Scenario, NameDefaultsToFileStem) {
  json doc = minimal();
  doc.erase("name");
  EXPECT_EQ(edgetwin::sim::parse_scenario(doc, "dir/my_run.json", catalog()).name, "my_run");
}

TEST(Scenario, StreamsAreCutAtTheScenarioEnd) {
  json doc = minimal();
  doc["workloads"]["videos"][0]["start_s"] = 4;
  doc["workloads"]["videos"][0]["duration_s"] = 100;
  EXPECT_DOUBLE_EQ(parse(doc).videos[0].duration_s, 6);
  doc["workloads"]["videos"][0]["start_s"] = 10;
  expect_single(errors_of(doc), "/workloads/videos/0/start_s", {"found 10", "before the scenario's end"});
}

TEST(Scenario, ResolvedDocumentLoadsToItself) {
  for (const auto& file : shipped_scenarios()) {
    const auto spec = edgetwin::sim::load_scenario(file, catalog());
    const auto again =
        edgetwin::sim::parse_scenario(spec.resolved, "/elsewhere/scenario.resolved.json", catalog());
    EXPECT_EQ(again.resolved, spec.resolved) << file;
  }
}

TEST(ScenarioOverrides, ApplyToNumbersStringsAndNestedFields) {
  const auto spec = parse(minimal(), {{"/platform/groups/0/count", "100"},
                                      {"/name", "renamed"},
                                      {"/platform/groups/0/models", R"(["mobilenet_v2","resnet18"])"},
                                      {"/outputs/timeline_interval_s", "0.5"},  // creates "outputs"
                                      {"/platform/groups/0/access/latency_s", "0.01"},
                                      {"/seed", "42"}});
  EXPECT_EQ(spec.groups[0].count, 100);
  EXPECT_EQ(spec.device_count(), 100);
  EXPECT_EQ(spec.name, "renamed");
  EXPECT_EQ(spec.groups[0].models.size(), 2u);
  EXPECT_DOUBLE_EQ(spec.outputs.timeline_interval_s, 0.5);
  EXPECT_DOUBLE_EQ(spec.groups[0].access.latency_s, 0.01);
  EXPECT_EQ(spec.seed, 42u);
  EXPECT_EQ(spec.resolved.at("platform").at("groups").at(0).at("count"), 100);
}

TEST(ScenarioOverrides, ParseSplitsAtTheFirstEquals) {
  const auto o = edgetwin::sim::parse_override("/description=a=b");
  EXPECT_EQ(o.pointer, "/description");
  EXPECT_EQ(o.value, "a=b");
  EXPECT_THROW(edgetwin::sim::parse_override("/seed"), std::invalid_argument);
}

TEST(ScenarioOverrides, BadPointersAreErrorsNamingThem) {
  expect_single(errors_of(minimal(), {{"/platform/groups/3/count", "2"}}), "/platform/groups/3/count",
                {"--set", "array of 1 elements", "found index \"3\""});
  expect_single(errors_of(minimal(), {{"seed", "2"}}), "seed", {"must start with '/'"});
  expect_single(errors_of(minimal(), {{"/duration_s/x", "2"}}), "/duration_s/x", {"is the number 10"});
  // A misspelt key becomes an unknown field, reported at the override's pointer.
  expect_single(errors_of(minimal(), {{"/platform/grups", "[]"}}), "/platform/grups",
                {"unknown field", "groups"});
  // The overridden value is validated like any other.
  expect_single(errors_of(minimal(), {{"/platform/groups/0/count", "zero"}}), "/platform/groups/0/count",
                {"expected an integer", "the string \"zero\""});
}

TEST(ScenarioErrors, SeveralDefectsAreReportedAtOnce) {
  const std::string file = EDGETWIN_TEST_DATA_DIR "/scenarios/bad_several.json";
  std::vector<DataError> errors;
  try {
    edgetwin::sim::load_scenario(file, catalog());
    FAIL() << "expected errors";
  } catch (const ScenarioError& e) {
    errors = e.errors();
  }
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
      {"/name", {"found \"bad several\"", "letters, digits"}},
      {"/duration_s", {"found -5", "greater than 0"}},
      {"/platform/groups/0/colour", {"unknown field", "allowed fields here: name, board"}},
      {"/platform/groups/0/board", {"found \"rtx3080\", a cloud board", "edge boards", "xavier_nx"}},
      {"/platform/groups/0/count", {"found 0", "[1, 1000000]"}},
      {"/platform/groups/0/models/1", {"unknown model \"alexnet\"", "mobilenet_v2"}},
      {"/platform/groups/1/name", {"found \"cams\" again", "unique"}},
      {"/platform/groups/1/power_mode", {"found 42", "allowed on xavier_nx", "8 ("}},
      {"/platform/groups/1/policies/clock", {"unknown field", "clocks, placement, exit, batching"}},
      {"/platform/groups/1/backend", {"found \"fpga\"", "trace, hil"}},
      {"/platform/clouds/0/board", {"found \"nano\", an edge board", "cloud boards", "rtx3080"}},
      {"/workloads/videos/0/fps", {"expected a number", "the string \"thirty\""}},
      {"/workloads/requests/0/group", {"unknown group \"nowhere\"", "allowed: cams"}},
      {"/workloads/requests/0/arrival/burst_rate_hz", {"required field is missing"}},
  };
  for (const auto& [pointer, parts] : expected) {
    const DataError* e = find(errors, pointer);
    ASSERT_NE(e, nullptr) << pointer << " missing from:\n" << dump(errors);
    EXPECT_EQ(e->file(), file);
    for (const auto& p : parts)
      EXPECT_NE(e->reason().find(p), std::string::npos) << pointer << ": " << p << " in " << e->reason();
  }
}

TEST(ScenarioErrors, UnknownKeyWrongTypeMissingField) {
  json doc = minimal();
  doc["colour"] = "red";
  expect_single(errors_of(doc), "/colour", {"unknown field \"colour\"", "duration_s", "platform"});

  doc = minimal();
  doc["duration_s"] = "ten";
  expect_single(errors_of(doc), "/duration_s", {"expected a number", "the string \"ten\""});

  doc = minimal();
  doc["platform"]["groups"][0].erase("models");
  expect_single(errors_of(doc), "/platform/groups/0/models", {"required field is missing"});

  doc = minimal();
  doc["platform"]["groups"] = json::array();
  const auto errors = errors_of(doc);
  EXPECT_NE(find(errors, "/platform/groups"), nullptr) << dump(errors);

  doc = minimal();
  doc["workloads"] = json::object();
  expect_single(errors_of(doc), "/workloads", {"found no stream", "videos or requests"});
}

TEST(ScenarioErrors, CatalogReferences) {
  json doc = minimal();
  doc["platform"]["groups"][0]["board"] = "xavier";
  expect_single(errors_of(doc), "/platform/groups/0/board",
                {"unknown board \"xavier\"", "xavier_nx", "nano"});

  doc = minimal();
  doc["platform"]["groups"][0]["board"] = "a100";
  expect_single(errors_of(doc), "/platform/groups/0/board", {"a cloud board", "edge boards"});

  doc = minimal();
  doc["workloads"]["videos"][0]["model"] = "mobilenet_v3";
  expect_single(errors_of(doc), "/workloads/videos/0/model", {"unknown model \"mobilenet_v3\"", "resnet50"});

  doc = minimal();
  doc["workloads"]["videos"][0]["model"] = "resnet50";
  expect_single(errors_of(doc), "/workloads/videos/0/model",
                {"\"resnet50\", not deployed on group \"cams\"", "its models): mobilenet_v2"});

  doc = minimal();
  doc["workloads"]["requests"] = json::parse(
      R"([{"name": "r", "group": "cams", "arrival": {"rate_hz": 1}, "mix": [{"model": "vgg16"}]}])");
  expect_single(errors_of(doc), "/workloads/requests/0/mix/0/model", {"not deployed on group \"cams\""});

  doc = minimal();
  doc["workloads"]["videos"][0]["group"] = "drones";
  expect_single(errors_of(doc), "/workloads/videos/0/group", {"unknown group \"drones\"", "allowed: cams"});
}

TEST(ScenarioErrors, BackendHil) {
  json doc = minimal();
  doc["platform"]["groups"][0]["backend"] = "hil";
  expect_single(errors_of(doc), "/platform/groups/0/hil_endpoint", {"required field is missing"});
  doc["platform"]["groups"][0]["hil_endpoint"] = "board:7000";
  EXPECT_EQ(parse(doc).groups[0].hil_endpoint, "board:7000");
  doc["platform"]["groups"][0]["count"] = 2;
  expect_single(errors_of(doc), "/platform/groups/0/count", {"found 2", "allowed: 1"});
  doc = minimal();
  doc["platform"]["groups"][0]["hil_endpoint"] = "board:7000";
  expect_single(errors_of(doc), "/platform/groups/0/hil_endpoint", {"allowed only with backend \"hil\""});
}

TEST(ScenarioErrors, ArrivalsAndMarkov) {
  json doc = minimal();
  doc["workloads"]["requests"] = json::parse(R"([{"name": "r", "group": "cams",
      "arrival": {"kind": "mmpp", "rate_hz": 1, "burst_rate_hz": 20, "mean_calm_s": 10, "mean_burst_s": 2},
      "mix": [{"model": "mobilenet_v2", "slo_s": 0.1}]}])");
  const auto spec = parse(doc);
  EXPECT_EQ(spec.requests[0].arrival.kind, "mmpp");
  EXPECT_DOUBLE_EQ(spec.requests[0].arrival.burst_rate_hz, 20);
  EXPECT_DOUBLE_EQ(spec.requests[0].mix[0].weight, 1);

  doc["workloads"]["requests"][0]["arrival"] =
      json::parse(R"({"kind": "poisson", "rate_hz": 1, "mean_calm_s": 3})");
  expect_single(errors_of(doc), "/workloads/requests/0/arrival/mean_calm_s",
                {"unknown field", "kind, rate_hz"});

  doc = minimal();
  doc["platform"]["wan"] = json::parse(R"({"bandwidth_bps": 1e8, "process": {"kind": "markov",
      "bad_bandwidth_bps": 2e8, "mean_good_s": 10, "mean_bad_s": 0}})");
  const auto errors = errors_of(doc);
  ASSERT_EQ(errors.size(), 2u) << dump(errors);
  EXPECT_NE(find(errors, "/platform/wan/process/bad_bandwidth_bps"), nullptr) << dump(errors);
  EXPECT_NE(find(errors, "/platform/wan/process/mean_bad_s"), nullptr) << dump(errors);
  doc["platform"]["wan"]["process"]["bad_bandwidth_bps"] = 1e7;
  doc["platform"]["wan"]["process"]["mean_bad_s"] = 2;
  EXPECT_DOUBLE_EQ(parse(doc).wan.process.good_bandwidth_bps, 1e8);  // defaults to the link's
}

// A scratch folder with a scenario referencing a bandwidth trace of the given text.
class BandwidthTrace : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("edgetwin_scn_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "bw");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<DataError> load_with(const std::string& csv) {
    std::ofstream(dir_ / "bw" / "link.csv") << csv;
    json doc = minimal();
    doc["platform"]["groups"][0]["access"] = {{"bandwidth_bps", 1e7},
                                              {"process", {{"kind", "trace"}, {"file", "bw/link.csv"}}}};
    std::ofstream(dir_ / "s.json") << doc.dump();
    try {
      spec_ = edgetwin::sim::load_scenario((dir_ / "s.json").string(), catalog());
    } catch (const ScenarioError& e) {
      return e.errors();
    }
    return {};
  }

  fs::path dir_;
  ScenarioSpec spec_;
};

TEST_F(BandwidthTrace, GoodTraceIsReadRelativeToTheScenario) {
  const auto errors = load_with("# comment\ntime_s,bandwidth_bps\n0,1e7\n2.5,3000000\r\n\n10,2e6\n");
  ASSERT_TRUE(errors.empty()) << dump(errors);
  const auto& p = spec_.groups[0].access.process;
  ASSERT_EQ(p.trace.size(), 3u);
  EXPECT_DOUBLE_EQ(p.trace[1].time_s, 2.5);
  EXPECT_DOUBLE_EQ(p.trace[1].bandwidth_bps, 3e6);
  EXPECT_TRUE(fs::path(p.trace_file).is_absolute());
  EXPECT_TRUE(p.loop);
}

TEST_F(BandwidthTrace, DefectsNameTheScenarioPointerAndTheLine) {
  const std::string pointer = "/platform/groups/0/access/process/file";
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"time_s,bandwidth_bps\n0,1e6\n5,2e6\n5,3e6\n",
       {"line 4", "found time_s 5", "greater than the previous"}},
      {"time_s,bandwidth_bps\n0,0\n", {"line 2", "found bandwidth_bps 0", "greater than 0"}},
      {"time_s,bandwidth_bps\n0,-1e6\n", {"line 2", "bandwidth_bps -1e6"}},
      {"time,bw\n0,1\n", {"line 1", "found header \"time,bw\"", "time_s,bandwidth_bps"}},
      {"time_s,bandwidth_bps\n0,fast\n", {"line 2", "two finite numbers"}},
      {"time_s,bandwidth_bps\n0,1,2\n", {"line 2", "two columns"}},
      {"time_s,bandwidth_bps\n", {"no rows"}},
      {"time_s,bandwidth_bps\n-1,5\n", {"line 2", "found time_s -1"}},
  };
  for (const auto& [csv, parts] : cases) {
    const auto errors = load_with(csv);
    ASSERT_EQ(errors.size(), 1u) << csv << dump(errors);
    EXPECT_EQ(errors[0].where(), pointer);
    EXPECT_EQ(errors[0].file(), (dir_ / "s.json").string());
    for (const auto& part : parts)
      EXPECT_NE(errors[0].reason().find(part), std::string::npos) << part << " in " << errors[0].reason();
  }
}

TEST_F(BandwidthTrace, MissingFile) {
  json doc = minimal();
  doc["platform"]["groups"][0]["access"] = {{"process", {{"kind", "trace"}, {"file", "nowhere.csv"}}}};
  expect_single(errors_of(doc), "/platform/groups/0/access/process/file",
                {"nowhere.csv", "cannot open file"});
}

TEST(ScenarioErrors, BadTraceFixture) {
  const std::string file = EDGETWIN_TEST_DATA_DIR "/scenarios/bad_trace.json";
  try {
    edgetwin::sim::load_scenario(file, catalog());
    FAIL() << "expected an error";
  } catch (const ScenarioError& e) {
    ASSERT_EQ(e.errors().size(), 1u) << e.what();
    EXPECT_NE(e.errors()[0].reason().find("line 4"), std::string::npos) << e.what();
  }
}

TEST(ScenarioErrors, UnreadableFiles) {
  try {
    edgetwin::sim::load_scenario(kScenarioDir + "/does_not_exist.json", catalog());
    FAIL();
  } catch (const ScenarioError& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_NE(e.errors()[0].reason().find("cannot open"), std::string::npos);
  }
}

// --- The schema describes what the loader accepts -------------------------------------------

class SchemaWalker {
 public:
  explicit SchemaWalker(json schema) : root_(std::move(schema)) {}

  // Checks that every key of `doc` is a property of its schema node, and that every object schema
  // on the way forbids additional properties.
  void walk(const json& doc, const json& schema_in, const std::string& pointer) {
    const json& schema = resolve(schema_in);
    if (schema.contains("oneOf")) {
      walk(doc, branch(doc, schema.at("oneOf"), pointer), pointer);
      return;
    }
    if (doc.is_object()) {
      if (!schema.contains("properties")) {
        return;  // a free-form object (policy params)
      }
      EXPECT_EQ(schema.value("additionalProperties", true), false) << "schema at " << pointer;
      for (const auto& req : schema.value("required", json::array())) {
        EXPECT_TRUE(doc.contains(req.get<std::string>())) << pointer << " lacks required " << req;
      }
      for (auto it = doc.begin(); it != doc.end(); ++it) {
        const auto& props = schema.at("properties");
        if (!props.contains(it.key())) {
          ADD_FAILURE() << "the loader accepts " << pointer << "/" << it.key() << " but the schema lacks it";
          continue;
        }
        walk(it.value(), props.at(it.key()), pointer + "/" + it.key());
      }
      ++objects_;
    } else if (doc.is_array() && schema.contains("items")) {
      for (std::size_t i = 0; i < doc.size(); ++i)
        walk(doc[i], schema.at("items"), pointer + "/" + std::to_string(i));
    } else if (schema.contains("enum")) {
      EXPECT_NE(std::find(schema.at("enum").begin(), schema.at("enum").end(), doc), schema.at("enum").end())
          << pointer;
    } else if (schema.contains("const")) {
      EXPECT_EQ(doc, schema.at("const")) << pointer;
    }
  }
  int objects() const { return objects_; }

 private:
  const json& resolve(const json& schema) const {
    if (!schema.contains("$ref")) return schema;
    const std::string ref = schema.at("$ref").get<std::string>();
    return root_.at(json::json_pointer(ref.substr(1)));  // "#/$defs/x"
  }
  // The branch whose "kind" constant matches the document's kind; for branches without one
  // (exit_records: {"file"} or {"generator"}), the one whose required keys the document has.
  const json& branch(const json& doc, const json& branches, const std::string& pointer) const {
    for (const auto& b : branches) {
      if (!b.at("properties").contains("kind")) {
        bool has_all = b.contains("required");
        for (const auto& key : b.value("required", json::array()))
          has_all = has_all && doc.contains(key.get<std::string>());
        if (has_all) return b;
        continue;
      }
      if (b.at("properties").at("kind").at("const") == doc.at("kind")) return b;
    }
    ADD_FAILURE() << "no schema branch for kind " << doc.at("kind") << " at " << pointer;
    return branches.at(0);
  }

  json root_;
  int objects_ = 0;
};

// A document exercising every variant the loader knows (hil, every process and arrival kind,
// every policy role).
json everything() {
  json doc = minimal();
  doc["description"] = "all variants";
  doc["seed"] = 5;
  doc["platform"]["groups"].push_back(json::parse(R"({"name": "lab", "board": "orin_nx", "backend": "hil",
      "hil_endpoint": "127.0.0.1:7000", "power_mode": 1, "models": ["resnet18"],
      "policies": {"exit+clocks": {"name": "ondemand", "params": {"up_threshold": 0.8}}, "placement": {"name": "p"}},
      "decision": {"cost": "fixed", "cost_s": 0.002, "mode": "concurrent"},
      "access": {"bandwidth_bps": 1e7, "latency_s": 0.001,
                 "process": {"kind": "markov", "bad_bandwidth_bps": 1e6, "mean_good_s": 5, "mean_bad_s": 1}}})"));
  doc["platform"]["groups"][0]["policies"] = {{"batching", {{"name", "b"}}}};
  doc["platform"]["wan"] = {{"process", {{"kind", "constant"}}}};
  doc["platform"]["clouds"] = json::parse(R"([{"name": "gpu", "board": "a100", "count": 2}])");
  doc["workloads"]["requests"] = json::parse(R"([
      {"name": "p", "group": "lab", "arrival": {"kind": "poisson", "rate_hz": 3}, "mix": [{"model": "resnet18"}]},
      {"name": "m", "group": "cams", "start_s": 1, "duration_s": 2,
       "arrival": {"kind": "mmpp", "rate_hz": 1, "burst_rate_hz": 9, "mean_calm_s": 3, "mean_burst_s": 1},
       "mix": [{"model": "mobilenet_v2", "weight": 2, "slo_s": 0.1}]}])");
  doc["outputs"] = {{"requests_csv", false}};
  doc["runtime"] = {{"precision", "fp16"}};
  return doc;
}

TEST(ScenarioErrors, BatchingDoesNotCombineWithPerFrameExitOrPlacement) {
  json doc = minimal();
  doc["platform"]["groups"][0]["policies"] =
      json::parse(R"({"batching": {"name": "fixed_batching"}, "placement": {"name": "edge_only"}})");
  const auto errors = errors_of(doc);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].where(), "/platform/groups/0/policies/placement");
  EXPECT_NE(std::string(errors[0].what()).find("allowed with batching: clocks only"), std::string::npos);
}

TEST(ScenarioPolicies, OnePolicyMayPlaySeveralRolesJoinedByPlus) {
  json doc = minimal();
  doc["platform"]["groups"][0]["policies"] =
      json::parse(R"({"exit+clocks": {"name": "e4"}, "placement": {"name": "edge_only"}})");
  const auto spec = parse(doc);
  ASSERT_EQ(spec.groups[0].policies.size(), 2u);
  EXPECT_EQ(spec.groups[0].policies.at("exit+clocks").name, "e4");
  EXPECT_EQ(spec.resolved["platform"]["groups"][0]["policies"]["exit+clocks"]["name"], "e4");
}

TEST(ScenarioErrors, ARoleNamedByTwoPoliciesIsAConflictNamingBoth) {
  json doc = minimal();
  doc["platform"]["groups"][0]["policies"] =
      json::parse(R"({"clocks": {"name": "ondemand"}, "exit+clocks": {"name": "e4"}})");
  expect_single(errors_of(doc), "/platform/groups/0/policies/exit+clocks",
                {"role clocks is already played by the policy at \"clocks\"", "a role has one policy"});
  doc["platform"]["groups"][0]["policies"] = json::parse(R"({"exit+speed": {"name": "e4"}})");
  expect_single(errors_of(doc), "/platform/groups/0/policies/exit+speed",
                {"unknown field \"exit+speed\"", "clocks, placement, exit, batching", "joined by '+'"});
  doc["platform"]["groups"][0]["policies"] = json::parse(R"({"exit+exit": {"name": "e4"}})");
  expect_single(errors_of(doc), "/platform/groups/0/policies/exit+exit", {"each role once"});
  doc["platform"]["groups"][0]["policies"] = json::parse(R"({"batching+exit": {"name": "b"}})");
  expect_single(errors_of(doc), "/platform/groups/0/policies/batching+exit", {"beside a batching policy"});
}

TEST(ScenarioErrors, DecisionCostFieldsNameWhatIsAllowed) {
  json doc = minimal();
  doc["platform"]["groups"][0]["decision"] = json::parse(R"({"cost": "none", "cost_s": 0.002})");
  expect_single(errors_of(doc), "/platform/groups/0/decision/cost_s", {"allowed only with cost \"fixed\""});
  doc["platform"]["groups"][0]["decision"] =
      json::parse(R"({"cost": "fixed", "cost_s": 0.002, "mode": "later"})");
  expect_single(errors_of(doc), "/platform/groups/0/decision/mode", {"found \"later\"", "wait, concurrent"});
  doc["platform"]["groups"][0]["decision"] = json::parse(R"({"cost": "fixed"})");
  expect_single(errors_of(doc), "/platform/groups/0/decision/cost_s", {});
  doc["platform"]["groups"][0]["decision"] =
      json::parse(R"({"cost": "measured", "board_seconds_per_host_second": 4})");
  const auto spec = parse(doc);
  EXPECT_EQ(spec.groups[0].decision.cost, "measured");
  EXPECT_EQ(spec.groups[0].decision.board_seconds_per_host_second, 4);
  EXPECT_EQ(spec.groups[0].decision.mode, "wait");
}

TEST(ScenarioErrors, ChannelSplitFieldsNameWhatIsAllowed) {
  json doc = minimal();
  doc["platform"]["groups"][0]["channel_split"] = json::parse(R"({"codec_bits": 0})");
  expect_single(errors_of(doc), "/platform/groups/0/channel_split/codec_bits", {"found 0"});
  doc["platform"]["groups"][0]["channel_split"] = json::parse(R"({"ranking": "best"})");
  expect_single(errors_of(doc), "/platform/groups/0/channel_split/ranking",
                {"found \"best\"", "attention, random"});
  doc["platform"]["groups"][0]["channel_split"] = json::parse(R"({"bits": 8})");
  expect_single(errors_of(doc), "/platform/groups/0/channel_split/bits", {"unknown field"});
  doc["platform"]["groups"][0]["channel_split"] = json::parse(R"({"codec_bits": 4, "ranking": "random"})");
  const auto spec = parse(doc);
  EXPECT_TRUE(spec.groups[0].channel_split.enabled);
  EXPECT_EQ(spec.groups[0].channel_split.codec_bits, 4);
  EXPECT_EQ(spec.groups[0].channel_split.ranking, "random");
  EXPECT_DOUBLE_EQ(spec.groups[0].channel_split.entropy_ratio, 1.0);
  EXPECT_EQ(spec.resolved["platform"]["groups"][0]["channel_split"]["ranking"], "random");
  EXPECT_FALSE(parse(minimal()).groups[0].channel_split.enabled);  // absent: off, as before
}

TEST(ScenarioSchema, CoversEveryKeyTheLoaderAccepts) {
  const json schema = edgetwin::common::read_json_file(kScenarioDir + "/schema/scenario.schema.json");
  EXPECT_EQ(schema.at("$schema"), "https://json-schema.org/draft/2020-12/schema");
  SchemaWalker walker(schema);
  walker.walk(parse(everything()).resolved, schema, "");
  for (const auto& file : shipped_scenarios()) {
    const auto spec = edgetwin::sim::load_scenario(file, catalog());
    walker.walk(spec.resolved, schema, "");
    walker.walk(edgetwin::common::read_json_file(file), schema, "");  // the file as written, too
  }
  EXPECT_GT(walker.objects(), 50);
}

}  // namespace

namespace {

// Exit records (docs/exit_records.md) and the accuracy dataset of video streams.
TEST(ScenarioExitRecords, DatasetDefaultsToTheModelsTableAndIsChecked) {
  const auto spec = parse(minimal());
  EXPECT_EQ(spec.videos[0].dataset, "imagenet1k_val");
  EXPECT_EQ(spec.videos[0].exit_records.kind, "");
  EXPECT_EQ(spec.resolved["workloads"]["videos"][0]["dataset"], "imagenet1k_val");
  EXPECT_FALSE(spec.resolved["workloads"]["videos"][0].contains("exit_records"));
  json doc = minimal();
  doc["workloads"]["videos"][0]["dataset"] = "coco_val2017";
  expect_single(errors_of(doc), "/workloads/videos/0/dataset",
                {"found \"coco_val2017\", allowed: imagenet1k_val, activitynet_v13, minikinetics (the "
                 "accuracy tables of "
                 "model mobilenet_v2)"});
}

TEST(ScenarioExitRecords, GeneratorParametersAreReadCheckedAndResolved) {
  json doc = minimal();
  doc["workloads"]["videos"][0]["exit_records"] =
      json::parse(R"({"generator": {"complexity_sensitivity": 0.3}})");
  const auto spec = parse(doc);
  const auto& e = spec.videos[0].exit_records;
  EXPECT_EQ(e.kind, "generator");
  EXPECT_EQ(e.complexity_sensitivity, 0.3);
  EXPECT_EQ(e.confidence_separation, 1.5);
  EXPECT_EQ(spec.resolved["workloads"]["videos"][0]["exit_records"]["generator"]["confidence_noise"], 0.5);
  const auto again = edgetwin::sim::parse_scenario(spec.resolved, "/elsewhere/r.json", catalog());
  EXPECT_EQ(again.videos[0].exit_records.complexity_sensitivity, 0.3);

  doc["workloads"]["videos"][0]["exit_records"] =
      json::parse(R"({"generator": {"complexity_sensitivity": 0.7}})");
  expect_single(errors_of(doc), "/workloads/videos/0/exit_records/generator/complexity_sensitivity",
                {"allowed"});
  doc["workloads"]["videos"][0]["exit_records"] = json::parse(R"({"file": "x.csv", "generator": {}})");
  expect_single(errors_of(doc), "/workloads/videos/0/exit_records",
                {"found both file and generator, allowed: exactly one of"});
  doc["workloads"]["videos"][0]["exit_records"] = json::parse(R"({"files": "x.csv"})");
  const auto errors = errors_of(doc);
  EXPECT_NE(find(errors, "/workloads/videos/0/exit_records/files"), nullptr) << dump(errors);
}

TEST(ScenarioExitRecords, AFileIsReadRelativeToTheScenario) {
  const fs::path dir = fs::path(::testing::TempDir()) / "edgetwin_exit_records_scenario";
  fs::create_directories(dir);
  const auto& model = catalog().model("mobilenet_v2");
  const edgetwin::traces::ExitRecordGenerator g(model, *catalog().accuracy("mobilenet_v2"), {});
  edgetwin::traces::ExitRecordsFile records;
  records.provenance = {"synthetic", "mobilenet_v2", "imagenet1k_val", g.describe(), ""};
  for (std::uint64_t n = 0; n < 3; ++n) records.records.push_back(g.generate(0.5, n));
  edgetwin::traces::write_exit_records_file(records, (dir / "records.csv").string(), model);

  json doc = minimal();
  doc["workloads"]["videos"][0]["exit_records"] = json::parse(R"({"file": "records.csv"})");
  const auto spec = edgetwin::sim::parse_scenario(doc, (dir / "s.json").string(), catalog());
  const auto& e = spec.videos[0].exit_records;
  EXPECT_EQ(e.kind, "file");
  EXPECT_EQ(e.file, (dir / "records.csv").lexically_normal().string());
  ASSERT_NE(e.records, nullptr);
  EXPECT_EQ(e.records->records.size(), 3u);
  EXPECT_EQ(spec.resolved["workloads"]["videos"][0]["exit_records"]["file"], e.file);

  // A missing file, and records of another dataset than the stream's.
  doc["workloads"]["videos"][0]["exit_records"] = json::parse(R"({"file": "nope.csv"})");
  const auto missing = errors_of(doc, {}, (dir / "s.json").string());
  ASSERT_EQ(missing.size(), 1u) << dump(missing);
  EXPECT_EQ(missing[0].where(), "/workloads/videos/0/exit_records/file");
  EXPECT_NE(missing[0].reason().find("allowed: an existing exit-records file, relative to the scenario file"),
            std::string::npos);
  records.provenance.dataset_key = "cifar10";
  edgetwin::traces::write_exit_records_file(records, (dir / "other.csv").string(), model);
  doc["workloads"]["videos"][0]["exit_records"] = json::parse(R"({"file": "other.csv"})");
  const auto other = errors_of(doc, {}, (dir / "s.json").string());
  ASSERT_EQ(other.size(), 1u) << dump(other);
  EXPECT_NE(
      other[0].reason().find("the records are of dataset \"cifar10\", the stream's is \"imagenet1k_val\""),
      std::string::npos)
      << dump(other);
  fs::remove_all(dir);
}

}  // namespace

// A serving group's "serving" object (docs/scenarios.md): read, resolved, and refused elsewhere.
TEST(Scenario, ServingFieldsAreReadAndResolved) {
  json doc = minimal();
  auto& g = doc["platform"]["groups"][0];
  g["policies"] = {{"batching", {{"name", "fixed_batching"}}}};
  g["serving"] = {{"queue_limit", 8},
                  {"timeout_s", 0.5},
                  {"memory_fraction", 0.5},
                  {"interference", "corunner"},
                  {"utility", {{"slo_penalty", 2}}}};
  const auto spec = parse(doc);
  const auto& s = spec.groups[0].serving;
  EXPECT_TRUE(s.given);
  EXPECT_EQ(s.queue_limit, 8);
  EXPECT_DOUBLE_EQ(s.timeout_s, 0.5);
  EXPECT_DOUBLE_EQ(s.memory_fraction, 0.5);
  EXPECT_EQ(s.interference, "corunner");
  EXPECT_DOUBLE_EQ(s.interference_alpha, 0.1);
  EXPECT_DOUBLE_EQ(s.utility.slo_penalty, 2.0);
  EXPECT_DOUBLE_EQ(s.utility.throughput_scale_hz, 100.0);
  EXPECT_EQ(spec.resolved["platform"]["groups"][0]["serving"]["timeout_s"], 0.5);
  EXPECT_EQ(parse(spec.resolved).groups[0].serving.queue_limit, 8);
}

TEST(ScenarioErrors, ServingOutsideAServingGroupAndBadServingFields) {
  json doc = minimal();
  doc["platform"]["groups"][0]["serving"] = {
      {"queue_limit", -1}, {"interference", "magic"}, {"slowdown_file", "x"}};
  const auto errors = errors_of(doc);
  EXPECT_NE(find(errors, "/platform/groups/0/serving"), nullptr);  // no batching policy
  EXPECT_NE(find(errors, "/platform/groups/0/serving/queue_limit"), nullptr);
  const auto* interference = find(errors, "/platform/groups/0/serving/interference");
  ASSERT_NE(interference, nullptr);
  EXPECT_NE(std::string(interference->what()).find("corunner"), std::string::npos) << interference->what();
}

// Sweep expansion (engine-free): order, groups, zip, seeds, run ids, and errors that name the
// sweep value responsible.

#include "edgetwin/sweep/sweep_spec.hpp"

#include <gtest/gtest.h>

#include "edgetwin/common/hash.hpp"
#include "edgetwin/common/json_pointer.hpp"
#include "edgetwin/sweep/mpi_plan.hpp"
#include "edgetwin/sweep/run_id.hpp"

namespace {

using edgetwin::common::DataError;
using edgetwin::sweep::SweepError;
using edgetwin::sweep::SweepRun;
using nlohmann::json;

json base() {
  return json::parse(R"({
    "name": "t", "seed": 9,
    "platform": {"groups": [{"name": "cams", "board": "xavier_nx", "models": ["mobilenet_v2"],
                             "policies": {"clocks": {"name": "max_clocks"}},
                             "access": {"bandwidth_bps": 1e7}}]},
    "workloads": {"videos": [{"name": "v", "group": "cams", "model": "mobilenet_v2", "slo_s": 0.1}]}
  })");
}

// Stands in for sim::parse_scenario: accepts everything but the board "bad" and a negative
// bandwidth, and returns the document as its resolved form.
json fake_validate(const json& doc) {
  std::vector<DataError> errors;
  if (doc.at("platform").at("groups").at(0).at("board") == "bad")
    errors.emplace_back("s.json", "/platform/groups/0/board", "found \"bad\", allowed: an edge board");
  if (doc.at("platform").at("groups").at(0).at("access").at("bandwidth_bps").get<double>() < 0)
    errors.emplace_back("s.json", "/platform/groups/0/access/bandwidth_bps", "found a negative number");
  if (!errors.empty()) throw SweepError(errors);
  return doc;
}

std::vector<SweepRun> expand(const json& doc) {
  return edgetwin::sweep::expand_sweep(doc, edgetwin::sweep::read_sweep_spec(doc, "s.json"), fake_validate);
}

std::vector<DataError> errors_of(const json& doc) {
  try {
    expand(doc);
  } catch (const SweepError& e) {
    return e.errors();
  }
  return {};
}

const DataError* find(const std::vector<DataError>& errors, const std::string& where) {
  for (const auto& e : errors) {
    if (e.where() == where) return &e;
  }
  return nullptr;
}

TEST(RunId, Fnv1a64KnownValues) {
  // Published FNV-1a 64 test vectors.
  EXPECT_EQ(edgetwin::common::fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(edgetwin::common::fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(edgetwin::common::fnv1a64("foobar"), 0x85944171f73967e8ULL);
  EXPECT_EQ(edgetwin::common::hex16(0xaf63dc4c8601ec8cULL), "af63dc4c8601ec8c");
  EXPECT_EQ(edgetwin::common::hex16(1), "0000000000000001");
}

TEST(RunId, CanonicalJsonSortsKeysAndIgnoresFormatting) {
  const json a = json::parse(R"({"b": 1, "a": [2e6, "x"]})");
  const json b = json::parse("{\n  \"a\": [2000000.0, \"x\"],\n  \"b\": 1\n}");
  EXPECT_EQ(edgetwin::sweep::canonical_json(a), R"({"a":[2000000.0,"x"],"b":1})");
  EXPECT_EQ(edgetwin::sweep::run_id_of(a), edgetwin::sweep::run_id_of(b));
  EXPECT_EQ(edgetwin::sweep::run_id_of(a),
            edgetwin::common::hex16(edgetwin::common::fnv1a64(R"({"a":[2000000.0,"x"],"b":1})")));
}

TEST(JsonPointer, SetsLikeDashDashSet) {
  json doc = base();
  edgetwin::common::set_at_pointer(doc, "/outputs/timeline_interval_s", 5);
  EXPECT_EQ(doc["outputs"]["timeline_interval_s"], 5);  // missing objects are created
  edgetwin::common::set_at_pointer(doc, "/platform/groups/0/policies/clocks", json{{"name", "ondemand"}});
  EXPECT_EQ(doc["platform"]["groups"][0]["policies"]["clocks"]["name"], "ondemand");
  EXPECT_THROW(edgetwin::common::set_at_pointer(doc, "/platform/groups/3/count", 1), std::out_of_range);
  EXPECT_THROW(edgetwin::common::set_at_pointer(doc, "/name/x", 1), std::out_of_range);
  EXPECT_EQ(edgetwin::common::parse_pointer("/a~1b/c~0d").back(), "c~d");
  EXPECT_EQ(edgetwin::common::escape_token("a/b~c"), "a~1b~0c");
  EXPECT_THROW(edgetwin::common::parse_pointer("a/b"), std::invalid_argument);
  EXPECT_THROW(edgetwin::common::set_at_pointer(doc, "/platform/groups/x/count", 1), std::out_of_range);
  EXPECT_TRUE(edgetwin::common::pointer_within("/a/b", "/a"));
  EXPECT_FALSE(edgetwin::common::pointer_within("/ab", "/a"));
}

TEST(SweepExpand, GridIsCartesianFirstAxisSlowestThenZipThenSeeds) {
  json doc = base();
  doc["sweep"] = json::parse(R"({
    "seeds": [1, 2],
    "grid": [{"axis": "policy", "pointer": "/platform/groups/0/policies/clocks/name", "values": ["max_clocks", "ondemand"]},
             {"axis": "bandwidth_bps", "pointer": "/platform/groups/0/access/bandwidth_bps", "values": [5e6, 2e7, 1e8]}],
    "zip": [{"axis": "model", "pointer": "/workloads/videos/0/model", "values": ["mobilenet_v2", "resnet50"]},
            {"axis": "slo", "pointer": "/workloads/videos/0/slo_s", "values": [0.05, 0.2]},
            {"axis": "label", "values": ["light", "heavy"]}]
  })");
  const auto runs = expand(doc);
  ASSERT_EQ(runs.size(), 2u * 3 * 2 * 2);
  EXPECT_EQ(edgetwin::sweep::run_count(edgetwin::sweep::read_sweep_spec(doc, "s.json")), runs.size());
  // run index = ((policy * 3 + bandwidth) * 2 + zip) * 2 + seed
  const auto& r = runs[((1 * 3 + 2) * 2 + 1) * 2 + 0];
  EXPECT_EQ(r.index, 22u);
  EXPECT_EQ(r.group, "all");
  EXPECT_EQ(r.seed, 1u);
  EXPECT_EQ(r.document["platform"]["groups"][0]["policies"]["clocks"]["name"], "ondemand");
  EXPECT_EQ(r.document["platform"]["groups"][0]["access"]["bandwidth_bps"], 1e8);
  EXPECT_EQ(r.document["workloads"]["videos"][0]["model"], "resnet50");
  EXPECT_EQ(r.document["workloads"]["videos"][0]["slo_s"], 0.2);
  EXPECT_EQ(r.document["seed"], 1);
  EXPECT_FALSE(r.document.contains("sweep"));
  ASSERT_EQ(r.axes.size(), 5u);
  EXPECT_EQ(r.axes[4].axis, "label");
  EXPECT_EQ(r.axes[4].pointer, "");
  EXPECT_EQ(r.axes[4].value, "heavy");
  EXPECT_EQ(r.axes[1].where, "/sweep/grid/1/values/2");
  EXPECT_EQ(r.id, edgetwin::sweep::run_id_of(r.document));
  EXPECT_EQ(r.label(),
            "group all, policy=\"ondemand\", bandwidth_bps=100000000.0, model=\"resnet50\", slo=0.2, "
            "label=\"heavy\", seed 1");
  // Seeds innermost, and every run distinct.
  EXPECT_EQ(runs[0].seed, 1u);
  EXPECT_EQ(runs[1].seed, 2u);
  EXPECT_EQ(runs[1].document["platform"]["groups"][0]["access"]["bandwidth_bps"], 5e6);
  EXPECT_EQ(runs[2].document["workloads"]["videos"][0]["model"], "resnet50");
  // Re-expanding gives the same ids (stable), and they do not depend on the key order written.
  const auto again = expand(json::parse(doc.dump(2)));
  for (std::size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].id, again[i].id);
}

TEST(SweepExpand, DefaultsToTheScenarioSeedAndOneRun) {
  json doc = base();
  doc["sweep"] = json::object();
  const auto runs = expand(doc);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].seed, 9u);
  EXPECT_EQ(runs[0].seed_where, "/seed");
  EXPECT_EQ(edgetwin::sweep::read_sweep_spec(doc, "s.json").name, "t");
}

TEST(SweepExpand, GroupsApplyTheirSetAndMayReplaceTheGrid) {
  json doc = base();
  doc["sweep"] = json::parse(R"({
    "name": "boards",
    "grid": [{"axis": "policy", "pointer": "/platform/groups/0/policies/clocks",
              "values": [{"name": "max_clocks"}, {"name": "ondemand", "params": {"up_threshold": 0.8}}]}],
    "groups": [{"name": "nx", "set": {"/platform/groups/0/board": "xavier_nx"}},
               {"name": "orin", "set": {"/platform/groups/0/board": "orin_nx", "/platform/groups/0/count": 2},
                "grid": [{"axis": "bandwidth_bps", "pointer": "/platform/groups/0/access/bandwidth_bps", "values": [1e6, 2e6, 3e6]}]}]
  })");
  const auto runs = expand(doc);
  ASSERT_EQ(runs.size(), 2u + 3u);
  EXPECT_EQ(runs[1].group, "nx");
  EXPECT_EQ(runs[1].document["platform"]["groups"][0]["policies"]["clocks"]["params"]["up_threshold"], 0.8);
  EXPECT_EQ(runs[4].group, "orin");
  EXPECT_EQ(runs[4].group_where, "/sweep/groups/1");
  EXPECT_EQ(runs[4].document["platform"]["groups"][0]["board"], "orin_nx");
  EXPECT_EQ(runs[4].document["platform"]["groups"][0]["count"], 2);
  EXPECT_EQ(runs[4].document["platform"]["groups"][0]["access"]["bandwidth_bps"], 3e6);
  EXPECT_EQ(runs[4].document["platform"]["groups"][0]["policies"]["clocks"]["name"], "max_clocks");
  ASSERT_EQ(runs[4].axes.size(), 1u);
}

TEST(SweepErrors, StructureErrorsAllAtOnce) {
  json doc = base();
  doc["sweep"] = json::parse(R"({
    "colour": 1,
    "seeds": [1, 1, -2],
    "grid": [{"axis": "a", "pointer": "platform/x", "values": [1]},
             {"axis": "b", "pointer": "/seed", "values": [1, 2]},
             {"axis": "c", "pointer": "/duration_s", "values": []},
             {"axis": "a", "pointer": "/description", "values": ["x"]}],
    "zip": [{"axis": "z1", "pointer": "/workloads/videos/0/fps", "values": [1, 2]},
            {"axis": "z2", "pointer": "/workloads/videos/0/slo_s", "values": [1, 2, 3]}],
    "groups": [{"name": "g"}, {"name": "g"}, {"name": "h", "set": {"/sweep/name": "x"}}]
  })");
  const auto errors = errors_of(doc);
  ASSERT_NE(find(errors, "/sweep/colour"), nullptr);
  EXPECT_NE(std::string(find(errors, "/sweep/colour")->what())
                .find("allowed fields here: name, seeds, grid, zip, groups"),
            std::string::npos);
  EXPECT_NE(find(errors, "/sweep/seeds/1"), nullptr);  // repeated
  EXPECT_NE(find(errors, "/sweep/seeds/2"), nullptr);  // negative
  EXPECT_NE(find(errors, "/sweep/grid/0/pointer"), nullptr);
  ASSERT_NE(find(errors, "/sweep/grid/1/pointer"), nullptr);
  EXPECT_NE(find(errors, "/sweep/grid/1/pointer")->reason().find("/sweep/seeds"), std::string::npos);
  EXPECT_NE(find(errors, "/sweep/grid/2/values"), nullptr);
  EXPECT_NE(find(errors, "/sweep/grid/3/axis"), nullptr);  // axis name again
  ASSERT_NE(find(errors, "/sweep/zip/1/values"), nullptr);
  EXPECT_NE(find(errors, "/sweep/zip/1/values")
                ->reason()
                .find("found 3 values, allowed: as many as /sweep/zip/0/values (2)"),
            std::string::npos);
  EXPECT_NE(find(errors, "/sweep/groups/1/name"), nullptr);
  EXPECT_NE(find(errors, "/sweep/groups/2/set/~1sweep~1name"), nullptr);
  for (const auto& e : errors) EXPECT_EQ(e.file(), "s.json");
}

TEST(SweepErrors, ScenarioErrorsNameTheSweepValue) {
  json doc = base();
  doc["sweep"] = json::parse(R"({
    "seeds": [1, 2],
    "grid": [{"axis": "policy", "pointer": "/platform/groups/0/policies/clocks/name", "values": ["max_clocks", "ondemand"]},
             {"axis": "bandwidth_bps", "pointer": "/platform/groups/0/access/bandwidth_bps", "values": [1e6, -5]}],
    "groups": [{"name": "ok", "set": {"/platform/groups/0/board": "xavier_nx"}},
               {"name": "broken", "set": {"/platform/groups/0/board": "bad"}}]
  })");
  const auto errors = errors_of(doc);
  // One error per culprit, however many runs share it.
  ASSERT_EQ(errors.size(), 2u) << errors[0].what();
  const DataError* bandwidth = find(errors, "/sweep/grid/1/values/1");
  ASSERT_NE(bandwidth, nullptr);
  EXPECT_EQ(
      std::string(bandwidth->what()),
      "s.json: /sweep/grid/1/values/1: in run 2 (group ok, policy=\"max_clocks\", bandwidth_bps=-5, seed 1): "
      "/platform/groups/0/access/bandwidth_bps: found a negative number");
  const DataError* board = find(errors, "/sweep/groups/1/set/~1platform~1groups~10~1board");
  ASSERT_NE(board, nullptr);
  EXPECT_NE(board->reason().find("/platform/groups/0/board: found \"bad\""), std::string::npos);
}

TEST(SweepErrors, PointerThatDoesNotFitTheScenario) {
  json doc = base();
  doc["sweep"] =
      json::parse(R"({"grid": [{"axis": "n", "pointer": "/platform/groups/4/count", "values": [1, 2]}]})");
  const auto errors = errors_of(doc);
  ASSERT_NE(find(errors, "/sweep/grid/0/values/0"), nullptr);
  EXPECT_NE(
      find(errors, "/sweep/grid/0/values/0")->reason().find("/platform/groups is an array of 1 elements"),
      std::string::npos);
}

TEST(SweepErrors, DuplicateRuns) {
  json doc = base();
  doc["sweep"] = json::parse(
      R"({"grid": [{"axis": "bw", "pointer": "/platform/groups/0/access/bandwidth_bps", "values": [2e7, 20000000.0]}]})");
  const auto errors = errors_of(doc);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].where(), "/sweep");
  EXPECT_NE(errors[0].reason().find("duplicate run: run 1 (group all, bw=20000000.0, seed 9) and run 0"),
            std::string::npos);
}

TEST(SweepErrors, NoSweepBlock) {
  const auto doc = base();
  EXPECT_FALSE(edgetwin::sweep::has_sweep(doc));
  EXPECT_THROW(edgetwin::sweep::read_sweep_spec(doc, "s.json"), SweepError);
}

TEST(MpiPlan, RoundTripsWhatTheWorkersNeed) {
  json doc = base();
  doc["sweep"] = json::parse(
      R"({"seeds": [4, 5], "grid": [{"axis": "policy", "pointer": "/platform/groups/0/policies/clocks/name", "values": ["max_clocks", "ondemand"]}]})");
  edgetwin::sweep::MpiPlan plan;
  plan.sweep_id = "00000000000000ff";
  plan.name = "t";
  plan.file = "/x/s.json";
  plan.spec_json = doc["sweep"].dump();
  plan.db_path = "/x/r.sqlite";
  plan.edgetwin_version = "v";
  plan.run_command = {"/bin/edgetwin", "run"};
  plan.run_options = {"--quiet"};
  plan.options.timeout_s = 7.5;
  plan.options.retry_failed = true;
  plan.runs = expand(doc);
  const auto back = edgetwin::sweep::plan_from_json(json::parse(edgetwin::sweep::plan_to_json(plan).dump()));
  EXPECT_EQ(back.db_path, "/x/r.sqlite");
  EXPECT_DOUBLE_EQ(back.options.timeout_s, 7.5);
  EXPECT_TRUE(back.options.retry_failed);
  ASSERT_EQ(back.runs.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(back.runs[i].index, i);
    EXPECT_EQ(back.runs[i].id, plan.runs[i].id);
    EXPECT_EQ(back.runs[i].resolved, plan.runs[i].resolved);
    EXPECT_EQ(back.runs[i].label(), plan.runs[i].label());
  }
  EXPECT_EQ(
      edgetwin::sweep::run_argv(back, "/s/scenario.json", "/s/out"),
      (std::vector<std::string>{"/bin/edgetwin", "run", "/s/scenario.json", "--out", "/s/out", "--quiet"}));
}

}  // namespace

// The policies library: decision vocabulary, registry, and the baselines' decisions checked
// against hand-computed expectations on the real board catalog (docs/policies.md).

#include <cmath>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edgetwin/policies/clock_tables.hpp"
#include "edgetwin/policies/policy.hpp"
#include "edgetwin/traces/catalog.hpp"

namespace pol = edgetwin::policies;
using nlohmann::json;

namespace {

const edgetwin::traces::Catalog& catalog() {
  static const auto c = edgetwin::traces::Catalog::load(EDGETWIN_CATALOG_DIR);
  return c;
}

const pol::PolicyRegistry& registry() {
  static const pol::PolicyRegistry r = [] {
    pol::PolicyRegistry reg;
    pol::register_builtin_policies(reg);
    return reg;
  }();
  return r;
}

pol::PolicyContext context(const std::string& board, int power_mode = -1) {
  pol::PolicyContext ctx;
  ctx.board = &catalog().board(board);
  ctx.power_mode = power_mode;
  return ctx;
}

std::unique_ptr<pol::Policy> make(const std::string& name, const json& params,
                                  const pol::PolicyContext& ctx) {
  return registry().get(name).make(params, ctx);
}

// The exception message of make(), or "" when it did not throw std::invalid_argument.
std::string make_error(const std::string& name, const json& params, const pol::PolicyContext& ctx) {
  try {
    make(name, params, ctx);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

pol::TickObservation tick(pol::Clocks clocks, double period_s, double cpu_util, double gpu_util = 0) {
  pol::TickObservation obs;
  obs.period_s = period_s;
  obs.clocks = clocks;
  obs.cpu_util = cpu_util;
  obs.gpu_util = gpu_util;
  return obs;
}

const pol::Clocks kNanoMax{1479000, 921600000, 1600000000};

}  // namespace

// --- vocabulary ---

TEST(Decision, RoleNamesRoundTrip) {
  for (auto r : {pol::Role::clocks, pol::Role::placement, pol::Role::exit, pol::Role::batching}) {
    EXPECT_EQ(pol::role_from_string(pol::to_string(r)), r);
  }
  try {
    pol::role_from_string("speed");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("clocks, placement, exit, batching"), std::string::npos);
  }
}

TEST(ClockTables, CutAtPowerModeCapsAndRound) {
  const auto t =
      pol::ClockTables::for_mode(catalog().board("nano"), 1);  // 5W: cpu <= 921600, gpu <= 614.4 MHz
  EXPECT_EQ(t.max(), (pol::Clocks{921600, 614400000, 1600000000}));
  EXPECT_EQ(t.min(), (pol::Clocks{102000, 76800000, 204000000}));
  EXPECT_EQ(pol::table_ceil(t.cpu_khz, 460800), 518400);
  EXPECT_EQ(pol::table_ceil(t.cpu_khz, 518400), 518400);
  EXPECT_EQ(pol::table_ceil(t.cpu_khz, 5e6), 921600);
  EXPECT_EQ(pol::table_floor(t.cpu_khz, 460800), 403200);
  EXPECT_THROW(pol::ClockTables::for_mode(catalog().board("nano"), 7), std::out_of_range);
}

// --- clocks per frame ---

TEST(MaxClocks, TableMaximaInTheDefaultMode) {
  auto p = make("max_clocks", json::object(), context("nano"));
  const auto a = p->on_frame(pol::FrameObservation{});
  ASSERT_EQ(a.clocks.size(), 1u);
  EXPECT_EQ(a.clocks[0].first_unit, 0);
  EXPECT_EQ(a.clocks[0].clocks, kNanoMax);
  EXPECT_EQ(p->initial_clocks(), kNanoMax);
  EXPECT_EQ(p->tick_period_s(), 0);
}

TEST(MaxClocks, RespectsThePowerModeCaps) {
  auto p = make("max_clocks", nullptr, context("nano", 1));
  EXPECT_EQ(p->on_frame(pol::FrameObservation{}).clocks.at(0).clocks,
            (pol::Clocks{921600, 614400000, 1600000000}));
  // Xavier NX default mode 2 (15W_6CORE): cpu <= 1420800, gpu <= 1109250000, emc <= 1600000000.
  auto nx = make("max_clocks", nullptr, context("xavier_nx"));
  EXPECT_EQ(nx->initial_clocks(), (pol::Clocks{1420800, 1109250000, 1600000000}));
}

TEST(FixedClocks, TableValuesAndMinMax) {
  auto p = make("fixed_clocks", json{{"cpu_khz", 921600}, {"gpu_hz", "min"}, {"emc_hz", 800000000}},
                context("nano"));
  EXPECT_EQ(p->on_frame(pol::FrameObservation{}).clocks.at(0).clocks,
            (pol::Clocks{921600, 76800000, 800000000}));
  auto d = make("fixed_clocks", json::object(), context("nano"));
  EXPECT_EQ(d->initial_clocks(), kNanoMax);
}

TEST(FixedClocks, RejectsANonTableValueListingTheAllowedOnes) {
  const auto msg = make_error("fixed_clocks", json{{"cpu_khz", 1000000}}, context("nano"));
  EXPECT_NE(msg.find("fixed_clocks"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cpu_khz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("allowed: \"min\", \"max\", 102000, 204000"), std::string::npos) << msg;
  // Above the 5W mode's cap: rejected, and the list stops at the cap.
  const auto capped = make_error("fixed_clocks", json{{"cpu_khz", 1479000}}, context("nano", 1));
  EXPECT_NE(capped.find("921600"), std::string::npos) << capped;
  EXPECT_EQ(capped.find("1036800"), std::string::npos) << capped;
  EXPECT_NE(make_error("fixed_clocks", json{{"gpu_hz", "fast"}}, context("nano")), "");
}

TEST(Params, UnknownKeyNamesPolicyKeyAndAllowedKeys) {
  const auto msg = make_error("ondemand", json{{"up_treshold", 0.9}}, context("nano"));
  EXPECT_NE(msg.find("policy 'ondemand'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'up_treshold'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("allowed: sampling_period_s, up_threshold, gpu_hz, emc_hz"), std::string::npos) << msg;
  EXPECT_NE(make_error("edge_only", json{{"x", 1}}, context("nano")).find("takes no parameters"),
            std::string::npos);
}

TEST(Params, WrongTypeAndRangeAreErrors) {
  EXPECT_NE(make_error("ondemand", json{{"up_threshold", "high"}}, context("nano")).find("up_threshold"),
            std::string::npos);
  EXPECT_NE(make_error("ondemand", json{{"up_threshold", 1.5}}, context("nano")).find("[0.01, 1]"),
            std::string::npos);
  EXPECT_NE(
      make_error("podgov", json{{"lower_watermark", 0.95}}, context("nano")).find("below upper_watermark"),
      std::string::npos);
  EXPECT_NE(make_error("fixed_split", json{{"offload_share", 0}}, context("nano")), "");
  EXPECT_NE(make_error("schedutil", json::array(), context("nano")).find("JSON object"), std::string::npos);
}

TEST(Params, ErrorsCarryTheParameterPathAndFoundAllowed) {
  // The simulator turns ParamError::key() into the scenario's JSON pointer (.../params/KEY).
  try {
    make("fixed_batching", json{{"batch_size", false}}, context("xavier_nx"));
    FAIL() << "a boolean batch size was accepted";
  } catch (const pol::ParamError& e) {
    EXPECT_EQ(e.key(), "batch_size");
    EXPECT_EQ(e.reason(), "expected an integer, found the boolean false");
    EXPECT_EQ(e.who(), "policy 'fixed_batching'");
  }
  try {
    make("governors", json{{"cpu", "ondemand"}, {"cpu_params", {{"up_threshold", 7}}}}, context("nano"));
    FAIL() << "up_threshold 7 was accepted";
  } catch (const pol::ParamError& e) {
    EXPECT_EQ(e.key(), "cpu_params/up_threshold");
    EXPECT_EQ(e.reason(), "found 7, allowed range [0.01, 1]");
  }
  try {
    make("schedutil", json::array(), context("nano"));
    FAIL() << "an array of params was accepted";
  } catch (const pol::ParamError& e) {
    EXPECT_EQ(e.key(), "");
  }
}

// --- governors on ticks ---

TEST(Ondemand, AboveUpThresholdJumpsToMax) {
  auto p = make("ondemand", json::object(), context("nano"));
  EXPECT_DOUBLE_EQ(p->tick_period_s(), 0.01);
  const auto a = p->on_tick(tick({102000, 921600000, 1600000000}, 0.01, 0.9));
  EXPECT_TRUE(a.change);
  EXPECT_EQ(a.clocks, kNanoMax);
}

TEST(Ondemand, BelowThresholdProportionalRoundedUp) {
  auto p = make("ondemand", json::object(), context("nano"));
  // 0.5 x 1479000 = 739500 -> smallest table value >= it: 825600.
  EXPECT_EQ(p->on_tick(tick(kNanoMax, 0.01, 0.5)).clocks.cpu_khz, 825600);
  // GPU and EMC stay pinned at max.
  EXPECT_EQ(p->on_tick(tick(kNanoMax, 0.01, 0.5)).clocks.gpu_hz, 921600000);
  // In the 5W mode f_max = 921600: 0.5 x 921600 = 460800 -> 518400.
  auto capped = make("ondemand", json{{"gpu_hz", "min"}}, context("nano", 1));
  const auto a = capped->on_tick(tick({921600, 614400000, 1600000000}, 0.01, 0.5));
  EXPECT_EQ(a.clocks, (pol::Clocks{518400, 76800000, 1600000000}));
}

TEST(Ondemand, DecidesOncePerSamplingPeriod) {
  auto p = make("ondemand", json{{"sampling_period_s", 0.1}}, context("nano"));
  EXPECT_DOUBLE_EQ(p->tick_period_s(), 0.1);
  // Two 0.05 s ticks: loads 1.0 and 0.0 average to 0.5 -> 825600 at the second.
  EXPECT_FALSE(p->on_tick(tick(kNanoMax, 0.05, 1.0)).change);
  EXPECT_EQ(p->on_tick(tick(kNanoMax, 0.05, 0.0)).clocks.cpu_khz, 825600);
}

TEST(Schedutil, HeadroomOf125OnInvariantUtil) {
  auto p = make("schedutil", json{{"pelt_half_life_s", 0}}, context("nano"));
  // At f_max, busy 0.5: 1.25 x 1479000 x 0.5 = 924375 -> 1036800.
  EXPECT_EQ(p->on_tick(tick(kNanoMax, 0.01, 0.5)).clocks.cpu_khz, 1036800);
  // At 921600, busy 0.5: util = 0.5 x 921600/1479000, f = 1.25 x 0.5 x 921600 = 576000 -> 614400.
  EXPECT_EQ(p->on_tick(tick({921600, 921600000, 1600000000}, 0.01, 0.5)).clocks.cpu_khz, 614400);
  // Fully busy at f_max stays at f_max (1.25 x f_max is capped).
  const auto a = p->on_tick(tick(kNanoMax, 0.01, 1.0));
  EXPECT_FALSE(a.change);
}

TEST(Schedutil, PeltAveragesUtilisation) {
  auto p = make("schedutil", json::object(), context("nano"));
  // From an idle average, one 10 ms fully busy period at f_max: util = 1 - 0.5^(10/32).
  const double util = 1 - std::pow(0.5, 0.01 / 0.032);
  EXPECT_EQ(p->on_tick(tick(kNanoMax, 0.01, 1.0)).clocks.cpu_khz,
            pol::table_ceil(catalog().board("nano").cpu_freqs_khz, 1.25 * 1479000 * util));
  EXPECT_EQ(p->on_tick(tick(kNanoMax, 0.01, 1.0)).clocks.cpu_khz, 710400);  // avg 0.351 -> 649k -> 710400
}

TEST(Podgov, WatermarksWithHysteresisOverTicks) {
  auto p = make("podgov", json::object(), context("nano"));
  EXPECT_DOUBLE_EQ(p->tick_period_s(), 0.05);
  pol::Clocks c{1479000, 460800000, 1600000000};
  auto step = [&](double load) {
    const auto a = p->on_tick(tick(c, 0.05, 0.0, load));
    if (a.change) c = a.clocks;
    return c.gpu_hz;
  };
  // Above 0.9: aim for load 0.7: 460.8 x 0.95 / 0.7 = 625.4 MHz -> 691.2 MHz.
  EXPECT_EQ(step(0.95), 691200000);
  EXPECT_EQ(step(0.6), 691200000);  // between the watermarks: hold
  // Below 0.5 for 0.2 s (4 ticks) before one step down.
  EXPECT_EQ(step(0.3), 691200000);
  EXPECT_EQ(step(0.3), 691200000);
  EXPECT_EQ(step(0.3), 691200000);
  EXPECT_EQ(step(0.3), 614400000);
  EXPECT_EQ(step(0.3), 614400000);
  EXPECT_EQ(step(0.6), 614400000);  // back between the watermarks: the delay restarts
  EXPECT_EQ(step(0.3), 614400000);
  EXPECT_EQ(step(0.3), 614400000);
  EXPECT_EQ(step(0.3), 614400000);
  EXPECT_EQ(step(0.3), 537600000);
  // 537.6 x 0.95 / 0.7 = 729.6 MHz -> 768 MHz; just above the watermark: at least one step up.
  EXPECT_EQ(step(0.95), 768000000);
  EXPECT_EQ(step(0.91), 921600000);  // 768 x 0.91 / 0.7 = 998.4 -> capped at the top
  EXPECT_EQ(c.cpu_khz, 1479000);     // the CPU stays pinned
}

TEST(Governors, CombinesPerDomainGovernorsAtTheirOwnPeriods) {
  auto p = make("governors", json::object(), context("nano"));  // schedutil + podgov + emc max
  EXPECT_DOUBLE_EQ(p->tick_period_s(), 0.01);
  EXPECT_EQ(p->initial_clocks(), kNanoMax);
  pol::Clocks c{1479000, 460800000, 1600000000};
  for (int i = 0; i < 4; ++i) {
    const auto a = p->on_tick(tick(c, 0.01, 1.0, 0.95));
    EXPECT_EQ(a.clocks.gpu_hz, 460800000) << "tick " << i;  // podgov decides every 0.05 s
  }
  EXPECT_EQ(p->on_tick(tick(c, 0.01, 1.0, 0.95)).clocks.gpu_hz, 691200000);
}

TEST(Governors, ParamsPerDomainAndErrors) {
  auto p = make(
      "governors",
      json{{"cpu", "ondemand"}, {"cpu_params", {{"up_threshold", 0.95}}}, {"gpu", 614400000}, {"emc", "min"}},
      context("nano"));
  const auto a = p->on_tick(tick(kNanoMax, 0.01, 0.9));  // 0.9 < 0.95: proportional -> 1331100 -> 1428000
  EXPECT_EQ(a.clocks, (pol::Clocks{1428000, 614400000, 204000000}));
  EXPECT_NE(make_error("governors", json{{"cpu", "interactive"}}, context("nano"))
                .find("ondemand, schedutil, podgov"),
            std::string::npos);
  EXPECT_NE(make_error("governors", json{{"gpu_params", {{"up_threshold", 0.9}}}}, context("nano"))
                .find("param 'gpu_params/up_threshold'"),
            std::string::npos);
  EXPECT_NE(make_error("governors", json{{"emc_params", {{"x", 1}}}}, context("nano")).find("pinned"),
            std::string::npos);
}

// --- placement ---

TEST(Placement, EdgeOnlyAndCloudOnly) {
  EXPECT_EQ(make("edge_only", nullptr, context("nano"))->on_frame({}).edge_units, pol::kAllUnits);
  const auto cloud = make("cloud_only", nullptr, context("nano"))->on_frame({});
  EXPECT_EQ(cloud.edge_units, 0);
  EXPECT_DOUBLE_EQ(cloud.offload_share, 1.0);
  EXPECT_TRUE(cloud.clocks.empty());
}

TEST(Placement, FixedSplitByNameAndByIndex) {
  const auto& resnet =
      catalog().model("resnet50");  // units: 0 stem, 1-3 layer1.*, 4 layer2.0, 5 layer2.1, ...
  pol::FrameObservation obs;
  obs.model = &resnet;
  auto ctx = context("nano");
  ctx.models = {&resnet};
  EXPECT_EQ(make("fixed_split", json{{"split_after", "layer2.1"}}, ctx)->on_frame(obs).edge_units, 6);
  const auto a = make("fixed_split", json{{"split_after", 5}, {"offload_share", 0.25}}, ctx)->on_frame(obs);
  EXPECT_EQ(a.edge_units, 6);
  EXPECT_DOUBLE_EQ(a.offload_share, 0.25);
  const int last = static_cast<int>(resnet.units.size()) - 1;
  EXPECT_EQ(make("fixed_split", json{{"split_after", last}}, ctx)->on_frame(obs).edge_units, pol::kAllUnits);
  // Checked against the deployed models at construction.
  EXPECT_NE(
      make_error("fixed_split", json{{"split_after", "layer9.9"}}, ctx).find("found \"layer9.9\", but model"),
      std::string::npos);
  EXPECT_NE(make_error("fixed_split", json{{"split_after", last + 1}}, ctx).find("allowed for model"),
            std::string::npos);
  EXPECT_NE(make_error("fixed_split", json{{"split_after", -1}}, ctx), "");
}

// --- registry ---

TEST(Registry, DuplicateNamesRejected) {
  pol::PolicyRegistry reg;
  pol::register_builtin_policies(reg);
  const auto copy = reg.get("max_clocks");
  try {
    reg.add(copy);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("duplicate policy name 'max_clocks'"), std::string::npos);
  }
}

TEST(Registry, UnknownNameListsKnownOnes) {
  try {
    registry().get("performance");
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'performance'"), std::string::npos);
    EXPECT_NE(
        msg.find("max_clocks, fixed_clocks, ondemand, schedutil, podgov, governors, ztt, edge_only, "
                 "cloud_only, fixed_split, neurosurgeon, confidence_exit, budgeted_exit, e4, fixed_batching"),
        std::string::npos)
        << msg;
  }
}

TEST(Registry, CreateChecksTheRole) {
  EXPECT_NE(registry().create(pol::Role::clocks, "schedutil", nullptr, context("nano")), nullptr);
  try {
    registry().create(pol::Role::clocks, "edge_only", nullptr, context("nano"));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cannot play the clocks role"), std::string::npos);
  }
}

TEST(Registry, APolicyForSeveralRolesMustPlayEachOfThem) {
  EXPECT_EQ(pol::roles_from_key("exit+clocks"), (std::vector<pol::Role>{pol::Role::exit, pol::Role::clocks}));
  EXPECT_THROW(pol::roles_from_key("exit+exit"), std::invalid_argument);
  EXPECT_THROW(pol::roles_from_key("exit+"), std::invalid_argument);
  try {
    registry().create({pol::Role::placement, pol::Role::clocks}, "edge_only", nullptr, context("nano"));
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'edge_only' cannot play the clocks role"), std::string::npos) << msg;
    EXPECT_NE(msg.find("policies that can play placement+clocks: dvfo"), std::string::npos) << msg;
  }
}

TEST(Registry, EveryBuiltinDocumentsItsParams) {
  for (const auto& info : registry().all()) {
    EXPECT_FALSE(info.summary.empty()) << info.name;
    EXPECT_FALSE(info.roles.empty()) << info.name;
    for (const auto& p : info.params) {
      EXPECT_FALSE(p.doc.empty()) << info.name << "." << p.name;
      EXPECT_NO_THROW(json::parse(p.default_json)) << info.name << "." << p.name;
    }
  }
}

// An agent that always picks the last action (learned policies need one to be built).
class LastActionAgent : public pol::Agent {
 public:
  explicit LastActionAgent(int actions) : actions_(actions) {}
  int act(const std::vector<float>&) override { return actions_ - 1; }
  void observe(const std::vector<float>&, int, double, const std::vector<float>&, bool, double) override {}

 private:
  int actions_;
};

// Every built-in, default params, every board and power mode of the catalog: constructs, and its
// decisions stay within the mode's tables.
TEST(Registry, EveryBuiltinBuildsWithDefaultsOnEveryBoard) {
  for (const auto& [id, board] : catalog().boards()) {
    for (const auto& mode : board.power_modes) {
      auto ctx = context(id, mode.id);
      ctx.agents = [](const pol::AgentRequest& r) {
        return std::make_shared<LastActionAgent>(static_cast<int>(r.action_names.size()));
      };
      const auto tables = pol::ClockTables::for_mode(board, mode.id);
      auto in_tables = [&](const pol::Clocks& c) {
        return pol::table_index(tables.cpu_khz, c.cpu_khz) >= 0 &&
               pol::table_index(tables.gpu_hz, c.gpu_hz) >= 0 &&
               pol::table_index(tables.emc_hz, c.emc_hz) >= 0;
      };
      for (const auto& info : registry().all()) {
        std::unique_ptr<pol::Policy> p;
        ASSERT_NO_THROW(p = info.make(json::object(), ctx))
            << info.name << " on " << id << " mode " << mode.id;
        if (auto c = p->initial_clocks()) {
          EXPECT_TRUE(in_tables(*c)) << info.name << " on " << id;
        }
        for (const auto& seg : p->on_frame(pol::FrameObservation{}).clocks) {
          EXPECT_TRUE(in_tables(seg.clocks));
        }
        if (p->tick_period_s() > 0) {
          pol::Clocks c = tables.max();
          for (double load : {0.0, 0.3, 1.0, 0.6, 0.05}) {
            const auto a = p->on_tick(tick(c, p->tick_period_s(), load, load));
            if (a.change) c = a.clocks;
            EXPECT_TRUE(in_tables(c)) << info.name << " on " << id << " mode " << mode.id;
          }
        }
      }
    }
  }
}

// Clipper's AIMD (issue 16 baselines): + step while the slot's mean latency is under target x SLO,
// x backoff (floored, at least 1) when it exceeds the SLO; the slot and delay follow the SLO.
TEST(ClipperAimd, IncreasesAdditivelyAndBacksOffMultiplicatively) {
  auto p = make("clipper_aimd", json{{"step", 2}, {"backoff", 0.5}, {"instances", 3}}, context("xavier_nx"));
  EXPECT_DOUBLE_EQ(p->batch_slot_s(), 0.2);  // 2 x slo_s 0.1
  const auto& model = catalog().model("mobilenet_v2");
  pol::BatchObservation obs;
  obs.model = &model;
  auto a = p->on_batch(obs);  // the first call: batch 1
  EXPECT_EQ(a.batch_size, 1);
  EXPECT_EQ(a.instances, 3);
  obs.slot_s = 0.2;
  obs.completed = 10;
  obs.slo_s = 0.05;           // the model's own SLO from now on
  obs.mean_latency_s = 0.02;  // < 0.9 x 0.05
  EXPECT_EQ(p->on_batch(obs).batch_size, 3);
  EXPECT_EQ(p->on_batch(obs).batch_size, 5);
  obs.mean_latency_s = 0.06;  // > 0.05: 5 x 0.5 = 2.5 -> 2
  a = p->on_batch(obs);
  EXPECT_EQ(a.batch_size, 2);
  EXPECT_DOUBLE_EQ(a.max_wait_s, 0.25 * 0.05);
  obs.mean_latency_s = 0.046;  // between target and SLO: unchanged
  EXPECT_EQ(p->on_batch(obs).batch_size, 2);
}

// Triton-like dynamic batching: the largest preferred size already waiting, else the smallest.
TEST(TritonDynamic, WaitsForTheLargestPreferredSizeTheQueueHolds) {
  auto p = make("triton_dynamic", json{{"preferred_batch_sizes", {2, 8}}, {"max_queue_delay_s", 0.004}},
                context("xavier_nx"));
  EXPECT_DOUBLE_EQ(p->batch_slot_s(), 0.01);
  pol::BatchObservation obs;
  for (const auto& [queued, expected] : std::vector<std::pair<int, int>>{{0, 2}, {3, 2}, {8, 8}, {20, 8}}) {
    obs.queued = queued;
    const auto a = p->on_batch(obs);
    EXPECT_EQ(a.batch_size, expected) << queued << " waiting";
    EXPECT_DOUBLE_EQ(a.max_wait_s, 0.004);
    EXPECT_EQ(a.instances, 2);
  }
  EXPECT_NE(make_error("triton_dynamic", json{{"preferred_batch_sizes", {8, 2}}}, context("xavier_nx")), "");
}

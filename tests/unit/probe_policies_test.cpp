// The policies built on probes and exit heads, engine-free: confidence_exit's checkpoints and
// stops, and neurosurgeon's split from a fake prober, against hand-computed expectations
// (docs/policies.md, "Exit policies" and "neurosurgeon").

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/traces/catalog.hpp"

#include "trace_test_support.hpp"

namespace pol = edgetwin::policies;
namespace traces = edgetwin::traces;
using nlohmann::json;

namespace {

const traces::Catalog& catalog() {
  static const auto c = traces::Catalog::load(EDGETWIN_CATALOG_DIR);
  return c;
}

std::unique_ptr<pol::Policy> make(const std::string& name, const json& params,
                                  const pol::PolicyContext& ctx) {
  pol::PolicyRegistry reg;
  pol::register_builtin_policies(reg);
  return reg.get(name).make(params, ctx);
}

// The ParamError make() throws; fails the test when it throws none.
pol::ParamError param_error(const std::string& name, const json& params, const pol::PolicyContext& ctx) {
  try {
    make(name, params, ctx);
  } catch (const pol::ParamError& e) {
    return e;
  }
  ADD_FAILURE() << name << " " << params.dump() << ": no ParamError";
  return pol::ParamError("", "", "");
}

pol::UnitObservation head(double confidence) {
  pol::UnitObservation obs;
  obs.head.ran = true;
  obs.head.confidence = confidence;
  return obs;
}

// Four units; device time of each unit 10, 20, 40, 30 ms at 5 W. Upload sizes at 4 bytes per
// element: input 602112 B, after unit 0 802816 B, after unit 1 100352 B, after unit 2 8192 B.
traces::Model four_units() {
  traces::Model m;
  m.id = "four_units";
  const std::int64_t boundary[] = {200704, 25088, 2048, 1000};
  for (int i = 0; i < 4; ++i) {
    traces::Unit u;
    u.index = i;
    u.name = "u" + std::to_string(i);
    u.input_elements = i == 0 ? 150528 : boundary[i - 1];
    u.boundary_elements = boundary[i];
    u.output_elements = boundary[i];
    m.units.push_back(u);
  }
  return m;
}

// Answers with the sum of per-unit times (no noise) at a constant power; records every request.
class FakeProber final : public pol::Prober {
 public:
  std::vector<double> unit_s = {0.010, 0.020, 0.040, 0.030};
  double power_w = 5;
  std::vector<pol::ProbeRequest> calls;

  pol::ProbeResult measure(const pol::ProbeRequest& r) override {
    calls.push_back(r);
    pol::ProbeResult out;
    for (int i = r.first_unit; i < r.end_unit; ++i) out.latency_s += unit_s.at(static_cast<std::size_t>(i));
    out.power_w = power_w;
    out.energy_j = out.latency_s * power_w;
    return out;
  }
};

const pol::Clocks kNxClocks{1420800, 1109250000, 1600000000};

pol::FrameObservation frame(const traces::Model& model, FakeProber& prober, double bandwidth_bps) {
  pol::FrameObservation obs;
  obs.model = &model;
  obs.clocks = kNxClocks;
  obs.uplink_bandwidth_bps = bandwidth_bps;
  obs.uplink_latency_s = 0.002;
  obs.probe = &prober;
  return obs;
}

}  // namespace

// --- confidence_exit ---

TEST(ConfidenceExit, OneHeadCheckpointPerExitAscending) {
  const auto& resnet = catalog().model("resnet50");  // exits after units 0..15
  pol::PolicyContext ctx;
  ctx.models = {&resnet};
  pol::FrameObservation obs;
  obs.model = &resnet;
  const auto a = make("confidence_exit", nullptr, ctx)->on_frame(obs);
  ASSERT_EQ(a.checkpoints.size(), resnet.exits.size());
  for (std::size_t i = 0; i < a.checkpoints.size(); ++i) {
    EXPECT_EQ(a.checkpoints[i].after_unit, resnet.exits[i].after_unit);
    EXPECT_TRUE(a.checkpoints[i].run_head);
  }
  EXPECT_EQ(a.exit_after_unit, pol::kNoExit);  // no fixed exit: the heads decide
  EXPECT_EQ(a.edge_units, pol::kAllUnits);
  // A unit with two heads (tiny_net: exits after 0, 1, 1) is one checkpoint.
  const auto tiny = traces::testing::tiny_net();
  obs.model = &tiny;
  const auto t = make("confidence_exit", nullptr, {})->on_frame(obs);
  ASSERT_EQ(t.checkpoints.size(), 2u);
  EXPECT_EQ(t.checkpoints[0].after_unit, 0);
  EXPECT_EQ(t.checkpoints[1].after_unit, 1);
}

TEST(ConfidenceExit, ChosenExitsAndMaxExit) {
  const auto& resnet = catalog().model("resnet50");
  pol::PolicyContext ctx;
  ctx.models = {&resnet};
  pol::FrameObservation obs;
  obs.model = &resnet;
  const auto a = make("confidence_exit", json{{"exits", {12, 3, 7, 3}}}, ctx)->on_frame(obs);
  ASSERT_EQ(a.checkpoints.size(), 3u);
  EXPECT_EQ(a.checkpoints[0].after_unit, 3);
  EXPECT_EQ(a.checkpoints[1].after_unit, 7);
  EXPECT_EQ(a.checkpoints[2].after_unit, 12);
  const auto b = make("confidence_exit", json{{"max_exit", 2}}, ctx)->on_frame(obs);
  ASSERT_EQ(b.checkpoints.size(), 3u);  // exits after 0, 1, 2
  EXPECT_EQ(b.checkpoints.back().after_unit, 2);
  const auto c = make("confidence_exit", json{{"exits", {3, 7, 12}}, {"max_exit", 10}}, ctx)->on_frame(obs);
  ASSERT_EQ(c.checkpoints.size(), 2u);
  EXPECT_EQ(c.checkpoints.back().after_unit, 7);
}

TEST(ConfidenceExit, StopsOnceTheConfidenceReachesTheThreshold) {
  auto p = make("confidence_exit", json{{"threshold", 0.8}}, {});
  EXPECT_FALSE(p->on_unit(head(0.7)).stop);
  EXPECT_TRUE(p->on_unit(head(0.85)).stop);
  EXPECT_TRUE(p->on_unit(head(0.8)).stop);  // >= threshold
  EXPECT_FALSE(p->on_unit(head(0.85)).change_clocks);
  // Unknown confidence (no exit records): never stops early.
  EXPECT_FALSE(p->on_unit(head(std::numeric_limits<double>::quiet_NaN())).stop);
  // No head ran at this checkpoint: nothing to stop on.
  pol::UnitObservation no_head;
  no_head.head.confidence = 0.99;
  EXPECT_FALSE(p->on_unit(no_head).stop);
  // Threshold 1: only a certain head stops.
  auto strict = make("confidence_exit", json{{"threshold", 1}}, {});
  EXPECT_FALSE(strict->on_unit(head(0.999)).stop);
  EXPECT_TRUE(strict->on_unit(head(1.0)).stop);
}

TEST(ConfidenceExit, BadParamsNameTheKey) {
  const auto& resnet = catalog().model("resnet50");
  const auto& vgg = catalog().model("vgg16");  // exits after units 0..11
  pol::PolicyContext ctx;
  ctx.models = {&resnet, &vgg};
  EXPECT_EQ(param_error("confidence_exit", json{{"threshold", 0}}, ctx).key(), "threshold");
  EXPECT_EQ(param_error("confidence_exit", json{{"threshold", 1.5}}, ctx).key(), "threshold");
  const auto unknown = param_error("confidence_exit", json{{"exits", {3, 13}}}, ctx);
  EXPECT_EQ(unknown.key(), "exits/1");
  EXPECT_EQ(unknown.who(), "policy 'confidence_exit'");
  EXPECT_NE(unknown.reason().find("model vgg16 has no exit head after that unit"), std::string::npos)
      << unknown.reason();
  EXPECT_EQ(param_error("confidence_exit", json{{"exits", "some"}}, ctx).key(), "exits");
  EXPECT_EQ(param_error("confidence_exit", json{{"exits", json::array()}}, ctx).key(), "exits");
  EXPECT_EQ(param_error("confidence_exit", json{{"exits", {-1}}}, ctx).key(), "exits/0");
  EXPECT_EQ(param_error("confidence_exit", json{{"max_exit", -1}}, ctx).key(), "max_exit");
  EXPECT_EQ(param_error("confidence_exit", json{{"treshold", 0.9}}, ctx).key(), "treshold");
}

// --- neurosurgeon ---

// Hand computation, latency objective, cloud 10x faster, uplink latency 2 ms. Device prefix times
// 0, 10, 30, 70, 100 ms; estimated end-to-end time of split k = device [0, k) + 8 x bytes / bw +
// 2 ms + device [k, 4) / 10. At 100 Mbit/s:
//   k=4 100 | k=3 70 + 0.655 + 2 + 3 = 75.66 | k=2 30 + 8.028 + 2 + 7 = 47.03
//   k=1 10 + 64.23 + 2 + 9 = 85.23 | k=0 48.17 + 2 + 10 = 60.17 ms   -> k = 2
// At 1 Gbit/s: k=0 4.817 + 2 + 10 = 16.82 ms beats k=1 27.42 and k=2 39.80 -> cloud only.
TEST(Neurosurgeon, PicksTheHandComputedSplit) {
  const auto model = four_units();
  FakeProber prober;
  auto p = make("neurosurgeon", nullptr, {});
  const auto a = p->on_frame(frame(model, prober, 100e6));
  EXPECT_EQ(a.edge_units, 2);
  EXPECT_DOUBLE_EQ(a.offload_share, 1.0);
  EXPECT_TRUE(a.clocks.empty());
  EXPECT_TRUE(a.checkpoints.empty());
  EXPECT_EQ(p->on_frame(frame(model, prober, 1e9)).edge_units, 0);
}

TEST(Neurosurgeon, KeepsEverythingOnTheDeviceAtLowBandwidthOrWithoutALink) {
  const auto model = four_units();
  FakeProber prober;
  auto p = make("neurosurgeon", nullptr, {});
  // 100 kbit/s: even the smallest upload (8192 B after unit 2) takes 655 ms > 100 ms on the device.
  EXPECT_EQ(p->on_frame(frame(model, prober, 100e3)).edge_units, pol::kAllUnits);
  EXPECT_EQ(p->on_frame(frame(model, prober, 0)).edge_units, pol::kAllUnits);
}

TEST(Neurosurgeon, ProfilesOfflineOncePerModel) {
  const auto model = four_units();
  FakeProber prober;
  auto p = make("neurosurgeon", nullptr, {});
  for (int i = 0; i < 5; ++i) p->on_frame(frame(model, prober, 100e6));
  ASSERT_EQ(prober.calls.size(), 4u);  // one probe per unit, at the first frame only
  for (int i = 0; i < 4; ++i) {
    const auto& r = prober.calls[static_cast<std::size_t>(i)];
    EXPECT_FALSE(r.on_device);  // an offline profile, free of charge
    EXPECT_EQ(r.model, &model);
    EXPECT_EQ(r.first_unit, i);
    EXPECT_EQ(r.end_unit, i + 1);
    EXPECT_EQ(r.clocks, kNxClocks);
    EXPECT_EQ(r.batch, 1);
  }
  // A second model gets its own profile.
  auto other = four_units();
  other.id = "four_units_b";
  p->on_frame(frame(other, prober, 100e6));
  EXPECT_EQ(prober.calls.size(), 8u);
}

TEST(Neurosurgeon, ReprofilesEveryNFramesOfAModel) {
  const auto model = four_units();
  FakeProber prober;
  auto p = make("neurosurgeon", json{{"reprofile_frames", 2}}, {});
  std::vector<std::size_t> calls;
  for (int i = 0; i < 5; ++i) {
    p->on_frame(frame(model, prober, 100e6));
    calls.push_back(prober.calls.size());
  }
  EXPECT_EQ(calls, (std::vector<std::size_t>{4, 4, 8, 8, 12}));  // frames 0, 2, 4
}

// Energy objective at 100 Mbit/s, 5 W on the device, 1.14 W radio: device prefix energy 0, 0.05,
// 0.15, 0.35, 0.5 J; k=0 costs only the upload, 1.14 x (48.17 + 2) ms = 0.0572 J, the lowest.
TEST(Neurosurgeon, EnergyObjectiveCountsDeviceAndRadioEnergy) {
  const auto model = four_units();
  FakeProber prober;
  EXPECT_EQ(make("neurosurgeon", json{{"objective", "energy"}}, {})
                ->on_frame(frame(model, prober, 100e6))
                .edge_units,
            0);
  // A radio as costly as 10 W: k=0 0.50 J, k=2 0.15 + 0.100 = 0.25 J, k=3 0.35 + 0.027 J -> k = 2.
  EXPECT_EQ(make("neurosurgeon", json{{"objective", "energy"}, {"tx_power_w", 10}}, {})
                ->on_frame(frame(model, prober, 100e6))
                .edge_units,
            2);
}

// With the exit role's answer (exit after unit 1: units 0 and 1 run), only those units count:
// on the device 30 ms; k=1 10 + 64.23 + 2 + 2 = 78.2, k=0 48.17 + 2 + 3 = 53.2 ms -> no offload.
TEST(Neurosurgeon, ConsidersOnlyTheUnitsBeforeADecidedExit) {
  const auto model = four_units();
  FakeProber prober;
  pol::FrameAction decided;
  decided.exit_after_unit = 1;
  auto obs = frame(model, prober, 100e6);
  obs.decided = &decided;
  EXPECT_EQ(make("neurosurgeon", nullptr, {})->on_frame(obs).edge_units, pol::kAllUnits);
}

TEST(Neurosurgeon, NeedsAProberAndValidParams) {
  const auto model = four_units();
  FakeProber prober;
  auto obs = frame(model, prober, 100e6);
  obs.probe = nullptr;
  EXPECT_THROW(make("neurosurgeon", nullptr, {})->on_frame(obs), std::invalid_argument);
  EXPECT_EQ(param_error("neurosurgeon", json{{"objective", "speed"}}, {}).key(), "objective");
  EXPECT_EQ(param_error("neurosurgeon", json{{"cloud_speedup", 0}}, {}).key(), "cloud_speedup");
  EXPECT_EQ(param_error("neurosurgeon", json{{"bytes_per_element", 3.5}}, {}).key(), "bytes_per_element");
  EXPECT_EQ(param_error("neurosurgeon", json{{"reprofile_frames", -1}}, {}).key(), "reprofile_frames");
}

// DVFO's channel split (docs/simulation.md, "Channel split"): the bytes a share and a codec send,
// and a request's end at the fusion after the later of its two branches, by hand from the trace
// store. Each test runs one SimGrid engine (its own process under ctest).

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "edgetwin/sim/simulation.hpp"
#include "edgetwin/traces/synth.hpp"

#include "sim_fixture.hpp"

namespace edgetwin::sim {
namespace {

using traces::ClockSetting;

constexpr int kSplitAfter = 9;  // MobileNet-v2: units 0..9 on the device before the split

struct Fixture : test::MobileNetFixture {
  std::pair<double, double> units(const std::string& board, int first, int last,
                                  const ClockSetting& c) const {
    double s = 0, j = 0;
    for (int i = first; i <= last; ++i) {
      const auto e = store.estimate(board, "mobilenet_v2", i, 1, 1, c);
      s += e.latency_s;
      j += e.latency_s * e.power_total_w;
    }
    return {s, j};
  }
  ClockSetting nx_max() const {
    const auto& mode = nx().power_mode(nx().default_power_mode);
    return {mode.cpu_max_khz, mode.gpu_max_hz, mode.emc_max_hz};
  }
  int last() const { return static_cast<int>(model().units.size()) - 1; }
  double boundary() const {
    return static_cast<double>(model().units[static_cast<std::size_t>(kSplitAfter)].boundary_elements);
  }
  double output() const { return static_cast<double>(model().units.back().output_elements); }
};

ScenarioSpec split_scenario(double share, bool channel_split) {
  auto spec = test::one_group_scenario(
      1, 1.0, 1.0,
      {{"clocks", {"max_clocks", nlohmann::json::object()}},
       {"placement", {"fixed_split", {{"split_after", kSplitAfter}, {"offload_share", share}}}}},
      true);
  if (channel_split) {
    auto& c = spec.groups[0].channel_split;
    c.enabled = true;
    c.fixed_fraction = 0.2;
    c.exponent = 1.0;
    c.codec_bits = 8;
    c.entropy_ratio = 0.5;
    c.encode_s_per_melement = 0.01;
    c.fusion_s = 0.001;
  }
  return spec;
}

TEST(ChannelSplit, TransferBytesForAShareAndACodecAreHandComputed) {
  Fixture f;
  const auto spec = split_scenario(0.25, true);
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 1u);
  // 8-bit quantisation (1 byte per element), entropy coding to half: ceil(N x 0.25 x 1 x 0.5).
  EXPECT_DOUBLE_EQ(result.requests[0].offload_bytes, std::ceil(f.boundary() * 0.25 * 0.5));
  EXPECT_GT(f.boundary(), 1000.0);  // the split feature map is a real tensor
}

TEST(ChannelSplit, WithoutAChannelSplitTheShareOnlyScalesTheFp32Upload) {
  Fixture f;
  const auto spec = split_scenario(0.25, false);
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 1u);
  const auto& r = result.requests[0];
  EXPECT_DOUBLE_EQ(r.offload_bytes, std::ceil(f.boundary() * 4 * 0.25));
  // The device runs nothing after the split: its energy is units 0..9 and the upload's radio.
  const auto [edge_s, edge_j] = f.units("xavier_nx", 0, kSplitAfter, f.nx_max());
  const double up_s = 0.01 + 0.02 + r.offload_bytes / 1e6;
  EXPECT_NEAR(r.energy_j, edge_j + 1.14 * up_s, 1e-6);
  const auto [cloud_s, cloud_j] = f.units("rtx3080", kSplitAfter + 1, f.last(),
                                          traces::Synthesizer::max_clocks(f.catalog.board("rtx3080")));
  EXPECT_NEAR(r.cloud_energy_j, cloud_j, 1e-9);
  EXPECT_NEAR(r.latency_s(), edge_s + up_s + cloud_s + 0.03 + f.output() * 4 / 1e6, 1e-6);
}

// The cloud's branch is the later one: a slow link (1 MB/s, 30 ms each way).
void cloud_branch_later(bool fast_path) {
  Fixture f;
  auto spec = split_scenario(0.25, true);
  spec.groups[0].access.radio_rx_power_w = 0.5;
  RunOptions options;
  options.fast_path = fast_path;
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, options);
  ASSERT_EQ(result.requests.size(), 1u);
  const auto& r = result.requests[0];
  const auto& c = spec.groups[0].channel_split;
  const auto [edge_s, edge_j] = f.units("xavier_nx", 0, kSplitAfter, f.nx_max());
  const auto [rest_s, rest_j] = f.units("xavier_nx", kSplitAfter + 1, f.last(), f.nx_max());
  const auto [cloud_s, cloud_j] = f.units("rtx3080", kSplitAfter + 1, f.last(),
                                          traces::Synthesizer::max_clocks(f.catalog.board("rtx3080")));
  const double encode_s = f.boundary() * 0.25 * 0.01e-6;
  const double up_s = 0.03 + std::ceil(f.boundary() * 0.25 * 0.5) / 1e6;
  const double down_s = 0.03 + f.output() * 4 / 1e6;
  // Compute on a channel share c: x (0.2 + 0.8 c): the cloud runs 0.25, the device keeps 0.75.
  const double cloud_scale = 0.2 + 0.8 * 0.25, device_scale = 0.2 + 0.8 * 0.75;
  const double cloud_end = edge_s + encode_s + up_s + cloud_s * cloud_scale + down_s;
  const double device_end = edge_s + encode_s + rest_s * device_scale;
  ASSERT_GT(cloud_end, device_end);
  EXPECT_NEAR(r.end_s, cloud_end + 0.001, 1e-6);
  EXPECT_NEAR(r.cloud_energy_j, cloud_j * cloud_scale, 1e-9);
  const double busy_w = f.synth.cpu_busy_power_w(f.nx(), f.nx_max());
  const double dynamic_w = busy_w - f.synth.idle_power_w(f.nx(), f.nx_max());
  const double radio_j = 1.14 * up_s + 0.5 * down_s;
  EXPECT_NEAR(r.radio_energy_j, radio_j, 1e-6);
  EXPECT_NEAR(r.energy_j, edge_j + encode_s * busy_w + rest_j * device_scale + radio_j + 0.001 * dynamic_w,
              1e-6);
  EXPECT_EQ(r.edge_units, kSplitAfter + 1);
  EXPECT_DOUBLE_EQ(r.offload_share, 0.25);
  // Accuracy from the table's channel-split model (attention, 8 bits): M = 0.25^3;
  // loss = M x 0.01 + 4 x 0.02 x M (1 - M); MobileNet-v2's final accuracy 71.878 %.
  const double m = 0.25 * 0.25 * 0.25;
  EXPECT_NEAR(r.accuracy, 0.71878 * (1 - (m * 0.01 + 0.08 * m * (1 - m))), 1e-12);
  EXPECT_DOUBLE_EQ(c.compute_scale(0.25), cloud_scale);
}

TEST(ChannelSplit, TheRequestEndsAtTheFusionAfterTheCloudBranchWhenItIsLater) {
  cloud_branch_later(true);
}
TEST(ChannelSplit, TheRequestEndsAtTheFusionAfterTheCloudBranchWhenItIsLaterPerActivity) {
  cloud_branch_later(false);
}

// The device's branch is the later one: an instant link (1 GB/s, no latency) and a small share.
void device_branch_later(bool fast_path) {
  Fixture f;
  auto spec = split_scenario(0.1, true);
  spec.groups[0].access.bandwidth_bps = 8e9;
  spec.groups[0].access.latency_s = 0;
  spec.wan.latency_s = 0;
  RunOptions options;
  options.fast_path = fast_path;
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, options);
  ASSERT_EQ(result.requests.size(), 1u);
  const auto& r = result.requests[0];
  const auto [edge_s, edge_j] = f.units("xavier_nx", 0, kSplitAfter, f.nx_max());
  const auto [rest_s, rest_j] = f.units("xavier_nx", kSplitAfter + 1, f.last(), f.nx_max());
  const auto [cloud_s, cloud_j] = f.units("rtx3080", kSplitAfter + 1, f.last(),
                                          traces::Synthesizer::max_clocks(f.catalog.board("rtx3080")));
  (void)edge_j;
  (void)rest_j;
  (void)cloud_j;
  const double encode_s = f.boundary() * 0.1 * 0.01e-6;
  const double up_s = std::ceil(f.boundary() * 0.1 * 0.5) / 1e9;
  const double down_s = f.output() * 4 / 1e9;
  const double cloud_end = edge_s + encode_s + up_s + cloud_s * (0.2 + 0.8 * 0.1) + down_s;
  const double device_end = edge_s + encode_s + rest_s * (0.2 + 0.8 * 0.9);
  ASSERT_GT(device_end, cloud_end);
  EXPECT_NEAR(r.end_s, device_end + 0.001, 1e-6);
  // Without a receive power (the default) the download costs no radio energy.
  EXPECT_NEAR(r.radio_energy_j, 1.14 * up_s, 1e-9);
}

TEST(ChannelSplit, TheRequestEndsAtTheFusionAfterTheDeviceBranchWhenItIsLater) {
  device_branch_later(true);
}
TEST(ChannelSplit, TheRequestEndsAtTheFusionAfterTheDeviceBranchWhenItIsLaterPerActivity) {
  device_branch_later(false);
}

TEST(ChannelSplit, AWholeShareRunsNothingAfterTheSplitOnTheDeviceAndNeedsNoFusion) {
  Fixture f;
  const auto spec = split_scenario(1.0, true);
  const auto result = run_simulation(spec, f.catalog, f.store, f.synth, f.registry, RunOptions{});
  ASSERT_EQ(result.requests.size(), 1u);
  const auto& r = result.requests[0];
  const auto [edge_s, edge_j] = f.units("xavier_nx", 0, kSplitAfter, f.nx_max());
  const auto [cloud_s, cloud_j] = f.units("rtx3080", kSplitAfter + 1, f.last(),
                                          traces::Synthesizer::max_clocks(f.catalog.board("rtx3080")));
  (void)edge_j;
  const double encode_s = f.boundary() * 0.01e-6;
  const double up_s = 0.03 + std::ceil(f.boundary() * 0.5) / 1e6;
  const double down_s = 0.03 + f.output() * 4 / 1e6;
  EXPECT_NEAR(r.end_s, edge_s + encode_s + up_s + cloud_s + down_s, 1e-6);  // scale(1) = 1, no fusion
  EXPECT_NEAR(r.cloud_energy_j, cloud_j, 1e-9);
}

}  // namespace
}  // namespace edgetwin::sim

// Model zoo: each libtorch architecture against its published parameter count and MACs, the
// structural invariants of the extracted units, and the shipped catalog files (no drift).

#include "edgetwin/zoo/zoo.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>
#include <torch/utils.h>

#include "edgetwin/traces/catalog.hpp"
#include "edgetwin/zoo/attention.hpp"
#include "edgetwin/zoo/layers.hpp"
#include "edgetwin/zoo/mac_counter.hpp"

namespace edgetwin::zoo {
namespace {

/// Extraction is the expensive part (a forward pass), so each model is extracted once per process.
const traces::Model& extracted(const std::string& id) {
  static std::map<std::string, traces::Model> cache;
  auto it = cache.find(id);
  if (it == cache.end()) it = cache.emplace(id, extract(id)).first;
  return it->second;
}

std::int64_t sum_params(const traces::Model& m) {
  std::int64_t n = 0;
  for (const auto& u : m.units) n += u.param_count;
  return n;
}

std::int64_t sum_macs(const traces::Model& m) {
  std::int64_t n = 0;
  for (const auto& u : m.units) n += u.macs;
  return n;
}

double relative_error(double measured, double published) {
  return std::abs(measured - published) / published;
}

/// Parameters comparable with the published count: the units, plus architecture-defined exit
/// heads that the published count includes (Inception-v3's AuxLogits).
double comparable_params(const traces::Model& m) {
  double n = static_cast<double>(sum_params(m));
  for (const auto& e : m.exits) {
    if (e.head == "inception_aux") n += static_cast<double>(e.head_param_count);
  }
  return n;
}

/// Parameter tolerance: 0.5 %, except where the published figure is itself rounded coarsely
/// (Ultralytics gives 3.2 M to one decimal: 2 %).
double param_tolerance(const std::string& id) {
  return id == "yolov8n" ? 0.02 : 0.005;
}

void check_published_figures(const traces::Model& m) {
  EXPECT_FALSE(m.published.source.empty());
  EXPECT_LE(relative_error(comparable_params(m), m.published.params), param_tolerance(m.id))
      << m.id << ": params " << comparable_params(m) << " vs published " << m.published.params;
  EXPECT_LE(relative_error(static_cast<double>(sum_macs(m)), m.published.macs), 0.03)
      << m.id << ": MACs " << sum_macs(m) << " vs published " << m.published.macs;
}

void check_units(const traces::Model& m) {
  ASSERT_GE(m.units.size(), 2u);
  EXPECT_EQ(m.units.front().input_shape, m.input_shape);
  for (std::size_t i = 0; i < m.units.size(); ++i) {
    const auto& u = m.units[i];
    SCOPED_TRACE(m.id + " unit " + u.name);
    EXPECT_EQ(u.index, static_cast<int>(i));
    EXPECT_GE(u.macs, 0);
    EXPECT_GE(u.param_count, 0);
    EXPECT_GT(u.kernel_count, 0);
    std::int64_t out = 1;
    for (auto d : u.output_shape) out *= d;
    EXPECT_EQ(out, u.output_elements);
    EXPECT_GE(u.input_elements, 1);
    // Whatever is alive across a boundary includes this unit's own output (it is consumed later
    // or is the model output) and never exceeds everything produced so far.
    EXPECT_GE(u.boundary_elements, u.output_elements);
    if (m.task == "classification") {
      // Chain models: the output of unit i is the input of unit i+1, and only it crosses.
      EXPECT_EQ(u.boundary_elements, u.output_elements);
      if (i + 1 < m.units.size()) {
        EXPECT_EQ(u.output_shape, m.units[i + 1].input_shape);
        EXPECT_EQ(u.output_elements, m.units[i + 1].input_elements);
      }
    }
  }
  const auto& last = m.units.back();
  if (m.task == "classification") {
    EXPECT_EQ(last.output_shape, (std::vector<std::int64_t>{1, m.num_classes}));
  }
}

void check_exits(const traces::Model& m) {
  for (const auto& e : m.exits) {
    ASSERT_GE(e.after_unit, 0);
    ASSERT_LT(e.after_unit, static_cast<int>(m.units.size()) - 1) << "exit after the final head";
    EXPECT_GT(e.head_macs, 0);
    EXPECT_GT(e.head_param_count, 0);
    const auto& u = m.units[static_cast<std::size_t>(e.after_unit)];
    if (e.head == "gap_fc") {
      ASSERT_EQ(u.output_shape.size(), 4u);
      const std::int64_t c = u.output_shape[1];
      EXPECT_EQ(e.head_macs, c * m.num_classes);
      EXPECT_EQ(e.head_param_count, c * m.num_classes + m.num_classes);
    } else if (e.head == "ln_fc_cls") {
      const std::int64_t d = u.output_shape.back();
      EXPECT_EQ(e.head_macs, d * m.num_classes);
      EXPECT_EQ(e.head_param_count, 2 * d + d * m.num_classes + m.num_classes);
    }
  }
  if (m.task == "classification") {
    EXPECT_FALSE(m.exits.empty());
  }
}

void check_shipped_file(const traces::Model& m) {
  const auto path = std::string(EDGETWIN_CATALOG_DIR) + "/models/" + m.id + ".json";
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " missing; run: edgetwin models build";
  const auto shipped = traces::model_to_json(traces::load_model_file(path));
  const auto rebuilt = traces::model_to_json(m);
  EXPECT_EQ(shipped, rebuilt) << path << " drifted from the libtorch architecture; differences: "
                              << nlohmann::json::diff(shipped, rebuilt).dump().substr(0, 2000)
                              << "\nrun: edgetwin models build";
}

// Hand-computed expectations for single units of some models.
void check_hand_computed(const traces::Model& m) {
  if (m.id == "resnet50") {
    // conv1: 112 x 112 x 64 outputs, each 3 x 7 x 7 MACs; bn + relu + maxpool add no MACs.
    EXPECT_EQ(m.units[0].macs, 112LL * 112 * 64 * 3 * 7 * 7);
    EXPECT_EQ(m.units[0].param_count, 64LL * 3 * 7 * 7 + 2 * 64);
    EXPECT_EQ(m.units[0].kernel_count, 4);  // conv, bn, relu, maxpool
    EXPECT_EQ(m.units[0].output_shape, (std::vector<std::int64_t>{1, 64, 56, 56}));
  } else if (m.id == "vit_b_16") {
    const std::int64_t t = 197;
    const std::int64_t d = 768;
    // qkv + QK^T + AV (12 heads x 64) + out proj + MLP (768 -> 3072 -> 768).
    const std::int64_t block = t * d * 3 * d + 2 * t * t * d + t * d * d + 2 * t * d * 3072;
    EXPECT_EQ(m.units[1].macs, block);
    EXPECT_EQ(m.units[1].param_count, 4 * d + 3 * d * d + 3 * d + d * d + d + 2 * d * 3072 + 3072 + d);
  } else if (m.id == "yolov8n") {
    ASSERT_EQ(m.units.size(), 23u);
    EXPECT_EQ(m.units.back().output_shape, (std::vector<std::int64_t>{1, 84, 8400}));
    // The Ultralytics model summary: 3,157,200 parameters (DFL's fixed 16 weights included).
    EXPECT_EQ(sum_params(m), 3157200);
    // Per-layer parameters of the backbone as printed by Ultralytics' model summary.
    const std::int64_t backbone[9] = {464, 4672, 7360, 18560, 49664, 73984, 197632, 295424, 460288};
    for (std::size_t i = 0; i < 9; ++i) EXPECT_EQ(m.units[i].param_count, backbone[i]) << i;
    // After layer 9 (SPPF) the layer-4 and layer-6 maps are still needed by the neck.
    const auto& sppf = m.units[9];
    EXPECT_EQ(sppf.boundary_elements,
              sppf.output_elements + m.units[4].output_elements + m.units[6].output_elements);
    EXPECT_TRUE(m.exits.empty());
  }
}

class ZooModelTest : public ::testing::TestWithParam<std::string> {};

// One test per model: ctest runs each test in its own process and the extraction (a forward
// pass, ~25 s for ViT-B/16 with Debian's reference BLAS) dominates, so each model is extracted once.
TEST_P(ZooModelTest, CatalogEntry) {
  const auto& m = extracted(GetParam());
  EXPECT_EQ(m.id, GetParam());
  {
    SCOPED_TRACE("published figures");
    check_published_figures(m);
  }
  {
    SCOPED_TRACE("units");
    check_units(m);
  }
  {
    SCOPED_TRACE("exits");
    check_exits(m);
  }
  {
    SCOPED_TRACE("hand-computed units");
    check_hand_computed(m);
  }
  {
    SCOPED_TRACE("shipped catalog file");
    check_shipped_file(m);
  }
}

INSTANTIATE_TEST_SUITE_P(AllModels, ZooModelTest, ::testing::ValuesIn(model_ids()),
                         [](const ::testing::TestParamInfo<std::string>& model) { return model.param; });

TEST(ZooRegistry, UnknownModelListsKnownIds) {
  try {
    build_network("resnet1000");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("resnet50"), std::string::npos);
  }
}

TEST(ZooExecutor, UnitsRunOneByOneEqualTheWholeNetwork) {
  torch::NoGradGuard no_grad;
  auto net = build_network("mobilenet_v2");
  const auto input = torch::randn({1, 3, 224, 224});
  const auto whole = net.forward(input).outputs.back();
  // Run unit by unit, as the hardware executor would, carrying the tensors across boundaries.
  std::vector<torch::Tensor> outputs;
  for (std::size_t i = 0; i < net.units.size(); ++i) {
    outputs.push_back(net.run_unit(i, net.gather_inputs(i, input, outputs)));
  }
  EXPECT_TRUE(torch::allclose(outputs.back(), whole));
  EXPECT_EQ(whole.sizes().vec(), (std::vector<std::int64_t>{1, 1000}));
}

TEST(ZooCounter, NestedScopesAddUp) {
  CountScope outer;
  count_macs(5);
  {
    CountScope inner;
    count_macs(7);
    count_kernels(1);
    EXPECT_EQ(inner.counts().macs, 7);
  }
  EXPECT_EQ(outer.counts().macs, 12);
  EXPECT_EQ(outer.counts().kernels, 1);
}

// The spatial-channel attention with hand-set weights: a one-to-one channel MLP (reduction 1,
// identity matrices) and a zero spatial kernel (Ms = sigmoid(0) = 0.5 everywhere). A channel of
// constant value v >= 0 gets Mc = sigmoid(v + v) and importance v x sigmoid(2v) x 0.5.
TEST(SpatialChannelAttention, ImportanceAndRankingFollowTheChannelAndSpatialWeights) {
  torch::NoGradGuard no_grad;
  SpatialChannelAttention att(4, 1, 7);
  att->fc1->weight.copy_(torch::eye(4));
  att->fc2->weight.copy_(torch::eye(4));
  att->spatial->weight.zero_();
  const std::vector<double> values = {0.5, 2.0, 0.0, 1.0};
  auto x = torch::zeros({2, 4, 3, 5});
  for (int c = 0; c < 4; ++c) x.select(1, c).fill_(values[static_cast<std::size_t>(c)]);
  const auto imp = att->channel_importance(x).to(torch::kDouble);
  for (int c = 0; c < 4; ++c) {
    const double v = values[static_cast<std::size_t>(c)];
    EXPECT_NEAR(imp[c].item<double>(), v * (1 / (1 + std::exp(-2 * v))) * 0.5, 1e-6) << c;
  }
  EXPECT_EQ(rank_channels(imp), (std::vector<std::int64_t>{1, 3, 0, 2}));
  // Half the channels offloaded: the two least important, least first.
  EXPECT_EQ(offloaded_channels(imp, 0.5), (std::vector<std::int64_t>{2, 0}));
  EXPECT_TRUE(offloaded_channels(imp, 0.0).empty());
  EXPECT_EQ(att->forward(x).sizes(), x.sizes());
  EXPECT_THROW(SpatialChannelAttention(4, 1, 6), std::invalid_argument);
}

}  // namespace
}  // namespace edgetwin::zoo

// The zoo registry and the catalog extraction (dummy forward pass, unit by unit).

#include <algorithm>
#include <memory>
#include <stdexcept>

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/utils.h>
#include <torch/version.h>

#include "edgetwin/zoo/architectures.hpp"
#include "edgetwin/zoo/layers.hpp"
#include "edgetwin/zoo/mac_counter.hpp"
#include "edgetwin/zoo/zoo.hpp"

namespace edgetwin::zoo {
namespace {

/// GAP + Linear(C, classes) on a 4-D feature map: the generic CNN exit head.
class GapFcHead : public SingleInputUnit {
 public:
  GapFcHead(std::int64_t channels, std::int64_t classes)
      : fc_(register_module("fc", CountedLinear(channels, classes))) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    return fc_->forward(op::adaptive_avg_pool2d(x, 1).flatten(1));
  }

 private:
  CountedLinear fc_;
};

/// LayerNorm + Linear on the class token of a (N, tokens, D) sequence: the ViT exit head.
class LnFcClsHead : public SingleInputUnit {
 public:
  LnFcClsHead(std::int64_t dim, std::int64_t classes)
      : ln_(register_module("ln", CountedLayerNorm(dim))),
        fc_(register_module("fc", CountedLinear(dim, classes))) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    return fc_->forward(ln_->forward(x.select(1, 0)));
  }

 private:
  CountedLayerNorm ln_;
  CountedLinear fc_;
};

std::vector<std::int64_t> shape_of(const torch::Tensor& t) {
  return t.sizes().vec();
}

/// Measures `head` on `x` and returns the catalog exit.
traces::ExitPoint measure_exit(int after_unit, const std::string& head_name, UnitModule& head,
                               const torch::Tensor& x) {
  head.eval();
  CountScope scope;
  head.run({x});
  return traces::ExitPoint{after_unit, head_name, scope.counts().macs, count_parameters(head)};
}

std::vector<traces::ExitPoint> measure_exits(const ZooNetwork& net,
                                             const std::vector<torch::Tensor>& outputs) {
  std::vector<traces::ExitPoint> exits;
  const int n = static_cast<int>(outputs.size());
  if (net.exit_rule == ExitRule::kGapFc) {
    int last_map = -1;
    for (int i = 0; i < n; ++i) {
      if (outputs[static_cast<std::size_t>(i)].dim() == 4) last_map = i;
    }
    for (int i = 0; i < last_map; ++i) {
      const auto& y = outputs[static_cast<std::size_t>(i)];
      if (y.dim() != 4) continue;
      GapFcHead head(y.size(1), net.num_classes);
      exits.push_back(measure_exit(i, "gap_fc", head, y));
    }
  } else if (net.exit_rule == ExitRule::kLnFcCls) {
    int last_block = -1;
    for (int i = 0; i < n; ++i) {
      if (net.units[static_cast<std::size_t>(i)].kind == "encoder_block") last_block = i;
    }
    for (int i = 0; i < last_block; ++i) {
      if (net.units[static_cast<std::size_t>(i)].kind != "encoder_block") continue;
      const auto& y = outputs[static_cast<std::size_t>(i)];
      LnFcClsHead head(y.size(2), net.num_classes);
      exits.push_back(measure_exit(i, "ln_fc_cls", head, y));
    }
  }
  for (const auto& extra : net.extra_exits) {
    auto it = std::find_if(net.units.begin(), net.units.end(),
                           [&](const ZooUnit& u) { return u.name == extra.after_unit; });
    if (it == net.units.end()) {
      throw std::logic_error("zoo: " + net.id + ": extra exit after unknown unit " + extra.after_unit);
    }
    const auto i = static_cast<int>(it - net.units.begin());
    exits.push_back(measure_exit(i, extra.head, *extra.module, outputs[static_cast<std::size_t>(i)]));
  }
  std::stable_sort(exits.begin(), exits.end(), [](const traces::ExitPoint& a, const traces::ExitPoint& b) {
    return a.after_unit < b.after_unit;
  });
  return exits;
}

}  // namespace

std::shared_ptr<UnitModule> make_exit_head(const ZooNetwork& net, const traces::ExitPoint& exit,
                                           const torch::Tensor& unit_output) {
  for (const auto& extra : net.extra_exits) {
    if (extra.head == exit.head &&
        net.units.at(static_cast<std::size_t>(exit.after_unit)).name == extra.after_unit) {
      return extra.module;
    }
  }
  std::shared_ptr<UnitModule> head;
  if (exit.head == "gap_fc") {
    head = std::make_shared<GapFcHead>(unit_output.size(1), net.num_classes);
  } else if (exit.head == "ln_fc_cls") {
    head = std::make_shared<LnFcClsHead>(unit_output.size(2), net.num_classes);
  } else {
    throw std::invalid_argument("zoo: " + net.id + ": no exit head '" + exit.head + "' after unit " +
                                std::to_string(exit.after_unit));
  }
  head->eval();
  return head;
}

std::vector<ZooEntry> builtin_models() {
  return {
      {"efficientnet_b0", &build_efficientnet_b0},
      {"mobilenet_v2", &build_mobilenet_v2},
      {"resnet18", &build_resnet18},
      {"resnet50", &build_resnet50},
      {"vgg16", &build_vgg16},
      {"vit_b_16", &build_vit_b_16},
      {"inception_v3", &build_inception_v3},
      {"yolov8n", &build_yolov8n},
  };
}

std::vector<std::string> model_ids() {
  std::vector<std::string> ids;
  for (const auto& e : builtin_models()) ids.emplace_back(e.id);
  return ids;
}

ZooNetwork build_network(const std::string& id) {
  for (const auto& e : builtin_models()) {
    if (id != e.id) continue;
    torch::manual_seed(0);
    auto net = e.build();
    net.eval();
    return net;
  }
  std::string known;
  for (const auto& k : model_ids()) known += (known.empty() ? "" : ", ") + k;
  throw std::invalid_argument("unknown model '" + id + "'; known models: " + known);
}

std::string provenance() {
  return std::string("edgetwin models build: libtorch ") + TORCH_VERSION +
         " CPU float32, eval mode, batch-1 dummy forward pass unit by unit "
         "(MACs of conv/linear/matmul; see docs/models.md)";
}

traces::Model extract(ZooNetwork& net) {
  torch::NoGradGuard no_grad;
  net.eval();
  traces::Model model;
  model.id = net.id;
  model.name = net.name;
  model.task = net.task;
  model.input_shape = net.input_shape;
  model.num_classes = net.num_classes;
  model.published = net.published;
  model.provenance = provenance();

  torch::manual_seed(1);
  const auto input = torch::randn(net.input_shape);
  const int n = static_cast<int>(net.units.size());
  // last_use[j]: the last unit consuming unit j's output; the final output is consumed by the
  // caller, i.e. it stays alive across the last boundary.
  std::vector<int> last_use(static_cast<std::size_t>(n), -1);
  if (n > 0) last_use.back() = n;

  std::vector<torch::Tensor> outputs;
  for (int i = 0; i < n; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const auto& zu = net.units[ui];
    const auto ins = net.gather_inputs(ui, input, outputs);
    for (int j : zu.inputs) {
      if (j >= 0) last_use[static_cast<std::size_t>(j)] = std::max(last_use[static_cast<std::size_t>(j)], i);
    }
    torch::Tensor y;
    OpCounts counts;
    {
      CountScope scope;
      y = net.run_unit(ui, ins);
      counts = scope.counts();
    }
    traces::Unit u;
    u.index = i;
    u.name = zu.name;
    u.kind = zu.kind;
    u.macs = counts.macs;
    u.kernel_count = counts.kernels;
    u.param_count = count_parameters(*zu.module);
    u.input_shape = shape_of(ins.at(0));
    for (const auto& t : ins) u.input_elements += t.numel();
    u.output_shape = shape_of(y);
    u.output_elements = y.numel();
    model.units.push_back(std::move(u));
    outputs.push_back(y);
  }
  for (int i = 0; i < n; ++i) {
    std::int64_t alive = 0;
    for (int j = 0; j <= i; ++j) {
      if (last_use[static_cast<std::size_t>(j)] > i) alive += outputs[static_cast<std::size_t>(j)].numel();
    }
    model.units[static_cast<std::size_t>(i)].boundary_elements = alive;
  }
  model.exits = measure_exits(net, outputs);
  return model;
}

traces::Model extract(const std::string& id) {
  auto net = build_network(id);
  return extract(net);
}

}  // namespace edgetwin::zoo

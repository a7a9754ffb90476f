#pragma once
/// A zoo network: a real architecture built with libtorch as an ordered list of units (the
/// blocks at which clocks can change, an exit can be taken or the model split), each a torch
/// module that consumes the outputs of earlier units. The catalog extractor (zoo.hpp) runs it
/// unit by unit; the hardware executor can run any unit on real tensors.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/types.h>

#include "edgetwin/traces/model.hpp"

namespace edgetwin::zoo {

/// A unit's module: consumes the outputs of earlier units, in the order of ZooUnit::inputs.
class UnitModule : public torch::nn::Module {
 public:
  virtual torch::Tensor run(const std::vector<torch::Tensor>& inputs) = 0;
};

/// Base of single-input units: run() forwards inputs[0] to forward().
class SingleInputUnit : public UnitModule {
 public:
  torch::Tensor run(const std::vector<torch::Tensor>& inputs) override;
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
};

/// A single-input unit made of a torch::nn::Sequential of counted layers.
class SequentialUnit : public SingleInputUnit {
 public:
  explicit SequentialUnit(torch::nn::Sequential body);
  torch::Tensor forward(const torch::Tensor& x) override;

 private:
  torch::nn::Sequential body_{nullptr};
};

/// A single-input unit defined by a function of x (for parameter-free glue such as pooling).
class LambdaUnit : public SingleInputUnit {
 public:
  explicit LambdaUnit(std::function<torch::Tensor(const torch::Tensor&)> fn);
  torch::Tensor forward(const torch::Tensor& x) override;

 private:
  std::function<torch::Tensor(const torch::Tensor&)> fn_;
};

/// Index meaning "the model input" in ZooUnit::inputs.
inline constexpr int kModelInput = -1;

struct ZooUnit {
  std::string name;  ///< e.g. "layer3.2"
  std::string kind;  ///< e.g. "bottleneck"
  std::shared_ptr<UnitModule> module;
  std::vector<int> inputs;  ///< earlier unit indices consumed; kModelInput = input
};

/// How candidate early exits are placed (docs/models.md "Exit heads").
enum class ExitRule {
  kNone,     ///< no early exits (detectors)
  kGapFc,    ///< after every unit with a 4-D output except the last one: GAP + Linear(C, classes)
  kLnFcCls,  ///< after every "encoder_block" except the last: LayerNorm + Linear on the class token
};

/// An architecture-defined exit head (e.g. Inception-v3's AuxLogits), part of the network's
/// published parameter count.
struct ExtraExit {
  std::string after_unit;              ///< unit name
  std::string head;                    ///< head name in the catalog, e.g. "inception_aux"
  std::shared_ptr<UnitModule> module;  ///< consumes the unit's output
};

/// Outputs of every unit of one forward pass (index i = output of unit i).
struct UnitOutputs {
  std::vector<torch::Tensor> outputs;
};

class ZooNetwork {
 public:
  std::string id;    ///< catalog key, e.g. "resnet50"
  std::string name;  ///< e.g. "ResNet-50"
  std::string task = "classification";
  std::vector<std::int64_t> input_shape;  ///< batch 1, NCHW
  int num_classes = 1000;
  std::vector<ZooUnit> units;
  ExitRule exit_rule = ExitRule::kGapFc;
  std::vector<ExtraExit> extra_exits;
  traces::PublishedFigures published;

  /// Appends a unit reading the previous unit's output (or the model input for the first).
  void add_unit(std::string unit_name, std::string kind, std::shared_ptr<UnitModule> module);
  /// Appends a unit reading the given earlier units (kModelInput = model input).
  void add_unit(std::string unit_name, std::string kind, std::shared_ptr<UnitModule> module,
                std::vector<int> inputs);

  /// Puts every module in eval mode (BN running stats, dropout off).
  void eval();
  /// Runs unit `i` on its inputs (ordered as units[i].inputs); call under torch::NoGradGuard.
  torch::Tensor run_unit(std::size_t i, const std::vector<torch::Tensor>& inputs) const;
  /// The tensors unit `i` consumes, taken from `input` and the outputs of earlier units.
  std::vector<torch::Tensor> gather_inputs(std::size_t i, const torch::Tensor& input,
                                           const std::vector<torch::Tensor>& outputs) const;
  /// Runs every unit in order on `input`.
  UnitOutputs forward(const torch::Tensor& input) const;
};

/// Parameter count (numel of parameters, not buffers) of a module and its children.
std::int64_t count_parameters(const torch::nn::Module& module);

}  // namespace edgetwin::zoo

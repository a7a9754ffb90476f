#pragma once
// Internal: a supervised network whose input is a window of feature vectors (SequenceSpec): a
// sequence front (mean pooling or scaled dot-product attention of the last vector over the
// window) and an MLP over [last vector, pooled]. Trained with libtorch autograd (the issue's
// default: the attention's hand-written gradient would need a reference test of its own, and at
// supervised batch sizes autograd's fixed cost per call is not the bottleneck), on parameters that
// live in one contiguous buffer like TorchMlp's, so that FlatAdam, clipping and the gradient
// reducer work unchanged. Predictions go through the torch-free evaluator (GreedyNetwork) built
// from the same buffer, so the server and `edgetwin run` without libtorch give the same bits.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "edgetwin/learn/mlp_spec.hpp"
#include "edgetwin/learn/supervised.hpp"

namespace edgetwin::learn::detail {

class SequenceNet {
 public:
  /// `mlp`: the MLP after the front (inputs = the pooled width). Initialised from `rng`:
  /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for every weight and bias.
  SequenceNet(const SequenceSpec& sequence, const MlpSpec& mlp, std::mt19937_64& rng);
  SequenceNet(const SequenceNet&) = delete;
  SequenceNet& operator=(const SequenceNet&) = delete;

  /// [B, window * features] -> [B, outputs], with autograd.
  torch::Tensor forward(const torch::Tensor& x) const;
  /// Fills `gradient` (size()) with the parameters' gradients after a backward pass, in the
  /// buffer's order, and clears them.
  void take_gradient(std::vector<float>& gradient);

  float* data() { return buffer_.data(); }
  const float* data() const { return buffer_.data(); }
  std::size_t size() const { return buffer_.size(); }
  /// Leaf tensors on the buffer: seq_wq, seq_wk, seq_wv (attention), layer0_weight, layer0_bias, ...
  const std::vector<torch::Tensor>& parameters() const { return params_; }
  const std::vector<std::string>& parameter_names() const { return names_; }
  /// The torch-free document of this network (greedy.json's content; GreedyNetwork reads it).
  nlohmann::json greedy_doc(const nlohmann::json& extra) const;

 private:
  SequenceSpec sequence_;
  MlpSpec mlp_;
  std::vector<float> buffer_;
  std::vector<torch::Tensor> params_;
  std::vector<std::string> names_;
  std::vector<std::vector<std::int64_t>> shapes_;
};

}  // namespace edgetwin::learn::detail

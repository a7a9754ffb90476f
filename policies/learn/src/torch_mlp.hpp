#pragma once
// Internal: an MLP whose parameters all live in one contiguous float buffer (and whose gradients
// live in a second one of the same layout). Batched forward and backward passes use libtorch
// tensor ops on views of these buffers; the backward pass is written out layer by layer (three or
// four ops per layer) instead of going through the autograd engine, whose fixed cost per node
// was most of an update at these network sizes (tens of microseconds per node, measured). Batch-1
// inference in act(), the optimiser step, target updates and flattening for the gradient reducer
// and for checkpoints work on the raw buffers without libtorch dispatch.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <torch/types.h>

#include "edgetwin/learn/mlp_spec.hpp"

namespace edgetwin::learn::detail {

/// `members` > 1 makes an ensemble of identically shaped networks evaluated together with batched
/// matrix products (SAC's twin critics): per layer one weight [members, in, out] and one bias
/// [members, 1, out]. Weights are stored input-major ([in, out]) so that no transpose is needed.
class TorchMlp {
 public:
  /// Weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (libtorch's Linear default), drawn
  /// from `rng` member by member, so that construction touches no global random state.
  TorchMlp(const MlpSpec& spec, std::mt19937_64& rng, int members = 1);
  TorchMlp(const TorchMlp&) = delete;
  TorchMlp& operator=(const TorchMlp&) = delete;

  /// Activations kept by forward_train for backward.
  struct Trace {
    std::vector<torch::Tensor> inputs;  ///< input of each layer (post-activation of the previous)
  };

  /// [B, inputs] -> [B, outputs], or [members, B, outputs] for an ensemble.
  torch::Tensor forward(const torch::Tensor& x) const;
  /// Same, keeping what backward() needs.
  torch::Tensor forward_train(const torch::Tensor& x, Trace& trace) const;
  /// Gradient of a loss with respect to every parameter, given d(loss)/d(output) of the
  /// forward_train pass that filled `trace`; overwrites the gradient buffer. `rows` > 0 (single
  /// networks only): only the first `rows` rows of the batch carry a loss; d_output has `rows` rows.
  void backward(const Trace& trace, const torch::Tensor& d_output, std::int64_t rows = 0);
  /// Batch-1 forward of one member on the raw buffer.
  void forward_fast(const float* x, float* out, int member = 0) const;
  int members() const { return members_; }

  /// Leaf tensors w0, b0, w1, b1, ... sharing the buffer; named "layer0_weight", ...
  const std::vector<torch::Tensor>& parameters() const { return params_; }
  std::vector<std::string> parameter_names() const;
  const MlpSpec& spec() const { return spec_; }

  float* data() { return data_; }
  const float* data() const { return data_; }
  std::size_t size() const { return size_; }

  /// The gradient buffer written by backward(), in the parameter layout.
  const float* gradient() const { return grad_data_; }

  void copy_from(const TorchMlp& other);                ///< hard target update
  void polyak_from(const TorchMlp& other, double tau);  ///< this <- tau*other + (1-tau)*this

 private:
  MlpSpec spec_;
  int members_;
  std::vector<int> sizes_;  // inputs, hidden..., outputs
  torch::Tensor storage_;
  float* data_ = nullptr;
  std::size_t size_ = 0;
  std::vector<torch::Tensor> params_;
  torch::Tensor grad_storage_;
  float* grad_data_ = nullptr;
  std::vector<torch::Tensor> grads_;  // same shapes as params_
  mutable std::vector<float> buf_a_, buf_b_;
};

/// Rows of floats as a [rows, cols] tensor (copied).
torch::Tensor to_tensor(const std::vector<float>& values, std::int64_t rows, std::int64_t cols);

}  // namespace edgetwin::learn::detail

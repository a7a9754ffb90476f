#pragma once
// Internal: an MLP whose parameters all live in one contiguous float buffer (and whose gradients
// live in a second one of the same layout). Batched forward and backward passes work on plain
// row-major float arrays: per layer one BLAS sgemm (the same BLAS libtorch calls, through cblas,
// without libtorch's dispatch) plus loops for the bias, the activation and its derivative. The
// backward pass is written out layer by layer (dW = h^T dz, db = sum dz, dh = dz W^T) instead of
// going through the autograd engine. At these sizes (two hidden layers of 64, batch 64) libtorch's
// fixed cost per call, not the arithmetic, was most of an update: about 130 calls of 1 to 8 us
// each per SAC update (docs/learning.md, Performance). libtorch remains for the parameter tensors
// that checkpoints save and load (views of the buffer) and for the tensor forms of the passes used
// by the supervised trainer and the gradient check.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <torch/types.h>

#include "edgetwin/learn/mlp_spec.hpp"

namespace edgetwin::learn::detail {

/// `members` > 1 makes an ensemble of identically shaped networks evaluated on the same input
/// (SAC's twin critics): per layer one weight [members, in, out] and one bias [members, 1, out].
/// Weights are stored input-major ([in, out]) so that no transpose is needed.
class TorchMlp {
 public:
  /// Weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (libtorch's Linear default), drawn
  /// from `rng` member by member, so that construction touches no global random state.
  TorchMlp(const MlpSpec& spec, std::mt19937_64& rng, int members = 1);
  TorchMlp(const TorchMlp&) = delete;
  TorchMlp& operator=(const TorchMlp&) = delete;

  /// Activations of one batched pass, kept for backward. The buffers keep their capacity, so a
  /// trace reused from update to update allocates nothing after the first one.
  struct Trace {
    int rows = 0;
    /// [0]: the input [rows, inputs]; [l] for l >= 1: the output of layer l (post-activation for
    /// hidden layers), [members, rows, width] (the last one is the network's output).
    std::vector<std::vector<float>> layers;
  };

  /// x: [rows, inputs] row-major (copied into the trace). Returns the output, [members, rows,
  /// outputs] row-major, owned by `trace`.
  const float* forward_batch(const float* x, int rows, Trace& trace) const;
  /// Gradient of a loss with respect to every parameter, given d(loss)/d(output) of the pass that
  /// filled `trace` for its first `rows` rows (the other rows carry no loss): d_output is
  /// [members, rows, outputs] row-major. Writes the gradient, in the parameter layout, to
  /// `gradient_out` (size() floats) when given, else to the gradient buffer (gradient()).
  void backward_batch(const Trace& trace, const float* d_output, int rows, float* gradient_out = nullptr);

  /// Tensor forms of the same passes (copies in and out): [B, inputs] -> [B, outputs], or
  /// [members, B, outputs] for an ensemble.
  torch::Tensor forward(const torch::Tensor& x) const;
  torch::Tensor forward_train(const torch::Tensor& x, Trace& trace) const;
  /// d_output has the output's shape, or only its first `rows` rows (per member) when `rows` > 0.
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
  const float* gradient() const { return grad_.data(); }

  void copy_from(const TorchMlp& other);                ///< hard target update
  void polyak_from(const TorchMlp& other, double tau);  ///< this <- tau*other + (1-tau)*this

 private:
  MlpSpec spec_;
  int members_;
  std::vector<int> sizes_;            // inputs, hidden..., outputs
  std::vector<std::size_t> offsets_;  // start of each layer's block (weights of all members, then biases)
  torch::Tensor storage_;
  float* data_ = nullptr;
  std::size_t size_ = 0;
  std::vector<torch::Tensor> params_;
  std::vector<float> grad_;
  mutable std::vector<float> buf_a_, buf_b_;  // forward_fast
  std::vector<float> dz_, dh_, wt_;           // backward_batch
};

}  // namespace edgetwin::learn::detail

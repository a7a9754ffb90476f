// Internal MLP on one parameter buffer.

#include "torch_mlp.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <torch/torch.h>

#include "batch_math.hpp"
#include <cblas.h>

namespace edgetwin::learn::detail {

TorchMlp::TorchMlp(const MlpSpec& spec, std::mt19937_64& rng, int members) : spec_(spec), members_(members) {
  if (members < 1) throw std::invalid_argument("TorchMlp: members must be >= 1");
  sizes_.push_back(spec.inputs);
  sizes_.insert(sizes_.end(), spec.hidden.begin(), spec.hidden.end());
  sizes_.push_back(spec.outputs);
  const std::int64_t k = members;
  size_ = static_cast<std::size_t>(spec.parameter_count() * k);
  storage_ = torch::empty({static_cast<std::int64_t>(size_)}, torch::kFloat32);
  data_ = storage_.data_ptr<float>();
  grad_.assign(size_, 0.0F);
  std::int64_t offset = 0;
  for (std::size_t layer = 0; layer + 1 < sizes_.size(); ++layer) {
    const std::int64_t in = sizes_[layer];
    const std::int64_t out = sizes_[layer + 1];
    offsets_.push_back(static_cast<std::size_t>(offset));
    if (members == 1) {
      params_.push_back(storage_.narrow(0, offset, in * out).view({in, out}));
      params_.push_back(storage_.narrow(0, offset + in * out, out));
    } else {
      params_.push_back(storage_.narrow(0, offset, k * in * out).view({k, in, out}));
      params_.push_back(storage_.narrow(0, offset + k * in * out, k * out).view({k, 1, out}));
    }
    offset += k * (in * out + out);
  }
  // Member by member, layer by layer, weights then biases: the draws of one member do not depend
  // on how many members there are.
  for (std::int64_t m = 0; m < k; ++m) {
    for (std::size_t layer = 0; layer + 1 < sizes_.size(); ++layer) {
      const std::int64_t in = sizes_[layer];
      const std::int64_t out = sizes_[layer + 1];
      const double bound = 1.0 / std::sqrt(static_cast<double>(in));
      std::uniform_real_distribution<double> uniform(-bound, bound);
      float* w = data_ + offsets_[layer] + m * in * out;
      float* b = data_ + offsets_[layer] + k * in * out + m * out;
      // Drawn in [out, in] order (as libtorch's Linear would), stored transposed.
      for (std::int64_t o = 0; o < out; ++o) {
        for (std::int64_t i = 0; i < in; ++i) w[i * out + o] = static_cast<float>(uniform(rng));
      }
      for (std::int64_t o = 0; o < out; ++o) b[o] = static_cast<float>(uniform(rng));
    }
  }
}

std::vector<std::string> TorchMlp::parameter_names() const {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    names.push_back("layer" + std::to_string(i / 2) + (i % 2 == 0 ? "_weight" : "_bias"));
  }
  return names;
}

namespace {
// Row-major C[m, n] = op(A) op(B) + beta C (op: transposed or not), with the BLAS libtorch uses.
void gemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
          float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n,
              k, 1.0F, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace

const float* TorchMlp::forward_batch(const float* x, int rows, Trace& trace) const {
  const std::size_t layers = sizes_.size() - 1;
  const auto r = static_cast<std::size_t>(rows);
  const auto k = static_cast<std::size_t>(members_);
  trace.rows = rows;
  trace.layers.resize(layers + 1);
  trace.layers[0].assign(x, x + r * static_cast<std::size_t>(sizes_[0]));
  for (std::size_t l = 0; l < layers; ++l) {
    const auto in = static_cast<std::size_t>(sizes_[l]);
    const auto out = static_cast<std::size_t>(sizes_[l + 1]);
    auto& h_out = trace.layers[l + 1];
    h_out.resize(k * r * out);
    for (std::size_t m = 0; m < k; ++m) {
      const float* h_in = trace.layers[l].data() + (l == 0 ? 0 : m * r * in);  // the input is shared
      const float* w = data_ + offsets_[l] + m * in * out;
      const float* b = data_ + offsets_[l] + k * in * out + m * out;
      float* z = h_out.data() + m * r * out;
      gemm(false, false, rows, static_cast<int>(out), static_cast<int>(in), h_in, static_cast<int>(in), w,
           static_cast<int>(out), 0.0F, z, static_cast<int>(out));
      add_bias_activate(z, r, out, b, spec_.activation, l + 1 < layers);
    }
  }
  return trace.layers[layers].data();
}

void TorchMlp::backward_batch(const Trace& trace, const float* d_output, int rows, float* gradient_out) {
  // Layer l: z = h W + b, h_next = act(z). Given dz: dW = h^T dz, db = sum over rows of dz,
  // dh = dz W^T, and dz of the layer below = dh * act'(z), computed from act's output h.
  if (rows < 1 || rows > trace.rows || trace.layers.size() != sizes_.size()) {
    throw std::logic_error("TorchMlp::backward: " + std::to_string(rows) + " rows for a pass of " +
                           std::to_string(trace.rows));
  }
  const std::size_t layers = sizes_.size() - 1;
  const auto r = static_cast<std::size_t>(rows);
  const auto trace_rows = static_cast<std::size_t>(trace.rows);
  const auto k = static_cast<std::size_t>(members_);
  float* grad = gradient_out != nullptr ? gradient_out : grad_.data();
  const float* dz = d_output;
  for (std::size_t l = layers; l-- > 0;) {
    const auto in = static_cast<std::size_t>(sizes_[l]);
    const auto out = static_cast<std::size_t>(sizes_[l + 1]);
    if (l > 0) dh_.resize(k * r * in);
    for (std::size_t m = 0; m < k; ++m) {
      const float* h = trace.layers[l].data() + (l == 0 ? 0 : m * trace_rows * in);  // first r rows
      const float* dz_m = dz + m * r * out;
      float* dw = grad + offsets_[l] + m * in * out;
      float* db = grad + offsets_[l] + k * in * out + m * out;
      gemm(true, false, static_cast<int>(in), static_cast<int>(out), rows, h, static_cast<int>(in), dz_m,
           static_cast<int>(out), 0.0F, dw, static_cast<int>(out));
      column_sums(dz_m, r, out, db);
      if (l == 0) continue;
      // dh = dz W^T with W^T copied out first: OpenBLAS's kernels for small products are two to three
      // times faster on two untransposed operands than on a transposed one (measured here), far
      // more than the copy costs.
      const float* w = data_ + offsets_[l] + m * in * out;
      wt_.resize(in * out);
      transpose(w, in, out, wt_.data());
      float* dh_m = dh_.data() + m * r * in;
      gemm(false, false, rows, static_cast<int>(in), static_cast<int>(out), dz_m, static_cast<int>(out),
           wt_.data(), static_cast<int>(in), 0.0F, dh_m, static_cast<int>(in));
      activation_backward(spec_.activation, dh_m, h, dh_m, r * in);
    }
    if (l == 0) break;
    dz_.swap(dh_);
    dz = dz_.data();
  }
}

torch::Tensor TorchMlp::forward(const torch::Tensor& x) const {
  Trace unused;
  return forward_train(x, unused);
}

torch::Tensor TorchMlp::forward_train(const torch::Tensor& x, Trace& trace) const {
  if (x.dim() != 2 || x.size(1) != sizes_.front()) {
    std::string shape;
    for (const auto s : x.sizes()) shape += (shape.empty() ? "" : ", ") + std::to_string(s);
    throw std::invalid_argument("TorchMlp::forward: input of shape [" + shape + "], expected [rows, " +
                                std::to_string(sizes_.front()) + "]");
  }
  const auto xc = x.to(torch::kFloat32).contiguous();
  const std::int64_t rows = xc.size(0);
  const float* out = forward_batch(xc.data_ptr<float>(), static_cast<int>(rows), trace);
  const std::int64_t outputs = sizes_.back();
  auto result = members_ == 1 ? torch::empty({rows, outputs}, torch::kFloat32)
                              : torch::empty({members_, rows, outputs}, torch::kFloat32);
  std::memcpy(result.data_ptr<float>(), out, static_cast<std::size_t>(result.numel()) * sizeof(float));
  return result;
}

void TorchMlp::backward(const Trace& trace, const torch::Tensor& d_output, std::int64_t rows) {
  const std::int64_t used = rows > 0 ? rows : trace.rows;
  if (d_output.numel() != members_ * used * sizes_.back()) {
    throw std::invalid_argument(
        "TorchMlp::backward: d_output has " + std::to_string(d_output.numel()) +
        " values, expected members x rows x outputs = " + std::to_string(members_ * used * sizes_.back()));
  }
  const auto dc = d_output.to(torch::kFloat32).contiguous();
  backward_batch(trace, dc.data_ptr<float>(), static_cast<int>(used));
}

void TorchMlp::forward_fast(const float* x, float* out, int member) const {
  const std::size_t layers = sizes_.size() - 1;
  const auto k = static_cast<std::size_t>(members_);
  const auto m = static_cast<std::size_t>(member);
  const float* in = x;
  const float* p = data_;
  for (std::size_t l = 0; l < layers; ++l) {
    const auto in_dim = static_cast<std::size_t>(sizes_[l]);
    const auto out_dim = static_cast<std::size_t>(sizes_[l + 1]);
    const float* w = p + m * in_dim * out_dim;  // [in, out]
    const float* b = p + k * in_dim * out_dim + m * out_dim;
    p += k * (in_dim * out_dim + out_dim);
    const bool last = l + 1 == layers;
    float* dst = out;
    if (!last) {
      auto& buf = (l % 2 == 0) ? buf_a_ : buf_b_;
      buf.resize(out_dim);
      dst = buf.data();
    }
    affine_row(in, in_dim, w, b, out_dim, dst, spec_.activation, !last);
    in = dst;
  }
}

void TorchMlp::copy_from(const TorchMlp& other) {
  if (other.size_ != size_) throw std::logic_error("copy_from: networks of different shapes");
  std::memcpy(data_, other.data_, size_ * sizeof(float));
}

void TorchMlp::polyak_from(const TorchMlp& other, double tau) {
  if (other.size_ != size_) throw std::logic_error("polyak_from: networks of different shapes");
  polyak(data_, other.data_, size_, static_cast<float>(tau));
}

}  // namespace edgetwin::learn::detail

// Internal MLP on one parameter buffer.

#include "torch_mlp.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include <torch/torch.h>

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
  grad_storage_ = torch::zeros({static_cast<std::int64_t>(size_)}, torch::kFloat32);
  grad_data_ = grad_storage_.data_ptr<float>();
  std::int64_t offset = 0;
  std::vector<std::int64_t> layer_offset;
  for (std::size_t layer = 0; layer + 1 < sizes_.size(); ++layer) {
    const std::int64_t in = sizes_[layer];
    const std::int64_t out = sizes_[layer + 1];
    layer_offset.push_back(offset);
    for (auto* target : {&params_, &grads_}) {
      const auto& buffer = target == &params_ ? storage_ : grad_storage_;
      if (members == 1) {
        target->push_back(buffer.narrow(0, offset, in * out).view({in, out}));
        target->push_back(buffer.narrow(0, offset + in * out, out));
      } else {
        target->push_back(buffer.narrow(0, offset, k * in * out).view({k, in, out}));
        target->push_back(buffer.narrow(0, offset + k * in * out, k * out).view({k, 1, out}));
      }
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
      float* w = data_ + layer_offset[layer] + m * in * out;
      float* b = data_ + layer_offset[layer] + k * in * out + m * out;
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

torch::Tensor TorchMlp::forward(const torch::Tensor& x) const {
  Trace unused;
  return forward_train(x, unused);
}

torch::Tensor TorchMlp::forward_train(const torch::Tensor& x, Trace& trace) const {
  trace.inputs.clear();
  torch::Tensor h = members_ == 1 ? x : x.unsqueeze(0).expand({members_, x.size(0), x.size(1)});
  const std::size_t layers = params_.size() / 2;
  for (std::size_t l = 0; l < layers; ++l) {
    trace.inputs.push_back(h);
    h = members_ == 1 ? torch::addmm(params_[2 * l + 1], h, params_[2 * l])
                      : torch::baddbmm(params_[2 * l + 1], h, params_[2 * l]);
    if (l + 1 == layers) break;
    switch (spec_.activation) {
      case Activation::kRelu: h = torch::relu(h); break;
      case Activation::kTanh: h = torch::tanh(h); break;
      case Activation::kElu: h = torch::elu(h); break;
    }
  }
  return h;
}

void TorchMlp::backward(const Trace& trace, const torch::Tensor& d_output, std::int64_t rows) {
  // Layer l: z = h W + b, h_next = act(z). Given dz: dW = h^T dz, db = sum over rows of dz,
  // dh = dz W^T, and dz of the layer below = dh * act'(z), computed from act's output h.
  torch::Tensor dz = d_output;
  const std::size_t layers = params_.size() / 2;
  for (std::size_t l = layers; l-- > 0;) {
    const auto h = rows > 0 ? trace.inputs[l].narrow(0, 0, rows) : trace.inputs[l];
    if (members_ == 1) {
      at::mm_out(grads_[2 * l], h.t(), dz);
      at::sum_out(grads_[2 * l + 1], dz, {0});
    } else {
      at::bmm_out(grads_[2 * l], h.transpose(1, 2), dz);
      at::sum_out(grads_[2 * l + 1], dz, {1}, /*keepdim=*/true);
    }
    if (l == 0) break;
    const torch::Tensor dh = members_ == 1 ? torch::mm(dz, params_[2 * l].t()) : torch::bmm(dz, params_[2 * l].transpose(1, 2));
    switch (spec_.activation) {
      case Activation::kRelu: dz = at::threshold_backward(dh, h, 0); break;
      case Activation::kTanh: dz = at::tanh_backward(dh, h); break;
      case Activation::kElu: dz = at::elu_backward(dh, 1.0, 1.0, 1.0, /*is_result=*/true, h); break;
    }
  }
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
    const float* w = p + m * in_dim * out_dim;       // [in, out]
    const float* b = p + k * in_dim * out_dim + m * out_dim;
    p += k * (in_dim * out_dim + out_dim);
    const bool last = l + 1 == layers;
    float* dst = out;
    if (!last) {
      auto& buf = (l % 2 == 0) ? buf_a_ : buf_b_;
      buf.resize(out_dim);
      dst = buf.data();
    }
    std::copy(b, b + out_dim, dst);
    for (std::size_t i = 0; i < in_dim; ++i) {
      const float xi = in[i];
      const float* row = w + i * out_dim;
      for (std::size_t o = 0; o < out_dim; ++o) dst[o] += xi * row[o];
    }
    if (!last) {
      for (std::size_t o = 0; o < out_dim; ++o) {
        switch (spec_.activation) {
          case Activation::kRelu: dst[o] = dst[o] > 0.0F ? dst[o] : 0.0F; break;
          case Activation::kTanh: dst[o] = std::tanh(dst[o]); break;
          case Activation::kElu: dst[o] = dst[o] > 0.0F ? dst[o] : std::expm1(dst[o]); break;
        }
      }
    }
    in = dst;
  }
}

void TorchMlp::copy_from(const TorchMlp& other) {
  if (other.size_ != size_) throw std::logic_error("copy_from: networks of different shapes");
  std::memcpy(data_, other.data_, size_ * sizeof(float));
}

void TorchMlp::polyak_from(const TorchMlp& other, double tau) {
  if (other.size_ != size_) throw std::logic_error("polyak_from: networks of different shapes");
  const auto t = static_cast<float>(tau);
  for (std::size_t i = 0; i < size_; ++i) data_[i] = (1.0F - t) * data_[i] + t * other.data_[i];
}

torch::Tensor to_tensor(const std::vector<float>& values, std::int64_t rows, std::int64_t cols) {
  if (static_cast<std::int64_t>(values.size()) != rows * cols) {
    throw std::invalid_argument("to_tensor: " + std::to_string(values.size()) + " values for [" +
                                std::to_string(rows) + ", " + std::to_string(cols) + "]");
  }
  auto t = torch::empty({rows, cols}, torch::kFloat32);
  std::memcpy(t.data_ptr<float>(), values.data(), values.size() * sizeof(float));
  return t;
}

}  // namespace edgetwin::learn::detail

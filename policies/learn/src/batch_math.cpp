// Vectorisable element-wise and row-wise loops for the learners' updates.

#include "batch_math.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace edgetwin::learn::detail {

// x = n ln2 + r with |r| <= ln2 / 2 (ln2 in two parts, Cody and Waite, so that r is exact to float
// rounding), e^r by its Taylor polynomial of degree 7 (truncation error below 1e-8 relative), 2^n
// through the exponent bits. x is clamped at -87 (2^-126 is float's smallest normal) and the
// result is 0 below it. Unlike std::exp, a loop of these vectorises: the softmax of a DVFO-sized
// SAC batch is 12,800 exponentials per update, which took a quarter of an update through std::exp.
float exp_nonpositive(float x) {
  const float clamped = std::max(x, -87.0F);
  // Round to nearest: truncation (towards zero) of t - 0.5 for t <= 0.
  const int n = static_cast<int>(clamped * 1.44269504F - 0.5F);
  const auto nf = static_cast<float>(n);
  const float r = (clamped - nf * 0.693359375F) + nf * 2.12194440e-4F;
  float e = 1.0F / 5040;
  e = e * r + 1.0F / 720;
  e = e * r + 1.0F / 120;
  e = e * r + 1.0F / 24;
  e = e * r + 1.0F / 6;
  e = e * r + 0.5F;
  e = e * r + 1.0F;
  e = e * r + 1.0F;
  const auto bits = static_cast<std::uint32_t>(n + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float keep = x >= -87.0F ? 1.0F : 0.0F;  // a multiplication, not a select: it vectorises with AVX too
  return e * scale * keep;
}

EDGETWIN_LEARN_VECTOR_CLONES
double sum_floats(const float* values, std::size_t n) {
  float partial[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (std::size_t j = 0; j < 8; ++j) partial[j] += values[i + j];
  }
  double sum = 0;
  for (; i < n; ++i) sum += values[i];
  for (const float p : partial) sum += p;
  return sum;
}

EDGETWIN_LEARN_VECTOR_CLONES
double sum_squares(const float* values, std::size_t n) {
  double partial[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (std::size_t j = 0; j < 8; ++j) partial[j] += static_cast<double>(values[i + j]) * values[i + j];
  }
  double sum = 0;
  for (; i < n; ++i) sum += static_cast<double>(values[i]) * values[i];
  for (const double p : partial) sum += p;
  return sum;
}

EDGETWIN_LEARN_VECTOR_CLONES
void log_softmax_rows(const float* logits, std::size_t rows, std::size_t n, float* log_p, float* p) {
  for (std::size_t row = 0; row < rows; ++row) {
    const float* z = logits + row * n;
    float* lp = log_p + row * n;
    float* pr = p + row * n;
    float top_partial[8];
    std::fill(top_partial, top_partial + 8, z[0]);
    std::size_t a = 0;
    for (; a + 8 <= n; a += 8) {
      for (std::size_t j = 0; j < 8; ++j) top_partial[j] = std::max(top_partial[j], z[a + j]);
    }
    float top = *std::max_element(top_partial, top_partial + 8);
    for (; a < n; ++a) top = std::max(top, z[a]);
    for (a = 0; a < n; ++a) {
      lp[a] = z[a] - top;
      pr[a] = exp_nonpositive(lp[a]);
    }
    const double sum = sum_floats(pr, n);  // >= 1: the largest term is e^0
    const auto log_sum = static_cast<float>(std::log(sum));
    const auto inv_sum = static_cast<float>(1.0 / sum);
    for (a = 0; a < n; ++a) {
      lp[a] -= log_sum;
      pr[a] *= inv_sum;
    }
  }
}

namespace {
// Inlined into the clones below, so compiled for each vector width.
inline void activate_row(float* h, std::size_t n, Activation activation) {
  switch (activation) {
    case Activation::kRelu:
      for (std::size_t o = 0; o < n; ++o) h[o] = h[o] > 0.0F ? h[o] : 0.0F;
      break;
    case Activation::kTanh:
      for (std::size_t o = 0; o < n; ++o) h[o] = std::tanh(h[o]);
      break;
    case Activation::kElu:
      for (std::size_t o = 0; o < n; ++o) h[o] = h[o] > 0.0F ? h[o] : std::expm1(h[o]);
      break;
  }
}
}  // namespace

EDGETWIN_LEARN_VECTOR_CLONES
void affine_row(const float* x, std::size_t in, const float* w, const float* bias, std::size_t out,
                float* dst, Activation activation, bool activate) {
  std::copy(bias, bias + out, dst);
  for (std::size_t i = 0; i < in; ++i) {
    const float xi = x[i];
    const float* row = w + i * out;
    for (std::size_t o = 0; o < out; ++o) dst[o] += xi * row[o];
  }
  if (activate) activate_row(dst, out, activation);
}

EDGETWIN_LEARN_VECTOR_CLONES
void add_bias_activate(float* z, std::size_t rows, std::size_t n, const float* bias, Activation activation,
                       bool activate) {
  for (std::size_t i = 0; i < rows; ++i) {
    float* h = z + i * n;
    for (std::size_t o = 0; o < n; ++o) h[o] += bias[o];
    if (activate) activate_row(h, n, activation);
  }
}

EDGETWIN_LEARN_VECTOR_CLONES
void activation_backward(Activation activation, const float* dh, const float* h, float* dz, std::size_t n) {
  switch (activation) {
    case Activation::kRelu:
      for (std::size_t i = 0; i < n; ++i) dz[i] = h[i] > 0.0F ? dh[i] : 0.0F;
      break;
    case Activation::kTanh:
      for (std::size_t i = 0; i < n; ++i) dz[i] = dh[i] * (1.0F - h[i] * h[i]);
      break;
    case Activation::kElu:
      for (std::size_t i = 0; i < n; ++i) dz[i] = h[i] > 0.0F ? dh[i] : dh[i] * (h[i] + 1.0F);
      break;
  }
}

EDGETWIN_LEARN_VECTOR_CLONES
void column_sums(const float* x, std::size_t rows, std::size_t n, float* sums) {
  std::copy(x, x + n, sums);
  for (std::size_t i = 1; i < rows; ++i) {
    const float* row = x + i * n;
    for (std::size_t j = 0; j < n; ++j) sums[j] += row[j];
  }
}

EDGETWIN_LEARN_VECTOR_CLONES
void transpose(const float* w, std::size_t rows, std::size_t cols, float* wt) {
  // In 8 x 8 tiles: twice as fast as row by row for the 64 x 100 weights (measured).
  constexpr std::size_t kTile = 8;
  std::size_t i0 = 0;
  for (; i0 + kTile <= rows; i0 += kTile) {
    std::size_t j0 = 0;
    for (; j0 + kTile <= cols; j0 += kTile) {
      for (std::size_t i = i0; i < i0 + kTile; ++i) {
        for (std::size_t j = j0; j < j0 + kTile; ++j) wt[j * rows + i] = w[i * cols + j];
      }
    }
    for (std::size_t i = i0; i < i0 + kTile; ++i) {
      for (std::size_t j = j0; j < cols; ++j) wt[j * rows + i] = w[i * cols + j];
    }
  }
  for (std::size_t i = i0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) wt[j * rows + i] = w[i * cols + j];
  }
}

EDGETWIN_LEARN_VECTOR_CLONES
void polyak(float* target, const float* source, std::size_t n, float tau) {
  for (std::size_t i = 0; i < n; ++i) target[i] = (1.0F - tau) * target[i] + tau * source[i];
}

EDGETWIN_LEARN_VECTOR_CLONES
double sac_soft_value(const float* p, const float* log_p, const float* q1, const float* q2, float alpha,
                      std::size_t n, float* scratch) {
  for (std::size_t a = 0; a < n; ++a) scratch[a] = p[a] * (std::min(q1[a], q2[a]) - alpha * log_p[a]);
  return sum_floats(scratch, n);
}

EDGETWIN_LEARN_VECTOR_CLONES
float sac_actor_row(const float* p, const float* log_p, const float* q1, const float* q2, float alpha,
                    float scale, std::size_t n, float* d_logits, float* scratch, double& entropy) {
  float* f = d_logits;
  for (std::size_t a = 0; a < n; ++a) {
    f[a] = alpha * log_p[a] - std::min(q1[a], q2[a]);
    scratch[a] = p[a] * f[a];
  }
  const auto loss = static_cast<float>(sum_floats(scratch, n));
  for (std::size_t a = 0; a < n; ++a) {
    d_logits[a] = p[a] * (f[a] - loss) * scale;
    scratch[a] = p[a] * log_p[a];
  }
  entropy = -sum_floats(scratch, n);
  return loss;
}

}  // namespace edgetwin::learn::detail

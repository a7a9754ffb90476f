#pragma once
// Internal: the element-wise and row-wise loops of the learners' updates on plain float arrays
// (everything but the matrix products, which go to BLAS), written so that they vectorise. This
// file's .cpp and flat_adam.cpp are compiled with -fno-math-errno, -fno-trapping-math and
// -ffp-contract=off: loops with sqrt or comparisons vectorise, and no multiply-add is fused, so
// every vector width computes the same IEEE values (reductions use explicit partial sums, whose
// order no vector width changes).

#include <cstddef>

#include "edgetwin/learn/mlp_spec.hpp"

// On x86-64 with GCC the hot loops are compiled for AVX-512, AVX2 and baseline x86-64, and the
// loader picks the widest the CPU has (function multiversioning); same results by the above.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define EDGETWIN_LEARN_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EDGETWIN_LEARN_VECTOR_CLONES
#endif

namespace edgetwin::learn::detail {

/// e^x for x <= 0 (a softmax's z - max z), to about float rounding; 0 below -87.
float exp_nonpositive(float x);

/// Sum of n floats in eight interleaved float partial sums, added up in double.
double sum_floats(const float* values, std::size_t n);
/// Sum of squares of n floats in double (eight interleaved partial sums).
double sum_squares(const float* values, std::size_t n);

/// For each of `rows` rows of `n` logits: log_p = z - max - log(sum exp(z - max)) and
/// p = exp(z - max) / sum. Arrays are [rows, n] row-major.
void log_softmax_rows(const float* logits, std::size_t rows, std::size_t n, float* log_p, float* p);

/// One row through one layer (act()): dst[o] = bias[o] + sum_i x[i] w[i, o] for w [in, out]
/// row-major (summed in order of i), then the activation when `activate`.
void affine_row(const float* x, std::size_t in, const float* w, const float* bias, std::size_t out,
                float* dst, Activation activation, bool activate);
/// z[i, :] += bias for each of `rows` rows of n, then the activation when `activate`.
void add_bias_activate(float* z, std::size_t rows, std::size_t n, const float* bias, Activation activation,
                       bool activate);
/// dz = dh * act'(z) from the activation's output h (libtorch's threshold_backward, tanh_backward
/// and elu_backward with is_result = true, alpha = scale = input_scale = 1). dz may be dh.
void activation_backward(Activation activation, const float* dh, const float* h, float* dz, std::size_t n);
/// sums[j] = sum over the rows of x[i, j], x [rows, n] row-major (row by row, in order).
void column_sums(const float* x, std::size_t rows, std::size_t n, float* sums);
/// wt [cols, rows] = w^T for w [rows, cols].
void transpose(const float* w, std::size_t rows, std::size_t cols, float* wt);
/// target = (1 - tau) target + tau source.
void polyak(float* target, const float* source, std::size_t n, float tau);

/// Discrete SAC, one state with twin critics: sum_a p_a [min(q1_a, q2_a) - alpha log_p_a], the soft
/// value V(s). `scratch` holds n floats.
double sac_soft_value(const float* p, const float* log_p, const float* q1, const float* q2, float alpha,
                      std::size_t n, float* scratch);

/// Discrete SAC actor, one state: with f_a = alpha log_p_a - min(q1_a, q2_a), the loss is
/// L = sum_a p_a f_a, and for p = softmax(z) dL/dz_a = p_a (f_a - L) (the alpha d(log p) term sums
/// to zero). Writes scale * dL/dz into d_logits, the entropy -sum_a p_a log_p_a into `entropy`,
/// returns L. `scratch` holds n floats.
float sac_actor_row(const float* p, const float* log_p, const float* q1, const float* q2, float alpha,
                    float scale, std::size_t n, float* d_logits, float* scratch, double& entropy);

}  // namespace edgetwin::learn::detail

#pragma once
/// Per-unit fits of latency and power over the three clock domains, used by TraceStore for clock
/// combinations that were not sampled. Bases and their physical motivation: docs/traces.md,
/// "How the store answers".

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "edgetwin/traces/board.hpp"
#include "edgetwin/traces/trace_format.hpp"

namespace edgetwin::traces {

/// Which basis a fit uses (x_d = f_d / f_d,max, the clock normalised by the board's highest one).
enum class FitKind {
  latency,  ///< y = a0 + a_cpu/x_cpu + a_gpu/x_gpu + a_emc/x_emc          (4 terms)
  power,    ///< y = b0 + sum over domains of (c1_d x_d + c3_d x_d^3)      (7 terms)
  energy,   ///< E = L (b0 + sum_d b_d x_d) + k0 + sum_d (k1_d x_d + k2_d x_d^2), L the latency (11 terms)
};

/// How the latency terms combine (FitKind::latency only).
enum class LatencyForm {
  linear,   ///< the sum of the terms (the dot product)
  overlap,  ///< ((a0 + a_cpu/x_cpu)^q + ((a_gpu/x_gpu)^p + (a_emc/x_emc)^p)^(q/p))^(1/q)
};

inline constexpr int kMaxFitTerms = 11;
/// The basis values of one clock setting; terms beyond term_count(kind) are zero.
using FitRow = std::array<double, kMaxFitTerms>;

/// Highest frequency of each domain of a board, the normalisation of the basis.
struct ClockScale {
  double cpu_max_khz = 1;
  double gpu_max_hz = 1;
  double emc_max_hz = 1;
  static ClockScale of(const Board& board);
};

int term_count(FitKind kind);
/// Readable term name, e.g. "fgpu_max/fgpu" or "(femc/femc_max)^3".
const char* term_name(FitKind kind, int term);
/// Basis values at `clocks` (latency or power; energy needs a latency: energy_row). Cheap (three
/// divisions), allocation-free: the store's hot path.
FitRow basis_row(FitKind kind, const ClockScale& scale, const ClockSetting& clocks);
/// Energy basis values at `clocks` for a unit that takes `latency_s`. Allocation-free.
FitRow energy_row(const ClockScale& scale, const ClockSetting& clocks, double latency_s);
/// The overlap latency form at basis row `row` (of FitKind::latency). Allocation-free.
double overlap_latency(const FitRow& coef, const FitRow& row, int p, int q);

/// A fitted model of one quantity of one (unit, batch, concurrency) group.
struct UnitFit {
  FitKind kind = FitKind::latency;
  LatencyForm form = LatencyForm::linear;
  int p = 1;      ///< overlap form: compute/memory exponent
  int q = 1;      ///< overlap form: CPU/GPU exponent
  FitRow coef{};  ///< non-negative; zero for unused terms
  std::array<bool, kMaxFitTerms> used{};
  int points = 0;                    ///< samples the fit was made on
  std::vector<std::string> dropped;  ///< terms left out and why, e.g. "fcpu_max/fcpu: 1 distinct cpu_khz"
  double rms_rel = 0;                ///< in-sample RMS relative error

  /// Model value at `row` (basis_row of `kind`, or energy_row for energy).
  double evaluate(const FitRow& row) const {
    if (form == LatencyForm::overlap) return overlap_latency(coef, row, p, q);
    double y = 0;
    for (std::size_t i = 0; i < coef.size(); ++i) y += coef[i] * row[i];
    return y;
  }
};

/// Fits `values` (one per clock setting, > 0; zeros allowed for rails) by relative-error
/// weighted non-negative least squares. Terms of a domain with too few distinct frequencies, or
/// collinear on this grid, are dropped and listed in UnitFit::dropped. Throws
/// std::invalid_argument if the inputs are empty or of different sizes.
UnitFit fit_unit(FitKind kind, const ClockScale& scale, const std::vector<ClockSetting>& clocks,
                 const std::vector<double>& values);

/// Latency model of a group: the linear NNLS fit, or the overlap form (p, q from
/// kOverlapExponents, fitted by Levenberg-Marquardt from the NNLS solution) when its in-sample
/// RMS relative error is at most kOverlapMinGain of the linear one. Same term dropping as fit_unit.
UnitFit fit_latency(const ClockScale& scale, const std::vector<ClockSetting>& clocks,
                    const std::vector<double>& latency_s);
/// Power model of a group: the power basis, or the energy model fitted on E = P L with the measured
/// `latency_s` (kind energy; P = E / L with L from `latency_fit` at query time), whichever has the
/// lower in-sample RMS relative error of P with L from `latency_fit`. Zeros allowed (idle rails).
UnitFit fit_power(const ClockScale& scale, const std::vector<ClockSetting>& clocks,
                  const std::vector<double>& latency_s, const UnitFit& latency_fit,
                  const std::vector<double>& power_w);
/// Power (W) of a fit_power result at `clocks` for a unit that takes `latency_s` (> 0). Allocation-free.
double predict_power(const UnitFit& power_fit, const ClockScale& scale, const ClockSetting& clocks,
                     double latency_s);
/// Short name of the model a fit uses: "linear", "overlap p=3 q=4", "power basis", "energy".
std::string model_name(const UnitFit& fit);

/// Exponents tried for p and q of the overlap form (1 is additive).
inline constexpr std::array<int, 5> kOverlapExponents = {1, 2, 3, 4, 8};
/// The overlap form replaces the linear model only when its in-sample RMS relative error is at
/// most this fraction of the linear one.
inline constexpr double kOverlapMinGain = 0.9;

/// Worst relative error at each point when it is left out of the fit (refit without it, same
/// term-dropping rules). NaN with fewer than two points. Points with value 0 are skipped.
double leave_one_out_max_rel(FitKind kind, const ClockScale& scale, const std::vector<ClockSetting>& clocks,
                             const std::vector<double>& values);
/// Leave-one-out prediction of each point's latency by the model of `fit` (a fit_latency result):
/// the linear model is refitted as in fit_unit; the overlap form keeps p, q and the used terms and
/// restarts Levenberg-Marquardt from `fit`. Empty with fewer than two points.
std::vector<double> leave_one_out_latency(const UnitFit& fit, const ClockScale& scale,
                                          const std::vector<ClockSetting>& clocks,
                                          const std::vector<double>& latency_s);
/// Leave-one-out prediction of each point's power by the model of `fit` (a fit_power result),
/// using `latency_loo_s` (from leave_one_out_latency) as the latency of the left-out point.
std::vector<double> leave_one_out_power(const UnitFit& fit, const ClockScale& scale,
                                        const std::vector<ClockSetting>& clocks,
                                        const std::vector<double>& latency_s,
                                        const std::vector<double>& latency_loo_s,
                                        const std::vector<double>& power_w);
/// Worst |predicted - actual| / actual over points with actual > 0; NaN when `predicted` is empty.
double max_rel_error(const std::vector<double>& predicted, const std::vector<double>& actual);

/// min |a x - b| subject to x >= 0 (Lawson-Hanson active set; each step solves the passive
/// columns by Householder QR, never the normal equations).
Eigen::VectorXd solve_nnls(const Eigen::MatrixXd& a, const Eigen::VectorXd& b);

}  // namespace edgetwin::traces

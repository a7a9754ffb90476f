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
};

inline constexpr int kMaxFitTerms = 7;
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
/// Basis values at `clocks`. Cheap (three divisions), allocation-free: the store's hot path.
FitRow basis_row(FitKind kind, const ClockScale& scale, const ClockSetting& clocks);

/// A fitted model of one quantity of one (unit, batch, concurrency) group.
struct UnitFit {
  FitKind kind = FitKind::latency;
  FitRow coef{};                      ///< non-negative; zero for unused terms
  std::array<bool, kMaxFitTerms> used{};
  int points = 0;                     ///< samples the fit was made on
  std::vector<std::string> dropped;   ///< terms left out and why, e.g. "fcpu_max/fcpu: 1 distinct cpu_khz"
  double rms_rel = 0;                 ///< in-sample RMS relative error

  double evaluate(const FitRow& row) const {
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

/// Worst relative error at each point when it is left out of the fit (refit without it, same
/// term-dropping rules). NaN with fewer than two points. Points with value 0 are skipped.
double leave_one_out_max_rel(FitKind kind, const ClockScale& scale,
                             const std::vector<ClockSetting>& clocks,
                             const std::vector<double>& values);

/// min |a x - b| subject to x >= 0 (Lawson-Hanson active set; each step solves the passive
/// columns by Householder QR, never the normal equations).
Eigen::VectorXd solve_nnls(const Eigen::MatrixXd& a, const Eigen::VectorXd& b);

}  // namespace edgetwin::traces

#include "edgetwin/traces/unit_fit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace edgetwin::traces {
namespace {

constexpr int kDomains = 3;  // cpu, gpu, emc, in that order in the basis
const char* const kDomainColumn[kDomains] = {"cpu_khz", "gpu_hz", "emc_hz"};

// How many terms of a domain each basis has: latency one (f_max/f), power two (x, x^3).
int terms_per_domain(FitKind kind) { return kind == FitKind::latency ? 1 : 2; }

// Index of the t-th term (0-based) of domain d in the basis row.
int term_index(FitKind kind, int domain, int t) {
  return kind == FitKind::latency ? 1 + domain : 1 + 2 * domain + t;
}

std::int64_t domain_value(const ClockSetting& clocks, int domain) {
  switch (domain) {
    case 0: return clocks.cpu_khz;
    case 1: return clocks.gpu_hz;
    default: return clocks.emc_hz;
  }
}

int distinct_count(const std::vector<ClockSetting>& clocks, int domain) {
  std::vector<std::int64_t> values;
  values.reserve(clocks.size());
  for (const ClockSetting& c : clocks) values.push_back(domain_value(c, domain));
  std::sort(values.begin(), values.end());
  return static_cast<int>(std::unique(values.begin(), values.end()) - values.begin());
}

// Rank of `a` with columns scaled to unit norm, so that the decision does not depend on units.
Eigen::Index scaled_rank(Eigen::MatrixXd a) {
  for (Eigen::Index j = 0; j < a.cols(); ++j) {
    const double norm = a.col(j).norm();
    if (norm > 0) a.col(j) /= norm;
  }
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a);
  qr.setThreshold(1e-10);
  return qr.rank();
}

Eigen::VectorXd least_squares_on(const Eigen::MatrixXd& a, const Eigen::VectorXd& b,
                                 const std::vector<bool>& passive) {
  std::vector<Eigen::Index> cols;
  for (std::size_t j = 0; j < passive.size(); ++j) {
    if (passive[j]) cols.push_back(static_cast<Eigen::Index>(j));
  }
  Eigen::MatrixXd sub(a.rows(), static_cast<Eigen::Index>(cols.size()));
  for (std::size_t k = 0; k < cols.size(); ++k) sub.col(static_cast<Eigen::Index>(k)) = a.col(cols[k]);
  const Eigen::VectorXd z_sub = sub.colPivHouseholderQr().solve(b);
  Eigen::VectorXd z = Eigen::VectorXd::Zero(a.cols());
  for (std::size_t k = 0; k < cols.size(); ++k) z(cols[k]) = z_sub(static_cast<Eigen::Index>(k));
  return z;
}

}  // namespace

ClockScale ClockScale::of(const Board& board) {
  ClockScale scale;
  if (!board.cpu_freqs_khz.empty()) scale.cpu_max_khz = static_cast<double>(board.cpu_freqs_khz.back());
  if (!board.gpu_freqs_hz.empty()) scale.gpu_max_hz = static_cast<double>(board.gpu_freqs_hz.back());
  if (!board.emc_freqs_hz.empty()) scale.emc_max_hz = static_cast<double>(board.emc_freqs_hz.back());
  return scale;
}

int term_count(FitKind kind) { return kind == FitKind::latency ? 4 : 7; }

const char* term_name(FitKind kind, int term) {
  static const char* const latency[] = {"1", "fcpu_max/fcpu", "fgpu_max/fgpu", "femc_max/femc"};
  static const char* const power[] = {"1",
                                      "fcpu/fcpu_max", "(fcpu/fcpu_max)^3",
                                      "fgpu/fgpu_max", "(fgpu/fgpu_max)^3",
                                      "femc/femc_max", "(femc/femc_max)^3"};
  if (term < 0 || term >= term_count(kind)) return "?";
  return kind == FitKind::latency ? latency[term] : power[term];
}

FitRow basis_row(FitKind kind, const ClockScale& scale, const ClockSetting& clocks) {
  const double xc = static_cast<double>(clocks.cpu_khz) / scale.cpu_max_khz;
  const double xg = static_cast<double>(clocks.gpu_hz) / scale.gpu_max_hz;
  const double xm = static_cast<double>(clocks.emc_hz) / scale.emc_max_hz;
  if (kind == FitKind::latency) return {1.0, 1.0 / xc, 1.0 / xg, 1.0 / xm, 0.0, 0.0, 0.0};
  return {1.0, xc, xc * xc * xc, xg, xg * xg * xg, xm, xm * xm * xm};
}

Eigen::VectorXd solve_nnls(const Eigen::MatrixXd& a, const Eigen::VectorXd& b) {
  const Eigen::Index n = a.cols();
  Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
  if (n == 0) return x;
  // Fast path: the unconstrained solution is already feasible (the usual case on clean data).
  std::vector<bool> passive(static_cast<std::size_t>(n), true);
  Eigen::VectorXd z = least_squares_on(a, b, passive);
  if ((z.array() >= 0).all()) return z;

  const double tol = 10 * std::numeric_limits<double>::epsilon() * a.cwiseAbs().colwise().sum().maxCoeff() *
                     static_cast<double>(std::max(a.rows(), n));
  std::fill(passive.begin(), passive.end(), false);
  // A column whose least-squares coefficient comes out non-positive right after it enters would
  // be picked again forever; skip it until the solution moves.
  std::vector<bool> skip(static_cast<std::size_t>(n), false);
  const int max_iterations = 3 * static_cast<int>(n) + 10;
  for (int outer = 0; outer < max_iterations; ++outer) {
    const Eigen::VectorXd w = a.transpose() * (b - a * x);
    Eigen::Index best = -1;
    for (Eigen::Index j = 0; j < n; ++j) {
      const auto k = static_cast<std::size_t>(j);
      if (!passive[k] && !skip[k] && w(j) > tol && (best < 0 || w(j) > w(best))) best = j;
    }
    if (best < 0) break;
    const Eigen::VectorXd x_before = x;
    passive[static_cast<std::size_t>(best)] = true;
    for (int inner = 0; inner < max_iterations; ++inner) {
      z = least_squares_on(a, b, passive);
      bool feasible = true;
      double alpha = 1;
      for (Eigen::Index j = 0; j < n; ++j) {
        if (passive[static_cast<std::size_t>(j)] && z(j) <= 0) {
          feasible = false;
          const double step = x(j) - z(j);  // >= 0 since x >= 0 >= z
          alpha = std::min(alpha, step > 0 ? x(j) / step : 0.0);
        }
      }
      if (feasible) {
        x = z;
        break;
      }
      x += alpha * (z - x);
      for (Eigen::Index j = 0; j < n; ++j) {
        if (passive[static_cast<std::size_t>(j)] && x(j) <= tol) {
          passive[static_cast<std::size_t>(j)] = false;
          x(j) = 0;
        }
      }
    }
    if (x == x_before) {
      skip[static_cast<std::size_t>(best)] = true;
    } else {
      std::fill(skip.begin(), skip.end(), false);
    }
  }
  return x.cwiseMax(0.0);
}

UnitFit fit_unit(FitKind kind, const ClockScale& scale, const std::vector<ClockSetting>& clocks,
                 const std::vector<double>& values) {
  if (clocks.empty() || clocks.size() != values.size()) {
    throw std::invalid_argument("fit_unit: need as many values as clock settings (and at least one)");
  }
  const auto n = static_cast<Eigen::Index>(clocks.size());
  UnitFit fit;
  fit.kind = kind;
  fit.points = static_cast<int>(n);

  // Relative-error weights: minimise sum ((y_hat - y) / y)^2. A zero (an idle rail) gets the
  // weight of a small positive value instead of an infinite one.
  const double y_max = *std::max_element(values.begin(), values.end());
  const double floor = y_max > 0 ? 1e-6 * y_max : 1.0;
  Eigen::VectorXd weight(n), rhs(n);
  Eigen::MatrixXd rows(n, term_count(kind));
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    weight(i) = 1.0 / std::max(values[k], floor);
    rhs(i) = weight(i) * values[k];
    const FitRow row = basis_row(kind, scale, clocks[k]);
    for (int t = 0; t < term_count(kind); ++t) rows(i, t) = weight(i) * row[static_cast<std::size_t>(t)];
  }

  // A domain with m distinct frequencies supports at most m - 1 terms besides the intercept.
  int distinct[kDomains];
  int terms[kDomains];
  for (int d = 0; d < kDomains; ++d) {
    distinct[d] = distinct_count(clocks, d);
    terms[d] = std::min(terms_per_domain(kind), distinct[d] - 1);
    for (int t = terms[d]; t < terms_per_domain(kind); ++t) {
      fit.dropped.push_back(std::string(term_name(kind, term_index(kind, d, t))) + ": " +
                            std::to_string(distinct[d]) + " distinct " + kDomainColumn[d]);
    }
  }
  // Sparse grids can still leave the remaining terms collinear (e.g. clocks that move together):
  // drop the highest term of the domain with the fewest distinct frequencies (GPU last) until the
  // design has full rank.
  std::vector<int> columns;
  for (;;) {
    columns.assign(1, 0);
    for (int d = 0; d < kDomains; ++d) {
      for (int t = 0; t < terms[d]; ++t) columns.push_back(term_index(kind, d, t));
    }
    Eigen::MatrixXd a(n, static_cast<Eigen::Index>(columns.size()));
    for (std::size_t c = 0; c < columns.size(); ++c) a.col(static_cast<Eigen::Index>(c)) = rows.col(columns[c]);
    if (scaled_rank(a) == a.cols()) {
      const Eigen::VectorXd x = solve_nnls(a, rhs);
      for (std::size_t c = 0; c < columns.size(); ++c) {
        fit.coef[static_cast<std::size_t>(columns[c])] = x(static_cast<Eigen::Index>(c));
        fit.used[static_cast<std::size_t>(columns[c])] = true;
      }
      break;
    }
    int victim = -1;
    for (int d : {0, 2, 1}) {
      if (terms[d] > 0 && (victim < 0 || distinct[d] < distinct[victim])) victim = d;
    }
    if (victim < 0) break;  // intercept alone is never rank deficient; defensive
    --terms[victim];
    fit.dropped.push_back(std::string(term_name(kind, term_index(kind, victim, terms[victim]))) +
                          ": collinear with the other terms on this grid");
  }

  double sum_sq = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const double r = (fit.evaluate(basis_row(kind, scale, clocks[k])) - values[k]) * weight(i);
    sum_sq += r * r;
  }
  fit.rms_rel = std::sqrt(sum_sq / static_cast<double>(n));
  return fit;
}

double leave_one_out_max_rel(FitKind kind, const ClockScale& scale,
                             const std::vector<ClockSetting>& clocks,
                             const std::vector<double>& values) {
  if (clocks.size() < 2 || clocks.size() != values.size()) return std::numeric_limits<double>::quiet_NaN();
  double worst = 0;
  std::vector<ClockSetting> rest_clocks;
  std::vector<double> rest_values;
  for (std::size_t i = 0; i < clocks.size(); ++i) {
    if (!(values[i] > 0)) continue;
    rest_clocks.clear();
    rest_values.clear();
    for (std::size_t j = 0; j < clocks.size(); ++j) {
      if (j == i) continue;
      rest_clocks.push_back(clocks[j]);
      rest_values.push_back(values[j]);
    }
    const UnitFit fit = fit_unit(kind, scale, rest_clocks, rest_values);
    const double predicted = fit.evaluate(basis_row(kind, scale, clocks[i]));
    worst = std::max(worst, std::abs(predicted - values[i]) / values[i]);
  }
  return worst;
}

}  // namespace edgetwin::traces

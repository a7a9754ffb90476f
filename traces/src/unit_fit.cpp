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

// How many terms of a domain each basis has: latency one (f_max/f), power two (x, x^3), energy
// three (L x, x, x^2).
int terms_per_domain(FitKind kind) {
  switch (kind) {
    case FitKind::latency:
      return 1;
    case FitKind::power:
      return 2;
    default:
      return 3;
  }
}

// Index of the t-th term (0-based) of domain d in the basis row.
int term_index(FitKind kind, int domain, int t) {
  switch (kind) {
    case FitKind::latency:
      return 1 + domain;
    case FitKind::power:
      return 1 + 2 * domain + t;
    default:
      return t == 0 ? 1 + domain : 4 + 2 * domain + t;
  }
}

// Terms of a domain sampled at `distinct` clocks that a fit can determine: a function of x_d alone
// has at most distinct - 1 terms besides the intercept; the energy model's L x_d term varies with
// the other domains too (through L), so it needs only two clocks.
int supported_terms(FitKind kind, int distinct) {
  if (kind == FitKind::energy) return distinct <= 1 ? 0 : std::min(3, distinct);
  return std::min(terms_per_domain(kind), distinct - 1);
}

// Columns every fit keeps: the intercept (energy: static power L and a constant energy).
std::vector<int> base_columns(FitKind kind) {
  return kind == FitKind::energy ? std::vector<int>{0, 4} : std::vector<int>{0};
}

std::int64_t domain_value(const ClockSetting& clocks, int domain) {
  switch (domain) {
    case 0:
      return clocks.cpu_khz;
    case 1:
      return clocks.gpu_hz;
    default:
      return clocks.emc_hz;
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

int term_count(FitKind kind) {
  switch (kind) {
    case FitKind::latency:
      return 4;
    case FitKind::power:
      return 7;
    default:
      return 11;
  }
}

const char* term_name(FitKind kind, int term) {
  static const char* const latency[] = {"1", "fcpu_max/fcpu", "fgpu_max/fgpu", "femc_max/femc"};
  static const char* const power[] = {"1",
                                      "fcpu/fcpu_max",
                                      "(fcpu/fcpu_max)^3",
                                      "fgpu/fgpu_max",
                                      "(fgpu/fgpu_max)^3",
                                      "femc/femc_max",
                                      "(femc/femc_max)^3"};
  static const char* const energy[] = {"L",
                                       "L*fcpu/fcpu_max",
                                       "L*fgpu/fgpu_max",
                                       "L*femc/femc_max",
                                       "1",
                                       "fcpu/fcpu_max",
                                       "(fcpu/fcpu_max)^2",
                                       "fgpu/fgpu_max",
                                       "(fgpu/fgpu_max)^2",
                                       "femc/femc_max",
                                       "(femc/femc_max)^2"};
  if (term < 0 || term >= term_count(kind)) return "?";
  switch (kind) {
    case FitKind::latency:
      return latency[term];
    case FitKind::power:
      return power[term];
    default:
      return energy[term];
  }
}

FitRow basis_row(FitKind kind, const ClockScale& scale, const ClockSetting& clocks) {
  const double xc = static_cast<double>(clocks.cpu_khz) / scale.cpu_max_khz;
  const double xg = static_cast<double>(clocks.gpu_hz) / scale.gpu_max_hz;
  const double xm = static_cast<double>(clocks.emc_hz) / scale.emc_max_hz;
  if (kind == FitKind::latency) return {1.0, 1.0 / xc, 1.0 / xg, 1.0 / xm, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
  if (kind == FitKind::energy) return energy_row(scale, clocks, 1.0);
  return {1.0, xc, xc * xc * xc, xg, xg * xg * xg, xm, xm * xm * xm, 0.0, 0.0, 0.0, 0.0};
}

FitRow energy_row(const ClockScale& scale, const ClockSetting& clocks, double latency_s) {
  const double xc = static_cast<double>(clocks.cpu_khz) / scale.cpu_max_khz;
  const double xg = static_cast<double>(clocks.gpu_hz) / scale.gpu_max_hz;
  const double xm = static_cast<double>(clocks.emc_hz) / scale.emc_max_hz;
  const double l = latency_s;
  return {l, l * xc, l * xg, l * xm, 1.0, xc, xc * xc, xg, xg * xg, xm, xm * xm};
}

namespace {

// x^n and x^(1/n) for the small integer exponents of kOverlapExponents: multiplications and
// square/cube roots instead of pow (overlap_latency is on the store's hot path).
double ipow(double x, int n) {
  double y = 1;
  for (int i = 0; i < n; ++i) y *= x;
  return y;
}

double iroot(double x, int n) {
  switch (n) {
    case 1:
      return x;
    case 2:
      return std::sqrt(x);
    case 3:
      return std::cbrt(x);
    case 4:
      return std::sqrt(std::sqrt(x));
    case 8:
      return std::sqrt(std::sqrt(std::sqrt(x)));
    default:
      return std::pow(x, 1.0 / n);
  }
}

// ||(a, b)||_p for a, b >= 0. Unit latencies (1e-7 .. 10 s) raised to the 8th power stay far from
// the limits of a double, so no rescaling is needed.
double pnorm2(double a, double b, int p) {
  return iroot(ipow(a, p) + ipow(b, p), p);
}

// The overlap form and its gradient in (a0, a_cpu, a_gpu, a_emc).
struct OverlapValue {
  double value = 0;
  Eigen::Vector4d gradient = Eigen::Vector4d::Zero();
};

OverlapValue overlap_with_gradient(const FitRow& a, const FitRow& r, int p, int q) {
  const double cpu = a[0] + a[1] * r[1];
  const double gpu = a[2] * r[2];
  const double emc = a[3] * r[3];
  const double device = pnorm2(gpu, emc, p);
  OverlapValue out;
  out.value = pnorm2(cpu, device, q);
  if (out.value <= 0) return out;
  // d||(u, v)||_p / du = (u / ||(u, v)||_p)^(p - 1); x^0 = 1 keeps the additive case right.
  const double d_cpu = ipow(cpu / out.value, q - 1);
  const double d_device = ipow(device / out.value, q - 1);
  const double d_gpu = device > 0 ? ipow(gpu / device, p - 1) : (p == 1 ? 1.0 : 0.0);
  const double d_emc = device > 0 ? ipow(emc / device, p - 1) : (p == 1 ? 1.0 : 0.0);
  out.gradient << d_cpu, d_cpu * r[1], d_device * d_gpu * r[2], d_device * d_emc * r[3];
  return out;
}

double overlap_cost(const std::vector<FitRow>& rows, const std::vector<double>& y, const FitRow& coef, int p,
                    int q) {
  double sum = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double r = overlap_latency(coef, rows[i], p, q) / y[i] - 1;
    sum += r * r;
  }
  return sum;
}

// Levenberg-Marquardt on the relative residuals L(a)/y - 1 over the used coefficients, each kept
// >= 0 by projection. Starts from, and updates, `coef`; returns the RMS relative error. Four
// parameters at most: the normal equations are accumulated directly, without allocation.
double fit_overlap(const std::vector<FitRow>& rows, const std::vector<double>& y,
                   const std::array<bool, kMaxFitTerms>& used, int p, int q, FitRow& coef,
                   int max_iterations) {
  const double n = std::max<double>(1, static_cast<double>(rows.size()));
  double cost = overlap_cost(rows, y, coef, p, q);
  Eigen::Vector4d free_mask;
  for (int j = 0; j < 4; ++j) free_mask(j) = used[static_cast<std::size_t>(j)] ? 1.0 : 0.0;
  double lambda = 1e-3;
  for (int iteration = 0; iteration < max_iterations; ++iteration) {
    Eigen::Matrix4d normal = Eigen::Matrix4d::Zero();
    Eigen::Vector4d gradient = Eigen::Vector4d::Zero();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const OverlapValue v = overlap_with_gradient(coef, rows[i], p, q);
      const Eigen::Vector4d jac = v.gradient.cwiseProduct(free_mask) / y[i];
      normal.noalias() += jac * jac.transpose();
      gradient += jac * (v.value / y[i] - 1);
    }
    // Fixed (unused) coefficients, and ones whose gradient vanishes, get a unit diagonal: no step.
    const double floor = 1e-12 * std::max(normal.diagonal().maxCoeff(), 1e-300);
    bool accepted = false;
    double trial_cost = cost;
    for (int attempt = 0; attempt < 12 && !accepted; ++attempt) {
      Eigen::Matrix4d damped = normal;
      for (int j = 0; j < 4; ++j) {
        damped(j, j) = free_mask(j) > 0 ? normal(j, j) * (1 + lambda) + floor : 1.0;
      }
      const Eigen::Vector4d step = damped.ldlt().solve(-gradient);
      FitRow trial = coef;
      for (std::size_t j = 0; j < 4; ++j) {
        if (free_mask(static_cast<Eigen::Index>(j)) > 0) {
          trial[j] = std::max(0.0, coef[j] + step(static_cast<Eigen::Index>(j)));
        }
      }
      trial_cost = overlap_cost(rows, y, trial, p, q);
      if (trial_cost < cost) {
        coef = trial;
        accepted = true;
        lambda = std::max(lambda / 3, 1e-12);
      } else {
        lambda *= 4;
      }
    }
    if (!accepted) break;
    const double gain = cost - trial_cost;
    cost = trial_cost;
    if (gain <= 1e-10 * cost + 1e-30) break;
  }
  return std::sqrt(cost / n);
}

// Levenberg-Marquardt iterations given to every (p, q) before the best three run to convergence.
constexpr int kScanIterations = 12;

// The NNLS latency solution as a start for the overlap form: every used term at least a small
// share of the data (a zero term could never leave zero where its gradient vanishes), then the
// whole vector rescaled by the closed-form best factor (the form is homogeneous of degree 1).
FitRow overlap_start(const UnitFit& linear, const std::vector<FitRow>& rows, const std::vector<double>& y,
                     int p, int q) {
  FitRow coef = linear.coef;
  double y_mean = 0;
  for (double v : y) y_mean += v / static_cast<double>(y.size());
  for (std::size_t j = 1; j < 4; ++j) {
    if (!linear.used[j]) continue;
    double r_mean = 0;
    for (const FitRow& r : rows) r_mean += r[j] / static_cast<double>(rows.size());
    coef[j] = std::max(coef[j], 0.05 * y_mean / r_mean);
  }
  double num = 0, den = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double f = overlap_latency(coef, rows[i], p, q) / y[i];
    num += f;
    den += f * f;
  }
  if (den > 0) {
    for (double& c : coef) c *= num / den;
  }
  return coef;
}

}  // namespace

double overlap_latency(const FitRow& coef, const FitRow& row, int p, int q) {
  return pnorm2(coef[0] + coef[1] * row[1], pnorm2(coef[2] * row[2], coef[3] * row[3], p), q);
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

namespace {

// Relative-error weighted NNLS of `values` on the columns of `basis` (one unweighted basis row per
// clock setting), with the term dropping of fit_unit.
UnitFit fit_design(FitKind kind, const Eigen::MatrixXd& basis, const std::vector<ClockSetting>& clocks,
                   const std::vector<double>& values) {
  const auto n = static_cast<Eigen::Index>(clocks.size());
  UnitFit fit;
  fit.kind = kind;
  fit.points = static_cast<int>(n);

  // Relative-error weights: minimise sum ((y_hat - y) / y)^2. A zero (an idle rail) gets the
  // weight of a small positive value instead of an infinite one.
  const double y_max = *std::max_element(values.begin(), values.end());
  const double floor = y_max > 0 ? 1e-6 * y_max : 1.0;
  Eigen::VectorXd weight(n), rhs(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    weight(i) = 1.0 / std::max(values[k], floor);
    rhs(i) = weight(i) * values[k];
  }
  const Eigen::MatrixXd rows = weight.asDiagonal() * basis;

  int distinct[kDomains];
  int terms[kDomains];
  for (int d = 0; d < kDomains; ++d) {
    distinct[d] = distinct_count(clocks, d);
    terms[d] = std::max(0, supported_terms(kind, distinct[d]));
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
    columns = base_columns(kind);
    for (int d = 0; d < kDomains; ++d) {
      for (int t = 0; t < terms[d]; ++t) columns.push_back(term_index(kind, d, t));
    }
    Eigen::MatrixXd a(n, static_cast<Eigen::Index>(columns.size()));
    for (std::size_t c = 0; c < columns.size(); ++c)
      a.col(static_cast<Eigen::Index>(c)) = rows.col(columns[c]);
    int victim = -1;
    for (int d : {0, 2, 1}) {
      if (terms[d] > 0 && (victim < 0 || distinct[d] < distinct[victim])) victim = d;
    }
    if (victim < 0 || scaled_rank(a) == a.cols()) {
      const Eigen::VectorXd x = solve_nnls(a, rhs);
      for (std::size_t c = 0; c < columns.size(); ++c) {
        fit.coef[static_cast<std::size_t>(columns[c])] = x(static_cast<Eigen::Index>(c));
        fit.used[static_cast<std::size_t>(columns[c])] = true;
      }
      break;
    }
    --terms[victim];
    fit.dropped.push_back(std::string(term_name(kind, term_index(kind, victim, terms[victim]))) +
                          ": collinear with the other terms on this grid");
  }

  double sum_sq = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    FitRow row{};
    for (Eigen::Index t = 0; t < basis.cols(); ++t) row[static_cast<std::size_t>(t)] = basis(i, t);
    const double r = (fit.evaluate(row) - values[static_cast<std::size_t>(i)]) * weight(i);
    sum_sq += r * r;
  }
  fit.rms_rel = std::sqrt(sum_sq / static_cast<double>(n));
  return fit;
}

void check_sizes(const std::vector<ClockSetting>& clocks, std::size_t values, const char* what) {
  if (clocks.empty() || clocks.size() != values) {
    throw std::invalid_argument(std::string(what) +
                                ": need as many values as clock settings (and at least one)");
  }
}

// Energy model fitted on E = P L with the measured latencies; rms_rel is that of E (= that of P
// at the measured L).
UnitFit fit_energy(const ClockScale& scale, const std::vector<ClockSetting>& clocks,
                   const std::vector<double>& latency_s, const std::vector<double>& power_w) {
  const auto n = static_cast<Eigen::Index>(clocks.size());
  Eigen::MatrixXd basis(n, term_count(FitKind::energy));
  std::vector<double> energy(clocks.size());
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const FitRow row = energy_row(scale, clocks[k], latency_s[k]);
    for (int t = 0; t < term_count(FitKind::energy); ++t) basis(i, t) = row[static_cast<std::size_t>(t)];
    energy[k] = power_w[k] * latency_s[k];
  }
  return fit_design(FitKind::energy, basis, clocks, energy);
}

std::vector<FitRow> latency_rows(const ClockScale& scale, const std::vector<ClockSetting>& clocks) {
  std::vector<FitRow> rows;
  rows.reserve(clocks.size());
  for (const ClockSetting& c : clocks) rows.push_back(basis_row(FitKind::latency, scale, c));
  return rows;
}

template <typename T>
std::vector<T> without(const std::vector<T>& values, std::size_t skip) {
  std::vector<T> out;
  out.reserve(values.size());
  for (std::size_t j = 0; j < values.size(); ++j) {
    if (j != skip) out.push_back(values[j]);
  }
  return out;
}

}  // namespace

UnitFit fit_unit(FitKind kind, const ClockScale& scale, const std::vector<ClockSetting>& clocks,
                 const std::vector<double>& values) {
  check_sizes(clocks, values.size(), "fit_unit");
  if (kind == FitKind::energy)
    throw std::invalid_argument("fit_unit: the energy model needs latencies (fit_power)");
  const auto n = static_cast<Eigen::Index>(clocks.size());
  Eigen::MatrixXd basis(n, term_count(kind));
  for (Eigen::Index i = 0; i < n; ++i) {
    const FitRow row = basis_row(kind, scale, clocks[static_cast<std::size_t>(i)]);
    for (int t = 0; t < term_count(kind); ++t) basis(i, t) = row[static_cast<std::size_t>(t)];
  }
  return fit_design(kind, basis, clocks, values);
}

UnitFit fit_latency(const ClockScale& scale, const std::vector<ClockSetting>& clocks,
                    const std::vector<double>& latency_s) {
  UnitFit linear = fit_unit(FitKind::latency, scale, clocks, latency_s);
  if (std::any_of(latency_s.begin(), latency_s.end(), [](double v) { return !(v > 0); })) return linear;
  const std::vector<FitRow> rows = latency_rows(scale, clocks);
  // A short run for every (p, q), then the three best to convergence.
  struct Candidate {
    double rms_rel;
    int p;
    int q;
    FitRow coef;
  };
  std::vector<Candidate> candidates;
  for (const int p : kOverlapExponents) {
    for (const int q : kOverlapExponents) {
      if (p == 1 && q == 1) continue;  // the linear model itself
      Candidate c{0, p, q, overlap_start(linear, rows, latency_s, p, q)};
      c.rms_rel = fit_overlap(rows, latency_s, linear.used, p, q, c.coef, kScanIterations);
      candidates.push_back(c);
    }
  }
  const auto by_error = [](const Candidate& x, const Candidate& y) { return x.rms_rel < y.rms_rel; };
  const auto refined = static_cast<std::ptrdiff_t>(std::min<std::size_t>(3, candidates.size()));
  std::partial_sort(candidates.begin(), candidates.begin() + refined, candidates.end(), by_error);
  for (auto c = candidates.begin(); c != candidates.begin() + refined; ++c) {
    c->rms_rel = fit_overlap(rows, latency_s, linear.used, c->p, c->q, c->coef, 50);
  }
  const Candidate& top = *std::min_element(candidates.begin(), candidates.begin() + refined, by_error);
  UnitFit best = linear;
  best.form = LatencyForm::overlap;
  best.rms_rel = top.rms_rel;
  best.coef = top.coef;
  best.p = top.p;
  best.q = top.q;
  // The overlap form must earn its two extra choices (p, q): it is kept only when it cuts the
  // in-sample error by 10 % or more. A smaller gain is as likely to be fitting the grid as the
  // physics (a unit of several kernels, a sum of maxima, extrapolates better additively).
  return best.rms_rel < linear.rms_rel * kOverlapMinGain ? best : linear;
}

double predict_power(const UnitFit& power_fit, const ClockScale& scale, const ClockSetting& clocks,
                     double latency_s) {
  if (power_fit.kind != FitKind::energy) return power_fit.evaluate(basis_row(FitKind::power, scale, clocks));
  return latency_s > 0 ? power_fit.evaluate(energy_row(scale, clocks, latency_s)) / latency_s : 0.0;
}

UnitFit fit_power(const ClockScale& scale, const std::vector<ClockSetting>& clocks,
                  const std::vector<double>& latency_s, const UnitFit& latency_fit,
                  const std::vector<double>& power_w) {
  check_sizes(clocks, power_w.size(), "fit_power");
  check_sizes(clocks, latency_s.size(), "fit_power");
  UnitFit basis = fit_unit(FitKind::power, scale, clocks, power_w);
  if (std::any_of(latency_s.begin(), latency_s.end(), [](double v) { return !(v > 0); })) return basis;
  UnitFit energy = fit_energy(scale, clocks, latency_s, power_w);
  // Judged as the store answers off the grid: P = E / L with the fitted latency.
  const double y_max = *std::max_element(power_w.begin(), power_w.end());
  const double floor = y_max > 0 ? 1e-6 * y_max : 1.0;
  double sum_sq = 0;
  for (std::size_t i = 0; i < clocks.size(); ++i) {
    const double latency = latency_fit.evaluate(basis_row(FitKind::latency, scale, clocks[i]));
    const double r =
        (predict_power(energy, scale, clocks[i], latency) - power_w[i]) / std::max(power_w[i], floor);
    sum_sq += r * r;
  }
  energy.rms_rel = std::sqrt(sum_sq / static_cast<double>(clocks.size()));
  return energy.rms_rel < basis.rms_rel * (1 - 1e-3) ? energy : basis;
}

std::string model_name(const UnitFit& fit) {
  if (fit.kind == FitKind::energy) return "energy";
  if (fit.kind == FitKind::power) return "power basis";
  if (fit.form == LatencyForm::linear) return "linear";
  return "overlap p=" + std::to_string(fit.p) + " q=" + std::to_string(fit.q);
}

double leave_one_out_max_rel(FitKind kind, const ClockScale& scale, const std::vector<ClockSetting>& clocks,
                             const std::vector<double>& values) {
  if (clocks.size() < 2 || clocks.size() != values.size()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> predicted(values.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < clocks.size(); ++i) {
    if (!(values[i] > 0)) continue;
    const UnitFit fit = fit_unit(kind, scale, without(clocks, i), without(values, i));
    predicted[i] = fit.evaluate(basis_row(kind, scale, clocks[i]));
  }
  return max_rel_error(predicted, values);
}

std::vector<double> leave_one_out_latency(const UnitFit& fit, const ClockScale& scale,
                                          const std::vector<ClockSetting>& clocks,
                                          const std::vector<double>& latency_s) {
  if (clocks.size() < 2 || clocks.size() != latency_s.size()) return {};
  std::vector<double> predicted(clocks.size());
  const std::vector<FitRow> rows = latency_rows(scale, clocks);
  for (std::size_t i = 0; i < clocks.size(); ++i) {
    if (fit.form == LatencyForm::linear) {
      predicted[i] =
          fit_unit(FitKind::latency, scale, without(clocks, i), without(latency_s, i)).evaluate(rows[i]);
      continue;
    }
    // p, q and the used terms stay; a short LM run from the full fit (it moves little).
    FitRow coef = fit.coef;
    fit_overlap(without(rows, i), without(latency_s, i), fit.used, fit.p, fit.q, coef, 20);
    predicted[i] = overlap_latency(coef, rows[i], fit.p, fit.q);
  }
  return predicted;
}

std::vector<double> leave_one_out_power(const UnitFit& fit, const ClockScale& scale,
                                        const std::vector<ClockSetting>& clocks,
                                        const std::vector<double>& latency_s,
                                        const std::vector<double>& latency_loo_s,
                                        const std::vector<double>& power_w) {
  if (clocks.size() < 2 || clocks.size() != power_w.size() || latency_loo_s.size() != clocks.size())
    return {};
  std::vector<double> predicted(clocks.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < clocks.size(); ++i) {
    if (!(power_w[i] > 0)) continue;
    const std::vector<ClockSetting> rest = without(clocks, i);
    const UnitFit refit = fit.kind == FitKind::energy
                              ? fit_energy(scale, rest, without(latency_s, i), without(power_w, i))
                              : fit_unit(FitKind::power, scale, rest, without(power_w, i));
    predicted[i] = predict_power(refit, scale, clocks[i], latency_loo_s[i]);
  }
  return predicted;
}

double max_rel_error(const std::vector<double>& predicted, const std::vector<double>& actual) {
  if (predicted.empty()) return std::numeric_limits<double>::quiet_NaN();
  double worst = 0;
  for (std::size_t i = 0; i < predicted.size() && i < actual.size(); ++i) {
    if (!(actual[i] > 0) || std::isnan(predicted[i])) continue;
    worst = std::max(worst, std::abs(predicted[i] - actual[i]) / actual[i]);
  }
  return worst;
}

}  // namespace edgetwin::traces

// Domain governors. Algorithms re-implemented from their documented behaviour (sources and
// estimated parameters: docs/policies.md); no kernel code is copied.

#include "governors.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "edgetwin/policies/clock_tables.hpp"

namespace edgetwin::policies {

namespace {

// Linux ondemand (Documentation/admin-guide/pm/cpufreq.rst): load above up_threshold -> the
// maximum; otherwise a frequency proportional to the load, load x f_max, rounded up to a table
// value.
class Ondemand final : public DomainGovernor {
 public:
  Ondemand(std::vector<std::int64_t> table, double period_s, double up_threshold)
      : table_(std::move(table)), period_s_(period_s), up_threshold_(up_threshold) {}
  double period_s() const override { return period_s_; }
  std::int64_t next(double util, std::int64_t /*current*/, double /*elapsed_s*/) override {
    if (util > up_threshold_) return table_.back();
    return table_ceil(table_, util * static_cast<double>(table_.back()));
  }

 private:
  std::vector<std::int64_t> table_;
  double period_s_;
  double up_threshold_;
};

// Linux schedutil (Documentation/scheduler/schedutil.rst): next_freq = 1.25 x max_freq x
// util / max, with util frequency-invariant (busy x current / max) and PELT-averaged.
class Schedutil final : public DomainGovernor {
 public:
  Schedutil(std::vector<std::int64_t> table, double period_s, double half_life_s)
      : table_(std::move(table)), period_s_(period_s), half_life_s_(half_life_s) {}
  double period_s() const override { return period_s_; }
  std::int64_t next(double util, std::int64_t current, double elapsed_s) override {
    const double f_max = static_cast<double>(table_.back());
    const double invariant = std::clamp(util, 0.0, 1.0) * static_cast<double>(current) / f_max;
    // PELT: a geometric average whose weight halves every half_life_s.
    const double decay = half_life_s_ > 0 ? std::pow(0.5, elapsed_s / half_life_s_) : 0.0;
    util_avg_ = decay * util_avg_ + (1 - decay) * invariant;
    return table_ceil(table_, kHeadroom * f_max * util_avg_);
  }

 private:
  static constexpr double kHeadroom = 1.25;  // the fixed "C" of schedutil.rst
  std::vector<std::int64_t> table_;
  double period_s_;
  double half_life_s_;
  double util_avg_ = 0;
};

// A load-based GPU governor in the manner of NVIDIA's nvhost_podgov (reconstruction, estimated
// parameters): above the upper watermark scale up at once to bring the load to load_target;
// below the lower watermark for down_delay_s step down one level; in between hold.
class Podgov final : public DomainGovernor {
 public:
  Podgov(std::vector<std::int64_t> table, double period_s, double upper, double lower, double target,
         double delay_s)
      : table_(std::move(table)),
        period_s_(period_s),
        upper_(upper),
        lower_(lower),
        target_(target),
        delay_s_(delay_s) {}
  double period_s() const override { return period_s_; }
  std::int64_t next(double util, std::int64_t current, double elapsed_s) override {
    const int i = std::max(0, table_index(table_, current));
    if (util > upper_) {
      below_s_ = 0;
      const auto wanted = table_ceil(table_, static_cast<double>(current) * util / target_);
      const auto one_up =
          table_[static_cast<std::size_t>(std::min(i + 1, static_cast<int>(table_.size()) - 1))];
      return std::max(wanted, one_up);
    }
    if (util < lower_) {
      below_s_ += elapsed_s;
      if (below_s_ + 1e-9 < delay_s_) return current;
      below_s_ = 0;
      return table_[static_cast<std::size_t>(std::max(i - 1, 0))];
    }
    below_s_ = 0;
    return current;
  }

 private:
  std::vector<std::int64_t> table_;
  double period_s_, upper_, lower_, target_, delay_s_;
  double below_s_ = 0;  // time the load has stayed below the lower watermark
};

std::vector<GovernorKind> make_kinds() {
  std::vector<GovernorKind> kinds;
  kinds.push_back(GovernorKind{
      "ondemand",
      "Linux ondemand: load > up_threshold -> max, else f = load x f_max rounded up to a table value",
      {{"sampling_period_s", "0.01", "sampling period, s (Linux sampling_rate; 10 ms on Jetson kernels)"},
       {"up_threshold", "0.8", "load above which the governor jumps to the maximum, (0, 1]"}},
      [](const ParamReader& p, std::vector<std::int64_t> table) -> std::unique_ptr<DomainGovernor> {
        const double period = p.number("sampling_period_s", 1e-4, 10.0);
        const double up = p.number("up_threshold", 0.01, 1.0);
        return std::make_unique<Ondemand>(std::move(table), period, up);
      }});
  kinds.push_back(GovernorKind{
      "schedutil",
      "Linux schedutil: f = 1.25 x f_max x util (frequency-invariant, PELT-averaged), rounded up to a table "
      "value",
      {{"rate_limit_s", "0.01",
        "minimum time between decisions, s (Linux rate_limit_us; 10 ms on Jetson kernels)"},
       {"pelt_half_life_s", "0.032",
        "half-life of the utilisation average, s (Linux PELT: 32 ms); 0 = last period only"}},
      [](const ParamReader& p, std::vector<std::int64_t> table) -> std::unique_ptr<DomainGovernor> {
        const double period = p.number("rate_limit_s", 1e-4, 10.0);
        const double half_life = p.number("pelt_half_life_s", 0.0, 10.0);
        return std::make_unique<Schedutil>(std::move(table), period, half_life);
      }});
  kinds.push_back(GovernorKind{
      "podgov",
      "load-based GPU governor like nvhost_podgov (reconstruction): watermarks with a down-scaling delay",
      {{"sample_period_s", "0.05", "sampling period, s (estimate)"},
       {"upper_watermark", "0.9", "load above which the clock scales up at once, (0, 1] (estimate)"},
       {"lower_watermark", "0.5",
        "load below which the clock steps down after down_delay_s, [0, upper) (estimate)"},
       {"load_target", "0.7", "load a scale-up aims for: f = f_cur x load / load_target, (0, 1] (estimate)"},
       {"down_delay_s", "0.2",
        "time the load must stay below the lower watermark per step down, s (estimate)"}},
      [](const ParamReader& p, std::vector<std::int64_t> table) -> std::unique_ptr<DomainGovernor> {
        const double period = p.number("sample_period_s", 1e-4, 10.0);
        const double upper = p.number("upper_watermark", 0.01, 1.0);
        const double lower = p.number("lower_watermark", 0.0, 1.0);
        if (lower >= upper)
          p.fail("lower_watermark", "must be below upper_watermark (" + std::to_string(upper) + ")");
        const double target = p.number("load_target", 0.01, 1.0);
        const double delay = p.number("down_delay_s", 0.0, 60.0);
        return std::make_unique<Podgov>(std::move(table), period, upper, lower, target, delay);
      }});
  return kinds;
}

}  // namespace

const std::vector<GovernorKind>& governor_kinds() {
  static const std::vector<GovernorKind> kinds = make_kinds();
  return kinds;
}

const GovernorKind& governor_kind(const std::string& name) {
  for (const auto& k : governor_kinds()) {
    if (k.name == name) return k;
  }
  std::string known;
  for (const auto& k : governor_kinds()) known += (known.empty() ? "" : ", ") + k.name;
  throw std::invalid_argument("unknown governor '" + name + "'; known governors: " + known);
}

}  // namespace edgetwin::policies

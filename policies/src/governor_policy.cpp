// Tick-driven clock policies: one load-based governor per governed domain, the other domains
// pinned. ondemand, schedutil and podgov govern one domain; governors combines any per domain.

#include <stdexcept>

#include "builtin.hpp"
#include "governors.hpp"

namespace edgetwin::policies {

namespace {

using traces::ClockDomain;

std::int64_t& clock_of(Clocks& c, ClockDomain d) {
  return d == ClockDomain::cpu ? c.cpu_khz : d == ClockDomain::gpu ? c.gpu_hz : c.emc_hz;
}

/// One domain: governed (governor set) or pinned to one value.
struct DomainControl {
  ClockDomain domain = ClockDomain::cpu;
  std::vector<std::int64_t> table;
  std::unique_ptr<DomainGovernor> governor;
  std::int64_t pinned = 0;
  double busy_s = 0;  // busy time accumulated since the governor last decided
  double elapsed_s = 0;
};

class GovernorPolicy final : public Policy {
 public:
  explicit GovernorPolicy(std::vector<DomainControl> domains) : domains_(std::move(domains)) {
    for (const auto& d : domains_) {
      if (d.governor && (period_s_ == 0 || d.governor->period_s() < period_s_))
        period_s_ = d.governor->period_s();
    }
  }

  // Governed domains start at the mode's maximum, as after nvpmodel/boot; pinned ones at their value.
  std::optional<Clocks> initial_clocks() const override {
    Clocks c;
    for (const auto& d : domains_) clock_of(c, d.domain) = d.governor ? d.table.back() : d.pinned;
    return c;
  }

  double tick_period_s() const override { return period_s_; }

  TickAction on_tick(const TickObservation& obs) override {
    const double dt = obs.period_s > 0 ? obs.period_s : period_s_;
    Clocks next = obs.clocks;
    for (auto& d : domains_) {
      auto& value = clock_of(next, d.domain);
      if (!d.governor) {
        value = d.pinned;
        continue;
      }
      d.busy_s += util_of(obs, d.domain) * dt;
      d.elapsed_s += dt;
      if (d.elapsed_s + 1e-9 < d.governor->period_s()) continue;
      value = d.governor->next(d.busy_s / d.elapsed_s, table_ceil(d.table, static_cast<double>(value)),
                               d.elapsed_s);
      d.busy_s = d.elapsed_s = 0;
    }
    return TickAction{next != obs.clocks, next};
  }

 private:
  static double util_of(const TickObservation& obs, ClockDomain d) {
    return d == ClockDomain::cpu ? obs.cpu_util : d == ClockDomain::gpu ? obs.gpu_util : obs.emc_util;
  }

  std::vector<DomainControl> domains_;
  double period_s_ = 0;
};

const char* key_of(ClockDomain d) {
  return d == ClockDomain::cpu ? "cpu_khz" : d == ClockDomain::gpu ? "gpu_hz" : "emc_hz";
}

DomainControl pinned(const ParamReader& reader, const ClockTables& tables, ClockDomain d) {
  DomainControl c;
  c.domain = d;
  c.table = tables.domain(d);
  c.pinned = reader.frequency(key_of(d), c.table);
  return c;
}

DomainControl governed(const GovernorKind& kind, const ParamReader& reader, const ClockTables& tables,
                       ClockDomain d) {
  DomainControl c;
  c.domain = d;
  c.table = tables.domain(d);
  c.governor = kind.make(reader, c.table);
  return c;
}

/// A policy with one governed domain (`kind` on `governed_domain`) and the others pinned by
/// params named cpu_khz/gpu_hz/emc_hz.
PolicyInfo single_governor_info(const std::string& kind_name, ClockDomain governed_domain,
                                const std::string& summary) {
  const auto& kind = governor_kind(kind_name);
  PolicyInfo info;
  info.name = kind.name;
  info.roles = {Role::clocks};
  info.summary = summary;
  info.params = kind.params;
  for (ClockDomain d : {ClockDomain::cpu, ClockDomain::gpu, ClockDomain::emc}) {
    if (d == governed_domain) continue;
    info.params.push_back(
        {key_of(d), "\"max\"",
         std::string("clock of the ") + traces::to_string(d) +
             " domain, which this policy does not govern: a table value within the power mode, "
             "or \"min\"/\"max\""});
  }
  info.make = [params = info.params, kind_name, governed_domain](
                  const nlohmann::json& p, const PolicyContext& ctx) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy '" + kind_name + "'", p, params);
    const auto tables = context_tables(ctx, reader.who());
    std::vector<DomainControl> domains;
    for (ClockDomain d : {ClockDomain::cpu, ClockDomain::gpu, ClockDomain::emc}) {
      domains.push_back(d == governed_domain ? governed(governor_kind(kind_name), reader, tables, d)
                                             : pinned(reader, tables, d));
    }
    return std::make_unique<GovernorPolicy>(std::move(domains));
  };
  return info;
}

std::string kind_names() {
  std::string names;
  for (const auto& k : governor_kinds()) names += (names.empty() ? "" : ", ") + k.name;
  return names;
}

/// The "governors" policy's control of domain `d` from params `<d>` and `<d>_params`.
DomainControl combined_domain(const ParamReader& reader, const ClockTables& tables, ClockDomain d) {
  const std::string key = traces::to_string(d);
  const std::string params_key = key + "_params";
  const auto& spec = reader.value(key);
  const auto sub = reader.object(params_key);
  if (spec.is_string() && spec != "min" && spec != "max") {
    const auto name = spec.get<std::string>();
    bool known = false;
    for (const auto& k : governor_kinds()) known = known || k.name == name;
    if (!known) {
      reader.fail(key, "unknown governor \"" + name + "\"; allowed: a governor (" + kind_names() +
                           "), \"min\", \"max\" or a table value");
    }
    const auto& kind = governor_kind(name);
    const ParamReader sub_reader(reader.who() + " (" + name + " governor)", sub, kind.params,
                                 reader.path_of(params_key));
    DomainControl c;
    c.domain = d;
    c.table = tables.domain(d);
    c.governor = kind.make(sub_reader, c.table);
    return c;
  }
  if (!sub.empty()) reader.fail(params_key, "given, but the " + key + " domain is pinned, not governed");
  DomainControl c;
  c.domain = d;
  c.table = tables.domain(d);
  c.pinned = reader.frequency(key, c.table);
  return c;
}

}  // namespace

PolicyInfo ondemand_info() {
  return single_governor_info(
      "ondemand", ClockDomain::cpu,
      "Linux ondemand CPU governor on periodic ticks; GPU and EMC pinned (default: max)");
}

PolicyInfo schedutil_info() {
  return single_governor_info(
      "schedutil", ClockDomain::cpu,
      "Linux schedutil CPU governor (the JetPack 5/6 default); GPU and EMC pinned (default: max)");
}

PolicyInfo podgov_info() {
  return single_governor_info(
      "podgov", ClockDomain::gpu,
      "load-based GPU governor like NVIDIA nvhost_podgov (reconstruction); CPU and EMC "
      "pinned (default: max)");
}

PolicyInfo governors_info() {
  PolicyInfo info;
  info.name = "governors";
  info.roles = {Role::clocks};
  info.summary =
      "one governor or pinned clock per domain; default = what a stock Jetson runs (schedutil + podgov)";
  const std::string choice =
      "a governor (" + kind_names() + "), \"min\", \"max\" or a table value within the power mode";
  info.params = {
      {"cpu", "\"schedutil\"", "CPU domain (kHz): " + choice},
      {"gpu", "\"podgov\"", "GPU domain (Hz): " + choice},
      {"emc", "\"max\"", "EMC domain (Hz): " + choice},
      {"cpu_params", "{}", "parameters of the CPU governor (see the ondemand/schedutil/podgov policies)"},
      {"gpu_params", "{}", "parameters of the GPU governor"},
      {"emc_params", "{}", "parameters of the EMC governor"},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext& ctx) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'governors'", p, params);
    const auto tables = context_tables(ctx, reader.who());
    std::vector<DomainControl> domains;
    for (ClockDomain d : {ClockDomain::cpu, ClockDomain::gpu, ClockDomain::emc}) {
      domains.push_back(combined_domain(reader, tables, d));
    }
    return std::make_unique<GovernorPolicy>(std::move(domains));
  };
  return info;
}

}  // namespace edgetwin::policies

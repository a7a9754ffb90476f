// E4's just-in-time profiler: coordinate descent over CPU and GPU levels per group of units,
// lazily probed and cached, with switch-aware grouping and a price of time for the deadline.
// Every rule here is written out in docs/e4.md ("JIT profiler"); keep the two in step.
#include "edgetwin/policies/jit_profiler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

namespace edgetwin::policies {

DescentResult coordinate_descent(int cpu_levels, int gpu_levels, int start_cpu, int start_gpu, int max_rounds,
                                 const std::function<std::optional<double>(int, int)>& cost) {
  std::map<std::pair<int, int>, std::optional<double>> seen;
  DescentResult r;
  const auto eval = [&](int c, int g) -> std::optional<double> {
    const auto key = std::make_pair(c, g);
    if (const auto it = seen.find(key); it != seen.end()) return it->second;
    const auto v = cost(c, g);
    if (v) ++r.evaluations;
    seen[key] = v;
    return v;
  };
  r.cpu = start_cpu;
  r.gpu = start_gpu;
  const auto start = eval(start_cpu, start_gpu);
  r.value = start ? *start : std::numeric_limits<double>::infinity();
  if (!start) return r;
  for (int round = 1; round <= max_rounds; ++round) {
    r.rounds = round;
    bool changed = false;
    // CPU with the GPU fixed, then the GPU with the CPU fixed; strict improvement only.
    for (int axis = 0; axis < 2; ++axis) {
      const int levels = axis == 0 ? cpu_levels : gpu_levels;
      int best = axis == 0 ? r.cpu : r.gpu;
      double best_value = r.value;
      for (int i = 0; i < levels; ++i) {
        const auto v = axis == 0 ? eval(i, r.gpu) : eval(r.cpu, i);
        if (v && *v < best_value) {
          best_value = *v;
          best = i;
        }
      }
      if (best != (axis == 0 ? r.cpu : r.gpu)) {
        (axis == 0 ? r.cpu : r.gpu) = best;
        r.value = best_value;
        changed = true;
      }
    }
    if (!changed) {
      // Stalled on both axes: try the four diagonal neighbours (a ridge across the axes, where
      // lowering one clock alone costs but lowering both saves) before stopping.
      double best_value = r.value;
      int bc = r.cpu, bg = r.gpu;
      for (const int dc : {-1, 1}) {
        for (const int dg : {-1, 1}) {
          const int c = r.cpu + dc, g = r.gpu + dg;
          if (c < 0 || g < 0 || c >= cpu_levels || g >= gpu_levels) continue;
          const auto v = eval(c, g);
          if (v && *v < best_value) {
            best_value = *v;
            bc = c;
            bg = g;
          }
        }
      }
      if (bc == r.cpu && bg == r.gpu) break;
      r.cpu = bc;
      r.gpu = bg;
      r.value = best_value;
    }
  }
  return r;
}

JitProfiler::JitProfiler(JitProfilerConfig config) : config_(std::move(config)) {
  if (config_.cpu_khz.empty() || config_.gpu_hz.empty())
    throw std::invalid_argument("jit profiler: the CPU and GPU level lists must not be empty");
  if (config_.max_rounds < 1) throw std::invalid_argument("jit profiler: max_rounds must be >= 1");
}

Clocks JitProfiler::clocks_of(int cpu, int gpu) const {
  return Clocks{config_.cpu_khz[static_cast<std::size_t>(cpu)], config_.gpu_hz[static_cast<std::size_t>(gpu)],
                config_.emc_hz};
}

std::optional<UnitCost> JitProfiler::cached(const traces::Model& model, int unit, int cpu, int gpu) const {
  const auto it = cache_.find({model.id, unit, cpu, gpu});
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

std::optional<UnitCost> JitProfiler::cost(const traces::Model& model, int unit, int cpu, int gpu,
                                          const Measure& measure) {
  const auto key = std::make_tuple(model.id, unit, cpu, gpu);
  if (const auto it = cache_.find(key); it != cache_.end()) return it->second;
  // The starting pair (the highest levels) is always measured: a plan needs it.
  const bool start = cpu + 1 == static_cast<int>(config_.cpu_khz.size()) &&
                     gpu + 1 == static_cast<int>(config_.gpu_hz.size());
  if (!start && config_.max_probes_per_plan > 0 && plan_probes_ >= config_.max_probes_per_plan)
    return std::nullopt;
  const UnitCost c = measure(model, unit, clocks_of(cpu, gpu));
  ++plan_probes_;
  ++probes_;
  cache_[key] = c;
  return c;
}

std::optional<double> JitProfiler::group_value(const traces::Model& model, const Group& g, int cpu, int gpu,
                                               double lambda, const Measure& measure) {
  ++plan_evaluations_;
  double v = 0;
  for (int u = g.first; u < g.end; ++u) {
    const auto c = cost(model, u, cpu, gpu, measure);
    if (!c) return std::nullopt;
    v += c->energy_j + lambda * c->time_s;
  }
  return v;
}

UnitCost JitProfiler::switch_cost(const Clocks& from, const Clocks& to) const {
  UnitCost s;
  if (from.cpu_khz != to.cpu_khz) {
    s.time_s += config_.cpu_switch_s;
    s.energy_j += config_.cpu_switch_j;
  }
  if (from.gpu_hz != to.gpu_hz) {
    s.time_s += config_.gpu_switch_s;
    s.energy_j += config_.gpu_switch_j;
  }
  s.energy_j += config_.idle_power_w * s.time_s;
  return s;
}

std::vector<JitProfiler::Group> JitProfiler::optimise(const traces::Model& model, int end_unit,
                                                      const Clocks& /*current*/, double lambda,
                                                      const Measure& measure) {
  const int nc = static_cast<int>(config_.cpu_khz.size());
  const int ng = static_cast<int>(config_.gpu_hz.size());
  const auto descend = [&](Group& g, int start_cpu, int start_gpu) {
    const auto r = coordinate_descent(nc, ng, start_cpu, start_gpu, config_.max_rounds, [&](int c, int gg) {
      return group_value(model, g, c, gg, lambda, measure);
    });
    g.cpu = r.cpu;
    g.gpu = r.gpu;
  };
  // One group per unit, each at its own optimum (from the highest levels).
  std::vector<Group> groups;
  for (int u = 0; u < end_unit; ++u) {
    Group g{u, u + 1, nc - 1, ng - 1};
    descend(g, nc - 1, ng - 1);
    groups.push_back(g);
  }
  // Merge neighbours whose clock switch costs more than running one of them at the other's
  // clocks; the merged group descends again from the kept pair.
  for (bool merged = true; merged;) {
    merged = false;
    for (std::size_t i = 0; i + 1 < groups.size(); ++i) {
      Group& a = groups[i];
      Group& b = groups[i + 1];
      if (a.cpu == b.cpu && a.gpu == b.gpu) {
        a.end = b.end;
        groups.erase(groups.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        merged = true;
        break;
      }
      const UnitCost sw = switch_cost(clocks_of(a.cpu, a.gpu), clocks_of(b.cpu, b.gpu));
      const double penalty = sw.energy_j + lambda * sw.time_s;
      const auto va = group_value(model, a, a.cpu, a.gpu, lambda, measure);
      const auto vb = group_value(model, b, b.cpu, b.gpu, lambda, measure);
      const auto b_at_a = group_value(model, b, a.cpu, a.gpu, lambda, measure);
      const auto a_at_b = group_value(model, a, b.cpu, b.gpu, lambda, measure);
      const double inf = std::numeric_limits<double>::infinity();
      const double extra_a = (b_at_a && vb) ? *b_at_a - *vb : inf;  // both at a's clocks
      const double extra_b = (a_at_b && va) ? *a_at_b - *va : inf;  // both at b's clocks
      if (std::min(extra_a, extra_b) < penalty) {
        Group m{a.first, b.end, extra_a <= extra_b ? a.cpu : b.cpu, extra_a <= extra_b ? a.gpu : b.gpu};
        descend(m, m.cpu, m.gpu);
        groups[i] = m;
        groups.erase(groups.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        merged = true;
        break;
      }
    }
  }
  return groups;
}

JitPlan JitProfiler::evaluate(const traces::Model& model, const std::vector<Group>& groups,
                              const Clocks& current, double deadline_s, double lambda) const {
  JitPlan p;
  p.lambda_w = lambda;
  p.groups = static_cast<int>(groups.size());
  Clocks prev = current;
  for (const Group& g : groups) {
    const Clocks c = clocks_of(g.cpu, g.gpu);
    const UnitCost sw = switch_cost(prev, c);
    p.time_s += sw.time_s;
    p.energy_j += sw.energy_j;
    for (int u = g.first; u < g.end; ++u) {
      const auto uc = cached(model, u, g.cpu, g.gpu);
      if (!uc) throw std::logic_error("jit profiler: a planned unit was not measured");
      p.time_s += uc->time_s;
      p.energy_j += uc->energy_j;
    }
    if (p.segments.empty() || p.segments.back().clocks != c) p.segments.push_back({g.first, c});
    prev = c;
  }
  p.meets_deadline = deadline_s <= 0 || p.time_s <= deadline_s;
  return p;
}

JitPlan JitProfiler::plan(const traces::Model& model, int end_unit, const Clocks& current, double deadline_s,
                          const Measure& measure) {
  plan_probes_ = 0;
  plan_evaluations_ = 0;
  if (end_unit <= 0) return JitPlan{};
  JitPlan p = evaluate(model, optimise(model, end_unit, current, 0, measure), current, deadline_s, 0);
  // Over the deadline: price time at lambda W (minimise energy + lambda x time), doubling lambda
  // from a quarter of the idle power (at least 0.25 W) until the plan fits; else everything at
  // the highest levels.
  const double base = std::max(0.25, 0.25 * config_.idle_power_w);
  for (int k = 0; !p.meets_deadline && k < 16; ++k) {
    const double lambda = base * std::ldexp(1.0, k);
    p = evaluate(model, optimise(model, end_unit, current, lambda, measure), current, deadline_s, lambda);
  }
  if (!p.meets_deadline) {
    const int nc = static_cast<int>(config_.cpu_khz.size());
    const int ng = static_cast<int>(config_.gpu_hz.size());
    for (int u = 0; u < end_unit; ++u) cost(model, u, nc - 1, ng - 1, measure);
    p = evaluate(model, {Group{0, end_unit, nc - 1, ng - 1}}, current, deadline_s, -1);
  }
  p.probes = plan_probes_;
  p.evaluations = plan_evaluations_;
  return p;
}

}  // namespace edgetwin::policies

// The compact form of a run's request records (record_tally.hpp); the summaries made from it
// are in metrics.cpp.

#include "edgetwin/sim/record_tally.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace edgetwin::sim {

void ScopeTally::add(const RequestRecord& r) {
  ++served;
  latency_sum_s += r.latency_s();
  attributed_j += r.energy_j;
  cloud_j += r.cloud_energy_j;
  if (r.slo_s > 0) {
    ++slo_total;
    if (!r.slo_met()) ++slo_missed;
  }
  if (r.edge_units < r.units) ++offloaded;
  if (!std::isnan(r.accuracy)) {
    ++with_accuracy;
    accuracy_sum += r.accuracy;
  }
  if (r.correct >= 0) {
    ++with_label;
    correct += r.correct;
  }
}

void ScopeTally::merge(const ScopeTally& o) {
  served += o.served;
  latency_sum_s += o.latency_sum_s;
  attributed_j += o.attributed_j;
  cloud_j += o.cloud_j;
  slo_total += o.slo_total;
  slo_missed += o.slo_missed;
  offloaded += o.offloaded;
  with_accuracy += o.with_accuracy;
  accuracy_sum += o.accuracy_sum;
  with_label += o.with_label;
  correct += o.correct;
}

RecordTally::RecordTally(int groups) : groups_(static_cast<std::size_t>(std::max(0, groups))) {}

void RecordTally::track_models(int group, const std::vector<std::string>& models, double duration_s,
                               double slot_s) {
  auto& g = groups_.at(static_cast<std::size_t>(group));
  const double end = std::max(duration_s, 0.0);
  const auto slots = static_cast<std::size_t>(std::max(1.0, std::ceil(end / slot_s)));
  g.slot_s = slot_s;
  g.models.clear();
  for (const auto& m : models) g.models.push_back({m, {}, {}, std::vector<ServingTally>(slots)});
}

void RecordTally::reserve(int group, std::size_t served) {
  groups_.at(static_cast<std::size_t>(group)).latencies_s.reserve(served);
}

void RecordTally::add(const RequestRecord& r) {
  ++records_;
  const bool known = r.group >= 0 && r.group < groups();
  if (known) {
    auto& g = groups_[static_cast<std::size_t>(r.group)];
    for (auto& m : g.models) {
      if (m.name != r.model) continue;
      m.total.add(r);
      if (r.served()) m.latencies_s.push_back(r.latency_s());
      const auto k = std::min(m.slots.size() - 1,
                              static_cast<std::size_t>(std::max(0.0, std::floor(r.end_s / g.slot_s))));
      m.slots[k].add(r);
    }
  }
  if (!r.served()) return;
  run_.add(r);
  if (known) {
    auto& g = groups_[static_cast<std::size_t>(r.group)];
    g.sums.add(r);
    g.latencies_s.push_back(r.latency_s());
    g.sorted = false;
  } else {
    other_latencies_s_.push_back(r.latency_s());
    other_sorted_ = false;
  }
}

void RecordTally::add_scope(int group, const ScopeTally& sums, const std::vector<double>& latencies_s) {
  auto& g = groups_.at(static_cast<std::size_t>(group));
  run_.merge(sums);
  g.sums.merge(sums);
  g.latencies_s.insert(g.latencies_s.end(), latencies_s.begin(), latencies_s.end());
  g.sorted = g.latencies_s.empty();
}

void RecordTally::add_model(int group, std::size_t model, const ServingTally& total,
                            const std::vector<double>& latencies_s, const std::vector<ServingTally>& slots) {
  auto& m = groups_.at(static_cast<std::size_t>(group)).models.at(model);
  m.total.merge(total);
  m.latencies_s.insert(m.latencies_s.end(), latencies_s.begin(), latencies_s.end());
  if (slots.size() != m.slots.size())
    throw std::invalid_argument("model " + m.name + ": " + std::to_string(slots.size()) +
                                " slots, the run has " + std::to_string(m.slots.size()));
  for (std::size_t k = 0; k < slots.size(); ++k) m.slots[k].merge(slots[k]);
}

const std::vector<double>& RecordTally::latencies(int group) const {
  return groups_.at(static_cast<std::size_t>(group)).latencies_s;
}

const ScopeTally& RecordTally::scope(int group) const {
  return group < 0 ? run_ : groups_.at(static_cast<std::size_t>(group)).sums;
}

const std::vector<RecordTally::ModelTally>& RecordTally::models(int group) const {
  return groups_.at(static_cast<std::size_t>(group)).models;
}

double RecordTally::slot_s(int group) const {
  return groups_.at(static_cast<std::size_t>(group)).slot_s;
}

namespace {

/// Order statistics `ranks` (ascending) of the union of sorted arrays, by merging them (no copy).
std::vector<double> order_statistics(const std::vector<const std::vector<double>*>& arrays,
                                     const std::vector<std::size_t>& ranks) {
  std::vector<double> out;
  out.reserve(ranks.size());
  if (arrays.size() == 1) {
    for (const auto k : ranks) out.push_back((*arrays.front())[k]);
    return out;
  }
  std::vector<std::size_t> pos(arrays.size(), 0);
  std::size_t next = 0;
  for (std::size_t k = 0; next < ranks.size(); ++k) {
    // The smallest head; ties go to the first array (any choice gives the same value).
    std::size_t best = arrays.size();
    for (std::size_t a = 0; a < arrays.size(); ++a) {
      if (pos[a] < arrays[a]->size() &&
          (best == arrays.size() || (*arrays[a])[pos[a]] < (*arrays[best])[pos[best]]))
        best = a;
    }
    const double v = (*arrays[best])[pos[best]++];
    while (next < ranks.size() && ranks[next] == k) {
      out.push_back(v);
      ++next;
    }
  }
  return out;
}

}  // namespace

std::vector<double> RecordTally::latency_percentiles(int group, const std::vector<double>& ps) const {
  auto sort_once = [](std::vector<double>& v, bool& sorted) {
    if (!sorted) std::sort(v.begin(), v.end());
    sorted = true;
  };
  std::vector<const std::vector<double>*> arrays;
  if (group >= 0) {
    const auto& g = groups_.at(static_cast<std::size_t>(group));
    sort_once(g.latencies_s, g.sorted);
    arrays.push_back(&g.latencies_s);
  } else {
    for (const auto& g : groups_) {
      sort_once(g.latencies_s, g.sorted);
      if (!g.latencies_s.empty()) arrays.push_back(&g.latencies_s);
    }
    sort_once(other_latencies_s_, other_sorted_);
    if (!other_latencies_s_.empty()) arrays.push_back(&other_latencies_s_);
  }
  std::size_t n = 0;
  for (const auto* a : arrays) n += a->size();
  if (n == 0) return std::vector<double>(ps.size(), std::numeric_limits<double>::quiet_NaN());
  // As percentile(): rank = p / 100 x (n - 1), between order statistics lo and lo + 1.
  std::vector<double> rank(ps.size());
  std::vector<std::size_t> wanted;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    rank[i] = std::clamp(ps[i], 0.0, 100.0) / 100.0 * static_cast<double>(n - 1);
    const auto lo = static_cast<std::size_t>(std::floor(rank[i]));
    wanted.push_back(lo);
    wanted.push_back(std::min(lo + 1, n - 1));
  }
  std::vector<std::size_t> ranks = wanted;
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  const auto values = order_statistics(arrays, ranks);
  auto at = [&](std::size_t k) {
    return values[static_cast<std::size_t>(std::lower_bound(ranks.begin(), ranks.end(), k) - ranks.begin())];
  };
  std::vector<double> out;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const double lo = at(wanted[2 * i]), hi = at(wanted[2 * i + 1]);
    out.push_back(lo + (rank[i] - static_cast<double>(wanted[2 * i])) * (hi - lo));
  }
  return out;
}

}  // namespace edgetwin::sim

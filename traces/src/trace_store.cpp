#include "edgetwin/traces/trace_store.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "edgetwin/common/error.hpp"
#include "edgetwin/traces/unit_fit.hpp"

namespace edgetwin::traces {
namespace {

namespace fs = std::filesystem;

struct SampleKey {
  int unit = 0;
  int batch = 0;
  int concurrency = 0;
  ClockSetting clocks;
  int exit = -1;  // head samples: index in Model::exits
  bool operator==(const SampleKey& o) const {
    return unit == o.unit && batch == o.batch && concurrency == o.concurrency && clocks == o.clocks &&
           exit == o.exit;
  }
};

struct SampleKeyHash {
  std::size_t operator()(const SampleKey& k) const {
    std::size_t h = std::hash<std::int64_t>()(k.clocks.cpu_khz);
    for (const std::int64_t v : {k.clocks.gpu_hz, k.clocks.emc_hz, std::int64_t{k.unit},
                                 std::int64_t{k.batch}, std::int64_t{k.concurrency}, std::int64_t{k.exit}}) {
      h ^= std::hash<std::int64_t>()(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    }
    return h;
  }
};

// The samples of one (unit, batch, concurrency), or of one (exit head, batch, concurrency), and
// their fits over the clocks.
struct Group {
  int unit = 0;
  int batch = 1;
  int concurrency = 1;
  int exit = -1;                     // a head group: index in Model::exits
  std::vector<std::size_t> samples;  // indices into TraceFile::samples (head_samples for a head)
  UnitFit latency;
  UnitFit power;
  std::vector<UnitFit> rails;  // per TraceFile::rails; points == 0 when never known
  double std_over_mean = 0;    // mean latency_std_s / latency_mean_s of the samples
  bool fitted = false;         // fits are computed on first use (loading stays cheap)
};

// Which (batch, concurrency) groups one unit has, as a dense grid for bracketing.
struct UnitGroups {
  std::vector<int> batches;        // ascending, sampled values
  std::vector<int> concurrencies;  // ascending, sampled values
  std::vector<int> group;          // [batch index * concurrencies.size() + concurrency index], -1 if absent
  int at(std::size_t b, std::size_t c) const { return group[b * concurrencies.size() + c]; }
};

template <typename T>
std::string join_values(const std::vector<T>& values, std::size_t max_items = 16) {
  std::string out;
  auto append = [&](std::size_t i) { out += (out.empty() ? "" : ", ") + std::to_string(values[i]); };
  if (values.size() <= max_items) {
    for (std::size_t i = 0; i < values.size(); ++i) append(i);
    return out;
  }
  for (std::size_t i = 0; i < max_items / 2; ++i) append(i);
  out += ", ...";
  for (std::size_t i = values.size() - max_items / 2; i < values.size(); ++i) append(i);
  return out + " (" + std::to_string(values.size()) + " values)";
}

void check_clock(std::int64_t value, const std::vector<std::int64_t>& table, const Board& board,
                 const char* column) {
  if (!std::binary_search(table.begin(), table.end(), value)) {
    throw std::invalid_argument(std::string(column) + " " + std::to_string(value) + " is not in the " +
                                board.id + " table; allowed: " + join_values(table));
  }
}

// Bracketing sampled values of `x`: indices i0 <= i1 and the weight t of i1.
struct Bracket {
  std::size_t i0 = 0;
  std::size_t i1 = 0;
  double t = 0;
};

// `context` builds the error's "of unit ..." text, only when it is needed (hot path).
template <typename Context>
Bracket bracket(int x, const std::vector<int>& sampled, const char* what, const Context& context) {
  if (sampled.empty() || x < sampled.front() || x > sampled.back()) {
    throw std::invalid_argument(std::string(what) + " " + std::to_string(x) +
                                " is outside the sampled range " + std::to_string(sampled.front()) + ".." +
                                std::to_string(sampled.back()) + " of " + context() +
                                " (sampled: " + join_values(sampled) + ")");
  }
  const auto it = std::lower_bound(sampled.begin(), sampled.end(), x);
  Bracket b;
  b.i1 = static_cast<std::size_t>(it - sampled.begin());
  if (*it == x) {
    b.i0 = b.i1;
    return b;
  }
  b.i0 = b.i1 - 1;
  b.t = static_cast<double>(x - sampled[b.i0]) / static_cast<double>(sampled[b.i1] - sampled[b.i0]);
  return b;
}

}  // namespace

struct TraceStore::Entry {
  TraceFile trace;
  const Board* board = nullptr;
  const Model* model = nullptr;
  ClockScale scale;
  // Mutable: a group is fitted the first time a query needs its fit (a run touches few groups
  // of a trace; fitting all of them at load took ~0.5 s per file). Not for concurrent use.
  mutable std::vector<Group> groups;
  std::vector<UnitGroups> units;  // per unit of the model
  std::vector<UnitGroups> heads;  // per exit of the model (Model::exits order)
  std::unordered_map<SampleKey, std::size_t, SampleKeyHash> exact;

  const std::vector<TraceSample>& samples_of(const Group& g) const {
    return g.exit < 0 ? trace.samples : trace.head_samples;
  }
  std::string context(int unit, int exit = -1) const {
    const std::string where =
        board->id + "/" + model->id + "/" + trace.provenance.runtime + "/" + trace.provenance.precision;
    if (exit < 0) return "unit " + std::to_string(unit) + " of " + where;
    return "the exit head after unit " + std::to_string(unit) + " (" +
           model->exits[static_cast<std::size_t>(exit)].head + ") of " + where;
  }
  void build();
  void fit(Group& g) const;
  // The answer for unit `unit` (exit < 0) or for the head of exit `exit` (unit = its after_unit),
  // from the groups `u`; clocks already checked.
  void answer(UnitEstimate& out, const UnitGroups& u, int unit, int exit, int batch, int concurrency,
              const ClockSetting& clocks) const;
  const Group& fitted_group(std::size_t index) const {
    Group& g = groups[index];
    if (!g.fitted) fit(g);
    return g;
  }
};

void TraceStore::Entry::fit(Group& g) const {
  const std::vector<TraceSample>& all = samples_of(g);
  std::vector<ClockSetting> clocks;
  std::vector<double> latency, power;
  for (const std::size_t i : g.samples) {
    const TraceSample& s = all[i];
    clocks.push_back(s.clocks);
    latency.push_back(s.latency_mean_s);
    power.push_back(s.power_total_w);
    g.std_over_mean += s.latency_std_s / s.latency_mean_s;
  }
  g.std_over_mean /= static_cast<double>(g.samples.size());
  g.latency = fit_latency(scale, clocks, latency);
  g.power = fit_power(scale, clocks, latency, g.latency, power);
  for (std::size_t r = 0; r < trace.rails.size(); ++r) {
    std::vector<ClockSetting> known_clocks;
    std::vector<double> known, known_latency;
    for (const std::size_t i : g.samples) {
      const double w = all[i].rail_power_w[r];
      if (std::isnan(w)) continue;
      known_clocks.push_back(all[i].clocks);
      known.push_back(w);
      known_latency.push_back(all[i].latency_mean_s);
    }
    UnitFit unknown;
    unknown.kind = FitKind::power;
    g.rails.push_back(known.empty() ? unknown
                                    : fit_power(scale, known_clocks, known_latency, g.latency, known));
  }
  g.fitted = true;
}

namespace {

// Indexes `samples` into `groups` by (key, batch, concurrency), key = unit (or exit for heads),
// and fills the dense per-key grids `grids` (one per unit, or per exit).
void index_groups(const std::vector<TraceSample>& samples, bool heads, std::vector<Group>& groups,
                  std::vector<UnitGroups>& grids) {
  std::map<std::tuple<int, int, int>, std::vector<std::size_t>> by_group;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const TraceSample& s = samples[i];
    by_group[{heads ? s.exit : s.unit, s.batch, s.concurrency}].push_back(i);
  }
  for (const auto& [key, members] : by_group) {
    const auto [id, batch, concurrency] = key;
    UnitGroups& u = grids[static_cast<std::size_t>(id)];
    u.batches.push_back(batch);
    u.concurrencies.push_back(concurrency);
  }
  for (UnitGroups& u : grids) {
    std::sort(u.batches.begin(), u.batches.end());
    u.batches.erase(std::unique(u.batches.begin(), u.batches.end()), u.batches.end());
    std::sort(u.concurrencies.begin(), u.concurrencies.end());
    u.concurrencies.erase(std::unique(u.concurrencies.begin(), u.concurrencies.end()), u.concurrencies.end());
    u.group.assign(u.batches.size() * u.concurrencies.size(), -1);
  }
  for (auto& [key, members] : by_group) {
    const auto [id, batch, concurrency] = key;
    UnitGroups& u = grids[static_cast<std::size_t>(id)];
    const auto b = static_cast<std::size_t>(std::lower_bound(u.batches.begin(), u.batches.end(), batch) -
                                            u.batches.begin());
    const auto c = static_cast<std::size_t>(
        std::lower_bound(u.concurrencies.begin(), u.concurrencies.end(), concurrency) -
        u.concurrencies.begin());
    u.group[b * u.concurrencies.size() + c] = static_cast<int>(groups.size());
    Group g;
    g.unit = samples[members.front()].unit;
    g.exit = heads ? id : -1;
    g.batch = batch;
    g.concurrency = concurrency;
    g.samples = std::move(members);
    groups.push_back(std::move(g));
  }
}

}  // namespace

void TraceStore::Entry::build() {
  for (std::size_t i = 0; i < trace.samples.size(); ++i) {
    const TraceSample& s = trace.samples[i];
    exact.emplace(SampleKey{s.unit, s.batch, s.concurrency, s.clocks, -1}, i);
  }
  for (std::size_t i = 0; i < trace.head_samples.size(); ++i) {
    const TraceSample& s = trace.head_samples[i];
    exact.emplace(SampleKey{s.unit, s.batch, s.concurrency, s.clocks, s.exit}, i);
  }
  units.assign(model->units.size(), UnitGroups{});
  heads.assign(model->exits.size(), UnitGroups{});
  // Unit groups first, so that fit_quality() lists them in (unit, batch, concurrency) order.
  index_groups(trace.samples, false, groups, units);
  index_groups(trace.head_samples, true, groups, heads);
}

TraceStore::TraceStore(const Catalog& catalog) : catalog_(&catalog) {}
TraceStore::~TraceStore() = default;
TraceStore::TraceStore(TraceStore&&) noexcept = default;
TraceStore& TraceStore::operator=(TraceStore&&) noexcept = default;

void TraceStore::add(TraceFile trace) {
  const Provenance& p = trace.provenance;
  TraceKey key{p.board, p.model, p.runtime, p.precision};
  if (entries_.count(key) != 0) {
    throw std::invalid_argument(
        "a trace for board " + p.board + ", model " + p.model + ", runtime " + p.runtime + ", precision " +
        p.precision + " is already loaded (" + entries_.find(key)->second->trace.path + "); " +
        (trace.path.empty() ? std::string("a second one") : trace.path) + " would replace it");
  }
  if (trace.path.empty()) {
    // Built in memory (e.g. by the generator): validate exactly as a file would be.
    std::ostringstream sink;
    write_trace(trace, sink, *catalog_);
  }
  auto entry = std::make_unique<Entry>();
  entry->board = &catalog_->board(p.board);
  entry->model = &catalog_->model(p.model);
  entry->scale = ClockScale::of(*entry->board);
  entry->trace = std::move(trace);
  entry->build();
  entries_.emplace(std::move(key), std::move(entry));
}

int TraceStore::load_dir(const std::string& dir) {
  if (!fs::is_directory(dir)) throw std::invalid_argument("trace directory " + dir + " does not exist");
  std::vector<std::string> files;
  for (const auto& item : fs::recursive_directory_iterator(dir)) {
    if (item.is_regular_file() && item.path().extension() == ".csv") files.push_back(item.path().string());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& file : files) add(read_trace_file(file, *catalog_));
  return static_cast<int>(files.size());
}

std::vector<TraceKey> TraceStore::keys() const {
  std::vector<TraceKey> out;
  for (const auto& [key, entry] : entries_) out.push_back(key);
  return out;
}

const TraceStore::Entry& TraceStore::entry(const std::string& board, const std::string& model,
                                           const std::string& precision, const std::string& runtime) const {
  const auto it = entries_.find(KeyRef(board, model, runtime, precision));
  if (it == entries_.end()) {
    std::string known;
    for (const auto& [key, e] : entries_) {
      known +=
          (known.empty() ? "" : ", ") + key.board + "/" + key.model + "/" + key.runtime + "/" + key.precision;
    }
    throw std::invalid_argument(
        "no trace for " + board + "/" + model + "/" + runtime + "/" + precision +
        " (board/model/runtime/precision); loaded: " + (known.empty() ? "none" : known));
  }
  return *it->second;
}

bool TraceStore::has(const std::string& board, const std::string& model, const std::string& precision,
                     const std::string& runtime) const {
  return entries_.find(KeyRef(board, model, runtime, precision)) != entries_.end();
}

std::pair<int, int> TraceStore::max_batch_concurrency(const std::string& board, const std::string& model,
                                                      int unit, const std::string& precision,
                                                      const std::string& runtime) const {
  const Entry& e = entry(board, model, precision, runtime);
  if (unit < 0 || static_cast<std::size_t>(unit) >= e.units.size() ||
      e.units[static_cast<std::size_t>(unit)].batches.empty()) {
    throw std::invalid_argument("no samples for " + e.context(unit));
  }
  const UnitGroups& u = e.units[static_cast<std::size_t>(unit)];
  return {u.batches.back(), u.concurrencies.back()};
}

const TraceFile& TraceStore::trace(const std::string& board, const std::string& model,
                                   const std::string& precision, const std::string& runtime) const {
  return entry(board, model, precision, runtime).trace;
}

UnitEstimate TraceStore::estimate(const std::string& board, const std::string& model, int unit, int batch,
                                  int concurrency, const ClockSetting& clocks, const std::string& precision,
                                  const std::string& runtime) const {
  UnitEstimate out;
  estimate_into(out, board, model, unit, batch, concurrency, clocks, precision, runtime);
  return out;
}

void TraceStore::estimate_into(UnitEstimate& out, const std::string& board, const std::string& model,
                               int unit, int batch, int concurrency, const ClockSetting& clocks,
                               const std::string& precision, const std::string& runtime) const {
  const Entry& e = entry(board, model, precision, runtime);
  if (unit < 0 || unit >= static_cast<int>(e.units.size())) {
    throw std::invalid_argument("unit " + std::to_string(unit) + " is out of range; model " + model +
                                " has units 0.." + std::to_string(e.units.size() - 1));
  }
  check_clock(clocks.cpu_khz, e.board->cpu_freqs_khz, *e.board, "cpu_khz");
  check_clock(clocks.gpu_hz, e.board->gpu_freqs_hz, *e.board, "gpu_hz");
  check_clock(clocks.emc_hz, e.board->emc_freqs_hz, *e.board, "emc_hz");
  e.answer(out, e.units[static_cast<std::size_t>(unit)], unit, -1, batch, concurrency, clocks);
}

UnitEstimate TraceStore::head_estimate(const std::string& board, const std::string& model, int after_unit,
                                       int batch, int concurrency, const ClockSetting& clocks,
                                       const std::string& precision, const std::string& runtime) const {
  UnitEstimate out;
  head_estimate_into(out, board, model, after_unit, batch, concurrency, clocks, precision, runtime);
  return out;
}

void TraceStore::head_estimate_into(UnitEstimate& out, const std::string& board, const std::string& model,
                                    int after_unit, int batch, int concurrency, const ClockSetting& clocks,
                                    const std::string& precision, const std::string& runtime) const {
  const Entry& e = entry(board, model, precision, runtime);
  const std::vector<ExitPoint>& exits = e.model->exits;
  // The first exit after this unit: the one the simulator takes (Model::exits order).
  const auto it = std::find_if(exits.begin(), exits.end(),
                               [after_unit](const ExitPoint& x) { return x.after_unit == after_unit; });
  if (it == exits.end()) {
    std::vector<int> points;
    for (const ExitPoint& x : exits) points.push_back(x.after_unit);
    throw std::invalid_argument(
        "model " + model + " has no exit after unit " + std::to_string(after_unit) +
        "; its exit points (after_unit): " + (points.empty() ? std::string("none") : join_values(points)));
  }
  const int exit = static_cast<int>(it - exits.begin());
  check_clock(clocks.cpu_khz, e.board->cpu_freqs_khz, *e.board, "cpu_khz");
  check_clock(clocks.gpu_hz, e.board->gpu_freqs_hz, *e.board, "gpu_hz");
  check_clock(clocks.emc_hz, e.board->emc_freqs_hz, *e.board, "emc_hz");
  const UnitGroups& u = e.heads[static_cast<std::size_t>(exit)];
  if (u.batches.empty()) {
    throw common::DataError(e.trace.path.empty() ? std::string("<trace in memory>") : e.trace.path, "",
                            "no head rows (head:" + std::to_string(after_unit) + ", " + it->head + ") for " +
                                e.context(after_unit, exit) +
                                "; the trace predates traced exit heads: regenerate the traces "
                                "(edgetwin traces generate, or scripts/setup)");
  }
  e.answer(out, u, after_unit, exit, batch, concurrency, clocks);
}

void TraceStore::Entry::answer(UnitEstimate& out, const UnitGroups& u, int unit, int exit, int batch,
                               int concurrency, const ClockSetting& clocks) const {
  const std::size_t rail_count = trace.rails.size();
  out.rail_power_w.resize(rail_count);

  // A sample with exactly this key is the truth: return it verbatim.
  const std::vector<TraceSample>& all = exit < 0 ? trace.samples : trace.head_samples;
  if (const auto it = exact.find(SampleKey{unit, batch, concurrency, clocks, exit}); it != exact.end()) {
    const TraceSample& s = all[it->second];
    out.latency_s = s.latency_mean_s;
    out.latency_std_s = s.latency_std_s;
    out.power_total_w = s.power_total_w;
    std::copy(s.rail_power_w.begin(), s.rail_power_w.end(), out.rail_power_w.begin());
    out.exact = true;
    return;
  }

  if (u.batches.empty()) throw std::invalid_argument("no samples for " + context(unit, exit));
  const auto where = [this, unit, exit] { return context(unit, exit); };
  const Bracket b = bracket(batch, u.batches, "batch", where);
  const Bracket c = bracket(concurrency, u.concurrencies, "concurrency", where);
  const FitRow latency_row = basis_row(FitKind::latency, scale, clocks);
  const FitRow power_row = basis_row(FitKind::power, scale, clocks);

  out.latency_s = out.latency_std_s = out.power_total_w = 0;
  std::fill(out.rail_power_w.begin(), out.rail_power_w.end(), 0.0);
  out.exact = false;
  // Bilinear in (batch, concurrency) between the bracketing sampled groups; each corner is its
  // own sample at these clocks when there is one, its fit otherwise.
  const std::size_t bi[2] = {b.i0, b.i1};
  const std::size_t ci[2] = {c.i0, c.i1};
  const double bw[2] = {1 - b.t, b.t};
  const double cw[2] = {1 - c.t, c.t};
  for (int j = 0; j < 2; ++j) {
    for (int k = 0; k < 2; ++k) {
      const double weight = bw[j] * cw[k];
      if (weight == 0) continue;  // also skips the duplicate corner when a value was sampled
      const int index = u.at(bi[j], ci[k]);
      if (index < 0) {
        throw std::invalid_argument("cannot interpolate batch " + std::to_string(batch) + ", concurrency " +
                                    std::to_string(concurrency) + " for " + context(unit, exit) +
                                    ": no samples at batch " + std::to_string(u.batches[bi[j]]) +
                                    ", concurrency " + std::to_string(u.concurrencies[ci[k]]));
      }
      const Group& unfitted = groups[static_cast<std::size_t>(index)];
      const auto hit = exact.find(SampleKey{unit, unfitted.batch, unfitted.concurrency, clocks, exit});
      if (hit != exact.end()) {
        const TraceSample& s = all[hit->second];
        out.latency_s += weight * s.latency_mean_s;
        out.latency_std_s += weight * s.latency_std_s;
        out.power_total_w += weight * s.power_total_w;
        for (std::size_t r = 0; r < rail_count; ++r) out.rail_power_w[r] += weight * s.rail_power_w[r];
        continue;
      }
      const Group& g = fitted_group(static_cast<std::size_t>(index));
      const double latency = g.latency.evaluate(latency_row);
      out.latency_s += weight * latency;
      out.latency_std_s += weight * g.std_over_mean * latency;
      // Energy-model fits answer P = E(clocks, L) / L at this group's fitted latency.
      const FitRow energy = energy_row(scale, clocks, latency);
      const auto power = [&](const UnitFit& fit) {
        if (fit.kind != FitKind::energy) return fit.evaluate(power_row);
        return latency > 0 ? fit.evaluate(energy) / latency : 0.0;
      };
      out.power_total_w += weight * power(g.power);
      for (std::size_t r = 0; r < rail_count; ++r) {
        const UnitFit& fit = g.rails[r];
        out.rail_power_w[r] +=
            fit.points == 0 ? std::numeric_limits<double>::quiet_NaN() : weight * power(fit);
      }
    }
  }
}

std::vector<FitQuality> TraceStore::fit_quality(const std::string& board, const std::string& model,
                                                const std::string& precision,
                                                const std::string& runtime) const {
  return group_quality(entry(board, model, precision, runtime), false);
}

std::vector<FitQuality> TraceStore::head_fit_quality(const std::string& board, const std::string& model,
                                                     const std::string& precision,
                                                     const std::string& runtime) const {
  return group_quality(entry(board, model, precision, runtime), true);
}

std::vector<FitQuality> TraceStore::group_quality(const Entry& e, bool heads) {
  std::vector<FitQuality> out;
  for (std::size_t index = 0; index < e.groups.size(); ++index) {
    if ((e.groups[index].exit >= 0) != heads) continue;
    const Group& g = e.fitted_group(index);
    const std::vector<TraceSample>& all = e.samples_of(g);
    FitQuality q;
    q.unit = g.unit;
    q.exit = g.exit;
    q.batch = g.batch;
    q.concurrency = g.concurrency;
    q.points = static_cast<int>(g.samples.size());
    q.latency_rms_rel = g.latency.rms_rel;
    q.power_rms_rel = g.power.rms_rel;
    std::vector<ClockSetting> clocks;
    std::vector<double> latency, power;
    for (const std::size_t i : g.samples) {
      clocks.push_back(all[i].clocks);
      latency.push_back(all[i].latency_mean_s);
      power.push_back(all[i].power_total_w);
    }
    q.latency_model = model_name(g.latency);
    q.power_model = model_name(g.power);
    const std::vector<double> latency_loo = leave_one_out_latency(g.latency, e.scale, clocks, latency);
    q.latency_loo_max_rel = max_rel_error(latency_loo, latency);
    q.power_loo_max_rel =
        max_rel_error(leave_one_out_power(g.power, e.scale, clocks, latency, latency_loo, power), power);
    for (const std::string& d : g.latency.dropped) q.dropped_terms.push_back("latency: " + d);
    for (const std::string& d : g.power.dropped) q.dropped_terms.push_back("power: " + d);
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace edgetwin::traces

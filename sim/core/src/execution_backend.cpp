// The trace replay backend (execution_backend.hpp).

#include "execution_backend.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace edgetwin::sim::detail {

const std::vector<int>& TraceBackend::rail_map(const traces::Board& board, const traces::Model& model) {
  const auto key = std::make_pair(&board, &model);
  auto it = rail_maps_.find(key);
  if (it != rail_maps_.end()) return it->second;
  // Trace rail r -> board rail index (traces name a subset of the board's rails).
  const auto& names = store_.trace(board.id, model.id, precision_, runtime_).rails;
  std::vector<int> map;
  for (const auto& name : names) {
    int index = -1;
    for (std::size_t b = 0; b < board.rails.size(); ++b) {
      if (board.rails[b].name == name) index = static_cast<int>(b);
    }
    map.push_back(index);
  }
  return rail_maps_.emplace(key, std::move(map)).first->second;
}

RunSums TraceBackend::empty_run(const traces::Board& board, const traces::Model& model) {
  // Board rails the trace does not name stay unknown (NaN) while its units run.
  RunSums sums;
  sums.rail_j.assign(board.rails.size(), std::numeric_limits<double>::quiet_NaN());
  for (const int b : rail_map(board, model)) {
    if (b >= 0) sums.rail_j[static_cast<std::size_t>(b)] = 0.0;
  }
  return sums;
}

void TraceBackend::add(RunSums& sums, const traces::Board& board, const traces::Model& model,
                       const traces::UnitEstimate& est, double scale) {
  const double latency = est.latency_s * scale;
  sums.latency_s += latency;
  sums.energy_j += latency * est.power_total_w;
  const double std_s = est.latency_std_s * scale;
  sums.latency_var_s2 += std_s * std_s;
  const auto& map = rail_map(board, model);
  for (std::size_t r = 0; r < map.size(); ++r) {
    if (map[r] >= 0) sums.rail_j[static_cast<std::size_t>(map[r])] += latency * est.rail_power_w[r];
  }
}

const std::vector<RunSums>& TraceBackend::units(const UnitsQuery& q) {
  const Key key{q.board, q.model, q.clocks.cpu_khz, q.clocks.gpu_hz, q.clocks.emc_hz, q.batch, q.concurrency};
  auto it = units_.find(key);
  if (it != units_.end()) return it->second;
  const traces::Board& board = *q.board;
  const traces::Model& model = *q.model;
  const traces::ClockSetting clocks{q.clocks.cpu_khz, q.clocks.gpu_hz, q.clocks.emc_hz};
  std::vector<RunSums> runs(model.units.size());
  traces::UnitEstimate est;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    // Beyond the largest sampled batch or concurrency the GPU is taken as saturated: throughput
    // stays at the last sample's, so latency grows in proportion and power stays (documented in
    // docs/simulation.md; a trace with larger samples replaces the assumption).
    const auto [max_batch, max_concurrency] =
        store_.max_batch_concurrency(board.id, model.id, static_cast<int>(i), precision_, runtime_);
    const int b = std::min(q.batch, max_batch);
    const int k = std::min(q.concurrency, max_concurrency);
    store_.estimate_into(est, board.id, model.id, static_cast<int>(i), b, k, clocks, precision_, runtime_);
    const double stretch = (static_cast<double>(q.batch) / b) * (static_cast<double>(q.concurrency) / k);
    runs[i] = empty_run(board, model);
    add(runs[i], board, model, est, stretch);
  }
  return units_.emplace(key, std::move(runs)).first->second;
}

RunSums TraceBackend::run_units(const UnitsQuery& q) {
  const auto& per = units(q);
  if (q.first < 0 || q.last >= static_cast<int>(per.size()) || q.first > q.last) {
    throw std::out_of_range("units " + std::to_string(q.first) + ".." + std::to_string(q.last) +
                            " of model " + q.model->id + " (" + std::to_string(per.size()) + " units)");
  }
  RunSums sums;
  for (int i = q.first; i <= q.last; ++i) append_run(sums, per[static_cast<std::size_t>(i)]);
  return sums;
}

RunSums TraceBackend::run_head(const UnitsQuery& q, int after_unit) {
  const HeadKey key{q.board,         q.model,         after_unit, q.clocks.cpu_khz,
                    q.clocks.gpu_hz, q.clocks.emc_hz, q.batch};
  auto it = heads_.find(key);
  if (it != heads_.end()) return it->second;
  // The head's own trace rows (docs/traces.md, "Exit heads"); a trace without them is an error
  // that names the file (regenerate it), never a silent guess.
  const traces::ClockSetting clocks{q.clocks.cpu_khz, q.clocks.gpu_hz, q.clocks.emc_hz};
  traces::UnitEstimate est;
  store_.head_estimate_into(est, q.board->id, q.model->id, after_unit, q.batch, 1, clocks, precision_,
                            runtime_);
  RunSums sums = empty_run(*q.board, *q.model);
  add(sums, *q.board, *q.model, est);
  return heads_.emplace(key, std::move(sums)).first->second;
}

}  // namespace edgetwin::sim::detail

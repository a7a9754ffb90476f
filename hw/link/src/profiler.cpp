#include "edgetwin/hw/profiler.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>
#include <set>
#include <stdexcept>

namespace edgetwin::hw {

namespace {

// `levels` entries spread evenly by index over `table`, always with its first and last.
std::vector<std::int64_t> spread(const std::vector<std::int64_t>& table, int levels) {
  if (levels >= static_cast<int>(table.size()) || table.size() <= 1) return table;
  std::set<std::int64_t> picked;
  const int n = std::max(levels, 1);
  for (int k = 0; k < n; ++k) {
    const double pos = n == 1 ? static_cast<double>(table.size() - 1)
                              : static_cast<double>(k) * static_cast<double>(table.size() - 1) / (n - 1);
    picked.insert(table[static_cast<std::size_t>(std::lround(pos))]);
  }
  return {picked.begin(), picked.end()};
}

std::vector<std::int64_t> common_values(const std::vector<std::int64_t>& board,
                                        const std::vector<std::int64_t>& catalog, const std::string& domain,
                                        const std::function<void(const std::string&)>& progress) {
  std::vector<std::int64_t> both;
  std::vector<std::int64_t> skipped;
  for (std::int64_t v : board) {
    (std::binary_search(catalog.begin(), catalog.end(), v) ? both : skipped).push_back(v);
  }
  if (!skipped.empty() && progress) {
    std::string list;
    for (std::int64_t v : skipped) list += (list.empty() ? "" : " ") + std::to_string(v);
    progress("skipping " + domain +
             " values the catalog lacks (a trace may only name catalog frequencies): " + list);
  }
  return both;
}

std::string today_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

}  // namespace

std::vector<traces::ClockSetting> profile_grid(const std::vector<std::int64_t>& cpu_khz,
                                               const std::vector<std::int64_t>& gpu_hz,
                                               const std::vector<std::int64_t>& emc_hz,
                                               const ProfileOptions& options) {
  const bool full = options.grid == "full";
  const auto cpus = full ? cpu_khz : spread(cpu_khz, options.cpu_levels);
  const auto gpus = full ? gpu_hz : spread(gpu_hz, options.gpu_levels);
  const auto emcs = full ? emc_hz : spread(emc_hz, options.emc_levels);
  std::vector<traces::ClockSetting> grid;
  for (std::int64_t c : cpus) {
    for (std::int64_t g : gpus) {
      for (std::int64_t e : emcs) grid.push_back({c, g, e});
    }
  }
  return grid;
}

traces::TraceFile profile_model(BoardClient& client, const traces::Catalog& catalog,
                                const ProfileOptions& options,
                                const std::function<void(const std::string&)>& progress) {
  if (options.grid != "sparse" && options.grid != "full") {
    throw std::invalid_argument("grid \"" + options.grid + "\" is not allowed; allowed: sparse, full");
  }
  const traces::Model& model = catalog.model(options.model);
  const nlohmann::json info = client.call("info");
  const traces::Board& board = catalog.board(info.at("board").get<std::string>());
  // Decisions use the catalog's primary CPU table; the board's first policy is its cluster.
  const auto board_cpu = info.at("cpu_policies").at(0).at("freqs_khz").get<std::vector<std::int64_t>>();
  const auto board_gpu = info.at("gpu").at("freqs_hz").get<std::vector<std::int64_t>>();
  const auto board_emc = info.at("emc").at("freqs_hz").get<std::vector<std::int64_t>>();
  const auto grid = profile_grid(common_values(board_cpu, board.cpu_freqs_khz, "cpu_khz", progress),
                                 common_values(board_gpu, board.gpu_freqs_hz, "gpu_hz", progress),
                                 common_values(board_emc, board.emc_freqs_hz, "emc_hz", progress), options);
  if (grid.empty())
    throw std::invalid_argument(
        "the clock grid is empty: no frequency is in both the board's and the catalog's tables");

  traces::TraceFile trace;
  const bool fake = info.value("fake", false);
  trace.provenance.kind = "measured";
  trace.provenance.board = board.id;
  trace.provenance.model = model.id;
  trace.provenance.runtime = options.runtime;
  trace.provenance.precision = options.precision;
  const nlohmann::json identity = info.value("identity", nlohmann::json::object());
  trace.provenance.software_stack =
      (fake ? std::string("FAKE BOARD (edgetwin-boardd --fake), ") : std::string()) +
      identity.value("l4t_release", std::string("L4T unknown")) + ", executor " +
      info.value("executor", std::string("?"));
  trace.provenance.date = options.date.empty() ? today_utc() : options.date;
  trace.provenance.notes = fake ? "FAKE: measured on the fake board; latency and power are the synthetic "
                                  "model's plus the fake's sleep "
                                  "and sampling error. Not a measurement of real hardware."
                                : "measured with edgetwin-boardd; power = whole-module rail (catalog total "
                                  "rail or the sum of its rails), "
                                  "mean over each sample's window";
  for (const traces::Rail& rail : board.rails) trace.rails.push_back(rail.name);
  std::size_t total_rail = trace.rails.size();
  for (std::size_t r = 0; r < trace.rails.size(); ++r) {
    if (trace.rails[r] == board.total_rail) total_rail = r;
  }

  auto to_sample = [&](const nlohmann::json& row, const traces::ClockSetting& clocks, int batch) {
    traces::TraceSample s;
    s.unit = row.at("unit").get<int>();
    s.exit = row.at("exit").get<int>();
    s.batch = batch;
    s.concurrency = 1;
    s.clocks = clocks;
    s.latency_mean_s = row.at("latency_mean_s").get<double>();
    s.latency_std_s = row.at("latency_std_s").get<double>();
    s.repeats = row.at("repeats").get<int>();
    s.power_total_w = row.at("power_total_w").get<double>();
    for (const auto& w : row.at("rail_power_w")) {
      s.rail_power_w.push_back(w.is_null() ? std::numeric_limits<double>::quiet_NaN() : w.get<double>());
    }
    s.rail_power_w.resize(trace.rails.size(), std::numeric_limits<double>::quiet_NaN());
    if (total_rail < trace.rails.size()) s.rail_power_w[total_rail] = s.power_total_w;
    for (double& w : s.rail_power_w) {
      if (!std::isnan(w)) w = std::min(std::max(w, 0.0), s.power_total_w);
    }
    return s;
  };

  std::size_t done = 0;
  for (const traces::ClockSetting& clocks : grid) {
    client.call("set_clocks",
                {{"cpu_khz", clocks.cpu_khz}, {"gpu_hz", clocks.gpu_hz}, {"emc_hz", clocks.emc_hz}});
    for (int batch : options.batches) {
      const nlohmann::json common{{"model", model.id},
                                  {"batch", batch},
                                  {"repeats", options.repeats},
                                  {"warmup", options.warmup},
                                  {"precision", options.precision},
                                  {"mode", "profile"}};
      nlohmann::json units = common;
      units["first"] = 0;
      units["last"] = static_cast<int>(model.units.size());
      // (Keep each response alive while iterating over its rows.)
      const nlohmann::json measured = client.call("run_units", units);
      for (const auto& row : measured.at("units")) trace.samples.push_back(to_sample(row, clocks, batch));
      for (std::size_t e = 0; e < model.exits.size(); ++e) {
        nlohmann::json head = common;
        head["first"] = model.exits[e].after_unit;
        head["last"] = model.exits[e].after_unit;
        head["exit"] = static_cast<int>(e);
        const nlohmann::json head_measured = client.call("run_units", head);
        for (const auto& row : head_measured.at("units"))
          trace.head_samples.push_back(to_sample(row, clocks, batch));
      }
    }
    ++done;
    if (progress) {
      progress("clocks " + std::to_string(done) + "/" + std::to_string(grid.size()) + ": cpu " +
               std::to_string(clocks.cpu_khz) + " kHz, gpu " + std::to_string(clocks.gpu_hz) + " Hz, emc " +
               std::to_string(clocks.emc_hz) + " Hz");
    }
  }
  client.call("restore");
  return trace;
}

}  // namespace edgetwin::hw

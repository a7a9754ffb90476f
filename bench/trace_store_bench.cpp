// Cost of TraceStore::estimate_into (the per-simulated-unit query) against a bare
// std::unordered_map lookup of the same samples, measured in the same process; and the cost of
// generating and writing synthetic traces.
//
//   build/bench/edgetwin_trace_bench [board] [model]      (default: xavier_nx resnet50)

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "edgetwin/traces/synth.hpp"
#include "edgetwin/traces/trace_store.hpp"

namespace {

using edgetwin::traces::ClockSetting;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The baseline: what a replay with a pre-tabulated exact key would pay at least.
std::uint64_t key_of(int unit, const ClockSetting& c) {
  return (static_cast<std::uint64_t>(unit) << 56) ^ (static_cast<std::uint64_t>(c.cpu_khz) << 34) ^
         (static_cast<std::uint64_t>(c.gpu_hz / 1000) << 12) ^ static_cast<std::uint64_t>(c.emc_hz / 1000000);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string board_id = argc > 1 ? argv[1] : "xavier_nx";
  const std::string model_id = argc > 2 ? argv[2] : "resnet50";
  const auto catalog = edgetwin::traces::Catalog::load(EDGETWIN_CATALOG_DIR);
  const auto& board = catalog.board(board_id);
  const auto& model = catalog.model(model_id);
  const edgetwin::traces::Synthesizer synth(
      catalog, edgetwin::traces::load_synth_calibration(
                   edgetwin::traces::default_calibration_path(EDGETWIN_CATALOG_DIR)));

  edgetwin::traces::SynthOptions options;
  auto start = Clock::now();
  auto trace = synth.generate(board, model, options);
  const double generate_s = seconds_since(start);
  const auto file = std::filesystem::temp_directory_path() / "edgetwin_trace_bench.csv";
  start = Clock::now();
  edgetwin::traces::write_trace_file(trace, file.string(), catalog);
  const double write_s = seconds_since(start);
  start = Clock::now();
  auto reread = edgetwin::traces::read_trace_file(file.string(), catalog);
  const double read_s = seconds_since(start);
  const std::size_t samples = trace.samples.size();
  edgetwin::traces::TraceStore store(catalog);
  start = Clock::now();
  store.add(std::move(reread));
  const double fit_s = seconds_since(start);
  std::filesystem::remove(file);

  // Query sets: sampled clocks at batch 1 (exact hits) and every table combination (mostly fits).
  const auto grid = edgetwin::traces::Synthesizer::clock_grid(board, options);
  std::vector<ClockSetting> all;
  for (auto c : board.cpu_freqs_khz)
    for (auto g : board.gpu_freqs_hz)
      for (auto m : board.emc_freqs_hz) all.push_back({c, g, m});
  std::unordered_map<std::uint64_t, double> bare;
  for (const auto& s : trace.samples) {
    if (s.batch == 1 && s.concurrency == 1) bare.emplace(key_of(s.unit, s.clocks), s.latency_mean_s);
  }
  const int units = static_cast<int>(model.units.size());
  const long calls = 2000000;
  double sink = 0;

  start = Clock::now();
  for (long i = 0; i < calls; ++i) {
    const auto it = bare.find(
        key_of(static_cast<int>(i % units), grid[static_cast<std::size_t>(i / units) % grid.size()]));
    sink += it == bare.end() ? 0.0 : it->second;
  }
  const double bare_ns = seconds_since(start) * 1e9 / calls;

  edgetwin::traces::UnitEstimate out;
  auto time_store = [&](const std::vector<ClockSetting>& clocks, int batch) {
    const auto t0 = Clock::now();
    for (long i = 0; i < calls; ++i) {
      store.estimate_into(out, board_id, model_id, static_cast<int>(i % units), batch, 1,
                          clocks[static_cast<std::size_t>(i / units) % clocks.size()]);
      sink += out.latency_s;
    }
    return seconds_since(t0) * 1e9 / calls;
  };
  const double exact_ns = time_store(grid, 1);
  const double fit_ns = time_store(all, 1);
  const double interp_ns = time_store(all, 3);

  std::printf("trace %s/%s: %zu samples (%d units)\n", board_id.c_str(), model_id.c_str(), samples, units);
  std::printf("generate %.3f s, write %.3f s, read+validate %.3f s, fit all groups %.3f s\n", generate_s,
              write_s, read_s, fit_s);
  std::printf("%-44s %8.1f ns/call\n", "baseline: bare unordered_map lookup", bare_ns);
  std::printf("%-44s %8.1f ns/call  (%.1fx baseline)\n", "estimate, sampled clocks (exact)", exact_ns,
              exact_ns / bare_ns);
  std::printf("%-44s %8.1f ns/call  (%.1fx baseline)\n", "estimate, any table clocks (fit)", fit_ns,
              fit_ns / bare_ns);
  std::printf("%-44s %8.1f ns/call  (%.1fx baseline)\n", "estimate, fit + batch interpolation", interp_ns,
              interp_ns / bare_ns);
  return sink > 0 ? 0 : 1;
}

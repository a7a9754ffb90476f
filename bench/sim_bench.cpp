// Simulation throughput of EdgeTwin: one configuration per process (SimGrid allows one engine per
// process). Builds the scenario in code (N identical devices, one video stream each), generates
// the synthetic traces it needs in memory, runs run_simulation once and prints one line:
//
//   RESULT impl=edgetwin-fast devices=N frames=F activities=A local_activities=L local_devices=D sim_s=S
//          wall_s=W peak_rss_mb=M setup_s=T
//   (impl=edgetwin-activity with --no-fast-path: every device on the per-activity path)
//   FRAME edge_s=... cloud_s=... up_bytes=... down_bytes=...   (what one frame costs, for the bare run)
//
// wall_s covers run_simulation only (engine, platform, actors, run, summary); setup_s is the
// trace generation and fitting before it. The companion bare SimGrid program (bare_simgrid.cpp)
// prints the same line; bench/run_sim_bench.sh runs both and tabulates.
//
//   edgetwin_sim_bench [--devices N] [--fps F] [--duration S] [--model M] [--board B]
//                      [--placement edge_only|cloud_only] [--clouds C] [--cloud-board B]
//                      [--timeline S] [--clocks POLICY] [--out DIR] [--no-fast-path] [--outcomes]
//                      [--cfg=... --log=... passed to SimGrid]
//
// --outcomes: the placement policy also wants every request's outcome (Policy::on_outcome) and
// sums the latencies and energies it is told: the cost of outcomes for every request.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/simulation.hpp"
#include "edgetwin/traces/synth.hpp"

#include <sys/resource.h>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int devices = 1;
  double fps = 30;
  double duration_s = 3600;
  std::string model = "mobilenet_v2";
  std::string board = "xavier_nx";
  std::string placement = "edge_only";
  int clouds = 0;  ///< cloud_only: 0 = one GPU per 100 devices
  std::string cloud_board = "rtx3080";
  double timeline_s = 0;              ///< 0 = timeline off (one sample interval longer than the run)
  std::string clocks = "max_clocks";  ///< clocks policy (e.g. a governor: podgov)
  std::string out_dir;                ///< "" = write nothing; else summary.json, requests.csv (+ timeline)
  bool fast_path = true;              ///< --no-fast-path: RunOptions::fast_path = false
  bool outcomes = false;              ///< --outcomes: the placement policy wants every outcome
  std::vector<std::string> engine_args;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--cfg=", 0) == 0 || a.rfind("--log=", 0) == 0) {
      o.engine_args.push_back(a);
      continue;
    }
    if (a == "--outcomes") {
      o.outcomes = true;
      continue;
    }
    if (a == "--no-fast-path") {
      o.fast_path = false;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument("missing value after " + a);
    const std::string v = argv[++i];
    if (a == "--devices")
      o.devices = std::stoi(v);
    else if (a == "--fps")
      o.fps = std::stod(v);
    else if (a == "--duration")
      o.duration_s = std::stod(v);
    else if (a == "--model")
      o.model = v;
    else if (a == "--board")
      o.board = v;
    else if (a == "--placement")
      o.placement = v;
    else if (a == "--clouds")
      o.clouds = std::stoi(v);
    else if (a == "--cloud-board")
      o.cloud_board = v;
    else if (a == "--timeline")
      o.timeline_s = std::stod(v);
    else if (a == "--clocks")
      o.clocks = v;
    else if (a == "--out")
      o.out_dir = v;
    else
      throw std::invalid_argument("unknown option " + a);
  }
  if (o.placement != "edge_only" && o.placement != "cloud_only") {
    throw std::invalid_argument("placement must be edge_only or cloud_only");
  }
  if (o.placement == "cloud_only" && o.clouds <= 0) o.clouds = std::max(1, o.devices / 100);
  return o;
}

edgetwin::sim::ScenarioSpec make_spec(const Options& o) {
  using namespace edgetwin::sim;
  ScenarioSpec spec;
  spec.name = "sim_bench";
  spec.duration_s = o.duration_s;
  DeviceGroupSpec g;
  g.name = "g";
  g.board = o.board;
  g.count = o.devices;
  g.models = {o.model};
  g.policies = {{"clocks", {o.clocks, nlohmann::json::object()}},
                {"placement", {o.outcomes ? "outcome_sink" : o.placement, nlohmann::json::object()}}};
  g.access.bandwidth_bps = 100e6;
  g.access.latency_s = 0.002;
  spec.groups.push_back(g);
  if (o.placement == "cloud_only") {
    spec.clouds.push_back(CloudSpec{"c", o.cloud_board, o.clouds});
    spec.wan.bandwidth_bps = 10e9;
    spec.wan.latency_s = 0.01;
  }
  VideoStreamSpec v;
  v.name = "v";
  v.group = "g";
  v.model = o.model;
  v.fps = o.fps;
  v.duration_s = o.duration_s;
  spec.videos.push_back(v);
  spec.outputs.requests_csv = !o.out_dir.empty();
  spec.outputs.timeline_csv = !o.out_dir.empty() && o.timeline_s > 0;
  spec.outputs.timeline_interval_s = o.timeline_s > 0 ? o.timeline_s : 10 * o.duration_s + 1;
  return spec;
}

/// The bench's placement with outcomes on: decides as `inner` does, and sums every outcome.
class OutcomeSink final : public edgetwin::policies::Policy {
 public:
  explicit OutcomeSink(std::unique_ptr<edgetwin::policies::Policy> inner) : inner_(std::move(inner)) {}
  edgetwin::policies::FrameAction on_frame(const edgetwin::policies::FrameObservation& obs) override {
    return inner_->on_frame(obs);
  }
  bool wants_outcomes() const override { return true; }
  void on_outcome(const edgetwin::policies::Outcome& o) override {
    latency_s_ += o.latency_s;
    energy_j_ += o.device_energy_j + o.cloud_energy_j;
  }

 private:
  std::unique_ptr<edgetwin::policies::Policy> inner_;
  double latency_s_ = 0;
  double energy_j_ = 0;
};

void add_outcome_sink(edgetwin::policies::PolicyRegistry& registry, const std::string& placement) {
  edgetwin::policies::PolicyInfo info;
  info.name = "outcome_sink";
  info.roles = {edgetwin::policies::Role::placement};
  info.summary = "bench: " + placement + " that wants every outcome";
  info.make = [&registry, placement](const nlohmann::json& params,
                                     const edgetwin::policies::PolicyContext& ctx) {
    return std::make_unique<OutcomeSink>(
        registry.create(edgetwin::policies::Role::placement, placement, params, ctx));
  };
  registry.add(info);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    const auto setup_start = Clock::now();
    const auto catalog = edgetwin::traces::Catalog::load(EDGETWIN_CATALOG_DIR);
    const edgetwin::traces::Synthesizer synth(
        catalog, edgetwin::traces::load_synth_calibration(
                     edgetwin::traces::default_calibration_path(EDGETWIN_CATALOG_DIR)));
    edgetwin::traces::TraceStore store(catalog);
    store.add(
        synth.generate(catalog.board(o.board), catalog.model(o.model), edgetwin::traces::SynthOptions{}));
    if (o.placement == "cloud_only" && o.cloud_board != o.board) {
      store.add(synth.generate(catalog.board(o.cloud_board), catalog.model(o.model),
                               edgetwin::traces::SynthOptions{}));
    }
    edgetwin::policies::PolicyRegistry registry;
    edgetwin::policies::register_builtin_policies(registry);
    add_outcome_sink(registry, o.placement);
    const auto spec = make_spec(o);
    const double setup_s = std::chrono::duration<double>(Clock::now() - setup_start).count();

    // One frame's work, as the bare SimGrid program should replay it: the sum of the units at the
    // clocks the run uses (the power mode's maximum on the device, the table maximum on the cloud).
    const auto& model = catalog.model(o.model);
    const auto& board = catalog.board(o.board);
    const auto& mode = board.power_mode(board.default_power_mode);
    const edgetwin::traces::ClockSetting edge_clocks{mode.cpu_max_khz, mode.gpu_max_hz, mode.emc_max_hz};
    const int units = static_cast<int>(model.units.size());
    double edge_s = 0, cloud_s = 0;
    for (int i = 0; i < units; ++i)
      edge_s += store.estimate(o.board, o.model, i, 1, 1, edge_clocks).latency_s;
    if (o.placement == "cloud_only") {
      const auto cloud_clocks = edgetwin::traces::Synthesizer::max_clocks(catalog.board(o.cloud_board));
      for (int i = 0; i < units; ++i)
        cloud_s += store.estimate(o.cloud_board, o.model, i, 1, 1, cloud_clocks).latency_s;
    }
    const double up_bytes = static_cast<double>(model.units.front().input_elements) * 4;
    const double down_bytes = static_cast<double>(model.units.back().output_elements) * 4;

    edgetwin::sim::RunOptions run_options;
    run_options.engine_args = o.engine_args;
    run_options.out_dir = o.out_dir;
    run_options.fast_path = o.fast_path;
    run_options.keep_records = false;  // as `edgetwin run`: summaries from the compact tally
    const auto start = Clock::now();
    const auto result = edgetwin::sim::run_simulation(spec, catalog, store, synth, registry, run_options);
    const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();

    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf(
        "RESULT impl=%s devices=%d frames=%ld activities=%ld local_activities=%ld local_devices=%d "
        "sim_s=%.6f "
        "wall_s=%.6f peak_rss_mb=%.1f setup_s=%.3f\n",
        o.fast_path ? "edgetwin-fast" : "edgetwin-activity", o.devices, result.records, result.activities,
        result.local_activities, result.local_time_devices, result.simulated_end_s, wall_s,
        static_cast<double>(usage.ru_maxrss) / 1024.0, setup_s);
    std::printf("FRAME edge_s=%.17g cloud_s=%.17g up_bytes=%.0f down_bytes=%.0f units=%d\n", edge_s, cloud_s,
                up_bytes, down_bytes, units);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "edgetwin_sim_bench: " << e.what() << "\n";
    return 1;
  }
}

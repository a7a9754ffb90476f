// `edgetwin run FILE [--out DIR] [--seed N] [--set POINTER=VALUE ...] [--cfg=... --log=...]`.

#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/simulation.hpp"
#include "edgetwin/sim/version.hpp"
#include "edgetwin/sweep/run_id.hpp"

#include "agent_link.hpp"
#include "cli.hpp"
#include "cmd_sweep.hpp"
#include "scenario_args.hpp"
#include "tools.hpp"

namespace edgetwin::app {

int run_run(const std::vector<std::string>& raw_args) {
  // SimGrid's own options pass through untouched.
  std::vector<std::string> args, engine_args;
  for (const auto& a : raw_args) {
    if (a.rfind("--cfg=", 0) == 0 || a.rfind("--log=", 0) == 0)
      engine_args.push_back(a);
    else
      args.push_back(a);
  }
  std::string file, out_dir, data_dir, traces_dir;
  std::vector<std::string> sets;
  // Groups with backend "hil" (docs/hil.md).
  const char* env_keys = std::getenv("EDGETWIN_HIL_KEYS");
  std::string hil_keys = env_keys != nullptr ? env_keys : "";
  double hil_timeout_s = 30;
  long long seed = -1;
  bool quiet = false;
  bool no_fast_path = false;
  bool checkpoint_server = false;
  std::vector<std::string> checkpoints;
  int agent_fd = -1;
  std::string shard_text;
  bool use_mpi = false;
  po::options_description options("run options");
  options.add_options()("file", po::value<std::string>(&file), "scenario file")(
      "out", po::value<std::string>(&out_dir), "results directory (default: results/<scenario name>)")(
      "seed", po::value<long long>(&seed), "override the scenario's seed")(
      "set", po::value<std::vector<std::string>>(&sets)->composing(),
      "override POINTER=VALUE, e.g. /platform/groups/0/count=100 (repeatable)")(
      "quiet", po::bool_switch(&quiet), "no progress line")(
      "shard", po::value<std::string>(&shard_text),
      "R/K: simulate shard R (0 .. K-1) of the scenario split over K processes: its block of the "
      "devices (global indices, seeds and request ids unchanged), cloud servers c with c mod K = R, "
      "the WAN at its share of the devices (docs/performance.md \"Sharding\"); writes shard.json for "
      "edgetwin merge")(
      "mpi", po::bool_switch(&use_mpi),
      "under mpirun/srun with K ranks: rank R simulates shard R/K (OUT/shards/R), then rank 0 merges "
      "the shards into OUT (edgetwin merge): mpirun -np K edgetwin run FILE --mpi --out OUT")(
      "no-fast-path", po::bool_switch(&no_fast_path),
      "replay every device with one engine activity per unit run and per transition (the per-activity "
      "path); by default, devices that nothing else can observe between their own interactions run "
      "ahead of the engine in local time, with the same results up to floating-point rounding "
      "(docs/simulation.md)")(
      "checkpoint", po::value<std::vector<std::string>>(&checkpoints)->composing(),
      "what the learned networks are evaluated from, learning off (repeatable): a training folder written "
      "by edgetwin train (each network's best/), one network's checkpoint, or NETWORK=DIR; before the "
      "policies' \"checkpoint\" parameters (docs/learning.md)")(
      "checkpoint-server", po::bool_switch(&checkpoint_server),
      "evaluate checkpoints through the libtorch server edgetwin-learn instead of in this process (the "
      "default evaluates their greedy.json without libtorch, same decisions; docs/learning.md)")(
      "agent-fd", po::value<int>(&agent_fd),
      "internal: the learned policy's agent is the trainer at the other end of this socket (edgetwin-learn "
      "train)");
  add_data_option(options, data_dir);
  add_traces_option(options, traces_dir);
  options.add_options()("hil-keys", po::value<std::string>(&hil_keys),
                        "groups with backend \"hil\": directory with client.key and server.pub (default "
                        "$EDGETWIN_HIL_KEYS; docs/hil.md)")(
      "hil-timeout", po::value<double>(&hil_timeout_s)->default_value(30),
      "seconds a board request may take before the board link counts as lost (exit code 1)");
  po::positional_options_description positionals;
  positionals.add("file", 1);
  po::variables_map vm;
  if (!parse_args(
          args, options, positionals, vm,
          "edgetwin run FILE [--out DIR] [--seed N] [--set POINTER=VALUE ...] [--cfg=K:V] [--log=...]\n"
          "       mpirun -np K edgetwin run FILE --mpi [--out DIR] ...   (one scenario over K ranks)\n"
          "SimGrid options (--cfg=..., --log=...) are passed to the engine.")) {
    return kExitOk;
  }
  if (file.empty()) throw std::invalid_argument("run: say which scenario file to simulate");
  int shard = 0, shards = 1;
  if (!shard_text.empty()) {
    char slash = 0;
    std::istringstream in(shard_text);
    if (!(in >> shard >> slash >> shards) || slash != '/' || !in.eof() || shards < 1 || shard < 0 ||
        shard >= shards) {
      throw std::invalid_argument("run: --shard " + shard_text +
                                  ": expected R/K with K >= 1 and 0 <= R < K, e.g. --shard 0/3");
    }
  }
  if (use_mpi && (!shard_text.empty() || agent_fd >= 0))
    throw std::invalid_argument(
        "run: --mpi chooses the shards itself (rank R of K: --shard R/K); drop --shard");
  // Under MPI every rank checks the scenario and takes the same way; only rank 0 says why not.
  const bool reporter = !use_mpi || mpi_rank_from_environment() == 0;
  std::ostringstream silenced;
  auto* cerr_buffer = reporter ? nullptr : std::cerr.rdbuf(silenced.rdbuf());
  const auto catalog = load_catalog_or_throw(data_dir);
  const auto loaded = load_scenario_or_report(file, sets, seed, catalog);
  if (cerr_buffer != nullptr) std::cerr.rdbuf(cerr_buffer);
  if (!loaded) return kExitDataError;
  const sim::ScenarioSpec& spec = *loaded;
  if (out_dir.empty()) out_dir = (std::filesystem::path("results") / spec.name).string();
  if (use_mpi) {
    // The shards' command: this one without --mpi and --out (edgetwin-mpi adds --shard R/K and
    // --out OUT/shards/R).
    nlohmann::json shard_args = nlohmann::json::array();
    for (std::size_t i = 0; i < raw_args.size(); ++i) {
      if (raw_args[i] == "--mpi" || raw_args[i].rfind("--out=", 0) == 0) continue;
      if (raw_args[i] == "--out") {
        ++i;
        continue;
      }
      shard_args.push_back(raw_args[i]);
    }
    const nlohmann::json plan = {{"edgetwin", self_path().string()},
                                 {"out", std::filesystem::absolute(out_dir).string()},
                                 {"args", shard_args}};
    return exec_mpi_tool("--run", plan.dump());
  }
  if (!spec.traces_dir.empty()) traces_dir = spec.traces_dir;
  const auto store = sim::load_traces_for(spec, catalog, traces_dir);
  const traces::Synthesizer power_model(
      catalog, traces::load_synth_calibration(traces::default_calibration_path(data_dir)));
  policies::PolicyRegistry registry;
  policies::register_builtin_policies(registry);

  sim::RunOptions run_options;
  run_options.out_dir = out_dir;
  run_options.progress = !quiet;
  run_options.engine_args = engine_args;
  run_options.fast_path = !no_fast_path;
  run_options.hil_keys_dir = hil_keys;
  run_options.hil_timeout_s = hil_timeout_s;
  run_options.shard = shard;
  run_options.shards = shards;
  run_options.write_tallies = !shard_text.empty();
  // Summaries from the compact tally, requests.csv streamed: no record kept per request.
  run_options.keep_records = false;
  // What a trainer records about the run: the scenario (name, file, hash of the resolved
  // document without its seed, so that all episodes of one training agree), the seed and the
  // simulator's version.
  auto unseeded = spec.resolved;
  unseeded.erase("seed");
  AgentLink agents(agent_fd, checkpoints,
                   {{"scenario", spec.name},
                    {"file", file},
                    {"scenario_hash", sweep::run_id_of(unseeded)},
                    {"seed", spec.seed},
                    {"edgetwin_version", sim::version_string()}});
  agents.set_torch_free(!checkpoint_server);
  run_options.agents = agents.provider();
  const auto result = sim::run_simulation(spec, catalog, store, power_model, registry, run_options);
  if (agents.used()) {
    auto summary = result.summary;
    summary["simulated_end_s"] = result.simulated_end_s;
    summary["wall_s"] = result.wall_s;
    agents.finish(summary);
  } else if (!checkpoints.empty()) {
    std::cerr << "note: --checkpoint " << checkpoints.front() << " was not used: no device group of " << file
              << " runs a learned policy (edgetwin list policies)\n";
  }
  const auto& overall = result.summary["overall"];
  auto number = [](const nlohmann::json& v, double scale, int digits) {
    if (!v.is_number()) return std::string("-");
    std::ostringstream os;
    os << std::fixed << std::setprecision(digits) << v.get<double>() * scale;
    return os.str();
  };
  std::cout << "simulated " << number(result.simulated_end_s, 1, 1) << " s of scenario '" << spec.name
            << "' in " << number(result.wall_s, 1, 2) << " s wall: " << overall["requests_completed"]
            << " requests, p95 latency " << number(overall["latency_p95_s"], 1e3, 1) << " ms, SLO violations "
            << number(overall["slo_violation_rate"], 100, 1) << " %, "
            << number(overall["energy_per_request_j"], 1e3, 1) << " mJ/request"
            << (result.summary["synthetic_traces"].get<bool>() ? " (SYNTHETIC traces)" : "") << "\n"
            << "results: " << out_dir << "/{summary.json, "
            << (spec.outputs.requests_csv ? "requests.csv, " : "")
            << (spec.outputs.timeline_csv ? "timeline.csv, " : "")
            << (std::filesystem::exists(std::filesystem::path(out_dir) / "slots.csv") ? "slots.csv, " : "")
            << (std::filesystem::exists(std::filesystem::path(out_dir) / "hil_units.csv")
                    ? "hil_units.csv, hil_frames.csv, "
                    : "")
            << "scenario.resolved.json}\n";
  note_sweep_of(file);
  return kExitOk;
}

}  // namespace edgetwin::app

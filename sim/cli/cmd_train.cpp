// `edgetwin train FILE --out DIR [...]`: checks the scenario (at least one learned policy), then
// hands over to `edgetwin-learn train`, which holds the learned networks and runs each episode as an
// `edgetwin run --agent-fd` child of this executable (docs/learning.md).

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/scenario.hpp"

#include "cli.hpp"
#include "scenario_args.hpp"
#include "tools.hpp"
#include <unistd.h>

namespace edgetwin::app {

int run_train(const std::vector<std::string>& args) {
  std::string file, out_dir, data_dir, traces_dir, resume, dataset, model;
  std::vector<std::string> sets, networks, checkpoints;
  long long seed = -1;
  int episodes = -1, eval_every = -1, checkpoint_every = -1;
  bool quiet = false, mpi = false, mpi_same_seeds = false;
  po::options_description options("train options");
  options.add_options()("file", po::value<std::string>(&file),
                        "scenario file (with learned policies, e.g. ztt)")(
      "dataset", po::value<std::string>(&dataset),
      "instead of a scenario: train a supervised network from this CSV file (header row, numeric cells), "
      "described by --model (docs/learning.md, \"Supervised networks\")")(
      "model", po::value<std::string>(&model),
      "with --dataset: the model spec (JSON): task, label or targets, features, hidden, epochs, ...")(
      "network", po::value<std::vector<std::string>>(&networks)->composing(),
      "train only this learned network (repeatable; default: every network of the scenario); the others "
      "decide greedily from --checkpoint or their policy's \"checkpoint\" parameter")(
      "checkpoint", po::value<std::vector<std::string>>(&checkpoints)->composing(),
      "with --network: where the networks not trained are loaded from (a training folder, a checkpoint or "
      "NETWORK=DIR; repeatable)")("out", po::value<std::string>(&out_dir),
                                  "output directory (default: results/<scenario name>-train)")(
      "episodes", po::value<int>(&episodes),
      "training episodes (default: the scenario's training.episodes, or 20); with --dataset: epochs (also "
      "--epochs; default: the spec's epochs, or 20)")("epochs", po::value<int>(&episodes),
                                                      "with --dataset: training epochs")(
      "eval-every", po::value<int>(&eval_every),
      "a greedy evaluation episode every N training episodes; the best checkpoint is the best evaluation "
      "(default: training.eval_every, or 5; 0 = never, best = best training return)")(
      "checkpoint-every", po::value<int>(&checkpoint_every),
      "keep a checkpoint every N episodes (default: training.checkpoint_every, or 10; 0 = only best and "
      "last)")(
      "resume", po::value<std::string>(&resume),
      "continue a training: its output folder (every network from its last/) or one network's checkpoint "
      "(learner, optimiser, replay buffer, counters)")(
      "seed", po::value<long long>(&seed), "base seed of the episodes (default: the scenario's seed)")(
      "set", po::value<std::vector<std::string>>(&sets)->composing(), "override POINTER=VALUE (repeatable)")(
      "mpi", po::bool_switch(&mpi),
      "data-parallel training under mpirun/srun: every rank simulates its own episodes and the ranks average "
      "their gradients at every update, so they learn one policy (docs/learning.md)")(
      "mpi-same-seeds", po::bool_switch(&mpi_same_seeds),
      "with --mpi: every rank uses the same episode seeds (a check: the result equals one process)")(
      "quiet", po::bool_switch(&quiet), "no progress line");
  add_data_option(options, data_dir);
  add_traces_option(options, traces_dir);
  po::positional_options_description positionals;
  positionals.add("file", 1);
  po::variables_map vm;
  if (!parse_args(args, options, positionals, vm,
                  "edgetwin train FILE [--out DIR] [--episodes N] [--resume DIR] [--mpi]\n"
                  "edgetwin train --dataset CSV --model SPEC.json [--out DIR] [--epochs N] [--resume DIR]")) {
    return kExitOk;
  }
  if (!dataset.empty() || !model.empty()) {
    if (dataset.empty() || model.empty())
      throw std::invalid_argument("train: --dataset and --model go together (a CSV file and its model spec)");
    if (!file.empty()) throw std::invalid_argument("train: either a scenario FILE or --dataset, not both");
    if (mpi) throw std::invalid_argument("train: --mpi trains decision networks in scenarios, not --dataset");
    if (out_dir.empty())
      out_dir = (std::filesystem::path("results") / (std::filesystem::path(model).stem().string() + "-fit"))
                    .string();
    std::vector<std::string> fit{tool_path("edgetwin-learn").string(),
                                 "fit",
                                 "--dataset",
                                 dataset,
                                 "--model",
                                 model,
                                 "--out",
                                 out_dir};
    if (episodes >= 0) fit.insert(fit.end(), {"--epochs", std::to_string(episodes)});
    if (seed >= 0) fit.insert(fit.end(), {"--seed", std::to_string(seed)});
    if (!resume.empty()) fit.insert(fit.end(), {"--resume", resume});
    if (quiet) fit.emplace_back("--quiet");
    return exec_tool(fit, "build the edgetwin-learn target");
  }
  if (file.empty()) throw std::invalid_argument("train: say which scenario file to train on");
  const auto catalog = load_catalog_or_throw(data_dir);
  const auto loaded = load_scenario_or_report(file, sets, seed, catalog);
  if (!loaded) return kExitDataError;
  const sim::ScenarioSpec& spec = *loaded;
  // At least one learned policy; each names its network (several policies may share one).
  policies::PolicyRegistry registry;
  policies::register_builtin_policies(registry);
  std::vector<std::string> learned;
  for (const auto& group : spec.groups) {
    for (const auto& [roles, policy] : group.policies) {
      if (registry.has(policy.name) && registry.get(policy.name).learned &&
          std::find(learned.begin(), learned.end(), policy.name) == learned.end())
        learned.push_back(policy.name);
    }
  }
  if (learned.empty()) {
    std::string names;
    for (const auto& info : registry.all()) {
      if (info.learned) names += (names.empty() ? "" : ", ") + info.name;
    }
    throw std::invalid_argument(file + ": no device group runs a learned policy (learned policies: " + names +
                                ")");
  }
  const auto& t = spec.training;
  if (episodes < 0) episodes = t.episodes;
  if (eval_every < 0) eval_every = t.eval_every;
  if (checkpoint_every < 0) checkpoint_every = t.checkpoint_every;
  if (episodes < 1) throw std::invalid_argument("train: --episodes must be >= 1");
  if (out_dir.empty()) out_dir = (std::filesystem::path("results") / (spec.name + "-train")).string();

  const std::string tool = tool_path("edgetwin-learn").string();
  std::vector<std::string> owned{tool,
                                 "train",
                                 "--edgetwin",
                                 self_path().string(),
                                 "--scenario",
                                 file,
                                 "--scenario-name",
                                 spec.name,
                                 "--out",
                                 out_dir,
                                 "--episodes",
                                 std::to_string(episodes),
                                 "--eval-every",
                                 std::to_string(eval_every),
                                 "--checkpoint-every",
                                 std::to_string(checkpoint_every),
                                 "--seed",
                                 std::to_string(spec.seed),
                                 "--eval-seed",
                                 std::to_string(t.eval_seed != 0 ? t.eval_seed : spec.seed)};
  if (!resume.empty()) owned.insert(owned.end(), {"--resume", resume});
  for (const auto& n : networks) owned.insert(owned.end(), {"--network", n});
  for (const auto& c : checkpoints) owned.insert(owned.end(), {"--checkpoint", c});
  if (mpi) owned.emplace_back("--mpi");
  if (mpi_same_seeds) owned.emplace_back("--mpi-same-seeds");
  if (quiet) owned.emplace_back("--quiet");
  // What every episode's `edgetwin run` gets besides FILE, --seed, --out and --agent-fd.
  owned.emplace_back("--");
  for (const auto& s : sets) owned.insert(owned.end(), {"--set", s});
  if (!data_dir.empty()) owned.insert(owned.end(), {"--data", data_dir});
  if (!traces_dir.empty()) owned.insert(owned.end(), {"--traces", traces_dir});
  return exec_tool(owned, "build the edgetwin-learn target");
}

}  // namespace edgetwin::app

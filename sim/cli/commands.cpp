// The registry of `edgetwin` subcommands (explicit: what --help lists is what exists).

#include "cli.hpp"

namespace edgetwin::app {

std::vector<Command> builtin_commands() {
  return {
      {"run", "simulate a scenario and write its results", &run_run},
      {"list", "list boards, models, policies (catalogs and the policy registry)", &run_list},
      {"traces", "generate synthetic traces, inspect trace data and fit errors", &run_traces},
      {"models", "rebuild the model catalog from the libtorch architectures", &run_models_proxy},
      {"merge", "merge the outputs of a scenario run as shards (run --shard R/K) into one", &run_merge},
      {"validate", "check scenario files, reporting every error at once", &run_validate},
      {"plot", "figures (PNG, SVG, CSV) from a sweep's results database (plots/make_figures.py)", &run_plot},
      {"report", "markdown tables, mean +- 95% CI and change vs a baseline, from a results database",
       &run_report},
      {"sweep", "run a scenario's sweep in parallel processes into a SQLite database", &run_sweep},
      {"train", "train a scenario's learned policy (e.g. ztt) in simulation: curve and checkpoints",
       &run_train},
      {"profile", "measure a model's per-unit traces on a board through edgetwin-boardd (docs/hil.md)",
       &run_profile},
  };
}

}  // namespace edgetwin::app

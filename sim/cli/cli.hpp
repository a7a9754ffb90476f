#pragma once
/// The `edgetwin` command line: an explicit registry of subcommands and their shared helpers.

#include <filesystem>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "edgetwin/traces/catalog.hpp"

namespace edgetwin::app {

/// Process exit codes (documented in README.md and `edgetwin --help`).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,    ///< the work itself failed (e.g. a check did not pass)
  kExitUsage = 2,      ///< bad command line
  kExitDataError = 3,  ///< a data file (catalog, trace, scenario) is malformed
};

/// A subcommand: `edgetwin <name> ...`. `args` excludes the program and command names.
struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

/// Every built-in subcommand, in the order `--help` lists them.
std::vector<Command> builtin_commands();

int run_list(const std::vector<std::string>& args);
int run_run(const std::vector<std::string>& args);
int run_traces(const std::vector<std::string>& args);
/// `edgetwin models ...`: runs the separate `edgetwin-models` executable (the only one that
/// links libtorch, so every other command starts without loading it).
int run_models_proxy(const std::vector<std::string>& args);
/// The implementation inside `edgetwin-models`.
int run_models(const std::vector<std::string>& args);
int run_validate(const std::vector<std::string>& args);
/// `edgetwin merge OUT` (cmd_merge.cpp): the shards of one run merged into OUT.
int run_merge(const std::vector<std::string>& args);
/// `edgetwin plot` / `edgetwin report` (cmd_plot.cpp): run plots/make_figures.py and plots/report.py.
int run_plot(const std::vector<std::string>& args);
int run_report(const std::vector<std::string>& args);
/// `edgetwin sweep ...` (cmd_sweep.cpp): expand a scenario's sweep and run it into a results database.
int run_sweep(const std::vector<std::string>& args);
/// `edgetwin train ...` (cmd_train.cpp): checks the scenario, then runs `edgetwin-learn train`.
int run_train(const std::vector<std::string>& args);
/// `edgetwin profile ...` (cmd_profile.cpp): measured traces from a board daemon.
int run_profile(const std::vector<std::string>& args);

namespace po = boost::program_options;

/// Adds `--data DIR` (catalog directory) to `options`.
void add_data_option(po::options_description& options, std::string& data_dir);
/// Parses `args` against `options` (and positionals); prints help and returns false when
/// `--help` was given; throws po::error on bad input.
bool parse_args(const std::vector<std::string>& args, const po::options_description& options,
                const po::positional_options_description& positionals, po::variables_map& vm,
                const std::string& usage_line);
/// The trace directory: $EDGETWIN_TRACES if set, else traces/generated beside the catalog.
std::string default_traces_dir();
/// Adds `--traces DIR` to `options`.
void add_traces_option(po::options_description& options, std::string& traces_dir);
/// Loads the catalog, printing a DataError as "error: FILE: WHERE: REASON".
traces::Catalog load_catalog_or_throw(const std::string& data_dir);

}  // namespace edgetwin::app

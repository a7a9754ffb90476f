#pragma once
// Sweep helpers shared by `edgetwin sweep`, `validate` (which checks every run of a sweep) and
// `run` (which notes that a file has a sweep). Kept out of cli.hpp so that edgetwin-models,
// which shares cli.cpp, needs neither the sweep nor the sim headers.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/sim/scenario.hpp"
#include "edgetwin/sweep/sweep_spec.hpp"
#include "edgetwin/traces/catalog.hpp"

namespace edgetwin::app {

/// A scenario file's sweep, expanded into validated runs.
struct ExpandedSweep {
  nlohmann::json document;  ///< the file with --set overrides applied
  std::string sweep_id;     ///< FNV-1a 64 of the document's canonical JSON
  sweep::SweepSpec spec;
  std::vector<sweep::SweepRun> runs;  ///< `resolved` filled by sim::parse_scenario
};

/// Reads `file`, applies `overrides` to the base scenario, reads its "sweep" block, expands it
/// and validates every run with the typed scenario loader. Throws sweep::SweepError listing
/// every error (file, pointer, what was found, what is allowed).
ExpandedSweep expand_sweep_file(const std::string& file, const traces::Catalog& catalog,
                                const std::vector<sim::Override>& overrides);

/// `validate` of a file that has a sweep: prints "ok FILE: sweep NAME, N runs" or every error;
/// returns the exit code (kExitOk or kExitDataError). A file without a sweep returns kExitOk
/// and prints nothing.
int validate_sweep_of(const std::string& file, const traces::Catalog& catalog,
                      const std::vector<sim::Override>& overrides);

/// `run` of a file with a sweep: the one-line note on stderr ("FILE has a sweep of N runs ...").
void note_sweep_of(const std::string& file);

}  // namespace edgetwin::app

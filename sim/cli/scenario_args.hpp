#pragma once
/// The scenario a command names: FILE, `--set` overrides and `--seed`, loaded with every error
/// reported (edgetwin run, edgetwin train).

#include <optional>
#include <string>
#include <vector>

#include "edgetwin/sim/scenario.hpp"
#include "edgetwin/traces/catalog.hpp"

namespace edgetwin::app {

/// Loads `file` with the `--set` overrides `sets` (and `/seed` when `seed` >= 0). On scenario
/// errors prints each as "error: FILE: POINTER: reason" and returns nullopt (exit with
/// kExitDataError); a malformed `--set` throws std::invalid_argument.
std::optional<sim::ScenarioSpec> load_scenario_or_report(const std::string& file,
                                                         const std::vector<std::string>& sets, long long seed,
                                                         const traces::Catalog& catalog);

}  // namespace edgetwin::app

#include "scenario_args.hpp"

#include <iostream>

namespace edgetwin::app {

std::optional<sim::ScenarioSpec> load_scenario_or_report(const std::string& file,
                                                         const std::vector<std::string>& sets, long long seed,
                                                         const traces::Catalog& catalog) {
  std::vector<sim::Override> overrides;
  for (const auto& s : sets) overrides.push_back(sim::parse_override(s));
  if (seed >= 0) overrides.push_back({"/seed", std::to_string(seed)});
  try {
    return sim::load_scenario(file, catalog, overrides);
  } catch (const sim::ScenarioError& e) {
    for (const auto& error : e.errors()) std::cerr << "error: " << error.what() << "\n";
    return std::nullopt;
  }
}

}  // namespace edgetwin::app

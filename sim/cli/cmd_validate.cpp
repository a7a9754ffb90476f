// `edgetwin validate FILE... [--set POINTER=VALUE ...]`: load scenarios, build their policies as
// `run` does, and report every error.

#include <iostream>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/device_policies.hpp"
#include "edgetwin/sim/scenario.hpp"

#include "cli.hpp"
#include "cmd_sweep.hpp"

namespace edgetwin::app {

int run_validate(const std::vector<std::string>& args) {
  std::vector<std::string> files, sets;
  std::string data_dir;
  po::options_description options("validate options");
  options.add_options()("file", po::value<std::vector<std::string>>(&files), "scenario file(s)")(
      "set", po::value<std::vector<std::string>>(&sets)->composing(),
      "override POINTER=VALUE before validating, e.g. /platform/groups/0/count=100 (repeatable)");
  add_data_option(options, data_dir);
  po::positional_options_description positionals;
  positionals.add("file", -1);
  po::variables_map vm;
  if (!parse_args(args, options, positionals, vm,
                  "edgetwin validate FILE... [--set POINTER=VALUE ...] [--data DIR]")) {
    return kExitOk;
  }
  if (files.empty()) throw std::invalid_argument("validate: say which scenario file(s) to check");
  std::vector<sim::Override> overrides;
  for (const auto& s : sets) overrides.push_back(sim::parse_override(s));
  const auto catalog = load_catalog_or_throw(data_dir);
  policies::PolicyRegistry registry;
  policies::register_builtin_policies(registry);

  int status = kExitOk;
  for (const auto& file : files) {
    try {
      const auto spec = sim::load_scenario(file, catalog, overrides);
      // Every policy is built as `run` builds it, so that what `run` would refuse is refused here.
      auto errors = sim::check_policies(spec, catalog, registry);
      for (auto& e : sim::check_backends(spec)) errors.push_back(std::move(e));
      if (!errors.empty()) throw sim::ScenarioError(std::move(errors));
      std::cout << "ok " << file << " (" << spec.groups.size() << " groups, " << spec.device_count()
                << " devices, " << spec.videos.size() + spec.requests.size() << " workloads)\n";
      if (const int sweep_status = validate_sweep_of(file, catalog, overrides); sweep_status != kExitOk)
        status = sweep_status;
    } catch (const sim::ScenarioError& e) {
      for (const auto& error : e.errors()) std::cerr << error.what() << "\n";
      std::cerr << e.errors().size() << (e.errors().size() == 1 ? " error" : " errors") << " in " << file
                << "\n";
      status = kExitDataError;
    }
  }
  return status;
}

}  // namespace edgetwin::app

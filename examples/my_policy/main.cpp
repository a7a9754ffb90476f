// edgetwin-my-policy: runs a scenario with the built-in policies plus the example's two,
// "queue_aware_clocks" and "confident_exit_clocks".
//
//   edgetwin-my-policy SCENARIO [--out DIR] [--traces DIR] [--seed N] [--set POINTER=VALUE ...]
//
// The same steps as `edgetwin run`: catalog, scenario, traces, power model, registry, run. The
// only difference is one line per policy: the registry also gets the example's policies.

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "edgetwin/common/error.hpp"
#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/device_policies.hpp"
#include "edgetwin/sim/scenario.hpp"
#include "edgetwin/sim/simulation.hpp"
#include "edgetwin/traces/catalog.hpp"
#include "edgetwin/traces/synth.hpp"

#include "confident_exit_clocks.hpp"
#include "queue_aware_clocks.hpp"

namespace {

constexpr int kExitUsage = 2;      // as `edgetwin`: a bad command line
constexpr int kExitDataError = 3;  // as `edgetwin`: a bad scenario, catalog or trace

int usage(const std::string& problem) {
  std::cerr << "error: " << problem << "\n"
            << "usage: edgetwin-my-policy SCENARIO [--out DIR] [--traces DIR] [--seed N] [--set "
               "POINTER=VALUE ...]\n";
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  namespace et = edgetwin;
  std::string file, out_dir = "results/my_policy", traces_dir;
  std::vector<et::sim::Override> overrides;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if ((arg == "--out" || arg == "--traces" || arg == "--seed" || arg == "--set") && !has_value) {
      return usage(arg + " needs a value");
    }
    if (arg == "--out")
      out_dir = argv[++i];
    else if (arg == "--traces")
      traces_dir = argv[++i];
    else if (arg == "--seed")
      overrides.push_back({"/seed", argv[++i]});
    else if (arg == "--set") {
      try {
        overrides.push_back(et::sim::parse_override(argv[++i]));
      } catch (const std::invalid_argument& e) {
        return usage(e.what());
      }
    } else if (!arg.empty() && arg[0] == '-')
      return usage("unknown option " + arg);
    else if (file.empty())
      file = arg;
    else
      return usage("one scenario file only");
  }
  if (file.empty()) return usage("say which scenario file to run");
  if (traces_dir.empty()) {
    const char* env = std::getenv("EDGETWIN_TRACES");
    traces_dir = env != nullptr && *env != '\0' ? env : "traces/generated";
  }

  try {
    const std::string data_dir = et::traces::default_data_dir();  // $EDGETWIN_DATA, else the bundled catalog
    const auto catalog = et::traces::Catalog::load(data_dir);
    const auto spec = et::sim::load_scenario(file, catalog, overrides);

    et::policies::PolicyRegistry registry;
    et::policies::register_builtin_policies(registry);
    registry.add(my_policy::queue_aware_clocks_info());  // <- the example's policies: one line each
    registry.add(my_policy::confident_exit_clocks_info());
    // Every policy built once with its parameters before anything runs, as `edgetwin validate`
    // does: a bad parameter is reported at its JSON pointer.
    if (auto errors = et::sim::check_policies(spec, catalog, registry); !errors.empty()) {
      throw et::sim::ScenarioError(std::move(errors));
    }

    const auto store = et::sim::load_traces_for(spec, catalog, traces_dir);
    const et::traces::Synthesizer power_model(
        catalog, et::traces::load_synth_calibration(et::traces::default_calibration_path(data_dir)));

    et::sim::RunOptions options;
    options.out_dir = out_dir;
    const auto result = et::sim::run_simulation(spec, catalog, store, power_model, registry, options);
    const auto& overall = result.summary["overall"];
    std::cout << "requests " << overall["requests_completed"] << ", energy per request "
              << overall["energy_per_request_j"] << " J, p95 latency " << overall["latency_p95_s"] << " s\n"
              << "results: " << out_dir << "/summary.json\n";
    return 0;
  } catch (const et::sim::ScenarioError& e) {
    for (const auto& error : e.errors()) std::cerr << "error: " << error.what() << "\n";
    return kExitDataError;
  } catch (const et::common::DataError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitDataError;
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

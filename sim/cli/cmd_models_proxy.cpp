// `edgetwin models ...` hands over to `edgetwin-models` (tools.hpp).

#include <string>
#include <vector>

#include "cli.hpp"
#include "tools.hpp"

namespace edgetwin::app {

int run_models_proxy(const std::vector<std::string>& args) {
  std::vector<std::string> argv{tool_path("edgetwin-models").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return exec_tool(argv, "build the edgetwin-models target");
}

}  // namespace edgetwin::app

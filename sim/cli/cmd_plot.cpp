// `edgetwin plot DB ...` and `edgetwin report DB ...`: the figures and tables of a sweep's results
// database, made by the Python scripts in plots/ (Debian's matplotlib, hence /usr/bin/python3,
// not the first python3 on PATH). Arguments pass through unchanged; docs/plots.md lists them.

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli.hpp"
#include "tools.hpp"
#include <unistd.h>

#ifndef EDGETWIN_PLOTS_DIR
#define EDGETWIN_PLOTS_DIR "plots"
#endif

namespace edgetwin::app {

namespace {

int exec_script(const char* script, const std::vector<std::string>& args) {
  const char* env_dir = std::getenv("EDGETWIN_PLOTS");
  const std::filesystem::path dir = env_dir != nullptr && *env_dir != '\0' ? env_dir : EDGETWIN_PLOTS_DIR;
  const std::filesystem::path path = dir / script;
  if (!std::filesystem::exists(path)) {
    std::cerr << "error: " << path.string() << " does not exist (set EDGETWIN_PLOTS to the plots/ folder)\n";
    return kExitFailure;
  }
  const char* env_python = std::getenv("EDGETWIN_PYTHON");
  const std::string python = env_python != nullptr && *env_python != '\0' ? env_python : "/usr/bin/python3";
  std::vector<std::string> owned{python, "-B", path.string()};
  owned.insert(owned.end(), args.begin(), args.end());
  return exec_tool(owned, "install python3-matplotlib with scripts/setup, or set EDGETWIN_PYTHON");
}

}  // namespace

int run_plot(const std::vector<std::string>& args) {
  return exec_script("make_figures.py", args);
}

int run_report(const std::vector<std::string>& args) {
  return exec_script("report.py", args);
}

}  // namespace edgetwin::app

// `edgetwin models ...` hands over to `edgetwin-models`, installed beside `edgetwin`.

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli.hpp"

namespace edgetwin::app {

int run_models_proxy(const std::vector<std::string>& args) {
  const auto tool = beside_self("edgetwin-models");
  std::vector<std::string> owned{tool.string()};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : owned) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(tool.c_str(), argv.data());
  std::cerr << "error: cannot run " << tool.string() << ": " << std::strerror(errno)
            << " (build the edgetwin-models target)\n";
  return kExitFailure;
}

}  // namespace edgetwin::app

#include "tools.hpp"

#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli.hpp"
#include <unistd.h>

namespace edgetwin::app {

std::filesystem::path self_path() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path("edgetwin") : self;
}

std::filesystem::path tool_path(const std::string& name) {
  const auto beside = self_path().parent_path() / name;
  std::error_code ec;
  if (std::filesystem::exists(beside, ec)) return beside;
  if (name == "edgetwin-models") return EDGETWIN_MODELS_BUILD_PATH;
  if (name == "edgetwin-learn") return EDGETWIN_LEARN_BUILD_PATH;
  if (name == "edgetwin-mpi") return EDGETWIN_MPI_BUILD_PATH;
  return beside;
}

int exec_tool(const std::vector<std::string>& argv, const std::string& hint) {
  std::vector<std::string> owned = argv;
  std::vector<char*> pointers;
  pointers.reserve(owned.size() + 1);
  for (auto& a : owned) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  std::cout.flush();
  ::execv(owned.front().c_str(), pointers.data());
  std::cerr << "error: cannot run " << owned.front() << ": " << std::strerror(errno) << " (" << hint << ")\n";
  return kExitFailure;
}

}  // namespace edgetwin::app

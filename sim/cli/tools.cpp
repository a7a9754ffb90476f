#include "tools.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "cli.hpp"
#include <sys/mman.h>
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

int mpi_rank_from_environment() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') return std::atoi(value);
  }
  return 0;
}

int exec_mpi_tool(const std::string& mode, const std::string& plan_text) {
  const int fd = ::memfd_create("edgetwin-mpi-plan", 0);  // no CLOEXEC: edgetwin-mpi reads it
  std::size_t written = 0;
  while (fd >= 0 && written < plan_text.size()) {
    const ssize_t n = ::write(fd, plan_text.data() + written, plan_text.size() - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  if (fd < 0 || written != plan_text.size()) {
    std::cerr << "error: --mpi: cannot write the plan for edgetwin-mpi: " << std::strerror(errno) << "\n";
    return kExitFailure;
  }
  return exec_tool({tool_path("edgetwin-mpi").string(), mode, "/proc/self/fd/" + std::to_string(fd)},
                   "edgetwin-mpi is built when CMake finds MPI: apt-get install libopenmpi-dev openmpi-bin, "
                   "then reconfigure");
}

}  // namespace edgetwin::app

// Shared learner functions: torch threads, version, manifest reading.

#include "edgetwin/learn/learner.hpp"

#include <filesystem>
#include <fstream>

#include <torch/version.h>

#include "edgetwin/learn/error.hpp"

#include "checkpoint_io.hpp"
#include <ATen/Parallel.h>
#include <dlfcn.h>

namespace edgetwin::learn {

void use_single_torch_thread() {
  at::set_num_threads(1);
  // libtorch's BLAS (OpenBLAS on Debian) keeps its own thread pool, which at::set_num_threads
  // does not reach; when OpenBLAS is the one loaded, pin it too (no link-time dependency).
  using SetThreads = void (*)(int);
  if (auto* set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
}

std::string torch_version() {
  return TORCH_VERSION;
}

nlohmann::json read_manifest(const std::string& dir) {
  const std::string path = detail::join_path(dir, "manifest.json");
  if (!std::filesystem::is_regular_file(path))
    throw CheckpointError(path, "", "missing file (not a checkpoint?)");
  std::ifstream in(path);
  try {
    nlohmann::json m = nlohmann::json::parse(in);
    if (!m.is_object())
      throw CheckpointError(path, "", "found " + std::string(m.type_name()) + ", expected an object");
    return m;
  } catch (const nlohmann::json::parse_error& e) {
    throw CheckpointError(path, "", std::string("not valid JSON: ") + e.what());
  }
}

}  // namespace edgetwin::learn

#include "run_shards.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "edgetwin/common/child_process.hpp"

#include <mpi.h>
#include <sys/resource.h>

namespace edgetwin::sweep {

namespace fs = std::filesystem;

int run_shards(const MpiSession& mpi, const nlohmann::json& plan) {
  const auto edgetwin = plan.at("edgetwin").get<std::string>();
  const auto out = plan.at("out").get<std::string>();
  const int r = mpi.rank(), k = mpi.size();
  const fs::path shard_dir = fs::path(out) / "shards" / std::to_string(r);
  std::vector<std::string> argv{edgetwin, "run"};
  for (const auto& a : plan.at("args")) argv.push_back(a.get<std::string>());
  argv.insert(argv.end(),
              {"--shard", std::to_string(r) + "/" + std::to_string(k), "--out", shard_dir.string()});
  // Rank 0's shard writes to the terminal (its progress line); the others to a log each.
  common::ChildOptions options;
  const std::string log = (fs::path(out) / "shards" / (std::to_string(r) + ".log")).string();
  int code = 0;
  const auto start = std::chrono::steady_clock::now();
  try {
    fs::create_directories(shard_dir);
    if (r != 0) {
      options.log_path = log;
      options.truncate_log = true;
    }
    common::ChildProcess child(argv, options);
    const auto status = child.wait();
    code = status.exit_code;  // 128 + the signal when one killed it
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // The shard is this rank's only child so far: the children's peak is its peak.
    struct rusage usage {};
    ::getrusage(RUSAGE_CHILDREN, &usage);
    if (status.ok()) {
      std::cout << "[rank " << r << "/" << k << "] shard " << r << " done in " << wall
                << " s wall, peak memory " << usage.ru_maxrss / 1024 << " MB\n"
                << std::flush;
    } else {
      std::cerr << "[rank " << r << "/" << k << "] shard " << r << " failed (" << status.describe() << ")"
                << (r != 0 ? ", its output: " + log + "; last lines:\n" + common::tail_of_file(log, 10) : "")
                << "\n"
                << std::flush;
    }
  } catch (const std::exception& e) {
    std::cerr << "[rank " << r << "/" << k << "] cannot run shard " << r << ": " << e.what() << "\n";
    code = 1;
  }
  // Every rank learns every shard's result; rank 0 merges when all succeeded.
  std::vector<int> codes(static_cast<std::size_t>(k), 0);
  MPI_Allgather(&code, 1, MPI_INT, codes.data(), 1, MPI_INT, MPI_COMM_WORLD);
  int first_failure = 0;
  std::string failed;
  for (int i = 0; i < k; ++i) {
    if (codes[static_cast<std::size_t>(i)] == 0) continue;
    if (first_failure == 0) first_failure = codes[static_cast<std::size_t>(i)];
    failed += (failed.empty() ? "" : ", ") + std::to_string(i);
  }
  if (first_failure != 0) {
    if (r == 0)
      std::cerr << "error: shard(s) " << failed << " of " << k
                << " failed: nothing merged; the finished shards' "
                << "outputs are in " << (fs::path(out) / "shards").string() << "/\n";
    return first_failure;
  }
  int merge_code = 0;
  if (r == 0) {
    try {
      common::ChildProcess merge({edgetwin, "merge", out}, common::ChildOptions{});
      const auto status = merge.wait();
      merge_code = status.exit_code;
    } catch (const std::exception& e) {
      std::cerr << "error: cannot run " << edgetwin << " merge: " << e.what() << "\n";
      merge_code = 1;
    }
  }
  MPI_Bcast(&merge_code, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return merge_code;
}

}  // namespace edgetwin::sweep

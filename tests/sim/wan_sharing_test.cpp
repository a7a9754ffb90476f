// How flows share the WAN (docs/simulation.md "Platform", ScenarioSpec::wan_sharing): "shared"
// (one link, max-min fair), "fatpipe" (every flow up to the WAN's bandwidth, one link per device)
// and "auto" (fatpipe exactly when the access links together cannot fill the WAN). Hand-computed
// upload times on a WAN that two uploads fill, and the same requests under both models on a WAN
// that none fills. One SimGrid engine per process: each run happens in a forked child.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "edgetwin/sim/simulation.hpp"

#include "sim_fixture.hpp"
#include <sys/wait.h>
#include <unistd.h>

namespace edgetwin::sim {
namespace {

namespace fs = std::filesystem;

using Fixture = test::MobileNetFixture;
using Row = std::vector<std::string>;

fs::path scratch(const std::string& name) {
  return fs::temp_directory_path() / ("edgetwin_wan_sharing_" + std::to_string(getpid())) / name;
}

/// Runs `spec` in a child process; returns requests.csv by request id (column name -> value).
std::map<std::string, std::map<std::string, std::string>> run_requests(const Fixture& f,
                                                                       const ScenarioSpec& spec,
                                                                       const std::string& name) {
  const fs::path dir = scratch(name);
  fs::remove_all(dir);
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = fork();
  if (pid == 0) {
    try {
      RunOptions options;
      options.out_dir = dir.string();
      options.engine_args = {"--log=root.thresh:critical"};
      run_simulation(spec, f.catalog, f.store, f.synth, f.registry, options);
      _exit(0);
    } catch (const std::exception& e) {
      std::cerr << "child run failed: " << e.what() << "\n";
      _exit(2);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "run in child process failed";
  std::map<std::string, std::map<std::string, std::string>> rows;
  std::ifstream in(dir / "requests.csv");
  EXPECT_TRUE(in) << dir;
  std::string line;
  Row header;
  while (std::getline(in, line)) {
    Row row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) row.push_back(cell);
    if (header.empty()) {
      header = row;
      continue;
    }
    auto& r = rows[row.at(0)];
    for (std::size_t i = 0; i < row.size() && i < header.size(); ++i) r[header[i]] = row[i];
  }
  return rows;
}

/// Two devices upload their first frame's input (cloud_only: 150528 x 4 = 602,112 bytes) at t = 0
/// over 1 MB/s, 10 ms access links and a WAN of `wan_bps` and 20 ms.
ScenarioSpec two_uploads(double wan_bps, const std::string& sharing) {
  auto spec = test::one_group_scenario(
      2, 1.0, 1.0, {{"clocks", {"max_clocks", {}}}, {"placement", {"cloud_only", {}}}}, true);
  spec.wan.bandwidth_bps = wan_bps;
  spec.wan_sharing = sharing;
  return spec;
}

/// Upload time of each request: its radio energy over the radio's transmit power (1.14 W).
std::vector<double> upload_times(const std::map<std::string, std::map<std::string, std::string>>& rows) {
  std::vector<double> t;
  for (const auto& [id, r] : rows) t.push_back(std::stod(r.at("radio_energy_j")) / 1.14);
  return t;
}

TEST(WanSharing, TwoUploadsThatFillTheWanShareItOnlyWhenShared) {
  Fixture f;
  const double bytes = 150528.0 * 4, latency_s = 0.01 + 0.02;
  // WAN 1 MB/s: the two access links (1 MB/s each) could send 2 MB/s. Shared: 0.5 MB/s each,
  // 0.03 + 602112 / 0.5e6 = 1.234224 s; fatpipe: 1 MB/s each, 0.03 + 0.602112 = 0.632112 s;
  // auto: the links could fill the WAN, so shared.
  const double shared_s = latency_s + bytes / 0.5e6, alone_s = latency_s + bytes / 1e6;
  for (const auto& [sharing, expected_s] : std::vector<std::pair<std::string, double>>{
           {"shared", shared_s}, {"fatpipe", alone_s}, {"auto", shared_s}}) {
    const auto times = upload_times(run_requests(f, two_uploads(8e6, sharing), "full_" + sharing));
    ASSERT_EQ(times.size(), 2u) << sharing;
    for (const double t : times) EXPECT_NEAR(t, expected_s, 1e-9) << sharing;
  }
  // WAN 2 MB/s: the two links together fill it exactly, never more: every model gives each
  // upload its access link's 1 MB/s, and auto takes fatpipe.
  for (const std::string sharing : {"shared", "fatpipe", "auto"}) {
    const auto times = upload_times(run_requests(f, two_uploads(16e6, sharing), "fits_" + sharing));
    ASSERT_EQ(times.size(), 2u) << sharing;
    for (const double t : times) EXPECT_NEAR(t, alone_s, 1e-9) << sharing;
  }
  fs::remove_all(scratch(""));
}

TEST(WanSharing, AWanNoFlowFillsGivesTheSameRequestsUnderBothModels) {
  Fixture f;
  // 30 devices with Poisson requests (no two uploads start at the same instant: ties between
  // simultaneous transfers may end in either order), split after unit 4 (100,352 bytes up at
  // 1 MB/s: about 0.13 s, so several devices' uploads overlap on the WAN), two cloud GPUs.
  auto spec = test::one_group_scenario(
      30, 1.0, 20.0,
      {{"clocks", {"max_clocks", {}}}, {"placement", {"fixed_split", nlohmann::json{{"split_after", 4}}}}},
      true);
  spec.videos.clear();
  RequestStreamSpec r;
  r.name = "q";
  r.group = "g";
  r.arrival.kind = "poisson";
  r.arrival.rate_hz = 2;
  r.mix = {{"mobilenet_v2", 1.0, 0.5}};
  r.duration_s = spec.duration_s;
  spec.requests.push_back(r);
  spec.clouds.front().count = 2;
  spec.wan.bandwidth_bps = 30 * 8e6;  // exactly what the 30 access links can send together
  spec.wan_sharing = "shared";
  const auto shared = run_requests(f, spec, "shared");
  spec.wan_sharing = "fatpipe";
  const auto fatpipe = run_requests(f, spec, "fatpipe");
  ASSERT_GT(shared.size(), 1000u);
  ASSERT_EQ(shared.size(), fatpipe.size());
  long offloaded = 0;
  for (const auto& [id, a] : shared) {
    ASSERT_TRUE(fatpipe.count(id)) << id;
    const auto& b = fatpipe.at(id);
    offloaded += a.at("edge_units") != a.at("units") ? 1 : 0;
    for (const auto& [column, value] : a) {
      char* end = nullptr;
      const double x = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0') {
        EXPECT_EQ(value, b.at(column)) << id << " " << column;
        continue;
      }
      const double y = std::stod(b.at(column));
      EXPECT_NEAR(x, y, std::max(1e-12, 1e-9 * std::max(std::abs(x), std::abs(y)))) << id << " " << column;
    }
  }
  EXPECT_EQ(offloaded, static_cast<long>(shared.size()));
  fs::remove_all(scratch(""));
}

}  // namespace
}  // namespace edgetwin::sim

#include "edgetwin/hw/board_layout.hpp"

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "edgetwin/common/strings.hpp"

namespace edgetwin::hw {

namespace {

// A device-tree string list ("nvidia,gv11b\0nvidia,tegra194-gpu") as its entries.
std::vector<std::string> dt_tokens(const std::string& text) {
  std::vector<std::string> tokens;
  std::string current;
  for (char c : text) {
    if (c == '\0' || c == ' ' || c == '\n') {
      if (!current.empty()) tokens.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) tokens.push_back(current);
  return tokens;
}

std::string dt_text(const std::string& text) {
  return common::join(dt_tokens(text), " ");
}

std::vector<std::int64_t> sorted(std::vector<std::int64_t> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

std::vector<CpuPolicy> discover_cpu(const Sysfs& sysfs) {
  const std::string cpu_dir = "sys/devices/system/cpu";
  static const std::regex cpu_re("cpu([0-9]+)");
  std::vector<std::pair<int, std::string>> cpus;
  for (const std::string& name : sysfs.list(cpu_dir)) {
    std::smatch match;
    if (std::regex_match(name, match, cpu_re)) cpus.emplace_back(std::stoi(match[1].str()), name);
  }
  std::sort(cpus.begin(), cpus.end());
  std::vector<CpuPolicy> policies;
  std::set<std::string> seen;  // resolved policy directories (cpuN/cpufreq links to policyK)
  for (const auto& [index, name] : cpus) {
    const std::string dir = join_path(join_path(cpu_dir, name), "cpufreq");
    if (!sysfs.exists(join_path(dir, "scaling_max_freq"))) continue;  // offline or no cpufreq
    const std::string resolved = sysfs.resolve(dir);
    if (!seen.insert(resolved).second) continue;
    CpuPolicy policy;
    policy.dir = dir;
    if (sysfs.exists(join_path(dir, "related_cpus"))) {
      for (std::int64_t cpu : sysfs.read_ints(join_path(dir, "related_cpus"))) {
        policy.cpus.push_back(static_cast<int>(cpu));
      }
    }
    if (policy.cpus.empty()) policy.cpus.push_back(index);
    policy.freqs_khz = sorted(sysfs.read_ints(join_path(dir, "scaling_available_frequencies")));
    if (policy.freqs_khz.empty()) {
      throw SysfsError(sysfs.path(join_path(dir, "scaling_available_frequencies")), "lists no frequency");
    }
    policies.push_back(std::move(policy));
  }
  return policies;
}

// GPU devfreq node: the devfreq device whose of_node/compatible shares an entry with the GPU's
// (gpu.0) compatible, as NVIDIA's jetson_clocks does; when gpu.0 is absent, the device whose
// compatible names a known Tegra GPU (gm20b, gp10b, gv11b, ga10b).
GpuNode discover_gpu(const Sysfs& sysfs) {
  std::vector<std::string> gpu_compatible;
  for (const char* rel :
       {"sys/devices/platform/gpu.0/of_node/compatible", "sys/devices/gpu.0/of_node/compatible"}) {
    if (auto text = sysfs.read(rel)) {
      gpu_compatible = dt_tokens(*text);
      break;
    }
  }
  static const std::regex known_gpu("nvidia,(tegra[0-9]+-)?(gm20b|gp10b|gv11b|ga10b)");
  GpuNode node;
  for (const std::string& name : sysfs.list("sys/class/devfreq")) {
    const std::string dir = join_path("sys/class/devfreq", name);
    const auto compatible = sysfs.read(join_path(dir, "device/of_node/compatible"));
    if (!compatible) continue;
    const std::vector<std::string> tokens = dt_tokens(*compatible);
    bool match = false;
    for (const std::string& token : tokens) {
      if (gpu_compatible.empty()
              ? std::regex_match(token, known_gpu)
              : std::find(gpu_compatible.begin(), gpu_compatible.end(), token) != gpu_compatible.end()) {
        match = true;
      }
    }
    if (!match) continue;
    node.dir = sysfs.resolve(dir);
    node.compatible = dt_text(*compatible);
    node.freqs_hz = sorted(sysfs.read_ints(join_path(node.dir, "available_frequencies")));
    if (node.freqs_hz.empty()) {
      throw SysfsError(sysfs.path(join_path(node.dir, "available_frequencies")), "lists no frequency");
    }
    break;
  }
  return node;
}

EmcControl discover_emc(const Sysfs& sysfs, const traces::Board* catalog) {
  EmcControl emc;
  const std::string bpmp = "sys/kernel/debug/bpmp/debug/clk/emc";
  const std::string t210 = "sys/kernel/debug/clk/override.emc";
  if (sysfs.exists(join_path(bpmp, "rate")) && sysfs.exists(join_path(bpmp, "mrq_rate_locked"))) {
    emc.kind = EmcKind::bpmp;
    emc.dir = bpmp;
    emc.min_hz = sysfs.read_int(join_path(bpmp, "min_rate"));
    emc.max_hz = sysfs.read_int(join_path(bpmp, "max_rate"));
    for (const char* cap : {"sys/kernel/nvpmodel_emc_cap/emc_iso_cap", "sys/kernel/nvpmodel_clk_cap/emc"}) {
      if (sysfs.exists(cap)) {
        const std::int64_t cap_hz = sysfs.read_int(cap);
        if (cap_hz > 0) emc.max_hz = std::min(emc.max_hz, cap_hz);
        break;
      }
    }
  } else if (sysfs.exists(join_path(t210, "clk_rate")) && sysfs.exists(join_path(t210, "clk_state"))) {
    emc.kind = EmcKind::t210_override;
    emc.dir = t210;
    emc.min_hz = sysfs.read_int("sys/kernel/debug/tegra_bwmgr/emc_min_rate");
    emc.max_hz = sysfs.read_int("sys/kernel/debug/tegra_bwmgr/emc_max_rate");
  } else {
    return emc;
  }
  if (catalog != nullptr) {
    for (std::int64_t hz : catalog->emc_freqs_hz) {
      if (hz >= emc.min_hz && hz <= emc.max_hz) emc.freqs_hz.push_back(hz);
    }
  }
  if (emc.freqs_hz.empty()) emc.freqs_hz = sorted({emc.min_hz, emc.max_hz});
  return emc;
}

std::string list_text(const std::vector<std::int64_t>& values) {
  std::vector<std::string> items;
  for (std::int64_t v : values) items.push_back(std::to_string(v));
  return items.empty() ? "none" : common::join(items, " ");
}

void compare_table(const std::string& domain, const std::vector<std::int64_t>& board,
                   const std::vector<std::int64_t>& catalog, const std::string& unit,
                   std::vector<TableMismatch>& out) {
  TableMismatch m;
  m.domain = domain;
  std::set_difference(board.begin(), board.end(), catalog.begin(), catalog.end(),
                      std::back_inserter(m.only_on_board));
  std::set_difference(catalog.begin(), catalog.end(), board.begin(), board.end(),
                      std::back_inserter(m.only_in_catalog));
  if (m.only_on_board.empty() && m.only_in_catalog.empty()) return;
  m.text = domain + " table differs from the catalog (" + unit +
           "): only on the board: " + list_text(m.only_on_board) +
           "; only in the catalog: " + list_text(m.only_in_catalog) + "; the board's table is used";
  out.push_back(std::move(m));
}

}  // namespace

const char* to_string(EmcKind kind) {
  switch (kind) {
    case EmcKind::none:
      return "none";
    case EmcKind::bpmp:
      return "bpmp";
    case EmcKind::t210_override:
      return "t210_override";
  }
  return "?";
}

BoardLayout discover_layout(const Sysfs& sysfs, const traces::Board* catalog) {
  BoardLayout layout;
  layout.identity = identify_board(sysfs.root().empty() ? "/" : sysfs.root());
  layout.cpu_policies = discover_cpu(sysfs);
  layout.gpu = discover_gpu(sysfs);
  layout.emc = discover_emc(sysfs, catalog);
  return layout;
}

std::vector<TableMismatch> compare_with_catalog(const BoardLayout& layout, const traces::Board& catalog) {
  std::vector<TableMismatch> out;
  if (!layout.identity.soc.empty() && layout.identity.soc != catalog.soc) {
    TableMismatch m;
    m.domain = "soc";
    m.text = "chip id says " + layout.identity.soc + ", the catalog's " + catalog.id + " is " + catalog.soc;
    out.push_back(m);
  }
  for (std::size_t i = 0; i < layout.cpu_policies.size(); ++i) {
    const auto& clusters = catalog.cpu_clusters;
    const std::vector<std::int64_t>& cat =
        i < clusters.size() ? clusters[i].freqs_khz : catalog.cpu_freqs_khz;
    compare_table("cpu policy " + std::to_string(i) + " (cpu" +
                      std::to_string(layout.cpu_policies[i].cpus.front()) + ")",
                  layout.cpu_policies[i].freqs_khz, sorted(cat), "kHz", out);
  }
  if (!layout.gpu.dir.empty())
    compare_table("gpu", layout.gpu.freqs_hz, sorted(catalog.gpu_freqs_hz), "Hz", out);
  return out;
}

}  // namespace edgetwin::hw

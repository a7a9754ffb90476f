#include "edgetwin/hw/fake_board.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "edgetwin/common/strings.hpp"
#include "edgetwin/hw/board_id.hpp"

#include "fake_tree.hpp"

namespace edgetwin::hw {

namespace fs = std::filesystem;

namespace {

// Per-family paths, compatible strings, chip ids and INA3221 channel layouts: docs/hil.md,
// "The fake board" (from jtop, energymon, NVIDIA's jetson_clocks and nvpmodel files).
/// The family's /etc/nv_tegra_release line when its version is one of the board's release
/// (the catalog's L4T patterns), else a line of the release's first pattern: a fake of
/// "tx2@r32" says R32, a fake of "tx2" (r28.2) R28.
std::string fake_release_line(const traces::Board& board, const std::string& family_line) {
  if (board.release.l4t.empty()) return family_line;
  for (const auto& pattern : board.release.l4t) {
    if (traces::l4t_match(pattern, l4t_version(family_line)) > 0) return family_line;
  }
  std::string version = board.release.l4t.front();
  if (version.back() == '+') version.pop_back();
  const auto dot = version.find('.');
  const std::string major = version.substr(0, dot);
  const std::string revision = dot == std::string::npos ? "0" : version.substr(dot + 1);
  return "# " + major + " (release), REVISION: " + revision + ", BOARD: generic (EDGETWIN FAKE BOARD)";
}

std::vector<FakeFamily> families() {
  const std::vector<std::string> t194_zones{"AUX-therm",    "AO-therm",     "PMIC-Die",
                                            "Tboard_tegra", "Tdiode_tegra", "thermal-fan-est"};
  const std::vector<std::string> t234_zones{"cv0-thermal",  "cv1-thermal",  "cv2-thermal", "soc0-thermal",
                                            "soc1-thermal", "soc2-thermal", "tj-thermal"};
  std::vector<FakeFamily> f;
  f.push_back({"nano",
               "tegra210-p3448-0000-p3449-0000-b00",
               "nvidia,p3449-0000-b00+p3448-0000-b00",
               0x21,
               "# R32 (release), REVISION: 7.4, BOARD: t210ref (EDGETWIN FAKE BOARD)",
               "sys/devices/57000000.gpu",
               "57000000.gpu",
               "nvidia,gm20b",
               false,
               true,
               {{"6-0040", {"POM_5V_IN", "POM_5V_GPU", "POM_5V_CPU"}}},
               {},
               {"PLL-therm", "PMIC-Die", "thermal-fan-est"}});
  f.push_back({"tx2",
               "tegra186-quill-p3310-1000-c03-00-base",
               "nvidia,p2771-0000",
               0x18,
               "# R32 (release), REVISION: 7.4, BOARD: t186ref (EDGETWIN FAKE BOARD)",
               "sys/devices/17000000.gp10b",
               "17000000.gp10b",
               "nvidia,gp10b",
               true,
               true,
               {{"0-0041", {"VDD_IN", "VDD_SYS_CPU", "VDD_SYS_DDR"}},
                {"0-0040", {"VDD_SYS_GPU", "VDD_SYS_SOC", "VDD_4V0_WIFI"}}},
               {{0, 3, 4, 5}, {1, 2}},  // A57 knob cpu0, Denver knob cpu1
               {"PLL-therm", "Tboard_tegra", "Tdiode_tegra", "PMIC-Die", "thermal-fan-est"}});
  f.push_back({"xavier_nx",
               "tegra194-p3668-0001-p3509-0000",
               "nvidia,p3668-0001",
               0x19,
               "# R35 (release), REVISION: 4.1, BOARD: t186ref (EDGETWIN FAKE BOARD)",
               "sys/devices/17000000.gv11b",
               "17000000.gv11b",
               "nvidia,gv11b",
               true,
               false,
               {{"7-0040", {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}}},
               {},
               t194_zones});
  f.push_back({"agx_xavier",
               "tegra194-p2888-0001-p2822-0000",
               "nvidia,p2888-0001",
               0x19,
               "# R35 (release), REVISION: 4.1, BOARD: t186ref (EDGETWIN FAKE BOARD)",
               "sys/devices/17000000.gv11b",
               "17000000.gv11b",
               "nvidia,gv11b",
               true,
               false,
               {{"1-0040", {"GPU", "CPU", "SOC"}}, {"1-0041", {"CV", "VDDRQ", "SYS5V"}}},
               {},
               t194_zones});
  const std::string orin_gpu = "sys/devices/platform/bus@0/17000000.gpu";  // JetPack 6 layout
  f.push_back({"orin_nano",
               "tegra234-p3767-0003-p3768-0000-a0",
               "nvidia,p3767-0003",
               0x23,
               "# R36 (release), REVISION: 4.3, BOARD: generic (EDGETWIN FAKE BOARD)",
               orin_gpu,
               "17000000.gpu",
               "nvidia,ga10b",
               true,
               false,
               {{"1-0040", {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}}},
               {},
               t234_zones});
  f.push_back({"orin_nx",
               "tegra234-p3767-0000-p3768-0000-a0",
               "nvidia,p3767-0000",
               0x23,
               "# R36 (release), REVISION: 4.3, BOARD: generic (EDGETWIN FAKE BOARD)",
               orin_gpu,
               "17000000.gpu",
               "nvidia,ga10b",
               true,
               false,
               {{"1-0040", {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}}},
               {},
               t234_zones});
  f.push_back({"agx_orin",
               "tegra234-p3701-0000-p3737-0000",
               "nvidia,p3701-0000",
               0x23,
               "# R36 (release), REVISION: 4.3, BOARD: generic (EDGETWIN FAKE BOARD)",
               orin_gpu,
               "17000000.gpu",
               "nvidia,ga10b",
               true,
               false,
               {{"1-0040", {"VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0"}},
                {"1-0041", {"NC", "VDDQ_VDD2_1V8AO", "NC"}}},
               {},
               t234_zones});
  return f;
}

std::string join_numbers(const std::vector<std::int64_t>& values) {
  std::string text;
  for (std::int64_t v : values) text += (text.empty() ? "" : " ") + std::to_string(v);
  return text;
}

std::string cpu_list(const std::vector<int>& cpus) {
  std::string text;
  for (int c : cpus) text += (text.empty() ? "" : " ") + std::to_string(c);
  return text;
}

}  // namespace

std::vector<std::string> fake_board_ids() {
  std::vector<std::string> ids;
  for (const FakeFamily& family : families()) ids.push_back(family.board_id);
  return ids;
}

FakeFamily fake_family(const traces::Board& board) {
  for (FakeFamily family : families()) {
    if (family.board_id != board.base_id) continue;
    if (family.cpu_clusters.empty()) {
      int next = 0;
      for (const traces::CpuCluster& cluster : board.cpu_clusters) {
        std::vector<int> cpus;
        for (int i = 0; i < cluster.core_count; ++i) cpus.push_back(next++);
        family.cpu_clusters.push_back(cpus);
      }
    }
    if (family.cpu_clusters.size() != board.cpu_clusters.size()) {
      throw std::invalid_argument(
          "fake board " + board.id + ": the catalog has " + std::to_string(board.cpu_clusters.size()) +
          " CPU clusters, the family layout " + std::to_string(family.cpu_clusters.size()));
    }
    return family;
  }
  throw std::invalid_argument("no fake board for \"" + board.id +
                              "\". fake boards: " + common::join(fake_board_ids()));
}

void build_fake_board(const traces::Board& board, const std::string& root_dir) {
  const FakeFamily family = fake_family(board);
  FakeTree tree(root_dir);

  // Identification.
  tree.put("proc/device-tree/nvidia,dtsfilename", family.dtsfilename + std::string(1, '\0'));
  tree.put("proc/device-tree/compatible", family.module_compatible + std::string(1, '\0') + "nvidia," +
                                              std::string(board.soc == "T210"   ? "tegra210"
                                                          : board.soc == "T186" ? "tegra186"
                                                          : board.soc == "T194" ? "tegra194"
                                                                                : "tegra234") +
                                              std::string(1, '\0'));
  tree.put("etc/nv_tegra_release", fake_release_line(board, family.l4t_release) + "\n");
  tree.put("sys/module/tegra_fuse/parameters/tegra_chip_id", std::to_string(family.chip_id) + "\n");
  tree.put("var/lib/nvpmodel/status",
           "pmode:" + std::string(4 - std::to_string(board.default_power_mode).size(), '0') +
               std::to_string(board.default_power_mode) + "\n");

  // CPUs: one cpufreq policy per cluster (policyK, linked from each of its cpuN/cpufreq).
  int cpu_count = 0;
  for (const auto& cpus : family.cpu_clusters) {
    for (int c : cpus) cpu_count = std::max(cpu_count, c + 1);
  }
  tree.put("sys/devices/system/cpu/online", "0-" + std::to_string(cpu_count - 1) + "\n");
  tree.put("sys/devices/system/cpu/possible", "0-" + std::to_string(cpu_count - 1) + "\n");
  for (std::size_t k = 0; k < family.cpu_clusters.size(); ++k) {
    const std::vector<int>& cpus = family.cpu_clusters[k];
    const std::vector<std::int64_t>& table = board.cpu_clusters[k].freqs_khz;
    const std::string policy = "sys/devices/system/cpu/cpufreq/policy" + std::to_string(cpus.front());
    tree.put(policy + "/scaling_available_frequencies", join_numbers(table) + " \n");
    tree.put(policy + "/scaling_available_governors",
             "interactive conservative ondemand userspace powersave performance schedutil \n");
    tree.put(policy + "/scaling_governor", "schedutil\n");
    tree.put(policy + "/scaling_min_freq", std::to_string(table.front()) + "\n");
    tree.put(policy + "/scaling_max_freq", std::to_string(table.back()) + "\n");
    tree.put(policy + "/scaling_cur_freq", std::to_string(table.front()) + "\n");
    tree.put(policy + "/cpuinfo_min_freq", std::to_string(table.front()) + "\n");
    tree.put(policy + "/cpuinfo_max_freq", std::to_string(table.back()) + "\n");
    tree.put(policy + "/cpuinfo_cur_freq", std::to_string(table.front()) + "\n");
    tree.put(policy + "/scaling_setspeed", "<unsupported>\n");
    tree.put(policy + "/related_cpus", cpu_list(cpus) + "\n");
    tree.put(policy + "/affected_cpus", cpu_list(cpus) + "\n");
    for (int c : cpus) {
      const std::string cpu = "sys/devices/system/cpu/cpu" + std::to_string(c);
      tree.put(cpu + "/online", "1\n");
      tree.link(cpu + "/cpufreq", policy);
    }
  }

  // GPU: the device, its devfreq node, the class link, and gpu.0 (what jetson_clocks reads).
  const std::string gpu = family.gpu_device;
  const std::string devfreq = gpu + "/devfreq/" + family.gpu_devfreq_name;
  tree.put(gpu + "/of_node/compatible", family.gpu_compatible + std::string(1, '\0'));
  tree.put(gpu + "/of_node/name", std::string("gpu") + std::string(1, '\0'));
  tree.put(gpu + "/railgate_enable", "1\n");
  tree.put(gpu + "/load", "0\n");
  tree.put(devfreq + "/available_frequencies", join_numbers(board.gpu_freqs_hz) + "\n");
  tree.put(devfreq + "/available_governors",
           "wmark_active nvhost_podgov userspace performance simple_ondemand\n");
  tree.put(devfreq + "/governor", "nvhost_podgov\n");
  tree.put(devfreq + "/min_freq", std::to_string(board.gpu_freqs_hz.front()) + "\n");
  tree.put(devfreq + "/max_freq", std::to_string(board.gpu_freqs_hz.back()) + "\n");
  tree.put(devfreq + "/cur_freq", std::to_string(board.gpu_freqs_hz.front()) + "\n");
  tree.put(devfreq + "/target_freq", std::to_string(board.gpu_freqs_hz.front()) + "\n");
  tree.link(devfreq + "/device", gpu);
  tree.link("sys/class/devfreq/" + family.gpu_devfreq_name, devfreq);
  tree.link("sys/devices/platform/gpu.0", gpu);
  // A second devfreq device that is not the GPU: discovery must go by compatible string.
  const std::string decoy = "sys/devices/platform/15340000.vic";
  tree.put(decoy + "/of_node/compatible", std::string("edgetwin,fake-vic") + std::string(1, '\0'));
  tree.put(decoy + "/devfreq/15340000.vic/available_frequencies", "115200000 729600000\n");
  tree.put(decoy + "/devfreq/15340000.vic/min_freq", "115200000\n");
  tree.put(decoy + "/devfreq/15340000.vic/max_freq", "729600000\n");
  tree.link(decoy + "/devfreq/15340000.vic/device", decoy);
  tree.link("sys/class/devfreq/15340000.vic", decoy + "/devfreq/15340000.vic");

  // EMC.
  const std::int64_t emc_max = board.emc_freqs_hz.back();
  if (family.emc_bpmp) {
    const std::string emc = "sys/kernel/debug/bpmp/debug/clk/emc";
    tree.put(emc + "/rate", std::to_string(emc_max) + "\n");
    tree.put(emc + "/min_rate", std::to_string(board.emc_freqs_hz.front()) + "\n");
    tree.put(emc + "/max_rate", std::to_string(emc_max) + "\n");
    tree.put(emc + "/mrq_rate_locked", "0\n");
    tree.put("sys/kernel/nvpmodel_emc_cap/emc_iso_cap", std::to_string(emc_max) + "\n");
  } else {
    const std::string emc = "sys/kernel/debug/clk/override.emc";
    tree.put(emc + "/clk_rate", std::to_string(emc_max) + "\n");
    tree.put(emc + "/clk_update_rate", std::to_string(emc_max) + "\n");
    tree.put(emc + "/clk_state", "0\n");
    tree.put("sys/kernel/debug/tegra_bwmgr/emc_min_rate", std::to_string(board.emc_freqs_hz.front()) + "\n");
    tree.put("sys/kernel/debug/tegra_bwmgr/emc_max_rate", std::to_string(emc_max) + "\n");
  }

  // INA3221 power monitors: idle power on the whole-module rail (or the first rail).
  std::vector<double> rail_w(board.rails.size(), 0.0);
  for (std::size_t r = 0; r < board.rails.size(); ++r) {
    if (board.rails[r].name == board.total_rail) rail_w[r] = board.idle_power_w;
  }
  if (board.total_rail.empty() && !rail_w.empty()) rail_w[0] = board.idle_power_w;
  for (std::size_t d = 0; d < family.inas.size(); ++d) {
    const FakeIna& ina = family.inas[d];
    const std::string bus = ina.device.substr(0, ina.device.find('-'));
    const std::string dev = "sys/devices/platform/edgetwin-fake-i2c/i2c-" + bus + "/" + ina.device;
    const std::string driver = family.ina_iio ? "ina3221x" : "ina3221";
    tree.put(dev + "/name", driver + "\n");
    tree.link("sys/bus/i2c/devices/" + ina.device, dev);
    tree.link("sys/bus/i2c/drivers/" + driver + "/" + ina.device, dev);
    tree.put(dev + "/" + fake_ina_dir(family.ina_iio, static_cast<int>(d)) + "/name", driver + "\n");
    if (!family.ina_iio) {
      tree.put(dev + "/" + fake_ina_dir(false, static_cast<int>(d)) + "/update_interval", "1\n");
    }
    for (std::size_t ch = 0; ch < ina.labels.size(); ++ch) {
      double watts = 0;
      for (std::size_t r = 0; r < board.rails.size(); ++r) {
        if (board.rails[r].name == ina.labels[ch]) watts = rail_w[r];
      }
      write_fake_channel(tree, dev + "/" + fake_ina_dir(family.ina_iio, static_cast<int>(d)), family.ina_iio,
                         static_cast<int>(ch), ina.labels[ch], watts, true);
    }
  }

  // Thermal zones: the catalog's sysfs types, then the family's others.
  std::vector<std::string> types;
  for (const traces::ThermalZone& zone : board.thermal.zones) {
    for (const std::string& type : zone.sysfs_types) types.push_back(type);
  }
  for (const std::string& type : family.extra_thermal_types) types.push_back(type);
  for (std::size_t z = 0; z < types.size(); ++z) {
    const std::string zone = "sys/devices/virtual/thermal/thermal_zone" + std::to_string(z);
    tree.put(zone + "/type", types[z] + "\n");
    tree.put(zone + "/temp", "35000\n");
    tree.link("sys/class/thermal/thermal_zone" + std::to_string(z), zone);
  }
}

}  // namespace edgetwin::hw

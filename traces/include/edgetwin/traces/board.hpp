#pragma once
/// Board catalog entries: Jetson edge boards and cloud GPU servers, as read from
/// traces/data/boards/<id>.json (format and sources: docs/boards.md).

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace edgetwin::traces {

/// The three clock domains EdgeTwin controls.
enum class ClockDomain { cpu, gpu, emc };
const char* to_string(ClockDomain domain);

/// One CPU cluster (cores sharing a clock). Frequencies in kHz as cpufreq reports them.
struct CpuCluster {
  std::string name;  ///< e.g. "A57", "Denver2", "Carmel0"
  int core_count = 0;
  std::vector<std::int64_t> freqs_khz;  ///< ascending
};

/// One nvpmodel power mode: caps applied on top of the frequency tables.
struct PowerMode {
  int id = 0;
  std::string name;     ///< e.g. "MAXN", "15W_6CORE"
  double budget_w = 0;  ///< nominal module power budget of the mode
  int online_cores = 0;
  std::int64_t cpu_max_khz = 0;
  std::int64_t gpu_max_hz = 0;
  std::int64_t emc_max_hz = 0;
};

/// A power rail measured by the board's INA3221 (or the server's NVML), and what it feeds.
struct Rail {
  std::string name;   ///< as the driver labels it, e.g. "VDD_IN", "VDD_CPU_GPU_CV"
  std::string feeds;  ///< one of: total, cpu, gpu, soc, ddr, cpu_gpu_cv, gpu_soc, cpu_cv, sys, cv, other
};

/// Cost of changing one clock domain's frequency.
struct DvfsTransition {
  double latency_s = 0;  ///< time during which the unit boundary is stalled
  double energy_j = 0;   ///< extra energy of one change
};

/// Parameters of the synthetic roofline + DVFS power model for one board. They are estimates,
/// documented in docs/boards.md and docs/traces.md; measured traces do not use them.
struct SyntheticModel {
  double gpu_fp32_flops_per_cycle = 0;  ///< peak FP32 FLOP per GPU clock cycle (2 x CUDA cores)
  double gpu_fp16_ratio = 2;            ///< FP16 peak / FP32 peak
  double dram_bytes_per_cycle = 0;      ///< peak DRAM bytes per EMC clock cycle
  double kernel_launch_cycles = 0;      ///< CPU cycles of framework overhead per GPU kernel
  double cpu_dynamic_w_at_max = 0;      ///< CPU rail dynamic power, one busy core at max clock
  double gpu_dynamic_w_at_max = 0;      ///< GPU dynamic power at max clock and full load
  double emc_dynamic_w_at_max = 0;      ///< DRAM/EMC dynamic power at max clock and full bandwidth
  double voltage_min_v = 0.6;           ///< rail voltage at the lowest clock (all domains, estimate)
  double voltage_max_v = 1.0;           ///< rail voltage at the highest clock (estimate)
  /// Rise of each domain's power with its clock while nothing runs on it (clock tree, leakage
  /// at the higher voltage, DRAM refresh and controller at a higher EMC clock), from the table's
  /// lowest to its highest clock, scaled like the dynamic power (f V^2). What a board draws with
  /// its clocks pinned high and no load. NaN = not given: the calibration's global
  /// idle_clock_fraction x the domain's dynamic power (docs/synthetic_traces.md).
  double cpu_static_w_at_max = std::numeric_limits<double>::quiet_NaN();
  double gpu_static_w_at_max = std::numeric_limits<double>::quiet_NaN();
  double emc_static_w_at_max = std::numeric_limits<double>::quiet_NaN();
  /// Power on the whole-module rail beyond the modelled components while a process runs
  /// (regulator losses, SoC fabric kept awake): a constant added to the total under load. 0 = none.
  double load_base_w = 0;
};

/// One heat input of a thermal zone: `weight` x the power of rail `rail` (index into Board::rails).
struct ThermalInput {
  int rail = 0;
  double weight = 0;
};

/// One zone of the board's lumped thermal model (docs/thermal.md): a single RC node,
/// C dT/dt = sum(weight x rail power) - (T - T_ambient) / R. Estimates unless a source says otherwise.
struct ThermalZone {
  std::string name;                      ///< "cpu", "gpu", ... (what TickObservation reports)
  std::vector<std::string> sysfs_types;  ///< thermal_zone*/type values it stands for, e.g. "BCPU-therm"
  double r_k_per_w = 0;                  ///< zone-to-ambient thermal resistance (K/W), > 0
  double tau_s = 0;                      ///< time constant R x C (s), > 0
  std::vector<ThermalInput> inputs;      ///< heat input = sum of weight x rail power
  double fallback_total_weight = 1;      ///< heat input = this x module power when an input rail is unknown
  /// Highest temperature the vendor specifies for the zone, where the real board throttles or
  /// shuts down; reported only (the simulation never changes clocks for it). NaN = unknown.
  double limit_c = std::numeric_limits<double>::quiet_NaN();
};

/// The board's thermal model; no zones = none (cloud boards: temperatures are unknown).
struct ThermalSpec {
  std::vector<ThermalZone> zones;
};

/// The software release (L4T / JetPack) a board's frequency tables and power-mode caps belong to.
/// Tables change across releases (e.g. the TX2 GPU table), so each table says whose it is.
struct BoardRelease {
  std::string id;      ///< short key, e.g. "r28.2"; "" = not recorded (cloud boards)
  std::string name;    ///< e.g. "L4T R28.2.1 (JetPack 3.3)"
  std::string source;  ///< where the tables of this release were read
  /// The L4T versions whose boards have these tables (what a real board's
  /// /etc/nv_tegra_release is matched against): "R32" covers every R32.x, "R28.2" every
  /// R28.2.x, "R36.4.3+" R36.4.3 and every later R36; empty = not recorded.
  std::vector<std::string> l4t;
};

/// Whether `pattern` is an L4T pattern of BoardRelease::l4t: "R" and dot-separated numbers,
/// optionally ending in "+".
bool valid_l4t_pattern(const std::string& pattern);
/// How specifically `pattern` covers L4T version `version` ("R32.7.4"): 0 when it does not,
/// else the number of version components it names (longer patterns are more specific).
int l4t_match(const std::string& pattern, const std::string& version);

/// A board (edge module or cloud server GPU). All frequencies ascending.
struct Board {
  /// Catalog key, e.g. "xavier_nx". A non-default release of a board file is its own catalog
  /// entry "<file id>@<release id>", e.g. "tx2@r32" (docs/boards.md, "Releases").
  std::string id;
  std::string name;      ///< e.g. "NVIDIA Jetson Xavier NX (8 GB)"
  std::string kind;      ///< "edge" or "cloud"
  std::string soc;       ///< e.g. "T194", "GA102"
  std::string gpu_arch;  ///< e.g. "Volta"
  int gpu_cuda_cores = 0;
  double memory_bytes = 0;
  double dram_bandwidth_bytes_per_s = 0;  ///< peak at the highest EMC clock

  std::vector<CpuCluster> cpu_clusters;
  std::vector<std::int64_t> cpu_freqs_khz;  ///< the table decisions use (the primary cluster's)
  std::vector<std::int64_t> gpu_freqs_hz;
  std::vector<std::int64_t> emc_freqs_hz;

  std::vector<PowerMode> power_modes;
  int default_power_mode = 0;
  std::vector<Rail> rails;
  std::string total_rail;  ///< rail holding whole-module power, or "" when rails must be summed

  double idle_power_w = 0;  ///< module power idle at the lowest clocks
  double max_power_w = 0;   ///< the highest power the module is specified for
  DvfsTransition cpu_transition;
  DvfsTransition gpu_transition;
  DvfsTransition emc_transition;

  SyntheticModel synthetic;
  ThermalSpec thermal;

  std::string base_id;   ///< id of the board file (== id for the file's default release)
  BoardRelease release;  ///< the release whose tables and caps these are
  /// Catalog ids of every release of the same board file, the default first (one entry when
  /// the file holds a single release).
  std::vector<std::string> release_ids;

  const std::vector<std::int64_t>& freqs(ClockDomain domain) const;  ///< kHz for cpu, Hz otherwise
  const DvfsTransition& transition(ClockDomain domain) const;
  const PowerMode& power_mode(int mode_id) const;  ///< throws std::out_of_range
  int total_core_count() const;
};

}  // namespace edgetwin::traces

// JSON <-> catalog structs, and their validation. File formats: docs/boards.md, docs/models.md.

#include <algorithm>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "edgetwin/common/error.hpp"
#include "edgetwin/traces/catalog.hpp"

namespace edgetwin::traces {

using nlohmann::json;

namespace {

const std::vector<std::string>& rail_feeds() {
  static const std::vector<std::string> feeds = {"total",   "cpu",    "gpu", "soc", "ddr",  "cpu_gpu_cv",
                                                 "gpu_soc", "cpu_cv", "sys", "cv",  "other"};
  return feeds;
}

DvfsTransition transition_from_json(const common::JsonReader& j) {
  j.require_only({"latency_s", "energy_j", "source", "estimated", "notes"});
  DvfsTransition t;
  t.latency_s = j.number_in("latency_s", 0.0, 1.0);
  t.energy_j = j.number_in("energy_j", 0.0, 100.0);
  return t;
}

SyntheticModel synthetic_from_json(const common::JsonReader& j) {
  j.require_only({"gpu_fp32_flops_per_cycle", "gpu_fp16_ratio", "dram_bytes_per_cycle",
                  "kernel_launch_cycles", "cpu_dynamic_w_at_max", "gpu_dynamic_w_at_max",
                  "emc_dynamic_w_at_max", "voltage_min_v", "voltage_max_v", "cpu_static_w_at_max",
                  "gpu_static_w_at_max", "emc_static_w_at_max", "load_base_w", "source", "estimated",
                  "notes"});
  SyntheticModel s;
  s.gpu_fp32_flops_per_cycle = j.number_in("gpu_fp32_flops_per_cycle", 1.0, 1e6);
  s.gpu_fp16_ratio = j.number_in("gpu_fp16_ratio", 0.25, 64.0);
  s.dram_bytes_per_cycle = j.number_in("dram_bytes_per_cycle", 0.1, 1e5);
  s.kernel_launch_cycles = j.number_in("kernel_launch_cycles", 0.0, 1e9);
  s.cpu_dynamic_w_at_max = j.number_in("cpu_dynamic_w_at_max", 0.0, 2000.0);
  s.gpu_dynamic_w_at_max = j.number_in("gpu_dynamic_w_at_max", 0.0, 2000.0);
  s.emc_dynamic_w_at_max = j.number_in("emc_dynamic_w_at_max", 0.0, 2000.0);
  s.voltage_min_v = j.number_in("voltage_min_v", 0.1, 5.0);
  s.voltage_max_v = j.number_in("voltage_max_v", 0.1, 5.0);
  if (s.voltage_min_v > s.voltage_max_v) j.fail("voltage_min_v", "must not exceed voltage_max_v");
  if (j.has("cpu_static_w_at_max")) s.cpu_static_w_at_max = j.number_in("cpu_static_w_at_max", 0.0, 2000.0);
  if (j.has("gpu_static_w_at_max")) s.gpu_static_w_at_max = j.number_in("gpu_static_w_at_max", 0.0, 2000.0);
  if (j.has("emc_static_w_at_max")) s.emc_static_w_at_max = j.number_in("emc_static_w_at_max", 0.0, 2000.0);
  s.load_base_w = j.has("load_base_w") ? j.number_in("load_base_w", 0.0, 2000.0) : 0.0;
  return s;
}

// The board's lumped thermal model (docs/thermal.md); rails must already be read.
ThermalSpec thermal_from_json(const common::JsonReader& j, const Board& b) {
  j.require_only({"zones", "source", "estimated", "notes"});
  if (b.kind != "edge")
    j.fail("", "found a thermal model on a " + b.kind + " board; allowed on edge boards only");
  std::vector<std::string> rail_names;
  for (const auto& r : b.rails) rail_names.push_back(r.name);
  ThermalSpec spec;
  const auto zones = j.objects("zones");
  for (std::size_t i = 0; i < zones.size(); ++i) {
    const common::JsonReader& z = zones[i];
    z.require_only({"name", "sysfs_types", "r_k_per_w", "tau_s", "inputs", "fallback_total_weight", "limit_c",
                    "source", "estimated", "notes"});
    ThermalZone zone;
    zone.name = z.one_of("name", {"cpu", "gpu", "soc", "cv", "board"});
    for (const auto& other : spec.zones) {
      if (other.name == zone.name)
        z.fail("name", "found \"" + zone.name + "\" twice; allowed: each zone once");
    }
    zone.sysfs_types = z.strings("sysfs_types");
    if (zone.sysfs_types.empty())
      z.fail("sysfs_types", "found an empty array, allowed: at least one zone type");
    zone.r_k_per_w = z.number_in("r_k_per_w", 0.001, 100.0);
    zone.tau_s = z.number_in("tau_s", 0.001, 1e5);
    for (const auto& in : z.objects("inputs")) {
      in.require_only({"rail", "weight"});
      const std::string rail = in.one_of("rail", rail_names);
      const auto index = std::find(rail_names.begin(), rail_names.end(), rail) - rail_names.begin();
      zone.inputs.push_back(ThermalInput{static_cast<int>(index), in.number_in("weight", 0.0, 10.0)});
    }
    if (zone.inputs.empty()) z.fail("inputs", "found an empty array, allowed: at least one rail");
    zone.fallback_total_weight =
        z.has("fallback_total_weight") ? z.number_in("fallback_total_weight", 0.0, 10.0) : 1.0;
    if (z.has("limit_c")) zone.limit_c = z.number_in("limit_c", 0.0, 200.0);
    spec.zones.push_back(std::move(zone));
  }
  // TickObservation reports the CPU and GPU zones (zTT's state).
  for (const char* needed : {"cpu", "gpu"}) {
    const bool found = std::any_of(spec.zones.begin(), spec.zones.end(),
                                   [&](const ThermalZone& zone) { return zone.name == needed; });
    if (!found)
      j.fail("zones",
             std::string("no zone named \"") + needed + "\"; required: a \"cpu\" and a \"gpu\" zone");
  }
  return spec;
}

/// A release's "l4t" patterns (optional), each checked.
std::vector<std::string> l4t_patterns(const common::JsonReader& r) {
  if (!r.has("l4t")) return {};
  const auto patterns = r.strings("l4t");
  for (const auto& p : patterns) {
    if (!valid_l4t_pattern(p)) {
      r.fail("l4t",
             "found \"" + p +
                 "\", allowed: L4T versions such as \"R32\" (every R32.x), \"R28.2\" or \"R36.4.3+\" (that "
                 "version and later ones of R36)");
    }
  }
  return patterns;
}

}  // namespace

Board board_from_json(const common::JsonReader& j) {
  j.require_only({"id", "name", "kind", "soc", "cpu", "gpu", "memory", "power_modes", "rails", "power",
                  "dvfs_transition", "synthetic_model", "thermal", "release", "releases", "source",
                  "estimated", "notes"});
  Board b;
  b.id = j.string("id");
  b.name = j.string("name");
  b.kind = j.one_of("kind", {"edge", "cloud"});
  b.soc = j.string("soc");

  const common::JsonReader cpu = j.object("cpu");
  cpu.require_only({"clusters", "decision_cluster", "source", "estimated", "notes"});
  for (const auto& c : cpu.objects("clusters")) {
    c.require_only({"name", "core_count", "freqs_khz", "source", "estimated", "notes"});
    CpuCluster cluster;
    cluster.name = c.string("name");
    cluster.core_count = static_cast<int>(c.integer_in("core_count", 1, 1024));
    cluster.freqs_khz = c.integers("freqs_khz");
    b.cpu_clusters.push_back(std::move(cluster));
  }
  if (b.cpu_clusters.empty()) cpu.fail("clusters", "at least one CPU cluster is required");
  const auto decision =
      cpu.integer_in("decision_cluster", 0, static_cast<std::int64_t>(b.cpu_clusters.size()) - 1);
  b.cpu_freqs_khz = b.cpu_clusters[static_cast<std::size_t>(decision)].freqs_khz;

  const common::JsonReader gpu = j.object("gpu");
  gpu.require_only({"arch", "cuda_cores", "freqs_hz", "source", "estimated", "notes"});
  b.gpu_arch = gpu.string("arch");
  b.gpu_cuda_cores = static_cast<int>(gpu.integer_in("cuda_cores", 1, 1000000));
  b.gpu_freqs_hz = gpu.integers("freqs_hz");

  const common::JsonReader mem = j.object("memory");
  mem.require_only({"bytes", "dram_bandwidth_bytes_per_s", "emc_freqs_hz", "source", "estimated", "notes"});
  b.memory_bytes = mem.number_in("bytes", 1e6, 1e15);
  b.dram_bandwidth_bytes_per_s = mem.number_in("dram_bandwidth_bytes_per_s", 1e6, 1e14);
  b.emc_freqs_hz = mem.integers("emc_freqs_hz");

  const common::JsonReader modes = j.object("power_modes");
  modes.require_only({"default", "modes", "source", "estimated", "notes"});
  for (const auto& m : modes.objects("modes")) {
    m.require_only({"id", "name", "budget_w", "online_cores", "cpu_max_khz", "gpu_max_hz", "emc_max_hz",
                    "source", "estimated", "notes"});
    PowerMode mode;
    mode.id = static_cast<int>(m.integer_in("id", 0, 1000));
    mode.name = m.string("name");
    mode.budget_w = m.number_in("budget_w", 0.1, 5000.0);
    mode.online_cores = static_cast<int>(m.integer_in("online_cores", 1, 1024));
    mode.cpu_max_khz = m.integer("cpu_max_khz");
    mode.gpu_max_hz = m.integer("gpu_max_hz");
    mode.emc_max_hz = m.integer("emc_max_hz");
    b.power_modes.push_back(std::move(mode));
  }
  b.default_power_mode = static_cast<int>(modes.integer("default"));

  const common::JsonReader rails = j.object("rails");
  rails.require_only({"total", "list", "source", "estimated", "notes"});
  b.total_rail = rails.string("total");
  for (const auto& r : rails.objects("list")) {
    r.require_only({"name", "feeds", "source", "estimated", "notes"});
    b.rails.push_back(Rail{r.string("name"), r.one_of("feeds", rail_feeds())});
  }

  const common::JsonReader power = j.object("power");
  power.require_only({"idle_w", "max_w", "source", "estimated", "notes"});
  b.idle_power_w = power.number_in("idle_w", 0.0, 5000.0);
  b.max_power_w = power.number_in("max_w", 0.0, 5000.0);

  const common::JsonReader dvfs = j.object("dvfs_transition");
  dvfs.require_only({"cpu", "gpu", "emc", "source", "estimated", "notes"});
  b.cpu_transition = transition_from_json(dvfs.object("cpu"));
  b.gpu_transition = transition_from_json(dvfs.object("gpu"));
  b.emc_transition = transition_from_json(dvfs.object("emc"));

  b.synthetic = synthetic_from_json(j.object("synthetic_model"));
  if (j.has("thermal")) b.thermal = thermal_from_json(j.object("thermal"), b);
  b.base_id = b.id;
  if (j.has("release")) {
    const common::JsonReader r = j.object("release");
    r.require_only({"id", "name", "source", "l4t", "estimated", "notes"});
    b.release = BoardRelease{r.string("id"), r.string("name"), r.string("source"), l4t_patterns(r)};
    if (b.release.id.empty() || b.release.id.find('@') != std::string::npos) {
      r.fail("id", "a release id is a non-empty key without '@', e.g. \"r32\"");
    }
  } else if (b.kind == "edge") {
    j.fail("release", "an edge board names the L4T/JetPack release its tables belong to");
  }
  b.release_ids = {b.id};
  return b;
}

std::vector<Board> board_releases_from_json(const common::JsonReader& j, const Board& base) {
  std::vector<Board> out;
  if (!j.has("releases")) return out;
  std::vector<std::string> ids{base.release.id};
  for (const auto& r : j.objects("releases")) {
    r.require_only({"id", "name", "source", "l4t", "cpu_freqs_khz", "gpu_freqs_hz", "emc_freqs_hz",
                    "power_modes", "estimated", "notes"});
    Board b = base;
    b.release = BoardRelease{r.string("id"), r.string("name"), r.string("source"), l4t_patterns(r)};
    if (b.release.id.empty() || b.release.id.find('@') != std::string::npos) {
      r.fail("id", "a release id is a non-empty key without '@', e.g. \"r32\"");
    }
    if (std::find(ids.begin(), ids.end(), b.release.id) != ids.end()) {
      r.fail("id", "duplicate release \"" + b.release.id + "\" of board " + base.id);
    }
    ids.push_back(b.release.id);
    b.id = base.id + "@" + b.release.id;
    if (r.has("cpu_freqs_khz")) {
      // The decision cluster's table (every cluster that shared it takes the release's).
      const auto table = r.integers("cpu_freqs_khz");
      for (auto& c : b.cpu_clusters) {
        if (c.freqs_khz == base.cpu_freqs_khz) c.freqs_khz = table;
      }
      b.cpu_freqs_khz = table;
    }
    if (r.has("gpu_freqs_hz")) b.gpu_freqs_hz = r.integers("gpu_freqs_hz");
    if (r.has("emc_freqs_hz")) b.emc_freqs_hz = r.integers("emc_freqs_hz");
    if (r.has("power_modes")) {
      for (const auto& m : r.objects("power_modes")) {
        m.require_only({"id", "cpu_max_khz", "gpu_max_hz", "emc_max_hz", "source", "estimated", "notes"});
        const int mode_id = static_cast<int>(m.integer_in("id", 0, 1000));
        const auto it = std::find_if(b.power_modes.begin(), b.power_modes.end(),
                                     [&](const PowerMode& pm) { return pm.id == mode_id; });
        if (it == b.power_modes.end()) {
          m.fail("id", "found " + std::to_string(mode_id) + ", not a power mode id of /power_modes/modes");
        }
        if (m.has("cpu_max_khz")) it->cpu_max_khz = m.integer("cpu_max_khz");
        if (m.has("gpu_max_hz")) it->gpu_max_hz = m.integer("gpu_max_hz");
        if (m.has("emc_max_hz")) it->emc_max_hz = m.integer("emc_max_hz");
      }
    }
    out.push_back(std::move(b));
  }
  std::vector<std::string> catalog_ids{base.id};
  for (const auto& b : out) catalog_ids.push_back(b.id);
  for (auto& b : out) b.release_ids = catalog_ids;
  return out;
}

namespace {

void check_table(const std::vector<std::int64_t>& table, const std::string& file, const std::string& where) {
  if (table.empty()) throw common::DataError(file, where, "frequency table is empty");
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (table[i] <= 0) {
      throw common::DataError(file, where + "/" + std::to_string(i),
                              "frequency must be positive, found " + std::to_string(table[i]));
    }
    if (i > 0 && table[i] <= table[i - 1]) {
      throw common::DataError(file, where + "/" + std::to_string(i),
                              "frequency table must be strictly ascending: " + std::to_string(table[i]) +
                                  " follows " + std::to_string(table[i - 1]));
    }
  }
}

void check_in_table(std::int64_t value, const std::vector<std::int64_t>& table, const std::string& file,
                    const std::string& where, const char* table_name) {
  if (std::find(table.begin(), table.end(), value) == table.end()) {
    throw common::DataError(file, where,
                            std::to_string(value) + " is not a value of " + table_name + " (" +
                                std::to_string(table.front()) + " .. " + std::to_string(table.back()) + ")");
  }
}

}  // namespace

void validate_board(const Board& b, const std::string& file) {
  for (std::size_t i = 0; i < b.cpu_clusters.size(); ++i) {
    check_table(b.cpu_clusters[i].freqs_khz, file, "/cpu/clusters/" + std::to_string(i) + "/freqs_khz");
  }
  check_table(b.gpu_freqs_hz, file, "/gpu/freqs_hz");
  check_table(b.emc_freqs_hz, file, "/memory/emc_freqs_hz");
  if (b.power_modes.empty())
    throw common::DataError(file, "/power_modes/modes", "at least one power mode is required");
  std::set<int> ids;
  for (std::size_t i = 0; i < b.power_modes.size(); ++i) {
    const auto& m = b.power_modes[i];
    const std::string at = "/power_modes/modes/" + std::to_string(i);
    if (!ids.insert(m.id).second)
      throw common::DataError(file, at + "/id", "duplicate power mode id " + std::to_string(m.id));
    check_in_table(m.cpu_max_khz, b.cpu_freqs_khz, file, at + "/cpu_max_khz",
                   "the decision cluster's freqs_khz");
    check_in_table(m.gpu_max_hz, b.gpu_freqs_hz, file, at + "/gpu_max_hz", "gpu/freqs_hz");
    check_in_table(m.emc_max_hz, b.emc_freqs_hz, file, at + "/emc_max_hz", "memory/emc_freqs_hz");
    if (m.online_cores > b.total_core_count()) {
      throw common::DataError(file, at + "/online_cores",
                              "found " + std::to_string(m.online_cores) + ", the board has " +
                                  std::to_string(b.total_core_count()) + " cores");
    }
  }
  if (ids.count(b.default_power_mode) == 0) {
    throw common::DataError(file, "/power_modes/default",
                            "no power mode with id " + std::to_string(b.default_power_mode));
  }
  if (b.rails.empty()) throw common::DataError(file, "/rails/list", "at least one rail is required");
  std::set<std::string> rail_names;
  for (std::size_t i = 0; i < b.rails.size(); ++i) {
    if (!rail_names.insert(b.rails[i].name).second) {
      throw common::DataError(file, "/rails/list/" + std::to_string(i) + "/name",
                              "duplicate rail " + b.rails[i].name);
    }
  }
  if (!b.total_rail.empty() && rail_names.count(b.total_rail) == 0) {
    throw common::DataError(file, "/rails/total", "\"" + b.total_rail + "\" is not a rail of /rails/list");
  }
  if (!(b.idle_power_w < b.max_power_w)) {
    throw common::DataError(file, "/power/idle_w", "idle power must be below max_w");
  }
}

void validate_model(const Model& m, const std::string& file) {
  if (m.units.empty()) throw common::DataError(file, "/units", "a model needs at least one unit");
  std::set<std::string> names;
  for (std::size_t i = 0; i < m.units.size(); ++i) {
    const auto& u = m.units[i];
    const std::string at = "/units/" + std::to_string(i);
    if (u.index != static_cast<int>(i)) {
      throw common::DataError(file, at + "/index",
                              "found " + std::to_string(u.index) + ", expected " + std::to_string(i));
    }
    if (!names.insert(u.name).second)
      throw common::DataError(file, at + "/name", "duplicate unit name " + u.name);
    if (u.macs < 0 || u.param_count < 0 || u.kernel_count < 0) {
      throw common::DataError(file, at, "macs, param_count and kernel_count must be non-negative");
    }
    if (u.output_elements <= 0 || u.boundary_elements <= 0) {
      throw common::DataError(file, at, "output_elements and boundary_elements must be positive");
    }
  }
  for (std::size_t i = 0; i < m.exits.size(); ++i) {
    const auto& e = m.exits[i];
    if (e.after_unit < 0 || e.after_unit >= static_cast<int>(m.units.size())) {
      throw common::DataError(
          file, "/exits/" + std::to_string(i) + "/after_unit",
          "found " + std::to_string(e.after_unit) + ", allowed 0.." + std::to_string(m.units.size() - 1));
    }
  }
}

Model model_from_json(const common::JsonReader& j) {
  j.require_only({"id", "name", "task", "input_shape", "num_classes", "units", "exits", "published",
                  "provenance", "totals", "notes"});
  Model m;
  m.id = j.string("id");
  m.name = j.string("name");
  m.task = j.one_of("task", {"classification", "detection"});
  m.input_shape = j.integers("input_shape");
  m.num_classes = static_cast<int>(j.integer_in("num_classes", 1, 100000));
  m.provenance = j.string("provenance");
  const common::JsonReader pub = j.object("published");
  pub.require_only({"params", "macs", "source", "notes"});
  m.published.params = pub.number_in("params", 0.0, 1e13);
  m.published.macs = pub.number_in("macs", 0.0, 1e16);
  m.published.source = pub.string("source");
  for (const auto& u : j.objects("units")) {
    u.require_only({"index", "name", "kind", "macs", "param_count", "kernel_count", "input_shape",
                    "output_shape", "input_elements", "output_elements", "boundary_elements"});
    Unit unit;
    unit.index = static_cast<int>(u.integer("index"));
    unit.name = u.string("name");
    unit.kind = u.string("kind");
    unit.macs = u.integer("macs");
    unit.param_count = u.integer("param_count");
    unit.kernel_count = u.integer("kernel_count");
    unit.input_shape = u.integers("input_shape");
    unit.output_shape = u.integers("output_shape");
    unit.input_elements = u.integer("input_elements");
    unit.output_elements = u.integer("output_elements");
    unit.boundary_elements = u.integer("boundary_elements");
    m.units.push_back(std::move(unit));
  }
  for (const auto& e : j.objects_or_empty("exits")) {
    e.require_only({"after_unit", "head", "head_macs", "head_param_count"});
    m.exits.push_back(ExitPoint{static_cast<int>(e.integer("after_unit")), e.string("head"),
                                e.integer("head_macs"), e.integer("head_param_count")});
  }
  if (j.has("totals")) {
    const common::JsonReader totals = j.object("totals");
    totals.require_only({"macs", "params"});
    if (totals.integer("macs") != m.total_macs()) totals.fail("macs", "does not equal the sum over /units");
    if (totals.integer("params") != m.total_params())
      totals.fail("params", "does not equal the sum over /units");
  }
  return m;
}

json model_to_json(const Model& m) {
  json units = json::array();
  for (const auto& u : m.units) {
    units.push_back(json{{"index", u.index},
                         {"name", u.name},
                         {"kind", u.kind},
                         {"macs", u.macs},
                         {"param_count", u.param_count},
                         {"kernel_count", u.kernel_count},
                         {"input_shape", u.input_shape},
                         {"output_shape", u.output_shape},
                         {"input_elements", u.input_elements},
                         {"output_elements", u.output_elements},
                         {"boundary_elements", u.boundary_elements}});
  }
  json exits = json::array();
  for (const auto& e : m.exits) {
    exits.push_back(json{{"after_unit", e.after_unit},
                         {"head", e.head},
                         {"head_macs", e.head_macs},
                         {"head_param_count", e.head_param_count}});
  }
  return json{{"id", m.id},
              {"name", m.name},
              {"task", m.task},
              {"input_shape", m.input_shape},
              {"num_classes", m.num_classes},
              {"published",
               {{"params", m.published.params}, {"macs", m.published.macs}, {"source", m.published.source}}},
              {"provenance", m.provenance},
              {"totals", {{"macs", m.total_macs()}, {"params", m.total_params()}}},
              {"units", units},
              {"exits", exits}};
}

}  // namespace edgetwin::traces

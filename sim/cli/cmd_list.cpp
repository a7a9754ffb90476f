// `edgetwin list boards|models|policies`: the catalogs and the policy registry, as a table or as JSON.

#include <algorithm>
#include <cstddef>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/policies/policy.hpp"

#include "cli.hpp"

namespace edgetwin::app {

namespace {

enum class Align { left, right };

// Characters as a terminal shows them: UTF-8 continuation bytes do not count.
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0U) != 0x80U; }));
}

// Prints `rows` (the header first) as columns: each column as wide as its widest cell, columns two
// spaces apart whatever the lengths of the names; the last column is not padded. `align` gives a
// column's alignment (default left).
void print_table(const std::vector<std::vector<std::string>>& rows, const std::vector<Align>& align = {},
                 const std::string& indent = "") {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  for (const auto& row : rows) {
    std::string line = indent;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const bool last = c + 1 == row.size();
      const std::string pad(widths[c] - display_width(row[c]), ' ');
      if (c < align.size() && align[c] == Align::right)
        line += pad + row[c];
      else
        line += last ? row[c] : row[c] + pad;
      if (!last) line += "  ";
    }
    std::cout << line << "\n";
  }
}

std::string mhz_range(const std::vector<std::int64_t>& table, double to_mhz) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(0) << static_cast<double>(table.front()) * to_mhz << "-"
     << static_cast<double>(table.back()) * to_mhz << " (" << table.size() << ")";
  return os.str();
}

void print_boards(const traces::Catalog& catalog) {
  std::vector<std::vector<std::string>> rows{{"id", "kind", "cpu MHz (levels)", "gpu MHz (levels)",
                                              "emc MHz (levels)", "modes", "idle/max W", "name"}};
  for (const auto& [id, b] : catalog.boards()) {
    std::ostringstream power;
    power << std::setprecision(3) << b.idle_power_w << "/" << b.max_power_w;
    rows.push_back({id, b.kind, mhz_range(b.cpu_freqs_khz, 1e-3), mhz_range(b.gpu_freqs_hz, 1e-6),
                    mhz_range(b.emc_freqs_hz, 1e-6), std::to_string(b.power_modes.size()), power.str(),
                    b.name});
  }
  print_table(rows);
}

void print_board_detail(const traces::Board& b) {
  std::cout << b.name << " (" << b.id << ", " << b.kind << ", SoC " << b.soc << ", GPU " << b.gpu_arch << " "
            << b.gpu_cuda_cores << " CUDA cores)\n";
  for (const auto& c : b.cpu_clusters) {
    std::cout << "  cpu cluster " << c.name << " x" << c.core_count << " kHz:";
    for (auto f : c.freqs_khz) std::cout << " " << f;
    std::cout << "\n";
  }
  std::cout << "  gpu Hz:";
  for (auto f : b.gpu_freqs_hz) std::cout << " " << f;
  std::cout << "\n  emc Hz:";
  for (auto f : b.emc_freqs_hz) std::cout << " " << f;
  std::cout << "\n  power modes (default " << b.default_power_mode << "):\n";
  for (const auto& m : b.power_modes) {
    std::cout << "    " << m.id << " " << m.name << ": " << m.budget_w << " W, " << m.online_cores
              << " cores, cpu<=" << m.cpu_max_khz << " kHz, gpu<=" << m.gpu_max_hz
              << " Hz, emc<=" << m.emc_max_hz << " Hz\n";
  }
  std::cout << "  rails:";
  for (const auto& r : b.rails) std::cout << " " << r.name << "(" << r.feeds << ")";
  std::cout << (b.total_rail.empty() ? "  [total = sum of rails]" : "  [total = " + b.total_rail + "]")
            << "\n";
  std::cout << "  power: idle " << b.idle_power_w << " W, max " << b.max_power_w << " W\n";
  std::cout << "  dvfs transition latency: cpu " << b.cpu_transition.latency_s * 1e6 << " us, gpu "
            << b.gpu_transition.latency_s * 1e6 << " us, emc " << b.emc_transition.latency_s * 1e6 << " us\n";
  std::cout << "  sources and estimates: docs/boards.md\n";
}

void print_models(const traces::Catalog& catalog) {
  std::vector<std::vector<std::string>> rows{
      {"id", "task", "input", "units", "exits", "params (M)", "GMACs", "name"}};
  for (const auto& [id, m] : catalog.models()) {
    std::ostringstream shape, params, macs;
    for (std::size_t i = 0; i < m.input_shape.size(); ++i) shape << (i ? "x" : "") << m.input_shape[i];
    params << std::fixed << std::setprecision(2) << static_cast<double>(m.total_params()) / 1e6;
    macs << std::fixed << std::setprecision(2) << static_cast<double>(m.total_macs()) / 1e9;
    rows.push_back({id, m.task, shape.str(), std::to_string(m.units.size()), std::to_string(m.exits.size()),
                    params.str(), macs.str(), m.name});
  }
  print_table(rows);
}

std::string shape_str(const std::vector<std::int64_t>& shape) {
  std::ostringstream os;
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? "x" : "") << shape[i];
  return os.str();
}

void print_model_detail(const traces::Model& m) {
  std::cout << m.name << " (" << m.id << ", " << m.task << "), " << m.units.size() << " units\n";
  std::vector<std::vector<std::string>> rows{
      {"#", "unit", "kind", "MMACs", "params", "kernels", "output", "split bytes"}};
  for (const auto& u : m.units) {
    std::ostringstream mmacs;
    mmacs << std::fixed << std::setprecision(2) << static_cast<double>(u.macs) / 1e6;
    rows.push_back({std::to_string(u.index), u.name, u.kind, mmacs.str(), std::to_string(u.param_count),
                    std::to_string(u.kernel_count), shape_str(u.output_shape),
                    std::to_string(u.boundary_bytes_fp32())});
  }
  print_table(rows, {Align::left, Align::left, Align::left, Align::right, Align::right, Align::right,
                     Align::left, Align::right});
  std::cout << "exits:";
  for (const auto& e : m.exits)
    std::cout << " after " << e.after_unit << " (" << e.head << ", " << e.head_macs << " MACs)";
  std::cout << "\npublished: " << m.published.params << " params, " << m.published.macs << " MACs ("
            << m.published.source << ")\n";
}

std::string roles_str(const policies::PolicyInfo& p) {
  std::string roles;
  for (auto r : p.roles) roles += (roles.empty() ? "" : ",") + std::string(policies::to_string(r));
  return roles;
}

void print_policies(const policies::PolicyRegistry& registry, const std::string& name) {
  if (name.empty()) {
    std::vector<std::vector<std::string>> rows{{"name", "roles", "summary"}};
    for (const auto& p : registry.all()) rows.push_back({p.name, roles_str(p), p.summary});
    print_table(rows);
    std::cout << "parameters: edgetwin list policies NAME; semantics and sources: docs/policies.md\n";
    return;
  }
  const auto& p = registry.get(name);
  std::cout << p.name << " (" << roles_str(p) << "): " << p.summary << "\n";
  if (p.params.empty()) {
    std::cout << "  no parameters\n";
    return;
  }
  std::vector<std::vector<std::string>> rows{{"parameter", "default", "meaning"}};
  for (const auto& param : p.params) rows.push_back({param.name, param.default_json, param.doc});
  print_table(rows, {}, "  ");
}

nlohmann::json policies_json(const policies::PolicyRegistry& registry, const std::string& name) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : registry.all()) {
    if (!name.empty() && p.name != name) continue;
    nlohmann::json roles = nlohmann::json::array();
    for (auto r : p.roles) roles.push_back(policies::to_string(r));
    nlohmann::json params = nlohmann::json::array();
    for (const auto& param : p.params) {
      params.push_back(
          {{"name", param.name}, {"default", nlohmann::json::parse(param.default_json)}, {"doc", param.doc}});
    }
    out.push_back({{"name", p.name}, {"roles", roles}, {"summary", p.summary}, {"params", params}});
  }
  return out;
}

}  // namespace

int run_list(const std::vector<std::string>& args) {
  std::string what, data_dir, id;
  bool as_json = false;
  po::options_description options("list options");
  options.add_options()("what", po::value<std::string>(&what), "boards | models | policies")(
      "id", po::value<std::string>(&id), "show one board, model or policy in detail")(
      "json", po::bool_switch(&as_json), "print the entries as JSON (models and policies)");
  add_data_option(options, data_dir);
  po::positional_options_description positionals;
  positionals.add("what", 1).add("id", 1);
  po::variables_map vm;
  if (!parse_args(args, options, positionals, vm,
                  "edgetwin list boards|models|policies [ID] [--json] [--data DIR]")) {
    return kExitOk;
  }
  if (what != "boards" && what != "models" && what != "policies") {
    throw std::invalid_argument(
        what.empty() ? std::string("list: say what to list: boards, models or policies")
                     : "list: unknown catalog '" + what + "'; allowed: boards, models, policies");
  }
  if (what == "policies") {
    policies::PolicyRegistry registry;
    policies::register_builtin_policies(registry);
    if (!id.empty()) registry.get(id);  // unknown name: the error lists the known ones
    if (as_json)
      std::cout << policies_json(registry, id).dump(1) << "\n";
    else
      print_policies(registry, id);
    return kExitOk;
  }
  const auto catalog = load_catalog_or_throw(data_dir);
  if (what == "boards") {
    if (id.empty())
      print_boards(catalog);
    else
      print_board_detail(catalog.board(id));
    return kExitOk;
  }
  if (as_json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [mid, m] : catalog.models()) {
      if (id.empty() || id == mid) out.push_back(traces::model_to_json(m));
    }
    std::cout << out.dump(1) << "\n";
    return kExitOk;
  }
  if (id.empty())
    print_models(catalog);
  else
    print_model_detail(catalog.model(id));
  return kExitOk;
}

}  // namespace edgetwin::app

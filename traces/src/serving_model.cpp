// Serving-device models (docs/simulation.md, "Serving devices"): instance memory, the ground-truth
// co-runner slowdown, and the measured co-runner slowdown file.

#include "edgetwin/traces/serving_model.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "edgetwin/common/error.hpp"

namespace edgetwin::traces {

double instance_memory_bytes(const Model& model, int batch, double element_bytes, double overhead_bytes) {
  double params = 0, peak = 0;
  for (const auto& u : model.units) {
    params += static_cast<double>(u.param_count);
    peak = std::max(peak, static_cast<double>(u.input_elements + u.output_elements));
  }
  return element_bytes * (params + static_cast<double>(std::max(1, batch)) * peak) + overhead_bytes;
}

double corunner_slowdown(const GpuDemand& self, const std::vector<GpuDemand>& others, double alpha) {
  double compute = self.compute, memory = self.memory, others_memory = 0;
  for (const auto& o : others) {
    compute += o.compute;
    memory += o.memory;
    others_memory += o.memory;
  }
  const double total = self.compute + self.memory;
  const double a = total > 0 ? self.compute / total : 1.0;
  return (a * std::max(1.0, compute) + (1.0 - a) * std::max(1.0, memory)) * (1.0 + alpha * others_memory);
}

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(s);
  while (std::getline(in, field, sep)) out.push_back(field);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

constexpr const char* kHeader = "board,model,batch,corunners,slowdown,source";

}  // namespace

std::string CorunnerTable::key(const std::string& board, const std::string& model, int batch,
                               std::vector<CorunnerEntry> corunners) {
  std::sort(corunners.begin(), corunners.end());
  std::string k = board + "/" + model + "@" + std::to_string(batch) + "|";
  for (const auto& c : corunners) k += c.model + "@" + std::to_string(c.batch) + "+";
  return k;
}

CorunnerTable CorunnerTable::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw common::DataError(path, "", "cannot open the co-runner slowdown file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

CorunnerTable CorunnerTable::parse(const std::string& text, const std::string& path) {
  CorunnerTable table;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const std::string where = "line " + std::to_string(number);
    if (!header) {
      if (line != kHeader) {
        throw common::DataError(path, where, "found header \"" + line + "\", allowed: \"" + kHeader + "\"");
      }
      header = true;
      continue;
    }
    const auto f = split(line, ',');
    if (f.size() != 6) {
      throw common::DataError(path, where,
                              "found " + std::to_string(f.size()) + " fields, allowed: 6 (" + kHeader + ")");
    }
    auto integer = [&](const std::string& s, int column, const std::string& what) {
      std::size_t used = 0;
      int v = 0;
      try {
        v = std::stoi(s, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != s.size() || s.empty() || v < 1) {
        throw common::DataError(path, where + ", column " + std::to_string(column),
                                "found " + what + " \"" + s + "\", allowed: an integer >= 1");
      }
      return v;
    };
    for (int c : {0, 1}) {
      if (f[static_cast<std::size_t>(c)].empty()) {
        throw common::DataError(path, where + ", column " + std::to_string(c + 1),
                                "found an empty field, allowed: a catalog id");
      }
    }
    const int batch = integer(f[2], 3, "batch");
    std::vector<CorunnerEntry> corunners;
    if (!f[3].empty()) {
      for (const auto& e : split(f[3], '+')) {
        const auto at = e.find('@');
        if (at == std::string::npos || at == 0) {
          throw common::DataError(path, where + ", column 4",
                                  "found co-runner \"" + e + "\", allowed: MODEL@BATCH joined by '+'");
        }
        corunners.push_back({e.substr(0, at), integer(e.substr(at + 1), 4, "co-runner batch")});
      }
    }
    double slowdown = 0;
    std::size_t used = 0;
    try {
      slowdown = std::stod(f[4], &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != f[4].size() || f[4].empty() || !(slowdown > 0) || !std::isfinite(slowdown)) {
      throw common::DataError(path, where + ", column 5",
                              "found slowdown \"" + f[4] + "\", allowed: a finite number > 0");
    }
    const std::string k = key(f[0], f[1], batch, corunners);
    if (!table.rows_.emplace(k, slowdown).second) {
      throw common::DataError(path, where,
                              "found a second row for the same board, model, batch and co-runners");
    }
  }
  if (!header)
    throw common::DataError(path, "line 1", std::string("found no header, allowed: \"") + kHeader + "\"");
  return table;
}

std::optional<double> CorunnerTable::find(const std::string& board, const std::string& model, int batch,
                                          std::vector<CorunnerEntry> corunners) const {
  const auto it = rows_.find(key(board, model, batch, std::move(corunners)));
  if (it == rows_.end()) return std::nullopt;
  return it->second;
}

}  // namespace edgetwin::traces

#include "edgetwin/hw/board_id.hpp"

#include <array>
#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>

namespace edgetwin::hw {

namespace {

// Device-tree files are NUL-terminated (and `compatible` is a NUL-separated list).
std::string read_dt_string(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream os;
  os << in.rdbuf();
  std::string text = os.str();
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
  return text;
}

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

struct ModuleEntry {
  const char* prefix;  // module part number or its family prefix
  const char* board_id;
};

// Module ids from jtop's jetson_variables.py (https://github.com/rbonghi/jetson_stats). Longest
// match wins, so exact SKUs precede family prefixes.
constexpr std::array<ModuleEntry, 14> kModules{{
    {"p3448-0000", "nano"},
    {"p3448-0002", "nano"},
    {"p3448-0003", "nano"},
    {"p3310-1000", "tx2"},
    {"p3668-0000", "xavier_nx"},
    {"p3668-0001", "xavier_nx"},
    {"p3668-0003", "xavier_nx"},
    {"p2888", "agx_xavier"},
    {"p3767-0003", "orin_nano"},
    {"p3767-0004", "orin_nano"},
    {"p3767-0005", "orin_nano"},
    {"p3767-0000", "orin_nx"},
    {"p3767-0001", "orin_nx"},
    {"p3701", "agx_orin"},
}};

// Chip ids of tegra_fuse (decimal 33, 24, 25, 35), from nvpmodel_plus.py as collected in
// docs/hil.md ("Board identification").
int read_chip_id(const std::string& base) {
  for (const char* rel : {"sys/module/tegra_fuse/parameters/tegra_chip_id", "sys/devices/soc0/soc_id"}) {
    const std::string text = first_line(base + rel);
    if (text.empty()) continue;
    try {
      std::size_t used = 0;
      const long value = std::stol(text, &used, 0);  // "25" or "0x19"
      if (used == text.size() && value > 0 && value < 0x10000) return static_cast<int>(value);
    } catch (const std::exception&) {
    }
  }
  return 0;
}

}  // namespace

std::string soc_for_chip_id(int chip_id) {
  switch (chip_id) {
    case 0x21:
      return "T210";
    case 0x18:
      return "T186";
    case 0x19:
      return "T194";
    case 0x23:
      return "T234";
    default:
      return "";
  }
}

std::string board_id_for_module(const std::string& module) {
  std::string best;
  std::size_t best_len = 0;
  for (const auto& entry : kModules) {
    const std::string prefix = entry.prefix;
    if (module.compare(0, prefix.size(), prefix) == 0 && prefix.size() > best_len) {
      best = entry.board_id;
      best_len = prefix.size();
    }
  }
  return best;
}

BoardIdentity identify_board(const std::string& root) {
  BoardIdentity id;
  const std::string base = root.empty() || root.back() == '/' ? root : root + "/";
  id.dtsfilename = read_dt_string(base + "proc/device-tree/nvidia,dtsfilename");
  id.l4t_release = first_line(base + "etc/nv_tegra_release");
  // The module number is the first pNNNN-NNNN token of the dts file name (module before carrier),
  // e.g. tegra234-p3701-0000-p3737-0000 -> p3701-0000; fall back to `compatible`.
  static const std::regex module_re("p[0-9]{4}-[0-9]{4}");
  std::smatch match;
  for (const std::string& text : {id.dtsfilename, read_dt_string(base + "proc/device-tree/compatible")}) {
    if (std::regex_search(text, match, module_re)) {
      id.module = match.str();
      break;
    }
  }
  id.board_id = board_id_for_module(id.module);
  id.chip_id = read_chip_id(base);
  id.soc = soc_for_chip_id(id.chip_id);
  return id;
}

std::string l4t_version(const std::string& line) {
  // "# R32 (release), REVISION: 7.4, ..."
  const auto r = line.find('R');
  if (r == std::string::npos) return "";
  std::size_t i = r + 1;
  std::size_t j = i;
  while (j < line.size() && std::isdigit(static_cast<unsigned char>(line[j])) != 0) ++j;
  if (j == i) return "";
  const std::string major = line.substr(i, j - i);
  const std::string key = "REVISION:";
  const auto k = line.find(key, j);
  if (k == std::string::npos) return "";
  std::size_t a = k + key.size();
  while (a < line.size() && line[a] == ' ') ++a;
  std::size_t b = a;
  while (b < line.size() && (std::isdigit(static_cast<unsigned char>(line[b])) != 0 || line[b] == '.')) ++b;
  std::string revision = line.substr(a, b - a);
  while (!revision.empty() && revision.back() == '.') revision.pop_back();
  if (revision.empty() || revision.front() == '.') return "";
  return "R" + major + "." + revision;
}

}  // namespace edgetwin::hw

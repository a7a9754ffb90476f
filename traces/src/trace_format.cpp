#include "edgetwin/traces/trace_format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "edgetwin/common/error.hpp"
#include "edgetwin/common/json_reader.hpp"
#include "edgetwin/common/strings.hpp"

namespace edgetwin::traces {
namespace {

using common::abbreviate;
using common::format_double;
using common::split_commas;

const char* const kMagic = "# edgetwin-trace ";
const char* const kProvenancePrefix = "# provenance: ";
const char* const kHeadPrefix = "head:";  // `unit` cell of an exit-head row: head:<after_unit>
const char* const kMeasured = "measured";
const char* const kSynthetic = "synthetic-calibrated";
const std::vector<std::string>& precisions() {
  static const std::vector<std::string> values = {"fp32", "fp16", "int8"};
  return values;
}

// Required columns, in the order the writer emits them; rail columns follow.
enum Column {
  kUnit,
  kUnitName,
  kBatch,
  kConcurrency,
  kCpuKhz,
  kGpuHz,
  kEmcHz,
  kLatencyMean,
  kLatencyStd,
  kRepeats,
  kPowerTotal,
  kRequiredColumns
};
const char* const kColumnNames[kRequiredColumns] = {
    "unit",   "unit_name",      "batch",         "concurrency", "cpu_khz",      "gpu_hz",
    "emc_hz", "latency_mean_s", "latency_std_s", "repeats",     "power_total_w"};

// A relative tolerance for consistency checks between power columns (they are written with full
// precision, so this only absorbs rounding of the producer's own arithmetic).
constexpr double kPowerTolerance = 1e-6;

template <typename T>
std::string join_abbreviated(const std::vector<T>& values, std::size_t max_items = 16) {
  auto item = [](const T& v) {
    if constexpr (std::is_same_v<T, std::string>) {
      return v;
    } else {
      return std::to_string(v);
    }
  };
  std::string out;
  auto append = [&](std::size_t i) {
    if (!out.empty()) out += ", ";
    out += item(values[i]);
  };
  if (values.size() <= max_items) {
    for (std::size_t i = 0; i < values.size(); ++i) append(i);
    return out;
  }
  const std::size_t half = max_items / 2;
  for (std::size_t i = 0; i < half; ++i) append(i);
  out += ", ...";
  for (std::size_t i = values.size() - half; i < values.size(); ++i) append(i);
  return out + " (" + std::to_string(values.size()) + " values)";
}

// Reads one file line by line and knows where it is, so every error can say so.
class TraceReader {
 public:
  TraceReader(std::istream& in, std::string path, const Catalog& catalog)
      : in_(in), path_(std::move(path)), catalog_(catalog) {}

  TraceFile read();

 private:
  [[noreturn]] void fail(const std::string& where, const std::string& reason) const {
    throw common::DataError(path_, where, reason);
  }
  std::string at_line() const { return "line " + std::to_string(line_no_); }
  std::string at_column(const std::string& column) const { return at_line() + ", column " + column; }
  bool next_line(std::string& line);

  void read_magic();
  void read_provenance();
  void read_columns();
  void read_row(const std::string& line);
  // The `unit` and `unit_name` cells of a head row (`head:K`, the exit's head name).
  void read_head_key(const std::string& unit_cell, const std::string& name_cell, TraceSample& s) const;

  std::int64_t parse_integer(const std::string& cell, const std::string& column) const;
  double parse_number(const std::string& cell, const std::string& column) const;
  void check_in_table(std::int64_t value, const std::vector<std::int64_t>& table, const std::string& column,
                      const char* unit) const;

  std::istream& in_;
  std::string path_;
  const Catalog& catalog_;
  int line_no_ = 0;
  int version_ = kTraceFormatVersion;  // of the file being read
  TraceFile trace_;
  const Board* board_ = nullptr;
  const Model* model_ = nullptr;
  std::vector<std::string> header_;       // column names in file order
  int column_of_[kRequiredColumns] = {};  // file position of each required column
  std::vector<int> rail_columns_;         // file position of each rail in trace_.rails
  int total_rail_ = -1;                   // index in trace_.rails of the board's total rail
  std::unordered_map<std::string, int> first_line_of_key_;
};

bool TraceReader::next_line(std::string& line) {
  if (!std::getline(in_, line)) return false;
  ++line_no_;
  if (!line.empty() && line.back() == '\r') line.pop_back();  // tolerate CRLF files
  return true;
}

TraceFile TraceReader::read() {
  trace_.path = path_;
  read_magic();
  read_provenance();
  read_columns();
  std::string line;
  while (next_line(line)) {
    if (line.empty()) continue;
    read_row(line);
  }
  if (trace_.samples.empty() && trace_.head_samples.empty())
    fail(at_line(), "the file has no samples (no data line after the column header)");
  if (trace_.samples.empty()) fail(at_line(), "the file has head rows but no unit samples");
  return std::move(trace_);
}

void TraceReader::read_magic() {
  std::string line;
  const std::string expected = kMagic + std::to_string(kTraceFormatVersion);
  if (!next_line(line)) fail("line 1", "empty file; expected the first line '" + expected + "'");
  if (line.rfind(kMagic, 0) != 0) {
    fail(at_line(), "expected the format line '" + expected + "', found '" + abbreviate(line) + "'");
  }
  const std::string version = line.substr(std::string(kMagic).size());
  for (int v = kTraceFormatMinVersion; v <= kTraceFormatVersion; ++v) {
    if (version == std::to_string(v)) {
      version_ = v;
      return;
    }
  }
  fail(at_line(), "unsupported trace format version '" + abbreviate(version) +
                      "'; this build reads versions " + std::to_string(kTraceFormatMinVersion) + " to " +
                      std::to_string(kTraceFormatVersion));
}

void TraceReader::read_provenance() {
  std::string line;
  if (!next_line(line) || line.rfind(kProvenancePrefix, 0) != 0) {
    fail("line 2", std::string("expected the provenance line '") + kProvenancePrefix +
                       "{...}' (one JSON object), found '" + abbreviate(line) + "'");
  }
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(line.substr(std::string(kProvenancePrefix).size()));
  } catch (const nlohmann::json::parse_error& e) {
    fail(at_line() + ", provenance", std::string("invalid JSON: ") + e.what());
  }
  // Fields are named "line 2, provenance/date" (the line, then the JSON pointer in the object).
  const common::JsonReader r(json, path_, at_line() + ", provenance");
  auto text = [&r](const char* key) {
    std::string value = r.string(key);
    if (value.empty()) r.fail(key, "must not be empty");
    return value;
  };
  Provenance& p = trace_.provenance;
  p.kind = r.one_of("kind", {kMeasured, kSynthetic});
  const bool measured = p.kind == kMeasured;
  try {
    if (measured) {
      r.require_only({"kind", "board", "model", "runtime", "precision", "notes", "software_stack", "date"});
    } else {
      r.require_only({"kind", "board", "model", "runtime", "precision", "notes", "generator", "calibration"});
    }
  } catch (const common::DataError& e) {
    fail(e.where(), e.reason() + " (for a '" + p.kind + "' trace)");
  }
  p.board = text("board");
  p.model = text("model");
  p.runtime = text("runtime");
  p.precision = r.one_of("precision", precisions());
  p.notes = r.string_or("notes", "");
  const bool runtime_ok = std::all_of(p.runtime.begin(), p.runtime.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
  if (!runtime_ok) {
    r.fail("runtime", "'" + p.runtime + "' must be a lowercase id (a-z, 0-9, '_', '-', '.'), e.g. pytorch");
  }
  if (measured) {
    p.software_stack = text("software_stack");
    p.date = text("date");
    const std::string& d = p.date;
    const bool iso =
        d.size() == 10 && d[4] == '-' && d[7] == '-' &&
        std::all_of(d.begin(), d.end(), [](char c) { return c == '-' || (c >= '0' && c <= '9'); });
    if (!iso) r.fail("date", "'" + d + "' is not an ISO date (YYYY-MM-DD)");
  } else {
    p.generator = text("generator");
    if (!r.has("calibration")) {
      r.fail("calibration", "required field is missing: the public figures the generator was calibrated to");
    }
    p.calibration = r.strings("calibration");
    if (p.calibration.empty()) {
      r.fail("calibration", "found an empty array, allowed: a non-empty array of strings");
    }
    for (std::size_t i = 0; i < p.calibration.size(); ++i) {
      if (p.calibration[i].empty()) r.fail_item("calibration", i, "must not be empty");
    }
  }
  if (!catalog_.has_board(p.board)) {
    r.fail("board",
           "unknown board '" + p.board + "'; known boards: " + join_abbreviated(catalog_.board_ids()));
  }
  if (!catalog_.has_model(p.model)) {
    r.fail("model",
           "unknown model '" + p.model + "'; known models: " + join_abbreviated(catalog_.model_ids()));
  }
  board_ = &catalog_.board(p.board);
  model_ = &catalog_.model(p.model);
}

void TraceReader::read_columns() {
  std::string line;
  if (!next_line(line)) fail("line 3", "missing the column header line");
  header_ = split_commas(line);
  std::fill(std::begin(column_of_), std::end(column_of_), -1);
  std::vector<std::string> board_rails;
  for (const Rail& rail : board_->rails) board_rails.push_back(rail.name);

  for (std::size_t i = 0; i < header_.size(); ++i) {
    const std::string& name = header_[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (header_[j] == name)
        fail(at_column(name), "duplicate column (also column " + std::to_string(j + 1) + ")");
    }
    const auto* known = std::find(std::begin(kColumnNames), std::end(kColumnNames), name);
    if (known != std::end(kColumnNames)) {
      column_of_[known - std::begin(kColumnNames)] = static_cast<int>(i);
      continue;
    }
    const bool rail_like =
        name.size() > 8 && name.rfind("power_", 0) == 0 && name.compare(name.size() - 2, 2, "_w") == 0;
    if (!rail_like) {
      fail(at_column(name),
           "unknown column; allowed: " +
               join_abbreviated(std::vector<std::string>(std::begin(kColumnNames), std::end(kColumnNames))) +
               " and power_<RAIL>_w for the board's rails");
    }
    const std::string rail = name.substr(6, name.size() - 8);
    if (std::find(board_rails.begin(), board_rails.end(), rail) == board_rails.end()) {
      fail(at_column(name),
           "board '" + board_->id + "' has no rail '" + rail + "'; its rails: " +
               (board_rails.empty() ? std::string("(none)") : join_abbreviated(board_rails)));
    }
    if (rail == board_->total_rail) total_rail_ = static_cast<int>(trace_.rails.size());
    trace_.rails.push_back(rail);
    rail_columns_.push_back(static_cast<int>(i));
  }
  for (int c = 0; c < kRequiredColumns; ++c) {
    if (column_of_[c] < 0) fail(at_column(kColumnNames[c]), "required column missing from the header");
  }
}

std::int64_t TraceReader::parse_integer(const std::string& cell, const std::string& column) const {
  std::int64_t value = 0;
  const char* end = cell.data() + cell.size();
  const auto result = std::from_chars(cell.data(), end, value);
  if (cell.empty() || result.ec != std::errc() || result.ptr != end) {
    fail(at_column(column), "'" + abbreviate(cell) + "' is not an integer");
  }
  return value;
}

double TraceReader::parse_number(const std::string& cell, const std::string& column) const {
  double value = 0;
  const char* end = cell.data() + cell.size();
  const auto result = std::from_chars(cell.data(), end, value);
  if (cell.empty() || result.ec != std::errc() || result.ptr != end || !std::isfinite(value)) {
    fail(at_column(column), "'" + abbreviate(cell) + "' is not a finite number");
  }
  return value;
}

void TraceReader::check_in_table(std::int64_t value, const std::vector<std::int64_t>& table,
                                 const std::string& column, const char* unit) const {
  if (!std::binary_search(table.begin(), table.end(), value)) {
    fail(at_column(column), std::to_string(value) + " " + unit + " is not in the " + board_->id +
                                " table; allowed: " + join_abbreviated(table));
  }
}

void TraceReader::read_row(const std::string& line) {
  const std::vector<std::string> cells = split_commas(line);
  if (cells.size() != header_.size()) {
    fail(at_line(), "found " + std::to_string(cells.size()) + " fields, the header has " +
                        std::to_string(header_.size()));
  }
  auto cell = [&](Column c) -> const std::string& { return cells[static_cast<std::size_t>(column_of_[c])]; };
  auto integer_at_least = [&](Column c, std::int64_t min) {
    const std::int64_t v = parse_integer(cell(c), kColumnNames[c]);
    if (v < min || v > std::numeric_limits<int>::max()) {
      fail(at_column(kColumnNames[c]),
           std::to_string(v) + " is out of range; allowed: >= " + std::to_string(min));
    }
    return static_cast<int>(v);
  };
  auto number = [&](Column c, bool zero_ok) {
    const double v = parse_number(cell(c), kColumnNames[c]);
    if (v < 0 || (!zero_ok && v == 0)) {
      fail(at_column(kColumnNames[c]), cell(c) + " is out of range; allowed: " + (zero_ok ? ">= 0" : "> 0"));
    }
    return v;
  };

  TraceSample s;
  const bool head = cell(kUnit).rfind(kHeadPrefix, 0) == 0;
  if (head) {
    read_head_key(cell(kUnit), cell(kUnitName), s);
  } else {
    s.unit = integer_at_least(kUnit, 0);
    if (s.unit >= static_cast<int>(model_->units.size())) {
      fail(at_column("unit"), std::to_string(s.unit) + " is out of range; model '" + model_->id +
                                  "' has units 0.." + std::to_string(model_->units.size() - 1) +
                                  " (exit heads are written head:K)");
    }
    const std::string& expected_name = model_->units[static_cast<std::size_t>(s.unit)].name;
    if (cell(kUnitName) != expected_name) {
      fail(at_column("unit_name"), "'" + abbreviate(cell(kUnitName)) + "' does not match unit " +
                                       std::to_string(s.unit) + " of model '" + model_->id + "', which is '" +
                                       expected_name + "'");
    }
  }
  s.batch = integer_at_least(kBatch, 1);
  s.concurrency = integer_at_least(kConcurrency, 1);
  s.clocks.cpu_khz = parse_integer(cell(kCpuKhz), "cpu_khz");
  check_in_table(s.clocks.cpu_khz, board_->cpu_freqs_khz, "cpu_khz", "kHz");
  s.clocks.gpu_hz = parse_integer(cell(kGpuHz), "gpu_hz");
  check_in_table(s.clocks.gpu_hz, board_->gpu_freqs_hz, "gpu_hz", "Hz");
  s.clocks.emc_hz = parse_integer(cell(kEmcHz), "emc_hz");
  check_in_table(s.clocks.emc_hz, board_->emc_freqs_hz, "emc_hz", "Hz");
  s.latency_mean_s = number(kLatencyMean, false);
  s.latency_std_s = number(kLatencyStd, true);
  s.repeats = integer_at_least(kRepeats, 1);
  s.power_total_w = number(kPowerTotal, false);

  s.rail_power_w.reserve(rail_columns_.size());
  for (std::size_t r = 0; r < rail_columns_.size(); ++r) {
    const std::string& text = cells[static_cast<std::size_t>(rail_columns_[r])];
    const std::string& column = header_[static_cast<std::size_t>(rail_columns_[r])];
    if (text.empty()) {
      s.rail_power_w.push_back(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    const double w = parse_number(text, column);
    if (w < 0) fail(at_column(column), text + " is out of range; allowed: >= 0 (or empty when unknown)");
    if (static_cast<int>(r) == total_rail_ &&
        std::abs(w - s.power_total_w) > kPowerTolerance * s.power_total_w) {
      fail(at_column(column), text + " W differs from power_total_w " + cell(kPowerTotal) + " W, but " +
                                  board_->total_rail + " is the board's whole-module rail");
    }
    if (w > s.power_total_w * (1 + kPowerTolerance)) {
      fail(at_column(column), text + " W exceeds power_total_w " + cell(kPowerTotal) +
                                  " W; a rail cannot draw more than the whole module");
    }
    s.rail_power_w.push_back(w);
  }

  // From the parsed values, so that "01" and "1" are the same key; a head is keyed by its exit.
  std::string key = head ? std::string(kHeadPrefix) + std::to_string(s.unit) + " " +
                               model_->exits[static_cast<std::size_t>(s.exit)].head + ","
                         : std::to_string(s.unit) + ",";
  for (const std::int64_t v : {std::int64_t{s.batch}, std::int64_t{s.concurrency}, s.clocks.cpu_khz,
                               s.clocks.gpu_hz, s.clocks.emc_hz}) {
    key += std::to_string(v) + ",";
  }
  const auto [it, inserted] = first_line_of_key_.emplace(key, line_no_);
  if (!inserted) {
    fail(at_column("unit"), "duplicate sample key (unit, batch, concurrency, cpu_khz, gpu_hz, emc_hz) = (" +
                                key.substr(0, key.size() - 1) + "), first on line " +
                                std::to_string(it->second));
  }
  (head ? trace_.head_samples : trace_.samples).push_back(std::move(s));
}

void TraceReader::read_head_key(const std::string& unit_cell, const std::string& name_cell,
                                TraceSample& s) const {
  if (version_ < 2) {
    fail(at_column("unit"),
         "'" + abbreviate(unit_cell) +
             "' is an exit-head row, which needs trace format version 2; line 1 says version " +
             std::to_string(version_));
  }
  std::vector<std::string> exit_points;  // "head:K name" of every exit, for messages
  for (const ExitPoint& e : model_->exits) {
    exit_points.push_back(kHeadPrefix + std::to_string(e.after_unit) + " (" + e.head + ")");
  }
  const std::string allowed = exit_points.empty()
                                  ? std::string("none: model '") + model_->id + "' has no exit points"
                                  : join_abbreviated(exit_points);
  const std::string number = unit_cell.substr(std::string(kHeadPrefix).size());
  int after = 0;
  const char* end = number.data() + number.size();
  const auto parsed = std::from_chars(number.data(), end, after);
  if (number.empty() || parsed.ec != std::errc() || parsed.ptr != end) {
    fail(at_column("unit"),
         "'" + abbreviate(unit_cell) + "' is not head:K with K an integer; allowed: " + allowed);
  }
  std::vector<std::string> names;  // head names of the exits after unit `after`
  for (std::size_t i = 0; i < model_->exits.size(); ++i) {
    const ExitPoint& e = model_->exits[i];
    if (e.after_unit != after) continue;
    names.push_back("'" + e.head + "'");
    if (e.head == name_cell && s.exit < 0) s.exit = static_cast<int>(i);
  }
  if (names.empty()) {
    fail(at_column("unit"), "model '" + model_->id + "' has no exit after unit " + std::to_string(after) +
                                "; allowed: " + allowed);
  }
  if (s.exit < 0) {
    fail(at_column("unit_name"), "'" + abbreviate(name_cell) + "' does not match the exit head after unit " +
                                     std::to_string(after) + " of model '" + model_->id + "', which is " +
                                     join_abbreviated(names));
  }
  s.unit = after;
}

void write_provenance(const Provenance& p, std::ostream& out) {
  nlohmann::ordered_json json;
  json["kind"] = p.kind;
  json["board"] = p.board;
  json["model"] = p.model;
  json["runtime"] = p.runtime;
  json["precision"] = p.precision;
  const bool measured = p.kind == kMeasured;
  if (measured && (!p.generator.empty() || !p.calibration.empty())) {
    throw std::invalid_argument("write_trace: a measured trace cannot carry generator/calibration");
  }
  if (!measured && (!p.software_stack.empty() || !p.date.empty())) {
    throw std::invalid_argument("write_trace: a synthetic trace cannot carry software_stack/date");
  }
  if (measured) {
    json["software_stack"] = p.software_stack;
    json["date"] = p.date;
  } else {
    json["generator"] = p.generator;
    json["calibration"] = p.calibration;
  }
  if (!p.notes.empty()) json["notes"] = p.notes;
  out << kProvenancePrefix << json.dump() << '\n';
}

}  // namespace

TraceFile parse_trace(std::istream& in, const std::string& path, const Catalog& catalog) {
  return TraceReader(in, path, catalog).read();
}

TraceFile read_trace_file(const std::string& path, const Catalog& catalog) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw common::DataError(path, "", "cannot open the file for reading");
  return parse_trace(in, path, catalog);
}

void write_trace(const TraceFile& trace, std::ostream& out, const Catalog& catalog) {
  std::ostringstream text;
  // The lowest version that carries the content: a trace without heads stays readable by
  // builds that read only version 1.
  text << kMagic << (trace.head_samples.empty() ? 1 : kTraceFormatVersion) << '\n';
  write_provenance(trace.provenance, text);
  const Model& model = catalog.model(trace.provenance.model);
  for (int c = 0; c < kRequiredColumns; ++c) text << (c ? "," : "") << kColumnNames[c];
  for (const std::string& rail : trace.rails) text << ",power_" << rail << "_w";
  text << '\n';
  auto write_row = [&](const TraceSample& s, const std::string& unit, const std::string& name) {
    if (s.rail_power_w.size() != trace.rails.size()) {
      throw std::invalid_argument("write_trace: a sample has " + std::to_string(s.rail_power_w.size()) +
                                  " rail values for " + std::to_string(trace.rails.size()) + " rails");
    }
    if (name.find_first_of(",\"\n\r") != std::string::npos) {
      throw std::invalid_argument("write_trace: unit name '" + name +
                                  "' holds a character the CSV format cannot carry");
    }
    text << unit << ',' << name << ',' << s.batch << ',' << s.concurrency << ',' << s.clocks.cpu_khz << ','
         << s.clocks.gpu_hz << ',' << s.clocks.emc_hz << ',' << format_double(s.latency_mean_s) << ','
         << format_double(s.latency_std_s) << ',' << s.repeats << ',' << format_double(s.power_total_w);
    for (const double w : s.rail_power_w) text << ',' << format_double(w);
    text << '\n';
  };
  for (const TraceSample& s : trace.samples) {
    if (s.unit < 0 || s.unit >= static_cast<int>(model.units.size())) {
      throw std::invalid_argument("write_trace: unit " + std::to_string(s.unit) + " is not a unit of " +
                                  model.id);
    }
    write_row(s, std::to_string(s.unit), model.units[static_cast<std::size_t>(s.unit)].name);
  }
  for (const TraceSample& s : trace.head_samples) {
    if (s.exit < 0 || s.exit >= static_cast<int>(model.exits.size()) ||
        model.exits[static_cast<std::size_t>(s.exit)].after_unit != s.unit) {
      throw std::invalid_argument("write_trace: head sample (exit " + std::to_string(s.exit) +
                                  ", after unit " + std::to_string(s.unit) + ") is not an exit of " +
                                  model.id);
    }
    write_row(s, kHeadPrefix + std::to_string(s.unit), model.exits[static_cast<std::size_t>(s.exit)].head);
  }
  // Validate with the reader before writing anything: we never produce a file we would reject.
  const std::string result = text.str();
  std::istringstream check(result);
  parse_trace(check, "<written trace>", catalog);
  out << result;
}

void write_trace_file(const TraceFile& trace, const std::string& path, const Catalog& catalog) {
  std::ostringstream text;
  write_trace(trace, text, catalog);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw common::DataError(path, "", "cannot open the file for writing");
  out << text.str();
  if (!out.flush()) throw common::DataError(path, "", "write failed");
}

}  // namespace edgetwin::traces

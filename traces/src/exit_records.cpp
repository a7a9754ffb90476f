// Per-frame exit records: the CSV format (reader, writer) and the SYNTHETIC generator. Every rule
// and formula here is written out in docs/exit_records.md; keep the two in step.
#include "edgetwin/traces/exit_records.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "edgetwin/common/error.hpp"
#include "edgetwin/common/hash.hpp"
#include "edgetwin/common/json_reader.hpp"
#include "edgetwin/common/strings.hpp"

namespace edgetwin::traces {
namespace {

using common::abbreviate;
using common::format_double;
using common::split_commas;

const char* const kMagic = "# edgetwin-exit-records ";
const char* const kProvenancePrefix = "# provenance: ";
const char* const kGeneratorName = "edgetwin-exit-synth 1";

// The required columns for `model`: frame, then (confidence, correct) per exit and the final head.
std::vector<std::string> outcome_columns(const Model& model) {
  std::vector<std::string> columns{"frame"};
  for (std::size_t i = 0; i < model.exits.size(); ++i) {
    columns.push_back("exit" + std::to_string(i) + "_confidence");
    columns.push_back("exit" + std::to_string(i) + "_correct");
  }
  columns.push_back("final_confidence");
  columns.push_back("final_correct");
  return columns;
}

class Reader {
 public:
  Reader(std::istream& in, std::string path, const Model& model)
      : in_(in), path_(std::move(path)), model_(model) {}
  ExitRecordsFile read();

 private:
  [[noreturn]] void fail(const std::string& where, const std::string& reason) const {
    throw common::DataError(path_, where, reason);
  }
  std::string at_line() const { return "line " + std::to_string(line_no_); }
  bool next_line(std::string& line) {
    if (!std::getline(in_, line)) return false;
    ++line_no_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }
  double number(const std::string& cell, const std::string& column) const {
    double value = 0;
    const char* end = cell.data() + cell.size();
    const auto result = std::from_chars(cell.data(), end, value);
    if (cell.empty() || result.ec != std::errc() || result.ptr != end || !std::isfinite(value)) {
      fail(at_line() + ", column " + column, "'" + abbreviate(cell) + "' is not a finite number");
    }
    return value;
  }
  void read_provenance();
  void read_header();
  void read_row(const std::string& line);

  std::istream& in_;
  std::string path_;
  const Model& model_;
  int line_no_ = 0;
  std::vector<std::string> header_;
  ExitRecordsFile file_;
};

ExitRecordsFile Reader::read() {
  file_.path = path_;
  std::string line;
  const std::string expected = kMagic + std::to_string(kExitRecordsFormatVersion);
  if (!next_line(line)) fail("line 1", "empty file; expected the first line '" + expected + "'");
  if (line != expected)
    fail(at_line(), "expected the format line '" + expected + "', found '" + abbreviate(line) + "'");
  read_provenance();
  read_header();
  while (next_line(line)) {
    if (!line.empty()) read_row(line);
  }
  if (file_.records.empty())
    fail(at_line(), "the file has no records (no data line after the column header)");
  return std::move(file_);
}

void Reader::read_provenance() {
  std::string line;
  if (!next_line(line) || line.rfind(kProvenancePrefix, 0) != 0) {
    fail("line 2", std::string("expected the provenance line '") + kProvenancePrefix + "{...}', found '" +
                       abbreviate(line) + "'");
  }
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(line.substr(std::string(kProvenancePrefix).size()));
  } catch (const nlohmann::json::parse_error& e) {
    fail(at_line() + ", provenance", std::string("invalid JSON: ") + e.what());
  }
  const common::JsonReader r(json, path_, at_line() + ", provenance");
  r.require_only({"kind", "model", "dataset_key", "source", "notes"});
  ExitRecordsProvenance& p = file_.provenance;
  p.kind = r.one_of("kind", {"measured", "synthetic"});
  p.model = r.string("model");
  if (p.model != model_.id) r.fail("model", "found \"" + p.model + "\", allowed: \"" + model_.id + "\"");
  p.dataset_key = r.string("dataset_key");
  if (p.dataset_key.empty()) r.fail("dataset_key", "must not be empty");
  p.source = r.string("source");
  if (p.source.empty()) r.fail("source", "must not be empty");
  p.notes = r.string_or("notes", "");
}

void Reader::read_header() {
  std::string line;
  if (!next_line(line)) fail("line 3", "missing the column header line");
  header_ = split_commas(line);
  const std::vector<std::string> required = outcome_columns(model_);
  for (std::size_t i = 0; i < header_.size(); ++i) {
    const std::string expected =
        i < required.size() ? required[i] : "feature" + std::to_string(i - required.size());
    if (header_[i] != expected) {
      fail(at_line() + ", column " + std::to_string(i + 1),
           "found '" + abbreviate(header_[i]) + "', allowed: '" + expected +
               "' (columns: frame, exitK_confidence, " + "exitK_correct for K = 0.." +
               std::to_string(static_cast<int>(model_.exits.size()) - 1) + " (model " + model_.id + "'s " +
               std::to_string(model_.exits.size()) +
               " exits), final_confidence, final_correct, then optional feature0, feature1, ...)");
    }
  }
  if (header_.size() < required.size()) {
    fail(at_line() + ", column " + required[header_.size()], "required column missing from the header");
  }
  file_.feature_count = static_cast<int>(header_.size() - required.size());
}

void Reader::read_row(const std::string& line) {
  const std::vector<std::string> cells = split_commas(line);
  if (cells.size() != header_.size()) {
    fail(at_line(), "found " + std::to_string(cells.size()) + " fields, the header has " +
                        std::to_string(header_.size()));
  }
  const std::string expected_frame = std::to_string(file_.records.size());
  if (cells[0] != expected_frame) {
    fail(at_line() + ", column frame", "found '" + abbreviate(cells[0]) + "', allowed: " + expected_frame +
                                           " (frames are numbered 0, 1, 2, ... in order)");
  }
  ExitRecord record;
  const std::size_t heads = model_.exits.size() + 1;
  record.outcomes.resize(heads);
  for (std::size_t k = 0; k < heads; ++k) {
    const std::string& conf_column = header_[1 + 2 * k];
    const std::string& correct_column = header_[2 + 2 * k];
    const double confidence = number(cells[1 + 2 * k], conf_column);
    if (confidence < 0 || confidence > 1) {
      fail(at_line() + ", column " + conf_column, cells[1 + 2 * k] + " is out of range; allowed: [0, 1]");
    }
    const std::string& correct = cells[2 + 2 * k];
    if (correct != "0" && correct != "1") {
      fail(at_line() + ", column " + correct_column, "found '" + abbreviate(correct) + "', allowed: 0, 1");
    }
    record.outcomes[k] = ExitOutcome{confidence, correct == "1"};
  }
  for (std::size_t f = 1 + 2 * heads; f < cells.size(); ++f) {
    record.features.push_back(static_cast<float>(number(cells[f], header_[f])));
  }
  file_.records.push_back(std::move(record));
}

double logit(double p) {
  const double q = std::clamp(p, 1e-6, 1 - 1e-6);
  return std::log(q / (1 - q));
}

double sigmoid(double x) {
  return 1 / (1 + std::exp(-x));
}

}  // namespace

int outcome_index(const Model& model, int exit_after_unit) {
  const int final_index = static_cast<int>(model.exits.size());
  if (exit_after_unit < 0 || exit_after_unit + 1 >= static_cast<int>(model.units.size())) return final_index;
  for (std::size_t i = 0; i < model.exits.size(); ++i) {
    if (model.exits[i].after_unit == exit_after_unit) return static_cast<int>(i);
  }
  throw std::invalid_argument("model " + model.id + " has no exit after unit " +
                              std::to_string(exit_after_unit));
}

ExitRecordsFile parse_exit_records(std::istream& in, const std::string& path, const Model& model) {
  return Reader(in, path, model).read();
}

ExitRecordsFile read_exit_records_file(const std::string& path, const Model& model) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw common::DataError(path, "", "cannot open the file for reading");
  return parse_exit_records(in, path, model);
}

void write_exit_records(const ExitRecordsFile& file, std::ostream& out, const Model& model) {
  std::ostringstream text;
  text << kMagic << kExitRecordsFormatVersion << '\n';
  nlohmann::ordered_json prov;
  prov["kind"] = file.provenance.kind;
  prov["model"] = file.provenance.model;
  prov["dataset_key"] = file.provenance.dataset_key;
  prov["source"] = file.provenance.source;
  if (!file.provenance.notes.empty()) prov["notes"] = file.provenance.notes;
  text << kProvenancePrefix << prov.dump() << '\n';
  const std::vector<std::string> columns = outcome_columns(model);
  for (std::size_t c = 0; c < columns.size(); ++c) text << (c ? "," : "") << columns[c];
  for (int f = 0; f < file.feature_count; ++f) text << ",feature" << f;
  text << '\n';
  for (std::size_t n = 0; n < file.records.size(); ++n) {
    const ExitRecord& r = file.records[n];
    text << n;
    for (const ExitOutcome& o : r.outcomes)
      text << ',' << format_double(o.confidence) << ',' << (o.correct ? 1 : 0);
    for (const float f : r.features) text << ',' << format_double(static_cast<double>(f));
    text << '\n';
  }
  const std::string result = text.str();
  std::istringstream check(result);
  parse_exit_records(check, "<written exit records>", model);
  out << result;
}

void write_exit_records_file(const ExitRecordsFile& file, const std::string& path, const Model& model) {
  std::ostringstream text;
  write_exit_records(file, text, model);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw common::DataError(path, "", "cannot open the file for writing");
  out << text.str();
  if (!out.flush()) throw common::DataError(path, "", "write failed");
}

ExitRecordGenerator::ExitRecordGenerator(const Model& model, const AccuracyTable& table,
                                         ExitRecordGeneratorParams params)
    : model_(&model), table_(&table), params_(params) {
  const auto check = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("exit record generator: " + what);
  };
  check(params.mean_complexity >= 0 && params.mean_complexity <= 1, "mean_complexity must be in [0, 1]");
  check(params.complexity_sensitivity >= 0 && params.complexity_sensitivity <= 0.5,
        "complexity_sensitivity must be in [0, 0.5]");
  check(params.confidence_separation >= 0, "confidence_separation must be >= 0");
  check(params.confidence_noise >= 0, "confidence_noise must be >= 0");
  check(params.feature_count >= 0 && params.feature_count <= kMaxGeneratedFeatures,
        "feature_count must be in [0, " + std::to_string(kMaxGeneratedFeatures) + "]");
  check(params.feature_noise >= 0, "feature_noise must be >= 0");
  check(table.model == model.id, "the accuracy table is of model " + table.model + ", not " + model.id);
  for (const ExitPoint& x : model.exits) accuracy_.push_back(table.accuracy(model, x.after_unit, false, 1.0));
  accuracy_.push_back(table.accuracy(model, -1, false, 1.0));
}

double ExitRecordGenerator::p_correct(int index, double complexity) const {
  const double a = accuracy_[static_cast<std::size_t>(index)];
  const double c = std::clamp(complexity, 0.0, 1.0);
  // Linear in c with mean a at c = m; s <= 0.5 keeps it in [0, 1] without clamping, so the mean
  // over any complexity distribution of mean m is exactly a, and p rises with a at every c.
  return a + 2 * params_.complexity_sensitivity * a * (1 - a) * (params_.mean_complexity - c);
}

ExitOutcome ExitRecordGenerator::outcome(double complexity, std::uint64_t sequence, int index) const {
  if (index < 0 || index >= static_cast<int>(accuracy_.size())) {
    throw std::invalid_argument("exit record generator: head index " + std::to_string(index) +
                                " out of range 0.." + std::to_string(accuracy_.size() - 1));
  }
  const std::uint64_t frame = common::hash_combine(params_.seed, sequence);
  const double u = common::uniform01(frame);  // shared by every head: nested correctness
  const double v = common::uniform01(common::hash_combine(frame, static_cast<std::uint64_t>(index) + 1));
  const double p = p_correct(index, complexity);
  ExitOutcome o;
  o.correct = u < p;
  const double noise = std::log((v + 0.5e-16) / (1 - v + 0.5e-16));  // logistic(0, 1)
  o.confidence = sigmoid(logit(p) + params_.confidence_separation * (o.correct ? 1 : -1) +
                         params_.confidence_noise * noise);
  return o;
}

std::vector<float> ExitRecordGenerator::features(double complexity, std::uint64_t sequence) const {
  std::vector<float> f;
  if (params_.feature_count == 0) return f;
  constexpr double kPi = 3.14159265358979323846;
  constexpr double kLogisticToUnit = 1.7;  // a logistic(0, 1) draw has standard deviation 1.81
  const std::uint64_t frame = common::hash_combine(params_.seed, sequence);
  const double u = common::uniform01(frame);  // the same uniform that decides correctness
  const double difficulty = logit(std::clamp(u, 1e-12, 1 - 1e-12)) / kLogisticToUnit;
  const double deviation = (std::clamp(complexity, 0.0, 1.0) - params_.mean_complexity) / 0.2;
  f.reserve(static_cast<std::size_t>(params_.feature_count));
  for (int j = 0; j < params_.feature_count; ++j) {
    const auto jj = static_cast<std::uint64_t>(j);
    // The directions are the same for every seed: a property of the network's features, not of
    // the video (a cascade trained on one set of videos applies to another).
    const double theta = kPi * common::uniform01(common::hash_combine(0x66656174ULL, jj));
    const double v = common::uniform01(common::hash_combine(frame, 0x10000ULL + jj));
    const double noise = std::log((v + 0.5e-16) / (1 - v + 0.5e-16)) / kLogisticToUnit;
    f.push_back(static_cast<float>(std::cos(theta) * deviation + std::sin(theta) * difficulty +
                                   params_.feature_noise * noise));
  }
  return f;
}

ExitRecord ExitRecordGenerator::generate(double complexity, std::uint64_t sequence) const {
  ExitRecord r;
  for (int k = 0; k < static_cast<int>(accuracy_.size()); ++k)
    r.outcomes.push_back(outcome(complexity, sequence, k));
  r.features = features(complexity, sequence);
  return r;
}

std::string ExitRecordGenerator::describe() const {
  std::ostringstream os;
  os << kGeneratorName << " (SYNTHETIC, docs/exit_records.md): table " << table_->file << ", mean_complexity "
     << params_.mean_complexity << ", complexity_sensitivity " << params_.complexity_sensitivity
     << ", confidence_separation " << params_.confidence_separation << ", confidence_noise "
     << params_.confidence_noise << ", seed " << params_.seed;
  if (params_.feature_count > 0)
    os << ", features " << params_.feature_count << ", feature_noise " << params_.feature_noise;
  return os.str();
}

ExitRecordSource::ExitRecordSource(ExitRecordsFile file, const Model& model)
    : model_(&model), from_file_(true), file_(std::move(file)) {
  if (file_.records.empty()) throw std::invalid_argument("exit records: the file has no records");
}

ExitRecordSource::ExitRecordSource(ExitRecordGenerator generator)
    : model_(&generator.model()), from_file_(false) {
  generator_.push_back(std::move(generator));
}

std::uint64_t ExitRecordSource::frame_key(int device, std::uint64_t sequence) const {
  return from_file_ ? sequence : common::hash_combine(static_cast<std::uint64_t>(device), sequence);
}

ExitOutcome ExitRecordSource::outcome(std::uint64_t sequence, double complexity, int exit_after_unit) const {
  const int index = outcome_index(*model_, exit_after_unit);
  if (!from_file_) return generator_.front().outcome(complexity, sequence, index);
  const ExitRecord& r = file_.records[static_cast<std::size_t>(sequence % file_.records.size())];
  return r.outcomes[static_cast<std::size_t>(index)];
}

ExitRecord ExitRecordSource::record(std::uint64_t sequence, double complexity) const {
  if (!from_file_) return generator_.front().generate(complexity, sequence);
  return file_.records[static_cast<std::size_t>(sequence % file_.records.size())];
}

bool ExitRecordSource::has_features() const {
  return from_file_ ? file_.feature_count > 0 : generator_.front().params().feature_count > 0;
}

bool ExitRecordSource::synthetic() const {
  return !from_file_ || file_.provenance.kind == "synthetic";
}

}  // namespace edgetwin::traces

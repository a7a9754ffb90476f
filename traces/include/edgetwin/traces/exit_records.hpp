#pragma once
/// Per-frame exit records: for one frame, at each exit of a model (Model::exits order) and at the
/// final head last, the head's confidence in [0, 1] and whether its answer is correct (0/1),
/// optionally with a feature vector. They come from a file (CSV with a magic line and a
/// provenance line) or from a SYNTHETIC generator driven by the frame's complexity in [0, 1].
/// Format, generator and validation: docs/exit_records.md. Nothing here advances simulated time.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "edgetwin/traces/accuracy.hpp"
#include "edgetwin/traces/model.hpp"

namespace edgetwin::traces {

/// The format version this build reads and writes (first line: `# edgetwin-exit-records 1`).
inline constexpr int kExitRecordsFormatVersion = 1;

/// One head's answer on one frame.
struct ExitOutcome {
  double confidence = 0;  ///< the head's top-class confidence, in [0, 1]
  bool correct = false;   ///< the head's answer is right
};

/// One frame: outcomes per exit (Model::exits order), then the final head's (last).
struct ExitRecord {
  std::vector<ExitOutcome> outcomes;
  std::vector<float> features;  ///< optional per-frame features (empty when the file has none)
};

/// Where a records file comes from.
struct ExitRecordsProvenance {
  std::string kind;         ///< "measured" or "synthetic"
  std::string model;        ///< model id
  std::string dataset_key;  ///< the accuracy table's dataset (AccuracyTable::dataset_key)
  std::string source;       ///< what produced it: a measurement, or the generator and its parameters
  std::string notes;
};

/// A records file: frame n is records[n].
struct ExitRecordsFile {
  ExitRecordsProvenance provenance;
  int feature_count = 0;  ///< features per frame (0 = none)
  std::vector<ExitRecord> records;
  std::string path;  ///< file it was read from ("" if built in memory)
};

/// Index in ExitRecord::outcomes of the head a result from exit `exit_after_unit` used: the first
/// exit of Model::exits after that unit (the one the simulator takes), or the final head
/// (model.exits.size()) for -1 or an exit after the last unit. Throws std::invalid_argument when
/// the model has no exit there.
int outcome_index(const Model& model, int exit_after_unit);

/// Reads and validates a records file against `model` (the provenance's model must be it): every
/// error is a DataError naming the file, the line, the column, what was found and what is allowed.
ExitRecordsFile read_exit_records_file(const std::string& path, const Model& model);
ExitRecordsFile parse_exit_records(std::istream& in, const std::string& path, const Model& model);
/// Writes `file` in the documented format (shortest round-trip numbers; the reader checks the text
/// before anything is written).
void write_exit_records(const ExitRecordsFile& file, std::ostream& out, const Model& model);
void write_exit_records_file(const ExitRecordsFile& file, const std::string& path, const Model& model);

/// Parameters of the synthetic generator (docs/exit_records.md, "The synthetic generator").
struct ExitRecordGeneratorParams {
  /// Mean of the complexity process the records will be drawn at (the video stream's
  /// complexity mean): per-exit correctness averages to the table's accuracy there.
  double mean_complexity = 0.5;
  /// How strongly complexity lowers P(correct), in [0, 0.5] (0 = not at all).
  double complexity_sensitivity = 0.5;
  double confidence_separation = 1.5;  ///< logit gap between correct and wrong answers, >= 0
  double confidence_noise = 0.5;       ///< scale of the logistic noise on the confidence logit, >= 0
  std::uint64_t seed = 1;              ///< with the frame's sequence number, seeds every draw
  /// Features per record, 0..kMaxGeneratedFeatures (0 = none): noisy mixtures of the frame's
  /// complexity and its latent difficulty (docs/exit_records.md, "Features").
  int feature_count = 0;
  double feature_noise = 1.0;  ///< scale of the logistic noise on every feature, >= 0
};

/// Most features the generator makes per record.
inline constexpr int kMaxGeneratedFeatures = 256;

/// SYNTHETIC per-frame exit records from the accuracy table's per-exit accuracy a_k:
/// P(correct at k | c) = a_k + 2 s a_k (1 - a_k) (m - c), one uniform per frame shared by every
/// exit (so a frame correct at an exit is correct at every later exit of higher accuracy), and a
/// confidence correlated with correctness. Deterministic from (seed, sequence, complexity).
class ExitRecordGenerator {
 public:
  /// Throws std::invalid_argument for parameters out of range.
  ExitRecordGenerator(const Model& model, const AccuracyTable& table, ExitRecordGeneratorParams params);

  /// The record of the frame with this sequence number (its stream's frame counter) and
  /// complexity in [0, 1]. Pure: the same arguments give the same record.
  ExitRecord generate(double complexity, std::uint64_t sequence) const;
  /// The outcome at one head (outcome_index) only, without building the whole record.
  ExitOutcome outcome(double complexity, std::uint64_t sequence, int index) const;
  /// The record's features (empty when feature_count is 0): feature j is
  /// cos(theta_j) (c - m) / 0.2 + sin(theta_j) logit(u) / 1.7 + feature_noise x logistic noise / 1.7,
  /// u the frame's correctness uniform and theta_j in [0, pi) fixed per j (the same for every seed).
  std::vector<float> features(double complexity, std::uint64_t sequence) const;
  /// P(correct at head `index` | complexity): the generator's calibrated probability.
  double p_correct(int index, double complexity) const;
  /// Per-head accuracy of the table (exits in Model::exits order, then the final head).
  const std::vector<double>& accuracies() const { return accuracy_; }
  const ExitRecordGeneratorParams& params() const { return params_; }
  const Model& model() const { return *model_; }
  const AccuracyTable& table() const { return *table_; }
  /// "edgetwin-exit-synth 1" and the parameters, for a records file's provenance.
  std::string describe() const;

 private:
  const Model* model_;
  const AccuracyTable* table_;
  ExitRecordGeneratorParams params_;
  std::vector<double> accuracy_;
};

/// Where the simulator gets a stream's exit records: a file, or the generator. One per stream,
/// owned by the simulation; a frame is identified by its stream sequence number and complexity.
class ExitRecordSource {
 public:
  /// From a file read for `model`: frame n gets record n mod (number of records)
  /// (docs/exit_records.md).
  ExitRecordSource(ExitRecordsFile file, const Model& model);
  /// From the SYNTHETIC generator.
  explicit ExitRecordSource(ExitRecordGenerator generator);

  /// The key frame `sequence` of a stream on device `device` is looked up by: for a file the
  /// frame number (every device replays the file from its first record), for the generator a
  /// hash of both (devices of one stream draw independently).
  std::uint64_t frame_key(int device, std::uint64_t sequence) const;
  /// The outcome of the frame with key `key` (frame_key; of `complexity`, used by the generator
  /// only) at the head a result from exit `exit_after_unit` used (-1 = the final head). Cheap,
  /// allocation-free.
  ExitOutcome outcome(std::uint64_t key, double complexity, int exit_after_unit) const;
  /// 1 if that answer is correct, 0 if not.
  int correct(std::uint64_t key, double complexity, int exit_after_unit) const {
    return outcome(key, complexity, exit_after_unit).correct ? 1 : 0;
  }
  /// The whole record of a frame (allocates).
  ExitRecord record(std::uint64_t key, double complexity) const;
  bool synthetic() const;
  /// True when records carry features (a file with feature columns, or a generator with
  /// feature_count > 0).
  bool has_features() const;
  const Model& model() const { return *model_; }

 private:
  const Model* model_;
  bool from_file_;
  ExitRecordsFile file_;
  std::vector<ExitRecordGenerator> generator_;  // one element when !from_file_
};

}  // namespace edgetwin::traces

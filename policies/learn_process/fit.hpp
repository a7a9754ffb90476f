#pragma once
// `edgetwin-learn fit` (behind `edgetwin train --dataset FILE --model SPEC`): a supervised network
// trained from a CSV file, one epoch at a time, with the curve and checkpoints `edgetwin train`
// writes for scenario-trained networks (docs/learning.md, "Supervised networks").

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/learn/supervised.hpp"

namespace edgetwin::learn_app {

/// A CSV dataset and the model spec that reads it. The spec is a supervised learner spec
/// (learn::supervised_config_from_json) plus: "name" (the network's name), "features" (input
/// columns; default every column that is not a target), "label" (classification: the class index
/// column) or "targets" (regression: the target columns). inputs and outputs follow from the
/// columns and labels unless given (and must then agree).
struct CsvDataset {
  std::vector<std::string> features;
  std::vector<std::string> targets;  ///< {label} for classification
  learn::Dataset data;
  nlohmann::json spec;  ///< the learner spec, completed (kind, task, inputs, outputs)
  std::string name;
};

/// Reads `csv` with the columns `spec` names; every error names the file (and line, column) and
/// what is allowed (common::DataError), or the spec field (learn::ConfigError).
CsvDataset read_csv_dataset(const std::string& csv, const nlohmann::json& spec, const std::string& spec_file);

struct FitOptions {
  std::string dataset;  ///< CSV file
  std::string model;    ///< JSON spec file
  std::string out;
  int epochs = -1;         ///< < 0: the spec's epochs
  std::uint64_t seed = 0;  ///< 0: the spec's seed
  std::string resume;      ///< a checkpoint or a training folder ("" = fresh)
  bool quiet = false;
};

/// Runs the fit; returns the process exit code.
int fit(const FitOptions& options);

}  // namespace edgetwin::learn_app

#pragma once
/// Accuracy tables (per model and dataset): the accuracy of the final head, of each early exit and
/// under partial offloading of a split feature map. Format and provenance: docs/accuracy.md.

#include <map>
#include <string>
#include <vector>

#include "edgetwin/traces/model.hpp"

namespace edgetwin::traces {

/// accuracy(d) = full x (1 - max_relative_loss x (1 - d)^exponent), d in [0, 1]: a loss that
/// shrinks as d grows (d = depth share of an exit, or share of a feature map sent).
struct LossCurve {
  double max_relative_loss = 0;
  double exponent = 1;
  bool synthetic = true;  ///< a reconstruction, not fitted to a measured figure
  std::string source;
  double factor(double d) const;  ///< 1 - max_relative_loss x (1 - clamp(d))^exponent
};

/// A published figure an exit curve was calibrated to: at `compute_share` of the full compute, an
/// early-exit system kept `relative_accuracy` of its full accuracy.
struct CalibrationPoint {
  double compute_share = 0;
  double relative_accuracy = 0;
};

struct AccuracyTable {
  std::string model;
  std::string dataset_key;    ///< lowercase id a workload selects it by, e.g. "imagenet1k_val"
  std::string dataset;        ///< e.g. "ImageNet-1k val"
  std::string metric;         ///< "top1" or "map50_95"
  double final_accuracy = 0;  ///< the model's own head, in [0, 1]
  std::string final_source;
  LossCurve exit_curve;         ///< exits without an explicit value: d = MACs share before the head
  std::map<int, double> exits;  ///< explicit accuracy per exit (after_unit), overriding the curve
  LossCurve offload;            ///< d = share of the split feature map sent to the cloud
  /// Optional: the figures `exit_curve` was fitted to, and where they come from.
  std::vector<CalibrationPoint> calibration;
  std::string calibration_source;
  std::string file;

  /// Expected accuracy of a result from exit `exit_after_unit` (-1 = the final head) of `model`,
  /// when `offloaded` with `offload_share` of the split feature map sent.
  double accuracy(const Model& model, int exit_after_unit, bool offloaded, double offload_share) const;
};

/// Reads and validates one accuracy file against the model catalog entry `model`; throws
/// DataError naming the file, the field, what was found and what is allowed. The file is
/// `<model>.json` (the model's default table) or `<model>.<dataset_key>.json`.
AccuracyTable load_accuracy_file(const std::string& path, const Model& model);

}  // namespace edgetwin::traces

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

/// Accuracy under DVFO's channel split (docs/accuracy.md, "Channel split"): a share of the split
/// feature map's channels is quantised and offloaded, the rest stays on the device, and the two
/// results are fused. SYNTHETIC generative model unless `points` hold measured values:
///   offloaded importance M = share^attention_concentration (attention-ranked: the least
///   important channels go) or share (random channels);
///   relative loss = M x quantisation_loss_8bit x 2^(8 - bits) + 4 x split_loss x M x (1 - M).
struct ChannelSplitAccuracy {
  bool present = false;  ///< the table has a "channel_split" section
  double attention_concentration = 3;
  double quantisation_loss_8bit = 0.01;
  double split_loss = 0.02;
  bool synthetic = true;
  std::string source;
  /// Measured values of the final head (same format as the curve's answers): they override it.
  struct Point {
    double share = 0;
    int bits = 8;
    bool attention = true;
    double accuracy = 0;
  };
  std::vector<Point> points;
  double offloaded_importance(double share, bool attention) const;
  double relative_loss(double share, int bits, bool attention) const;  ///< in [0, 1]
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
  LossCurve exit_curve;                ///< exits without an explicit value: d = MACs share before the head
  std::map<int, double> exits;         ///< explicit accuracy per exit (after_unit), overriding the curve
  LossCurve offload;                   ///< d = share of the split feature map sent to the cloud
  ChannelSplitAccuracy channel_split;  ///< DVFO's channel split (optional section)
  /// Optional: the figures `exit_curve` was fitted to, and where they come from.
  std::vector<CalibrationPoint> calibration;
  std::string calibration_source;
  std::string file;

  /// Expected accuracy of a result from exit `exit_after_unit` (-1 = the final head) of `model`,
  /// when `offloaded` with `offload_share` of the split feature map sent.
  double accuracy(const Model& model, int exit_after_unit, bool offloaded, double offload_share) const;
  /// Expected accuracy under a channel split with `share` of the channels offloaded at `bits`,
  /// attention-ranked or random; NaN when the table has no channel_split section.
  double split_accuracy(const Model& model, int exit_after_unit, double share, int bits,
                        bool attention) const;
};

/// Reads and validates one accuracy file against the model catalog entry `model`; throws
/// DataError naming the file, the field, what was found and what is allowed. The file is
/// `<model>.json` (the model's default table) or `<model>.<dataset_key>.json`.
AccuracyTable load_accuracy_file(const std::string& path, const Model& model);

}  // namespace edgetwin::traces

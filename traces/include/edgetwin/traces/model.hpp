#pragma once
/// Model catalog entries: per-unit structure of real DNN architectures, as read from
/// traces/data/models/<id>.json. The files are produced by `edgetwin models build`, which builds
/// each architecture with libtorch and runs a dummy forward pass (see traces/zoo).

#include <cstdint>
#include <string>
#include <vector>

namespace edgetwin::traces {

/// One unit: the block at which clocks can change, an exit can be taken, or the model can be
/// split. Activation sizes are for batch 1 at the model's precision-independent element count;
/// bytes are FP32 (4 bytes per element).
struct Unit {
  int index = 0;
  std::string name;  ///< e.g. "layer3.2", "features.7", "encoder.block5"
  std::string
      kind;  ///< e.g. "stem", "bottleneck", "inverted_residual", "conv", "fc", "encoder_block", "head"
  std::int64_t macs = 0;  ///< multiply-accumulates of conv/linear/matmul ops, batch 1
  std::int64_t param_count = 0;
  std::int64_t kernel_count = 0;          ///< framework ops launched (conv, bn, act, add, ...), batch 1
  std::vector<std::int64_t> input_shape;  ///< batch 1, e.g. {1, 64, 56, 56}
  std::vector<std::int64_t> output_shape;
  std::int64_t input_elements = 0;  ///< all tensors the unit reads from earlier units
  std::int64_t output_elements = 0;
  /// Elements of every tensor alive across the boundary after this unit (what a split here must
  /// transfer). Equals output_elements for chain-structured models.
  std::int64_t boundary_elements = 0;

  std::int64_t flops() const { return 2 * macs; }
  std::int64_t param_bytes_fp32() const { return 4 * param_count; }
  std::int64_t output_bytes_fp32() const { return 4 * output_elements; }
  std::int64_t boundary_bytes_fp32() const { return 4 * boundary_elements; }
};

/// A candidate early exit after a unit, with the cost of its exit head.
struct ExitPoint {
  int after_unit = 0;  ///< index of the last unit that runs before the head
  std::string head;    ///< e.g. "gap_fc" (global average pool + linear)
  std::int64_t head_macs = 0;
  std::int64_t head_param_count = 0;
};

/// Published reference figures the catalog is checked against.
struct PublishedFigures {
  double params = 0;  ///< parameter count
  double macs = 0;    ///< multiply-accumulates at the catalog input size
  std::string source;
};

struct Model {
  std::string id;                         ///< catalog key, e.g. "resnet50"
  std::string name;                       ///< e.g. "ResNet-50"
  std::string task;                       ///< "classification" or "detection"
  std::vector<std::int64_t> input_shape;  ///< batch 1, e.g. {1, 3, 224, 224}
  int num_classes = 0;
  std::vector<Unit> units;
  std::vector<ExitPoint> exits;  ///< candidate early exits (the final head is not listed)
  PublishedFigures published;
  std::string provenance;  ///< how the file was produced (tool, libtorch version)

  std::int64_t total_macs() const;
  std::int64_t total_params() const;
  /// Index of the unit named `unit_name`, or -1.
  int unit_index(const std::string& unit_name) const;
};

}  // namespace edgetwin::traces

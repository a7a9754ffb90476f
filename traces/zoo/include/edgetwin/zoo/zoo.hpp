#pragma once
/// The model zoo: an explicit registry of the built-in architectures and the extraction of a
/// catalog entry (traces::Model) from a dummy forward pass. Used by `edgetwin models build|check`
/// and by the zoo tests; the hardware executor uses build_network() to run real units.

#include <string>
#include <vector>

#include "edgetwin/traces/model.hpp"
#include "edgetwin/zoo/zoo_model.hpp"

namespace edgetwin::zoo {

/// A built-in model: catalog id and its builder.
struct ZooEntry {
  const char* id;
  ZooNetwork (*build)();
};

/// Every built-in model, in catalog order (explicit list; no static registration).
std::vector<ZooEntry> builtin_models();
/// Ids of builtin_models().
std::vector<std::string> model_ids();

/// Builds model `id` with deterministic random weights (torch::manual_seed(0)), in eval mode.
/// Throws std::invalid_argument listing the known ids when `id` is unknown.
ZooNetwork build_network(const std::string& id);

/// Runs a batch-1 dummy input through `net` unit by unit (no grad, CPU, float32) and returns the
/// catalog entry: per-unit MACs, params, kernels, shapes, boundary elements, exits.
traces::Model extract(ZooNetwork& net);
/// build_network(id) then extract().
traces::Model extract(const std::string& id);

/// The head of catalog exit `exit` of `net` (random weights, eval mode): GAP + Linear or
/// LayerNorm + Linear by the network's exit rule, or the architecture's own extra exit.
/// `unit_output` is the output of the exit's unit (it gives the head's input width). Used by the
/// board executor (hw/executor) to run exit heads.
std::shared_ptr<UnitModule> make_exit_head(const ZooNetwork& net, const traces::ExitPoint& exit,
                                           const torch::Tensor& unit_output);

/// The provenance string written into every extracted model (tool and libtorch version).
std::string provenance();

}  // namespace edgetwin::zoo

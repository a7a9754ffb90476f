#pragma once
// Internal: checkpoint files. Tensor files are written with torch's serialize archives; every
// file's size and FNV-1a 64 hash go into manifest.json so that load() can tell a missing,
// truncated or corrupted file apart and name it before libtorch ever parses it.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "edgetwin/learn/mlp_spec.hpp"

namespace edgetwin::learn::detail {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

std::string join_path(const std::string& dir, const std::string& name);
/// Creates `dir` (and parents); throws std::runtime_error naming it on failure.
void make_checkpoint_dir(const std::string& dir);

/// Writes `tensors` (detached copies) to dir/name and records {"bytes", "fnv1a64"} under
/// manifest["files"][name].
void write_tensors(const std::string& dir, const std::string& name, const NamedTensors& tensors,
                   nlohmann::json& manifest);
/// Records {"bytes", "fnv1a64"} of an existing dir/name under manifest["files"][name].
void record_file(const std::string& dir, const std::string& name, nlohmann::json& manifest);

/// Checks that dir/name exists and matches its manifest record (size, then hash); throws
/// CheckpointError naming the file otherwise.
void verify_file(const std::string& dir, const std::string& name, const nlohmann::json& manifest);
/// Reads tensor `names` from dir/name (verified first). Each must exist with the shape of the
/// corresponding `like` tensor, else CheckpointError naming file, tensor, found and expected shape.
std::vector<torch::Tensor> read_tensors(const std::string& dir, const std::string& name,
                                        const nlohmann::json& manifest, const std::vector<std::string>& names,
                                        const std::vector<torch::Tensor>& like);
/// Reads tensors of any shape (for the replay buffer and the normaliser).
std::vector<torch::Tensor> read_tensors_any_shape(const std::string& dir, const std::string& name,
                                                  const nlohmann::json& manifest,
                                                  const std::vector<std::string>& names);

/// The manifest skeleton: format, version, kind, dims, torch version, user object.
nlohmann::json manifest_header(const std::string& kind, int state_dim, int action_count,
                               const nlohmann::json& user);
/// Writes dir/manifest.json (last, so a checkpoint without manifest is visibly incomplete).
void write_manifest(const std::string& dir, const nlohmann::json& manifest);
/// Reads dir/manifest.json and checks format, version, kind, state_dim and action_count.
nlohmann::json read_and_check_manifest(const std::string& dir, const std::string& kind, int state_dim,
                                       int action_count);
/// manifest[pointer] must equal `expected` (a network spec); else CheckpointError with the first
/// differing field, found vs expected.
void check_network(const std::string& dir, const nlohmann::json& manifest, const std::string& pointer,
                   const MlpSpec& expected);
/// manifest[pointer], or CheckpointError naming the missing field.
const nlohmann::json& field(const std::string& dir, const nlohmann::json& manifest,
                            const std::string& pointer);

std::vector<float> to_floats(const torch::Tensor& t);
std::vector<double> to_doubles(const torch::Tensor& t);
std::vector<std::int64_t> to_int64s(const torch::Tensor& t);
torch::Tensor from_floats(const std::vector<float>& v);
torch::Tensor from_doubles(const std::vector<double>& v);
torch::Tensor from_int64s(const std::vector<std::int64_t>& v);

}  // namespace edgetwin::learn::detail

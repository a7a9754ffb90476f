// Checkpoint files: tensor archives, file records, manifest checks.

#include "checkpoint_io.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <torch/serialize.h>
#include <torch/torch.h>

#include "edgetwin/common/hash.hpp"
#include "edgetwin/learn/error.hpp"
#include "edgetwin/learn/learner.hpp"

namespace edgetwin::learn::detail {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormatName = "edgetwin-learner";

// The checksum of a checkpoint file: FNV-1a from the basis the format was defined with.
std::string fnv1a64(const std::string& bytes) {
  return common::hex16(common::fnv1a64(bytes, common::kTruncatedFnvBasis));
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string shape_text(const torch::Tensor& t) {
  std::string s = "[";
  for (std::int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}

}  // namespace

std::string join_path(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

void make_checkpoint_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw std::runtime_error(dir + ": cannot create checkpoint directory: " + ec.message());
  }
}

void record_file(const std::string& dir, const std::string& name, nlohmann::json& manifest) {
  const std::string bytes = read_bytes(join_path(dir, name));
  manifest["files"][name] = {{"bytes", bytes.size()}, {"fnv1a64", fnv1a64(bytes)}};
}

void write_tensors(const std::string& dir, const std::string& name, const NamedTensors& tensors,
                   nlohmann::json& manifest) {
  torch::serialize::OutputArchive archive;
  for (const auto& [key, tensor] : tensors) archive.write(key, tensor.detach().clone(), /*is_buffer=*/true);
  const std::string path = join_path(dir, name);
  try {
    archive.save_to(path);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": cannot write tensor file: " + e.what_without_backtrace());
  }
  record_file(dir, name, manifest);
}

const nlohmann::json& field(const std::string& dir, const nlohmann::json& manifest,
                            const std::string& pointer) {
  const nlohmann::json::json_pointer ptr(pointer);
  if (!manifest.contains(ptr)) {
    throw CheckpointError(join_path(dir, "manifest.json"), pointer, "missing field");
  }
  return manifest.at(ptr);
}

void verify_file(const std::string& dir, const std::string& name, const nlohmann::json& manifest) {
  const std::string path = join_path(dir, name);
  const auto& record = field(dir, manifest, "/files/" + name);
  if (!fs::is_regular_file(path)) {
    throw CheckpointError(path, "", "missing file (listed in manifest.json /files/" + name + ")");
  }
  const std::string bytes = read_bytes(path);
  const auto expected_bytes = record.at("bytes").get<std::uint64_t>();
  if (bytes.size() != expected_bytes) {
    throw CheckpointError(path, "",
                          std::string(bytes.size() < expected_bytes ? "truncated" : "wrong size") +
                              ": found " + std::to_string(bytes.size()) + " bytes, expected " +
                              std::to_string(expected_bytes) + " (manifest.json /files/" + name + ")");
  }
  const std::string hash = fnv1a64(bytes);
  const auto expected_hash = record.at("fnv1a64").get<std::string>();
  if (hash != expected_hash) {
    throw CheckpointError(path, "",
                          "corrupted: content hash (FNV-1a 64) found " + hash + ", expected " +
                              expected_hash + " (manifest.json /files/" + name + ")");
  }
}

namespace {
torch::serialize::InputArchive open_archive(const std::string& dir, const std::string& name,
                                            const nlohmann::json& manifest) {
  verify_file(dir, name, manifest);
  const std::string path = join_path(dir, name);
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw CheckpointError(path, "", std::string("unreadable tensor file: ") + e.what_without_backtrace());
  }
  return archive;
}
}  // namespace

std::vector<torch::Tensor> read_tensors_any_shape(const std::string& dir, const std::string& name,
                                                  const nlohmann::json& manifest,
                                                  const std::vector<std::string>& names) {
  auto archive = open_archive(dir, name, manifest);
  std::vector<torch::Tensor> out;
  for (const auto& key : names) {
    torch::Tensor t;
    bool found = false;
    try {
      found = archive.try_read(key, t, /*is_buffer=*/true);
    } catch (const c10::Error& e) {
      throw CheckpointError(join_path(dir, name), key,
                            std::string("unreadable tensor: ") + e.what_without_backtrace());
    }
    if (!found) throw CheckpointError(join_path(dir, name), key, "missing tensor");
    out.push_back(t);
  }
  return out;
}

std::vector<torch::Tensor> read_tensors(const std::string& dir, const std::string& name,
                                        const nlohmann::json& manifest, const std::vector<std::string>& names,
                                        const std::vector<torch::Tensor>& like) {
  auto out = read_tensors_any_shape(dir, name, manifest, names);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i].sizes() != like[i].sizes() || out[i].scalar_type() != like[i].scalar_type()) {
      throw CheckpointError(
          join_path(dir, name), names[i],
          "found shape " + shape_text(out[i]) + " " + std::string(c10::toString(out[i].scalar_type())) +
              ", expected " + shape_text(like[i]) + " " + std::string(c10::toString(like[i].scalar_type())));
    }
  }
  return out;
}

nlohmann::json manifest_header(const std::string& kind, int state_dim, int action_count,
                               const nlohmann::json& user) {
  nlohmann::json m;
  m["format"] = kFormatName;
  m["format_version"] = kLearnerFormatVersion;
  m["kind"] = kind;
  m["state_dim"] = state_dim;
  m["action_count"] = action_count;
  m["torch_version"] = torch_version();
  m["user"] = user.is_null() ? nlohmann::json::object() : user;
  m["files"] = nlohmann::json::object();
  return m;
}

void write_manifest(const std::string& dir, const nlohmann::json& manifest) {
  const std::string path = join_path(dir, "manifest.json");
  std::ofstream out(path);
  out << manifest.dump(2) << "\n";
  if (!out) throw std::runtime_error(path + ": cannot write");
}

nlohmann::json read_and_check_manifest(const std::string& dir, const std::string& kind, int state_dim,
                                       int action_count) {
  nlohmann::json m = read_manifest(dir);
  const std::string path = join_path(dir, "manifest.json");
  if (field(dir, m, "/format") != kFormatName) {
    throw CheckpointError(path, "/format",
                          "found " + m["format"].dump() + ", expected \"" + kFormatName + "\"");
  }
  const auto& version = field(dir, m, "/format_version");
  if (!version.is_number_integer() || version.get<int>() > kLearnerFormatVersion || version.get<int>() < 1) {
    throw CheckpointError(
        path, "/format_version",
        "found " + version.dump() + ", this build reads 1 to " + std::to_string(kLearnerFormatVersion));
  }
  if (field(dir, m, "/kind") != kind) {
    throw CheckpointError(path, "/kind", "found " + m["kind"].dump() + ", expected \"" + kind + "\"");
  }
  if (field(dir, m, "/state_dim") != state_dim) {
    throw CheckpointError(path, "/state_dim",
                          "found " + m["state_dim"].dump() + ", expected " + std::to_string(state_dim) +
                              " (the learner's config)");
  }
  if (field(dir, m, "/action_count") != action_count) {
    throw CheckpointError(path, "/action_count",
                          "found " + m["action_count"].dump() + ", expected " + std::to_string(action_count) +
                              " (the learner's config)");
  }
  return m;
}

void check_network(const std::string& dir, const nlohmann::json& manifest, const std::string& pointer,
                   const MlpSpec& expected) {
  const auto& found = field(dir, manifest, pointer);
  const nlohmann::json want = expected.to_json();
  for (const auto& [key, value] : want.items()) {
    if (!found.contains(key) || found.at(key) != value) {
      throw CheckpointError(join_path(dir, "manifest.json"), pointer + "/" + key,
                            "found " + (found.contains(key) ? found.at(key).dump() : std::string("nothing")) +
                                ", expected " + value.dump() + " (the learner's config)");
    }
  }
}

std::vector<float> to_floats(const torch::Tensor& t) {
  const auto c = t.to(torch::kFloat32).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}
std::vector<double> to_doubles(const torch::Tensor& t) {
  const auto c = t.to(torch::kFloat64).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}
std::vector<std::int64_t> to_int64s(const torch::Tensor& t) {
  const auto c = t.to(torch::kInt64).contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}
torch::Tensor from_floats(const std::vector<float>& v) {
  auto t = torch::empty({static_cast<std::int64_t>(v.size())}, torch::kFloat32);
  if (!v.empty()) std::memcpy(t.data_ptr<float>(), v.data(), v.size() * sizeof(float));
  return t;
}
torch::Tensor from_doubles(const std::vector<double>& v) {
  auto t = torch::empty({static_cast<std::int64_t>(v.size())}, torch::kFloat64);
  if (!v.empty()) std::memcpy(t.data_ptr<double>(), v.data(), v.size() * sizeof(double));
  return t;
}
torch::Tensor from_int64s(const std::vector<std::int64_t>& v) {
  auto t = torch::empty({static_cast<std::int64_t>(v.size())}, torch::kInt64);
  if (!v.empty()) std::memcpy(t.data_ptr<std::int64_t>(), v.data(), v.size() * sizeof(std::int64_t));
  return t;
}

}  // namespace edgetwin::learn::detail

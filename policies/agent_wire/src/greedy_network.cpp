// Torch-free evaluation of trained networks (greedy_network.hpp). Compiled with
// -ffp-contract=off, like the learners' loops: a multiply-add fused here and not there would
// change the last bits.

#include "edgetwin/agent_wire/greedy_network.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "edgetwin/common/action_branches.hpp"
#include "edgetwin/common/error.hpp"
#include "edgetwin/common/hash.hpp"

namespace edgetwin::policies {

namespace fs = std::filesystem;

namespace {

int argmax(const float* v, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (v[i] > v[best]) best = i;
  }
  return best;
}

}  // namespace

void SequenceFront::apply(const float* x, float* out) const {
  const auto f = static_cast<std::size_t>(features), w = static_cast<std::size_t>(window);
  const float* last = x + (w - 1) * f;
  std::copy(last, last + f, out);
  float* pooled = out + f;
  if (pool == "mean") {
    // Summed oldest first, then divided: the same order as the trainer's sum over the window.
    for (std::size_t i = 0; i < f; ++i) {
      float s = 0.0F;
      for (std::size_t t = 0; t < w; ++t) s += x[t * f + i];
      pooled[i] = s / static_cast<float>(w);
    }
    return;
  }
  const auto d = static_cast<std::size_t>(key_dim);
  auto& q = q_;
  auto& k = k_;
  auto& scores = scores_;
  q.assign(d, 0.0F);
  k.resize(d);
  scores.resize(w);
  for (std::size_t i = 0; i < f; ++i) {
    for (std::size_t j = 0; j < d; ++j) q[j] += last[i] * wq[i * d + j];
  }
  const float scale = 1.0F / std::sqrt(static_cast<float>(d));
  float top = -std::numeric_limits<float>::infinity();
  for (std::size_t t = 0; t < w; ++t) {
    std::fill(k.begin(), k.end(), 0.0F);
    for (std::size_t i = 0; i < f; ++i) {
      for (std::size_t j = 0; j < d; ++j) k[j] += x[t * f + i] * wk[i * d + j];
    }
    float s = 0.0F;
    for (std::size_t j = 0; j < d; ++j) s += q[j] * k[j];
    scores[t] = s * scale;
    top = std::max(top, scores[t]);
  }
  float total = 0.0F;
  for (auto& s : scores) {
    s = std::exp(s - top);
    total += s;
  }
  std::fill(pooled, pooled + d, 0.0F);
  for (std::size_t t = 0; t < w; ++t) {
    const float a = scores[t] / total;
    for (std::size_t j = 0; j < d; ++j) {
      float v = 0.0F;
      for (std::size_t i = 0; i < f; ++i) v += x[t * f + i] * wv[i * d + j];
      pooled[j] += a * v;
    }
  }
}

GreedyNetwork GreedyNetwork::load(const std::string& dir) {
  const std::string file = (fs::path(dir) / "greedy.json").string();
  const std::string manifest_file = (fs::path(dir) / "manifest.json").string();
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw common::DataError(file, "",
                            "missing file (checkpoints written before torch-free evaluation have none)");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The manifest's record of the file (written by the learner's save) guards against a truncated
  // or edited copy, as it does for the tensor files.
  std::ifstream min(manifest_file);
  const auto manifest = nlohmann::json::parse(min, nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object())
    throw common::DataError(manifest_file, "", "missing or not JSON");
  const nlohmann::json::json_pointer record("/files/greedy.json");
  if (!manifest.contains(record))
    throw common::DataError(manifest_file, "/files/greedy.json", "missing field");
  const auto expected_bytes = manifest.at(record).value("bytes", std::uint64_t{0});
  if (bytes.size() != expected_bytes) {
    throw common::DataError(file, "",
                            "truncated: found " + std::to_string(bytes.size()) + " bytes, expected " +
                                std::to_string(expected_bytes));
  }
  const auto hash = common::hex16(common::fnv1a64(bytes, common::kTruncatedFnvBasis));
  if (hash != manifest.at(record).value("fnv1a64", std::string())) {
    throw common::DataError(file, "",
                            "corrupted: content hash (FNV-1a 64) found " + hash + ", expected " +
                                manifest.at(record).value("fnv1a64", std::string()));
  }
  auto doc = nlohmann::json::parse(bytes, nullptr, false);
  if (doc.is_discarded()) throw common::DataError(file, "", "not valid JSON");
  return from_json(doc, file);
}

GreedyNetwork GreedyNetwork::from_json(const nlohmann::json& doc, const std::string& file) {
  GreedyNetwork g;
  std::string where;
  try {
    where = "/format";
    if (doc.at("format") != "edgetwin-greedy-network")
      throw common::DataError(file, where,
                              "found " + doc.at("format").dump() + ", expected \"edgetwin-greedy-network\"");
    where = "/format_version";
    if (doc.at("format_version").get<int>() > 1)
      throw common::DataError(file, where,
                              "found " + doc.at("format_version").dump() + ", this build reads 1");
    where = "/kind";
    g.kind_ = doc.at("kind").get<std::string>();
    if (g.kind_ != "dqn" && g.kind_ != "sac" && g.kind_ != "supervised")
      throw common::DataError(file, where, "found \"" + g.kind_ + "\", allowed: dqn, sac, supervised");
    where = "/task";
    g.task_ = doc.value("task", std::string());
    where = "/activation";
    g.activation_ = doc.at("activation").get<std::string>();
    if (g.activation_ != "relu" && g.activation_ != "tanh" && g.activation_ != "elu")
      throw common::DataError(file, where, "found \"" + g.activation_ + "\", allowed: relu, tanh, elu");
    where = "/inputs";
    g.sizes_.push_back(doc.at("inputs").get<int>());
    where = "/hidden";
    for (const int h : doc.at("hidden").get<std::vector<int>>()) g.sizes_.push_back(h);
    where = "/outputs";
    g.sizes_.push_back(doc.at("outputs").get<int>());
    where = "/branches";
    g.branches_ = doc.value("branches", std::vector<int>{});
    int sum = 0;
    for (const int b : g.branches_) sum += b;
    if (!g.branches_.empty() && sum != g.sizes_.back())
      throw common::DataError(file, where,
                              "the branch sizes add up to " + std::to_string(sum) + ", the network has " +
                                  std::to_string(g.sizes_.back()) + " outputs");
    where = "/layers";
    const auto& layers = doc.at("layers");
    if (!layers.is_array() || layers.size() + 1 != g.sizes_.size())
      throw common::DataError(file, where,
                              "found " + std::to_string(layers.size()) + " layers, expected " +
                                  std::to_string(g.sizes_.size() - 1));
    for (std::size_t l = 0; l < layers.size(); ++l) {
      where = "/layers/" + std::to_string(l);
      const auto in = static_cast<std::size_t>(g.sizes_[l]), out = static_cast<std::size_t>(g.sizes_[l + 1]);
      std::vector<float> w, b;
      for (const double v : layers[l].at("weight").get<std::vector<double>>())
        w.push_back(static_cast<float>(v));
      for (const double v : layers[l].at("bias").get<std::vector<double>>())
        b.push_back(static_cast<float>(v));
      if (w.size() != in * out || b.size() != out)
        throw common::DataError(file, where,
                                "found " + std::to_string(w.size()) + " weights and " +
                                    std::to_string(b.size()) + " biases, expected " +
                                    std::to_string(in * out) + " and " + std::to_string(out));
      g.weights_.push_back(std::move(w));
      g.biases_.push_back(std::move(b));
    }
    g.raw_inputs_ = g.sizes_.front();
    if (doc.contains("sequence") && !doc.at("sequence").is_null()) {
      where = "/sequence";
      const auto& s = doc.at("sequence");
      auto& front = g.front_;
      front.window = s.at("window").get<int>();
      front.features = s.at("features").get<int>();
      front.pool = s.at("pool").get<std::string>();
      if (front.pool != "mean" && front.pool != "attention")
        throw common::DataError(file, where + "/pool",
                                "found \"" + front.pool + "\", allowed: mean, attention");
      if (front.window < 1 || front.features < 1)
        throw common::DataError(file, where, "window and features must be >= 1");
      if (front.pool == "attention") {
        front.key_dim = s.at("key_dim").get<int>();
        const auto n = static_cast<std::size_t>(front.features) * static_cast<std::size_t>(front.key_dim);
        for (auto [key, dst] :
             {std::pair{"wq", &front.wq}, std::pair{"wk", &front.wk}, std::pair{"wv", &front.wv}}) {
          for (const double v : s.at(key).get<std::vector<double>>()) dst->push_back(static_cast<float>(v));
          if (dst->size() != n)
            throw common::DataError(
                file, where + "/" + key,
                "found " + std::to_string(dst->size()) + " values, expected " + std::to_string(n));
        }
      }
      if (front.pooled_width() != g.sizes_.front())
        throw common::DataError(file, where,
                                "the front gives " + std::to_string(front.pooled_width()) +
                                    " values, the first layer takes " + std::to_string(g.sizes_.front()));
      g.sequence_ = true;
      g.raw_inputs_ = front.window * front.features;
    }
    where = "/normalizer";
    const auto& n = doc.at("normalizer");
    if (!n.is_null()) {
      g.normalize_ = true;
      g.mean_ = n.at("mean").get<std::vector<double>>();
      g.variance_ = n.at("variance").get<std::vector<double>>();
      g.epsilon_ = n.at("epsilon").get<double>();
      g.clip_ = n.at("clip").get<double>();
      if (g.mean_.size() != static_cast<std::size_t>(g.inputs()) || g.variance_.size() != g.mean_.size())
        throw common::DataError(file, where, "mean and variance must have one value per input");
    }
  } catch (const nlohmann::json::exception& e) {
    throw common::DataError(file, where, std::string("missing or of the wrong type (") + e.what() + ")");
  }
  return g;
}

std::vector<float> GreedyNetwork::forward(const std::vector<float>& input) const {
  if (static_cast<int>(input.size()) != inputs()) {
    throw std::invalid_argument("greedy network: found " + std::to_string(input.size()) +
                                " inputs, expected " + std::to_string(inputs()));
  }
  // The learners' act() path: the normaliser in double (RunningNormalizer::normalize_in_place),
  // then per layer dst = bias, dst[o] += x[i] * w[i][o] for i ascending (affine_row), activation.
  if (sequence_) {
    a_.resize(static_cast<std::size_t>(front_.pooled_width()));
    front_.apply(input.data(), a_.data());
  } else {
    a_.assign(input.begin(), input.end());
  }
  if (normalize_) {
    for (std::size_t i = 0; i < a_.size(); ++i) {
      const double scale = std::sqrt(variance_[i] + epsilon_);
      const double z = scale > 0 ? (a_[i] - mean_[i]) / scale : 0.0;
      a_[i] = static_cast<float>(std::clamp(z, -clip_, clip_));
    }
  }
  const std::size_t layers = weights_.size();
  for (std::size_t l = 0; l < layers; ++l) {
    const auto in = static_cast<std::size_t>(sizes_[l]), out = static_cast<std::size_t>(sizes_[l + 1]);
    b_.assign(biases_[l].begin(), biases_[l].end());
    const float* w = weights_[l].data();
    for (std::size_t i = 0; i < in; ++i) {
      const float xi = a_[i];
      const float* row = w + i * out;
      for (std::size_t o = 0; o < out; ++o) b_[o] += xi * row[o];
    }
    if (l + 1 < layers) {
      if (activation_ == "relu") {
        for (auto& h : b_) h = h > 0.0F ? h : 0.0F;
      } else if (activation_ == "tanh") {
        for (auto& h : b_) h = std::tanh(h);
      } else {
        for (auto& h : b_) h = h > 0.0F ? h : std::expm1(h);
      }
    }
    a_.swap(b_);
  }
  return a_;
}

int GreedyNetwork::action_count() const {
  return branches_.empty() ? outputs() : common::joint_action_count(branches_);
}

int GreedyNetwork::act(const std::vector<float>& state) const {
  if (kind_ == "supervised") throw std::logic_error("act() on a supervised network");
  const auto q = forward(state);
  if (branches_.empty()) return argmax(q.data(), outputs());
  std::vector<int> tuple(branches_.size());
  int offset = 0;
  for (std::size_t d = 0; d < branches_.size(); ++d) {
    tuple[d] = argmax(q.data() + offset, branches_[d]);
    offset += branches_[d];
  }
  return common::joint_action(branches_, tuple);
}

std::string GreedyNetwork::mismatch(const nlohmann::json& learner) const {
  const auto kind = learner.value("kind", std::string());
  if (kind != kind_) return "kind is \"" + kind_ + "\" in the checkpoint, \"" + kind + "\" in the policy";
  const std::vector<int> default_hidden{64, 64};  // DqnConfig, SacConfig, supervised specs
  const auto hidden = learner.value("hidden", default_hidden);
  const std::vector<int> mine(sizes_.begin() + 1, sizes_.end() - 1);
  if (kind_ == "supervised") {
    const auto task = learner.value("task", std::string("classification"));
    if (task != task_) return "task is " + task_ + " in the checkpoint, " + task + " in the policy";
    if (learner.value("inputs", 0) != inputs())
      return "inputs is " + std::to_string(inputs()) + " in the checkpoint, " +
             learner.value("inputs", nlohmann::json()).dump() + " in the policy";
    const auto seq = learner.value("sequence", nlohmann::json());
    if (seq.is_null() != !sequence_ ||
        (sequence_ &&
         (seq.value("window", 0) != front_.window || seq.value("features", 0) != front_.features ||
          seq.value("pool", std::string("attention")) != front_.pool ||
          (front_.pool == "attention" && seq.value("key_dim", 16) != front_.key_dim)))) {
      return "sequence is " +
             (sequence_
                  ? nlohmann::json(
                        {{"window", front_.window}, {"features", front_.features}, {"pool", front_.pool}})
                        .dump()
                  : std::string("none")) +
             " in the checkpoint, " + (seq.is_null() ? std::string("none") : seq.dump()) + " in the policy";
    }
    if (learner.value("outputs", 0) != outputs())
      return "outputs is " + std::to_string(outputs()) + " in the checkpoint, " +
             learner.value("outputs", nlohmann::json()).dump() + " in the policy";
  } else {
    if (learner.value("state_dim", 0) != inputs())
      return "state_dim is " + std::to_string(inputs()) + " in the checkpoint, " +
             learner.value("state_dim", nlohmann::json()).dump() + " in the policy";
    const auto branches = learner.value("branches", std::vector<int>{});
    if (branches != branches_)
      return "branches are " + nlohmann::json(branches_).dump() + " in the checkpoint, " +
             nlohmann::json(branches).dump() + " in the policy";
    if (learner.value("action_count", 0) != action_count())
      return "action_count is " + std::to_string(action_count()) + " in the checkpoint, " +
             learner.value("action_count", nlohmann::json()).dump() + " in the policy";
  }
  const auto activation = learner.value("activation", std::string("relu"));
  if (hidden != mine || activation != activation_) {
    return "network is " + nlohmann::json({{"hidden", mine}, {"activation", activation_}}).dump() +
           " in the checkpoint, " + nlohmann::json({{"hidden", hidden}, {"activation", activation}}).dump() +
           " in the policy";
  }
  return "";
}

std::string find_checkpoint(const std::vector<std::string>& candidates, const std::string& network,
                            const std::string& policy, const std::string& subfolder) {
  auto fits = [&](const fs::path& dir) {
    std::ifstream in(dir / "manifest.json");
    const auto manifest = nlohmann::json::parse(in, nullptr, false);
    if (manifest.is_discarded() || !manifest.is_object()) return true;  // let loading report it by name
    const auto user = manifest.value("user", nlohmann::json::object());
    if (user.contains("network")) return user.at("network") == network;
    return user.value("policy", std::string()) == policy && network == policy;
  };
  for (const auto& c : candidates) {
    const auto eq = c.find('=');
    if (eq != std::string::npos && c.substr(0, eq) == network) return c.substr(eq + 1);
  }
  for (const auto& c : candidates) {
    if (c.find('=') != std::string::npos || c.empty()) continue;
    const fs::path dir(c);
    if (fs::exists(dir / "manifest.json")) {
      if (fits(dir)) return c;
    } else if (fs::exists(dir / network / subfolder / "manifest.json")) {
      return (dir / network / subfolder).string();
    }
  }
  return "";
}

}  // namespace edgetwin::policies

// Replay, normaliser, schedule, reducer and non-network checkpoint parts shared by DQN and SAC.

#include "learner_core.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <torch/torch.h>

#include "edgetwin/learn/error.hpp"

#include "checkpoint_io.hpp"
#include "torch_mlp.hpp"

namespace edgetwin::learn::detail {

std::vector<std::uint64_t> derive_seeds(std::uint64_t seed) {
  // A seed sequence spreads one user seed into independent generator seeds.
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32), 0x5eedU};
  std::vector<std::uint32_t> words(8);
  seq.generate(words.begin(), words.end());
  std::vector<std::uint64_t> seeds;
  for (std::size_t i = 0; i < words.size(); i += 2) {
    seeds.push_back((static_cast<std::uint64_t>(words[i]) << 32) | words[i + 1]);
  }
  return seeds;
}

int argmax(const float* values, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (values[i] > values[best]) best = i;
  }
  return best;
}

LearnerCore::LearnerCore(const CoreSettings& settings, std::uint64_t explore_seed, std::uint64_t replay_seed)
    : settings_(settings),
      replay_(settings.replay_capacity, settings.state_dim, replay_seed),
      explore_rng_(explore_seed) {
  if (settings.normalize_states) normalizer_.emplace(settings.state_dim, settings.normalizer_clip);
  batch_scratch_.state_dim = settings.state_dim;
}

void LearnerCore::check_state(const std::vector<float>& state, const char* what) const {
  if (state.size() != static_cast<std::size_t>(settings_.state_dim)) {
    throw std::invalid_argument(std::string(what) + ": state has " + std::to_string(state.size()) +
                                " values, expected state_dim " + std::to_string(settings_.state_dim));
  }
}

const float* LearnerCore::prepare_state(const std::vector<float>& state) {
  if (!normalizer_) return state.data();
  state_scratch_ = state;
  normalizer_->normalize_in_place(state_scratch_.data(), 1);
  return state_scratch_.data();
}

void LearnerCore::observe(const Transition& t) {
  if (t.action < 0 || t.action >= settings_.action_count) {
    throw std::invalid_argument("observe: action: found " + std::to_string(t.action) + ", allowed 0.." +
                                std::to_string(settings_.action_count - 1));
  }
  replay_.push(t);
  if (normalizer_) normalizer_->update(t.state);
  ++counters.decisions;
  ++pending_;
}

const TransitionBatch* LearnerCore::due_batch() {
  if (replay_.size() < std::max<std::size_t>(settings_.warmup, 1)) {
    pending_ = 0;  // warm-up decisions do not pile up into a burst of updates afterwards
    return nullptr;
  }
  if (pending_ < settings_.update_every) return nullptr;
  pending_ -= settings_.update_every;
  replay_.sample_into(settings_.batch_size, batch_scratch_);
  return &batch_scratch_;
}

void LearnerCore::fill(const TransitionBatch& batch, BatchArrays& out) const {
  const auto rows = batch.size();
  const auto dim = static_cast<std::size_t>(settings_.state_dim);
  if (batch.state_dim != settings_.state_dim || rows == 0) {
    throw std::invalid_argument("update: batch of " + std::to_string(rows) + " rows with state_dim " +
                                std::to_string(batch.state_dim) + ", expected >= 1 row of state_dim " +
                                std::to_string(dim));
  }
  if (batch.states.size() != rows * dim || batch.next_states.size() != rows * dim) {
    throw std::invalid_argument("update: batch states do not have rows x state_dim values");
  }
  if (batch.rewards.size() != rows || batch.dones.size() != rows || batch.dt_s.size() != rows) {
    throw std::invalid_argument("update: batch rewards, dones and dt_s must have one value per action (" +
                                std::to_string(rows) + ")");
  }
  out.rows = static_cast<int>(rows);
  out.dim = settings_.state_dim;
  out.both.resize(2 * rows * dim);
  std::copy(batch.states.begin(), batch.states.end(), out.both.begin());
  std::copy(batch.next_states.begin(), batch.next_states.end(),
            out.both.begin() + static_cast<std::ptrdiff_t>(rows * dim));
  if (normalizer_) normalizer_->normalize_in_place(out.both.data(), 2 * rows);
  out.actions.resize(rows);
  out.rewards.resize(rows);
  out.bootstrap.resize(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    const auto action = batch.actions[i];
    if (action < 0 || action >= settings_.action_count) {
      throw std::invalid_argument("update: action " + std::to_string(action) + " out of range");
    }
    out.actions[i] = static_cast<int>(action);
    out.rewards[i] = batch.rewards[i];
    out.bootstrap[i] =
        static_cast<float>((1.0F - batch.dones[i]) * transition_discount(settings_.gamma, batch.dt_s[i],
                                                                         settings_.discount_per_second));
  }
}

bool LearnerCore::reduce(std::vector<float>& gradient) {
  if (!reducer_) return true;
  const std::size_t size = gradient.size();
  const bool apply = reducer_(gradient);
  if (gradient.size() != size) {
    throw std::logic_error("gradient reducer: returned " + std::to_string(gradient.size()) +
                           " values, expected " + std::to_string(size));
  }
  return apply;
}

void write_adam(const std::string& dir, const std::string& name, const FlatAdam& adam,
                nlohmann::json& manifest) {
  write_tensors(dir, name,
                {{"m", from_floats(adam.first_moment())},
                 {"v", from_floats(adam.second_moment())},
                 {"steps", from_int64s({adam.steps()})}},
                manifest);
}

AdamSnapshot read_adam(const std::string& dir, const std::string& name, const nlohmann::json& manifest,
                       const FlatAdam& like) {
  const auto t = read_tensors_any_shape(dir, name, manifest, {"m", "v", "steps"});
  AdamSnapshot snap;
  snap.m = to_floats(t[0]);
  snap.v = to_floats(t[1]);
  const auto steps = to_int64s(t[2]);
  if (snap.m.size() != like.size() || snap.v.size() != like.size() || steps.size() != 1) {
    throw CheckpointError(join_path(dir, name), "m",
                          "found " + std::to_string(snap.m.size()) + " first and " +
                              std::to_string(snap.v.size()) + " second moments, expected " +
                              std::to_string(like.size()));
  }
  snap.steps = steps[0];
  return snap;
}

namespace {
std::string rng_text(const std::mt19937_64& rng) {
  std::ostringstream out;
  out << rng;
  return out.str();
}
}  // namespace

void LearnerCore::write_checkpoint_parts(const std::string& dir, nlohmann::json& manifest) const {
  manifest["counters"] = {
      {"decisions", counters.decisions}, {"updates", counters.updates}, {"pending", pending_}};
  manifest["rng"] = {{"explore", rng_text(explore_rng_)}, {"replay", replay_.rng_state()}};
  manifest["replay"] = {{"size", replay_.size()},
                        {"capacity", replay_.capacity()},
                        {"head", replay_.head()},
                        {"pushed", replay_.pushed()}};
  const auto rows = static_cast<std::int64_t>(replay_.size());
  const std::int64_t dim = settings_.state_dim;
  write_tensors(dir, "replay.pt",
                {{"states", from_floats(replay_.raw_states()).reshape({rows, dim})},
                 {"next_states", from_floats(replay_.raw_next_states()).reshape({rows, dim})},
                 {"actions", from_int64s(replay_.raw_actions())},
                 {"rewards", from_floats(replay_.raw_rewards())},
                 {"dones", from_floats(replay_.raw_dones())},
                 {"dt_s", from_floats(replay_.raw_dt_s())}},
                manifest);
  if (normalizer_) {
    write_tensors(dir, "normalizer.pt",
                  {{"count", from_int64s({static_cast<std::int64_t>(normalizer_->count())})},
                   {"mean", from_doubles(normalizer_->mean())},
                   {"m2", from_doubles(normalizer_->m2())}},
                  manifest);
  }
}

CoreSnapshot LearnerCore::read_checkpoint_parts(const std::string& dir,
                                                const nlohmann::json& manifest) const {
  const std::string path = join_path(dir, "manifest.json");
  CoreSnapshot snap;
  snap.counters.decisions = field(dir, manifest, "/counters/decisions").get<std::uint64_t>();
  snap.counters.updates = field(dir, manifest, "/counters/updates").get<std::uint64_t>();
  snap.pending = field(dir, manifest, "/counters/pending").get<std::uint64_t>();
  snap.explore_rng = field(dir, manifest, "/rng/explore").get<std::string>();
  snap.replay_rng = field(dir, manifest, "/rng/replay").get<std::string>();
  const auto capacity = field(dir, manifest, "/replay/capacity").get<std::size_t>();
  if (capacity != replay_.capacity()) {
    throw CheckpointError(path, "/replay/capacity",
                          "found " + std::to_string(capacity) + ", expected " +
                              std::to_string(replay_.capacity()) + " (the learner's replay_capacity)");
  }
  const bool has_normalizer = manifest.contains("files") && manifest["files"].contains("normalizer.pt");
  if (has_normalizer != normalizer_.has_value()) {
    throw CheckpointError(path, "/hyper_parameters/normalize_states",
                          std::string("found ") + (has_normalizer ? "true" : "false") + ", expected " +
                              (normalizer_ ? "true" : "false") +
                              " (the learner's config; the networks were trained on these inputs)");
  }
  snap.head = field(dir, manifest, "/replay/head").get<std::size_t>();
  snap.pushed = field(dir, manifest, "/replay/pushed").get<std::uint64_t>();
  const auto replay = read_tensors_any_shape(
      dir, "replay.pt", manifest, {"states", "next_states", "actions", "rewards", "dones", "dt_s"});
  snap.states = to_floats(replay[0]);
  snap.next_states = to_floats(replay[1]);
  snap.actions = to_int64s(replay[2]);
  snap.rewards = to_floats(replay[3]);
  snap.dones = to_floats(replay[4]);
  snap.dt_s = to_floats(replay[5]);
  const auto rows = snap.actions.size();
  const auto dim = static_cast<std::size_t>(settings_.state_dim);
  if (snap.states.size() != rows * dim || snap.next_states.size() != rows * dim ||
      snap.rewards.size() != rows || snap.dones.size() != rows || snap.dt_s.size() != rows ||
      rows > capacity || rows != field(dir, manifest, "/replay/size").get<std::size_t>() ||
      (rows > 0 && snap.head >= capacity) || (rows < capacity && snap.head != rows % capacity)) {
    throw CheckpointError(join_path(dir, "replay.pt"), "states",
                          "found " + std::to_string(snap.states.size()) + " state values for " +
                              std::to_string(rows) + " rows (head " + std::to_string(snap.head) +
                              "), expected rows x state_dim " + std::to_string(dim) +
                              ", rows = /replay/size and a head inside the ring");
  }
  if (normalizer_) {
    const auto norm = read_tensors_any_shape(dir, "normalizer.pt", manifest, {"count", "mean", "m2"});
    snap.norm_count = static_cast<std::uint64_t>(to_int64s(norm[0]).at(0));
    snap.norm_mean = to_doubles(norm[1]);
    snap.norm_m2 = to_doubles(norm[2]);
    if (snap.norm_mean.size() != dim || snap.norm_m2.size() != dim) {
      throw CheckpointError(
          join_path(dir, "normalizer.pt"), "mean",
          "found " + std::to_string(snap.norm_mean.size()) + " values, expected " + std::to_string(dim));
    }
  }
  return snap;
}

void LearnerCore::commit(CoreSnapshot snap) {
  counters = snap.counters;
  pending_ = snap.pending;
  std::istringstream(snap.explore_rng) >> explore_rng_;
  replay_.set_rng_state(snap.replay_rng);
  replay_.restore(std::move(snap.states), std::move(snap.next_states), std::move(snap.actions),
                  std::move(snap.rewards), std::move(snap.dones), std::move(snap.dt_s), snap.head,
                  snap.pushed);
  if (normalizer_) normalizer_->restore(snap.norm_count, std::move(snap.norm_mean), std::move(snap.norm_m2));
}

nlohmann::json greedy_header(const MlpSpec& spec, const nlohmann::json& extra) {
  nlohmann::json doc = {{"format", "edgetwin-greedy-network"},
                        {"format_version", 1},
                        {"inputs", spec.inputs},
                        {"hidden", spec.hidden},
                        {"outputs", spec.outputs},
                        {"activation", to_string(spec.activation)},
                        {"normalizer", nullptr}};
  doc.update(extra);
  return doc;
}

void write_greedy(const std::string& dir, const TorchMlp& network, int member,
                  const RunningNormalizer* normalizer, const nlohmann::json& extra,
                  nlohmann::json& manifest) {
  const MlpSpec& spec = network.spec();
  nlohmann::json doc = greedy_header(spec, extra);
  // Layer blocks: the weights of every member ([members, in, out], input-major), then the biases.
  std::vector<int> sizes{spec.inputs};
  sizes.insert(sizes.end(), spec.hidden.begin(), spec.hidden.end());
  sizes.push_back(spec.outputs);
  const auto members = static_cast<std::size_t>(network.members());
  const auto m = static_cast<std::size_t>(member);
  const float* p = network.data();
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    const auto in = static_cast<std::size_t>(sizes[l]), out = static_cast<std::size_t>(sizes[l + 1]);
    const float* w = p + m * in * out;
    const float* b = p + members * in * out + m * out;
    p += members * (in * out + out);
    // Floats widened to double print with the digits that read back as the same float.
    layers.push_back(
        {{"weight", std::vector<double>(w, w + in * out)}, {"bias", std::vector<double>(b, b + out)}});
  }
  doc["layers"] = std::move(layers);
  if (normalizer != nullptr) {
    doc["normalizer"] = {{"mean", normalizer->mean()},
                         {"variance", normalizer->variance()},
                         {"epsilon", normalizer->epsilon()},
                         {"clip", normalizer->clip()}};
  }
  write_json_file(dir, "greedy.json", doc, manifest);
}

void write_json_file(const std::string& dir, const std::string& name, const nlohmann::json& doc,
                     nlohmann::json& manifest) {
  const std::string path = join_path(dir, name);
  std::ofstream f(path);
  f << doc.dump() << "\n";
  if (!f) throw std::runtime_error(path + ": cannot write");
  f.close();
  record_file(dir, name, manifest);
}

}  // namespace edgetwin::learn::detail

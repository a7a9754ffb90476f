// Learner specs (JSON) to learner configs; see factory.hpp.

#include "edgetwin/learn/factory.hpp"

#include <cmath>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/learn/error.hpp"

namespace edgetwin::learn {
namespace {

/// Typed reads of one spec object; errors name the JSON pointer.
class SpecReader {
 public:
  SpecReader(const nlohmann::json& spec, std::string where) : spec_(spec), where_(std::move(where)) {
    if (!spec_.is_object()) fail("", "found " + std::string(spec_.type_name()) + ", expected an object");
  }
  /// Throws on a key outside `shared` and `own`, listing the allowed ones.
  void allow(const std::vector<const char*>& shared, std::initializer_list<const char*> own) {
    std::set<std::string> allowed(shared.begin(), shared.end());
    allowed.insert(own.begin(), own.end());
    for (const auto& item : spec_.items()) {
      if (allowed.count(item.key()) == 0) {
        std::string list;
        for (const auto& k : allowed) list += (list.empty() ? "" : ", ") + k;
        fail("/" + item.key(), "unknown key; allowed: " + list);
      }
    }
  }
  template <typename T>
  void number(const char* key, T& out) const {
    if (!spec_.contains(key)) return;
    const auto& v = spec_.at(key);
    if (!v.is_number())
      fail(std::string("/") + key, "found " + std::string(v.type_name()) + ", expected a number");
    if constexpr (std::is_integral_v<T>) {
      if (!v.is_number_integer() || (std::is_unsigned_v<T> && v.get<long long>() < 0)) {
        fail(std::string("/") + key, "found " + v.dump() + ", expected a non-negative integer");
      }
    }
    out = v.get<T>();
  }
  void boolean(const char* key, bool& out) const {
    if (!spec_.contains(key)) return;
    const auto& v = spec_.at(key);
    if (!v.is_boolean()) fail(std::string("/") + key, "found " + v.dump() + ", expected true or false");
    out = v.get<bool>();
  }
  void hidden(std::vector<int>& out) const {
    if (!spec_.contains("hidden")) return;
    const auto& v = spec_.at("hidden");
    if (!v.is_array()) fail("/hidden", "found " + v.dump() + ", expected an array of layer widths");
    out.clear();
    for (const auto& w : v) {
      if (!w.is_number_integer() || w.get<int>() < 1)
        fail("/hidden", "found " + w.dump() + ", expected widths >= 1");
      out.push_back(w.get<int>());
    }
  }
  void activation(Activation& out) const {
    if (!spec_.contains("activation")) return;
    const auto& v = spec_.at("activation");
    if (!v.is_string()) fail("/activation", "found " + v.dump() + ", expected relu, tanh or elu");
    try {
      out = activation_from_string(v.get<std::string>());
    } catch (const ConfigError& e) {
      fail("/activation", e.what());
    }
  }
  const nlohmann::json& spec() const { return spec_; }
  [[noreturn]] void fail(const std::string& pointer, const std::string& problem) const {
    throw ConfigError(where_ + ": " + (pointer.empty() ? "/" : pointer) + ": " + problem);
  }

 private:
  const nlohmann::json& spec_;
  std::string where_;
};

EpsilonSchedule epsilon_from_json(const nlohmann::json& j, const std::string& where) {
  EpsilonSchedule e;
  SpecReader r(j, where + " /epsilon");
  r.allow({}, {"start", "end", "decay_decisions", "shape"});
  r.number("start", e.start);
  r.number("end", e.end);
  r.number("decay_decisions", e.decay_decisions);
  if (j.contains("shape")) {
    const auto& v = j.at("shape");
    if (v == "linear")
      e.shape = EpsilonSchedule::Shape::kLinear;
    else if (v == "exponential")
      e.shape = EpsilonSchedule::Shape::kExponential;
    else
      r.fail("/shape", "found " + v.dump() + ", allowed linear, exponential");
  }
  return e;
}

/// The keys DqnConfig and SacConfig share (same names, same meaning).
const std::vector<const char*> kSharedKeys{
    "kind",         "state_dim",           "action_count",     "hidden",          "activation",
    "gamma",        "discount_per_second", "batch_size",       "replay_capacity", "warmup",
    "update_every", "max_grad_norm",       "normalize_states", "normalizer_clip", "seed"};

template <typename Config>
void read_shared(const SpecReader& r, Config& c) {
  r.number("state_dim", c.state_dim);
  r.number("action_count", c.action_count);
  r.hidden(c.hidden);
  r.activation(c.activation);
  r.number("gamma", c.gamma);
  r.boolean("discount_per_second", c.discount_per_second);
  r.number("batch_size", c.batch_size);
  r.number("replay_capacity", c.replay_capacity);
  r.number("warmup", c.warmup);
  r.number("update_every", c.update_every);
  r.number("max_grad_norm", c.max_grad_norm);
  r.boolean("normalize_states", c.normalize_states);
  r.number("normalizer_clip", c.normalizer_clip);
  r.number("seed", c.seed);
}

}  // namespace

DqnConfig dqn_config_from_json(const nlohmann::json& spec) {
  DqnConfig c;
  SpecReader r(spec, "learner spec (dqn)");
  r.allow(kSharedKeys,
          {"learning_rate", "target_update_every", "polyak_tau", "double_dqn", "huber_delta", "epsilon"});
  read_shared(r, c);
  r.number("learning_rate", c.learning_rate);
  r.number("target_update_every", c.target_update_every);
  r.number("polyak_tau", c.polyak_tau);
  r.boolean("double_dqn", c.double_dqn);
  r.number("huber_delta", c.huber_delta);
  if (spec.contains("epsilon")) c.epsilon = epsilon_from_json(spec.at("epsilon"), "learner spec (dqn)");
  c.validate();
  return c;
}

SacConfig sac_config_from_json(const nlohmann::json& spec) {
  SacConfig c;
  SpecReader r(spec, "learner spec (sac)");
  r.allow(kSharedKeys, {"actor_learning_rate", "critic_learning_rate", "alpha_learning_rate", "initial_alpha",
                        "auto_alpha", "target_entropy_ratio", "target_entropy", "polyak_tau"});
  read_shared(r, c);
  r.number("actor_learning_rate", c.actor_learning_rate);
  r.number("critic_learning_rate", c.critic_learning_rate);
  r.number("alpha_learning_rate", c.alpha_learning_rate);
  r.number("initial_alpha", c.initial_alpha);
  r.boolean("auto_alpha", c.auto_alpha);
  r.number("target_entropy_ratio", c.target_entropy_ratio);
  r.number("polyak_tau", c.polyak_tau);
  c.validate();
  if (spec.contains("target_entropy")) {
    // Derived (hyper_parameters() writes it for readers); accepted back only when consistent.
    const auto& v = spec.at("target_entropy");
    if (!v.is_number() ||
        std::abs(v.get<double>() - c.target_entropy()) > 1e-9 * (1 + std::abs(c.target_entropy()))) {
      r.fail("/target_entropy", "found " + v.dump() + ", but target_entropy_ratio and action_count give " +
                                    std::to_string(c.target_entropy()) +
                                    " (set target_entropy_ratio instead)");
    }
  }
  return c;
}

std::unique_ptr<DiscreteLearner> make_learner(const nlohmann::json& spec) {
  if (!spec.is_object() || !spec.contains("kind") || !spec.at("kind").is_string()) {
    throw ConfigError("learner spec: /kind: missing or not a string; allowed dqn, sac");
  }
  const auto kind = spec.at("kind").get<std::string>();
  if (kind == "dqn") return std::make_unique<DqnLearner>(dqn_config_from_json(spec));
  if (kind == "sac") return std::make_unique<SacLearner>(sac_config_from_json(spec));
  throw ConfigError("learner spec: /kind: found \"" + kind + "\", allowed dqn, sac");
}

nlohmann::json spec_from_manifest(const nlohmann::json& manifest) {
  nlohmann::json spec = manifest.at("hyper_parameters");
  spec.erase("target_entropy");  // derived (SAC); make_learner recomputes it
  spec["kind"] = manifest.at("kind");
  spec["state_dim"] = manifest.at("state_dim");
  spec["action_count"] = manifest.at("action_count");
  // DQN: "network"; SAC: "network": {"actor": ..., "critic": ...} (same shape).
  const auto& network = manifest.at("network");
  const auto& net = network.contains("actor") ? network.at("actor") : network;
  spec["hidden"] = net.at("hidden");
  spec["activation"] = net.at("activation");
  return spec;
}

std::string spec_mismatch(const nlohmann::json& have, const nlohmann::json& want) {
  const auto kind = have.value("kind", std::string());
  if (want.value("kind", std::string()) != kind) {
    return "kind is \"" + kind + "\" in the checkpoint, " + want.value("kind", nlohmann::json()).dump() +
           " in the policy";
  }
  // Compared as the learners would build them (absent keys take the config's defaults).
  auto network = [&kind](const nlohmann::json& spec) {
    return kind == "sac" ? sac_config_from_json(spec).actor_network() : dqn_config_from_json(spec).network();
  };
  const MlpSpec h = network(have), w = network(want);
  if (h.inputs != w.inputs) {
    return "state_dim is " + std::to_string(h.inputs) + " in the checkpoint, " + std::to_string(w.inputs) +
           " in the policy";
  }
  if (h.outputs != w.outputs) {
    return "action_count is " + std::to_string(h.outputs) + " in the checkpoint, " +
           std::to_string(w.outputs) + " in the policy";
  }
  if (h != w)
    return "network is " + h.to_json().dump() + " in the checkpoint, " + w.to_json().dump() +
           " in the policy";
  return "";
}

}  // namespace edgetwin::learn

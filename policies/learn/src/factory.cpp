// Learner specs (JSON) to learner configs; see factory.hpp.

#include "edgetwin/learn/factory.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/common/action_branches.hpp"
#include "edgetwin/common/json_reader.hpp"
#include "edgetwin/learn/error.hpp"

namespace edgetwin::learn {
namespace {

using common::JsonReader;

/// Optional spec members read into a config field (absent: the field keeps its default). Integers
/// must fit the field; a spec's errors are ConfigErrors (see read_spec).
void read_into(const JsonReader& r, const char* key, double& out) {
  out = r.number_or(key, out);
}
void read_into(const JsonReader& r, const char* key, bool& out) {
  out = r.boolean_or(key, out);
}
template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
void read_into(const JsonReader& r, const char* key, T& out) {
  if (!r.has(key)) return;
  if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
    if (r.node().at(key).is_number_unsigned()) {  // up to 2^64 - 1 (seeds)
      out = r.node().at(key).get<T>();
      return;
    }
    out = static_cast<T>(r.integer_in(key, 0, std::numeric_limits<std::int64_t>::max()));
  } else {
    out = static_cast<T>(r.integer_in(key, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
  }
}
void read_hidden(const JsonReader& r, std::vector<int>& out) {
  if (!r.has("hidden")) return;
  const auto widths = r.integers("hidden");
  out.clear();
  for (std::size_t i = 0; i < widths.size(); ++i) {
    if (widths[i] < 1 || widths[i] > std::numeric_limits<int>::max())
      r.fail_item("hidden", i, "found " + std::to_string(widths[i]) + ", allowed: layer widths >= 1");
    out.push_back(static_cast<int>(widths[i]));
  }
}
void read_activation(const JsonReader& r, Activation& out) {
  if (!r.has("activation")) return;
  try {
    out = activation_from_string(r.string("activation"));
  } catch (const ConfigError& e) {
    r.fail("activation", e.what());
  }
}

/// Reads a spec with `body(JsonReader)`; the spec's errors (common::DataError from the reader,
/// "learner spec (dqn): /epsilon/shape: found ...") become ConfigErrors: a bad spec is a bad
/// configuration (edgetwin-learn exit code 2), not bad data.
template <typename Body>
auto read_spec(const nlohmann::json& spec, const std::string& name, Body&& body) {
  try {
    return body(JsonReader(spec, name));
  } catch (const common::DataError& e) {
    throw ConfigError(e.what());
  }
}

EpsilonSchedule epsilon_from_json(const JsonReader& r) {
  EpsilonSchedule e;
  r.require_only({"start", "end", "decay_decisions", "shape"});
  read_into(r, "start", e.start);
  read_into(r, "end", e.end);
  read_into(r, "decay_decisions", e.decay_decisions);
  if (r.has("shape")) {
    e.shape = r.one_of("shape", {"linear", "exponential"}) == "linear" ? EpsilonSchedule::Shape::kLinear
                                                                       : EpsilonSchedule::Shape::kExponential;
  }
  return e;
}

/// The keys DqnConfig and SacConfig share (same names, same meaning), then each one's own.
std::vector<const char*> allowed_keys(std::initializer_list<const char*> own) {
  std::vector<const char*> keys{
      "kind",         "state_dim",           "action_count",     "hidden",          "activation",
      "gamma",        "discount_per_second", "batch_size",       "replay_capacity", "warmup",
      "update_every", "max_grad_norm",       "normalize_states", "normalizer_clip", "seed"};
  keys.insert(keys.end(), own.begin(), own.end());
  return keys;
}

template <typename Config>
void read_shared(const JsonReader& r, Config& c) {
  read_into(r, "state_dim", c.state_dim);
  read_into(r, "action_count", c.action_count);
  read_hidden(r, c.hidden);
  read_activation(r, c.activation);
  read_into(r, "gamma", c.gamma);
  read_into(r, "discount_per_second", c.discount_per_second);
  read_into(r, "batch_size", c.batch_size);
  read_into(r, "replay_capacity", c.replay_capacity);
  read_into(r, "warmup", c.warmup);
  read_into(r, "update_every", c.update_every);
  read_into(r, "max_grad_norm", c.max_grad_norm);
  read_into(r, "normalize_states", c.normalize_states);
  read_into(r, "normalizer_clip", c.normalizer_clip);
  read_into(r, "seed", c.seed);
}

}  // namespace

DqnConfig dqn_config_from_json(const nlohmann::json& spec) {
  return read_spec(spec, "learner spec (dqn)", [](const JsonReader& r) {
    DqnConfig c;
    r.require_only(allowed_keys({"learning_rate", "target_update_every", "polyak_tau", "double_dqn",
                                 "huber_delta", "epsilon", "branches"}));
    read_shared(r, c);
    if (r.has("branches")) {
      const auto sizes = r.integers("branches");
      if (sizes.empty()) r.fail("branches", "found [], allowed: one size >= 1 per action dimension");
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        if (sizes[i] < 1 || sizes[i] > std::numeric_limits<int>::max())
          r.fail_item("branches", i, "found " + std::to_string(sizes[i]) + ", allowed: branch sizes >= 1");
        c.branches.push_back(static_cast<int>(sizes[i]));
      }
      // The joint action count follows from the branches (given anyway, it must agree: validate()).
      if (!r.has("action_count")) {
        try {
          c.action_count = common::joint_action_count(c.branches);
        } catch (const std::invalid_argument& e) {
          r.fail("branches", e.what());
        }
      }
    }
    read_into(r, "learning_rate", c.learning_rate);
    read_into(r, "target_update_every", c.target_update_every);
    read_into(r, "polyak_tau", c.polyak_tau);
    read_into(r, "double_dqn", c.double_dqn);
    read_into(r, "huber_delta", c.huber_delta);
    if (r.has("epsilon")) c.epsilon = epsilon_from_json(r.object("epsilon"));
    c.validate();
    return c;
  });
}

SacConfig sac_config_from_json(const nlohmann::json& spec) {
  return read_spec(spec, "learner spec (sac)", [](const JsonReader& r) {
    SacConfig c;
    r.require_only(
        allowed_keys({"actor_learning_rate", "critic_learning_rate", "alpha_learning_rate", "initial_alpha",
                      "auto_alpha", "target_entropy_ratio", "target_entropy", "polyak_tau"}));
    read_shared(r, c);
    read_into(r, "actor_learning_rate", c.actor_learning_rate);
    read_into(r, "critic_learning_rate", c.critic_learning_rate);
    read_into(r, "alpha_learning_rate", c.alpha_learning_rate);
    read_into(r, "initial_alpha", c.initial_alpha);
    read_into(r, "auto_alpha", c.auto_alpha);
    read_into(r, "target_entropy_ratio", c.target_entropy_ratio);
    read_into(r, "polyak_tau", c.polyak_tau);
    c.validate();
    if (r.has("target_entropy")) {
      // Derived (hyper_parameters() writes it for readers); accepted back only when consistent.
      const double v = r.number("target_entropy");
      if (std::abs(v - c.target_entropy()) > 1e-9 * (1 + std::abs(c.target_entropy()))) {
        r.fail("target_entropy", "found " + r.node().at("target_entropy").dump() +
                                     ", but target_entropy_ratio and action_count give " +
                                     std::to_string(c.target_entropy()) +
                                     " (set target_entropy_ratio instead)");
      }
    }
    return c;
  });
}

SupervisedConfig supervised_config_from_json(const nlohmann::json& spec) {
  return read_spec(spec, "learner spec (supervised)", [](const JsonReader& r) {
    SupervisedConfig c;
    r.require_only({"kind", "task", "inputs", "outputs", "hidden", "activation", "learning_rate",
                    "batch_size", "epochs", "validation_fraction", "max_grad_norm", "seed", "max_samples",
                    "sequence"});
    if (r.has("sequence")) {
      const auto s = r.object("sequence");
      s.require_only({"window", "features", "pool", "key_dim"});
      SequenceSpec seq;
      read_into(s, "window", seq.window);
      read_into(s, "features", seq.features);
      if (s.has("pool")) seq.pool = s.one_of("pool", {"attention", "mean"});
      read_into(s, "key_dim", seq.key_dim);
      c.sequence = seq;
      c.network.inputs = seq.window * seq.features;  // the input row: the whole window
    }
    if (r.has("task"))
      c.task = r.one_of("task", {"classification", "regression"}) == "classification"
                   ? SupervisedTask::kClassification
                   : SupervisedTask::kRegression;
    c.network.hidden = {64, 64};
    read_into(r, "inputs", c.network.inputs);
    read_into(r, "outputs", c.network.outputs);
    read_hidden(r, c.network.hidden);
    read_activation(r, c.network.activation);
    read_into(r, "learning_rate", c.learning_rate);
    read_into(r, "batch_size", c.batch_size);
    read_into(r, "epochs", c.epochs);
    read_into(r, "validation_fraction", c.validation_fraction);
    read_into(r, "max_grad_norm", c.max_grad_norm);
    read_into(r, "seed", c.seed);
    if (r.has("max_samples")) r.integer_in("max_samples", 1, std::numeric_limits<std::int64_t>::max());
    try {
      c.validate();
    } catch (const std::invalid_argument& e) {
      throw ConfigError(std::string("learner spec (supervised): ") + e.what());
    }
    return c;
  });
}

std::string learner_kind(const nlohmann::json& spec) {
  return read_spec(spec, "learner spec", [](const JsonReader& r) {
    if (!r.has("kind")) r.fail("kind", "required field is missing; allowed: dqn, sac, supervised");
    return r.one_of("kind", {"dqn", "sac", "supervised"});
  });
}

std::unique_ptr<DiscreteLearner> make_learner(const nlohmann::json& spec) {
  const auto kind = read_spec(spec, "learner spec", [](const JsonReader& r) {
    if (!r.has("kind")) r.fail("kind", "required field is missing; allowed: dqn, sac");
    return r.one_of("kind", {"dqn", "sac"});
  });
  if (kind == "dqn") return std::make_unique<DqnLearner>(dqn_config_from_json(spec));
  return std::make_unique<SacLearner>(sac_config_from_json(spec));
}

nlohmann::json spec_from_manifest(const nlohmann::json& manifest) {
  nlohmann::json spec = manifest.at("hyper_parameters");
  if (manifest.at("kind") == "supervised") {
    spec["kind"] = "supervised";
    const auto& net = manifest.at("network");
    spec["inputs"] = net.at("inputs");
    spec["outputs"] = net.at("outputs");
    spec["hidden"] = net.at("hidden");
    spec["activation"] = net.at("activation");
    if (manifest.contains("sequence")) spec["sequence"] = manifest.at("sequence");
    return spec;
  }
  spec.erase("target_entropy");  // derived (SAC); make_learner recomputes it
  spec["kind"] = manifest.at("kind");
  spec["state_dim"] = manifest.at("state_dim");
  spec["action_count"] = manifest.at("action_count");
  if (manifest.contains("branches")) spec["branches"] = manifest.at("branches");
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
  if (kind == "supervised") {
    const auto h = supervised_config_from_json(have), w = supervised_config_from_json(want);
    if (h.task != w.task)
      return "task is " + to_string(h.task) + " in the checkpoint, " + to_string(w.task) + " in the policy";
    const auto hs = h.sequence ? h.sequence->to_json() : nlohmann::json();
    const auto ws = w.sequence ? w.sequence->to_json() : nlohmann::json();
    if (hs != ws) return "sequence is " + hs.dump() + " in the checkpoint, " + ws.dump() + " in the policy";
    if (h.network != w.network)
      return "network is " + h.network.to_json().dump() + " in the checkpoint, " +
             w.network.to_json().dump() + " in the policy";
    return "";
  }
  // Compared as the learners would build them (absent keys take the config's defaults).
  auto network = [&kind](const nlohmann::json& spec) {
    return kind == "sac" ? sac_config_from_json(spec).actor_network() : dqn_config_from_json(spec).network();
  };
  if (kind == "dqn") {
    const auto hb = dqn_config_from_json(have).branches, wb = dqn_config_from_json(want).branches;
    if (hb != wb) {
      return "branches are " + nlohmann::json(hb).dump() + " in the checkpoint, " +
             nlohmann::json(wb).dump() + " in the policy";
    }
  }
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

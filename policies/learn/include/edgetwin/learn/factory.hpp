#pragma once
/// Builds a learner from a JSON description, so that a policy (which must not link libtorch) can
/// say which learner it needs and the trainer (which does) can build it: the learner spec a
/// learned policy sends the trainer (docs/learning.md, "Learner specs").
///
///   {"kind": "dqn", "state_dim": 7, "action_count": 9, "hidden": [6, 6], "activation": "relu",
///    "learning_rate": 0.05, "gamma": 0.99, ..., "epsilon": {"start": 1, "end": 0, ...}}
///
/// Every key but kind/state_dim/action_count is optional (the config's default); the keys are the
/// config fields, named as in DqnConfig::hyper_parameters() / SacConfig::hyper_parameters().

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "edgetwin/learn/dqn.hpp"
#include "edgetwin/learn/learner.hpp"
#include "edgetwin/learn/sac.hpp"
#include "edgetwin/learn/supervised.hpp"

namespace edgetwin::learn {

/// Throw ConfigError naming the key ("learner spec (dqn): /epsilon/shape: found \"cubic\", allowed:
/// linear, exponential"; common::JsonReader's wording); unknown keys are errors.
DqnConfig dqn_config_from_json(const nlohmann::json& spec);
SacConfig sac_config_from_json(const nlohmann::json& spec);
/// {"kind": "supervised", "task": "classification" | "regression", "inputs": N, "outputs": M,
///  "hidden": [...], "activation", "learning_rate", "batch_size", "epochs", "validation_fraction",
///  "max_grad_norm", "seed", "max_samples"}: epochs are per training episode when the data comes
/// from a scenario; "max_samples" (default 100000) bounds the examples the trainer keeps (the
/// oldest are dropped), read by the trainer, not part of the config.
SupervisedConfig supervised_config_from_json(const nlohmann::json& spec);
/// By spec["kind"]: "dqn" or "sac" (decision networks; "supervised" is refused here).
std::unique_ptr<DiscreteLearner> make_learner(const nlohmann::json& spec);
/// The spec's kind: "dqn", "sac" or "supervised" (ConfigError otherwise).
std::string learner_kind(const nlohmann::json& spec);

/// The learner spec recorded in a checkpoint's manifest (kind, dims, network, hyper-parameters),
/// i.e. what make_learner() needs to build a learner that can load it.
nlohmann::json spec_from_manifest(const nlohmann::json& manifest);
/// Why a learner built from `have` cannot serve a policy asking for `want` ("" = it can): kind,
/// dims and network must agree (hyper-parameters may differ: resuming with a new learning rate).
std::string spec_mismatch(const nlohmann::json& have, const nlohmann::json& want);

}  // namespace edgetwin::learn

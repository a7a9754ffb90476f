#pragma once
/// Errors raised by the learners: an unusable checkpoint or a learner configuration that cannot work.

#include <stdexcept>
#include <string>

#include "edgetwin/common/error.hpp"

namespace edgetwin::learn {

/// A checkpoint that cannot be loaded into this learner: the project's one data error type, with
/// `file()` the checkpoint file at fault (".../manifest.json", ".../online.pt"), `where()` a JSON
/// pointer into the manifest ("/state_dim") or a tensor name ("layers.0.weight"), empty when the
/// whole file is at fault, and `reason()` saying what was found and what was expected.
using CheckpointError = common::DataError;

/// A learner configuration that is out of range; the message names the config field, what was
/// found and what is allowed (e.g. "dqn config: batch_size: found 0, allowed >= 1").
class ConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace edgetwin::learn

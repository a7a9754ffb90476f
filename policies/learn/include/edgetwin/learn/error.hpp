#pragma once
/// Errors raised by the learners: an unusable checkpoint or a learner configuration that cannot work.

#include <stdexcept>
#include <string>

namespace edgetwin::learn {

/// A checkpoint that cannot be loaded into this learner. `file` is the checkpoint file at fault
/// (".../manifest.json", ".../online.pt"); `field` a JSON pointer into the manifest ("/state_dim")
/// or a tensor name ("layers.0.weight"), empty when the whole file is at fault; `reason` says what
/// was found and what was expected.
class CheckpointError : public std::runtime_error {
 public:
  CheckpointError(std::string file, std::string field, std::string reason);

  const std::string& file() const { return file_; }
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_;
  std::string field_;
  std::string reason_;
};

/// A learner configuration that is out of range; the message names the config field, what was
/// found and what is allowed (e.g. "dqn config: batch_size: found 0, allowed >= 1").
class ConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace edgetwin::learn

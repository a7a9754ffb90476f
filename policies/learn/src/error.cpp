#include "edgetwin/learn/error.hpp"

#include <utility>

namespace edgetwin::learn {

namespace {
std::string compose(const std::string& file, const std::string& field, const std::string& reason) {
  std::string text = file.empty() ? std::string("<checkpoint>") : file;
  if (!field.empty()) text += ": " + field;
  return text + ": " + reason;
}
}  // namespace

CheckpointError::CheckpointError(std::string file, std::string field, std::string reason)
    : std::runtime_error(compose(file, field, reason)),
      file_(std::move(file)),
      field_(std::move(field)),
      reason_(std::move(reason)) {}

}  // namespace edgetwin::learn

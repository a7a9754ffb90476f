#include "edgetwin/common/error.hpp"

#include <utility>

namespace edgetwin::common {

namespace {
std::string compose(const std::string& file, const std::string& where, const std::string& reason) {
  std::string text = file.empty() ? std::string("<input>") : file;
  if (!where.empty()) text += ": " + where;
  return text + ": " + reason;
}
}  // namespace

DataError::DataError(std::string file, std::string where, std::string reason)
    : std::runtime_error(compose(file, where, reason)),
      file_(std::move(file)),
      where_(std::move(where)),
      reason_(std::move(reason)) {}

}  // namespace edgetwin::common

#include "edgetwin/common/hash.hpp"

#include <cstdio>

namespace edgetwin::common {

std::string hex16(std::uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace edgetwin::common

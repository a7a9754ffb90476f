#pragma once
/// Small string helpers shared by every module's messages.

#include <string>
#include <vector>

namespace edgetwin::common {

/// The items separated by `separator` ("a, b, c").
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

}  // namespace edgetwin::common

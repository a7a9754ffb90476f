#pragma once
/// Version strings of EdgeTwin and the libraries it was built against.

#include <string>

namespace edgetwin::sim {

/// "0.1.0 (SimGrid 3.32.0)".
std::string version_string();

}  // namespace edgetwin::sim

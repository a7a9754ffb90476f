#include "edgetwin/sim/version.hpp"

// version.h uses xbt/base.h's SG_BEGIN_DECL without including it: keep this order.
// clang-format off
#include <xbt/base.h>
#include <simgrid/version.h>
// clang-format on

namespace edgetwin::sim {

std::string version_string() {
  return std::string("0.1.0 (SimGrid ") + std::to_string(SIMGRID_VERSION_MAJOR) + "." +
         std::to_string(SIMGRID_VERSION_MINOR) + "." + std::to_string(SIMGRID_VERSION_PATCH) + ")";
}

}  // namespace edgetwin::sim

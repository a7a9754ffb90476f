#include "edgetwin/sim/version.hpp"

#include <simgrid/version.h>
#include <xbt/base.h>  // version.h uses its SG_BEGIN_DECL without including it

namespace edgetwin::sim {

std::string version_string() {
  return std::string("0.1.0 (SimGrid ") + std::to_string(SIMGRID_VERSION_MAJOR) + "." +
         std::to_string(SIMGRID_VERSION_MINOR) + "." + std::to_string(SIMGRID_VERSION_PATCH) + ")";
}

}  // namespace edgetwin::sim

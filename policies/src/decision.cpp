// Role names as scenario files and `edgetwin list policies` spell them.

#include "edgetwin/policies/decision.hpp"

#include <stdexcept>

namespace edgetwin::policies {

const char* to_string(Role role) {
  switch (role) {
    case Role::clocks:
      return "clocks";
    case Role::placement:
      return "placement";
    case Role::exit:
      return "exit";
    case Role::batching:
      return "batching";
  }
  return "?";
}

Role role_from_string(const std::string& name) {
  for (Role r : {Role::clocks, Role::placement, Role::exit, Role::batching}) {
    if (name == to_string(r)) return r;
  }
  throw std::invalid_argument("unknown policy role '" + name +
                              "'; allowed: clocks, placement, exit, batching");
}

}  // namespace edgetwin::policies

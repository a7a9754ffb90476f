// Role names as scenario files and `edgetwin list policies` spell them.

#include "edgetwin/policies/decision.hpp"

#include <stdexcept>
#include <string>
#include <vector>

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

std::vector<Role> roles_from_key(const std::string& key) {
  std::vector<Role> roles;
  std::size_t start = 0;
  while (true) {
    const std::size_t plus = key.find('+', start);
    const Role role = role_from_string(key.substr(start, plus == std::string::npos ? plus : plus - start));
    for (const Role r : roles) {
      if (r == role)
        throw std::invalid_argument("role '" + std::string(to_string(role)) + "' named twice in '" + key +
                                    "'");
    }
    roles.push_back(role);
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  return roles;
}

const char* to_string(OutcomeStatus status) {
  switch (status) {
    case OutcomeStatus::completed:
      return "completed";
    case OutcomeStatus::dropped:
      return "dropped";
  }
  return "?";
}

}  // namespace edgetwin::policies

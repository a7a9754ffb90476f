#include "edgetwin/sweep/run_id.hpp"

#include "edgetwin/common/hash.hpp"

namespace edgetwin::sweep {

std::string canonical_json(const nlohmann::json& document) {
  // nlohmann::json keeps objects in a std::map, so dump() lists keys sorted; numbers print in
  // their shortest round-trip form, identical on every machine.
  return document.dump();
}

std::string run_id_of(const nlohmann::json& document) {
  return common::hex16(common::fnv1a64(canonical_json(document)));
}

}  // namespace edgetwin::sweep

#include "edgetwin/sweep/run_id.hpp"

#include <cstdio>

namespace edgetwin::sweep {

std::uint64_t fnv1a64(const std::string& text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV offset basis
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;  // FNV prime
  }
  return hash;
}

std::string hex16(std::uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

std::string canonical_json(const nlohmann::json& document) {
  // nlohmann::json keeps objects in a std::map, so dump() lists keys sorted; numbers print in
  // their shortest round-trip form, identical on every machine.
  return document.dump();
}

std::string run_id_of(const nlohmann::json& document) { return hex16(fnv1a64(canonical_json(document))); }

}  // namespace edgetwin::sweep

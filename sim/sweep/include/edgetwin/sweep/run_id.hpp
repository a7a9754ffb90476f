#pragma once
/// Run identifiers: FNV-1a 64 of a scenario's canonical JSON (docs/sweeps.md), stable across
/// machines and re-expansions of the same sweep.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace edgetwin::sweep {

/// FNV-1a, 64 bits, over the bytes of `text`.
std::uint64_t fnv1a64(const std::string& text);

/// `value` as 16 lowercase hex digits.
std::string hex16(std::uint64_t value);

/// The canonical text of a document: nlohmann `dump()` (compact; object keys sorted).
std::string canonical_json(const nlohmann::json& document);

/// hex16(fnv1a64(canonical_json(document))): the run id of an expanded scenario document.
std::string run_id_of(const nlohmann::json& document);

}  // namespace edgetwin::sweep

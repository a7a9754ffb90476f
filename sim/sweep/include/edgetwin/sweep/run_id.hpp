#pragma once
/// Run identifiers: FNV-1a 64 of a scenario's canonical JSON (docs/sweeps.md), stable across
/// machines and re-expansions of the same sweep.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace edgetwin::sweep {

/// The canonical text of a document: nlohmann `dump()` (compact; object keys sorted).
std::string canonical_json(const nlohmann::json& document);

/// common::hex16(common::fnv1a64(canonical_json(document))): the run id of an expanded scenario document.
std::string run_id_of(const nlohmann::json& document);

}  // namespace edgetwin::sweep

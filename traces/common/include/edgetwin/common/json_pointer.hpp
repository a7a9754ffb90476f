#pragma once
/// JSON pointers (RFC 6901) on nlohmann::json::json_pointer, and the one setter that `--set`
/// overrides and sweeps both use (docs/scenarios.md, "Overrides").

#include <string>

#include <nlohmann/json.hpp>

namespace edgetwin::common {

/// `text` as a pointer; throws std::invalid_argument ("found \"x\", allowed: a JSON pointer
/// starting with '/'") when it is not a valid RFC 6901 pointer.
nlohmann::json::json_pointer parse_pointer(const std::string& text);

/// `token` escaped for use inside a pointer ("a/b" -> "a~1b").
std::string escape_token(const std::string& token);

/// Sets `value` at `pointer` in `doc`. Missing object members on the way are created (so that
/// optional sections can be set; a misspelt key is then reported by validation as an unknown
/// field), but array elements must exist: unlike `doc[pointer] = value`, which null-fills an
/// array past its end, an index out of range throws std::out_of_range naming the array and the
/// allowed range. Also std::out_of_range when the path runs through a scalar or `pointer` is "";
/// std::invalid_argument when `pointer` is not a pointer.
void set_at_pointer(nlohmann::json& doc, const std::string& pointer, const nlohmann::json& value);

/// Whether `pointer` equals `prefix` or lies inside it ("/a/b" is within "/a", "/ab" is not).
bool pointer_within(const std::string& pointer, const std::string& prefix);

}  // namespace edgetwin::common

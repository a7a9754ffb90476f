#pragma once
/// Setting a value at a JSON pointer the way `--set` does (docs/scenarios.md, "Overrides").

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace edgetwin::sweep {

/// RFC 6901 tokens of `pointer` ("/a/b~1c" -> {"a", "b/c"}); throws std::invalid_argument when
/// `pointer` is not empty and does not start with '/'.
std::vector<std::string> pointer_tokens(const std::string& pointer);

/// `token` escaped for use inside a pointer ("a/b" -> "a~1b").
std::string escape_token(const std::string& token);

/// Sets `value` at `pointer` in `doc`: missing object members on the way are created, array
/// elements must exist. Throws std::out_of_range saying which part of the path does not fit.
void set_at_pointer(nlohmann::json& doc, const std::string& pointer, const nlohmann::json& value);

/// Whether `pointer` equals `prefix` or lies inside it ("/a/b" is within "/a", "/ab" is not).
bool pointer_within(const std::string& pointer, const std::string& prefix);

}  // namespace edgetwin::sweep

// `--set /json/pointer=value` overrides, applied to the document before it is validated.

#include <stdexcept>

#include "edgetwin/common/json_pointer.hpp"

#include "scenario_detail.hpp"

namespace edgetwin::sim {

Override parse_override(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos) {
    throw std::invalid_argument("--set: expected /json/pointer=value, found \"" + text + "\"");
  }
  return Override{text.substr(0, eq), text.substr(eq + 1)};
}

namespace detail {

namespace {

using nlohmann::json;

void apply_one(json& doc, const Override& o) {
  const std::string head = "--set " + o.pointer + "=" + o.value;
  if (o.pointer.empty() || o.pointer[0] != '/') {
    throw std::out_of_range(head + ": the pointer must start with '/' (e.g. /platform/groups/0/count)");
  }
  json value;
  try {
    value = json::parse(o.value);
  } catch (const json::parse_error&) {
    value = o.value;  // not JSON: a plain string
  }
  try {
    common::set_at_pointer(doc, o.pointer, value);
  } catch (const std::exception& e) {
    throw std::out_of_range(head + ": " + e.what());
  }
}

}  // namespace

void apply_overrides(json& doc, const std::vector<Override>& overrides, const std::string& file,
                     ErrorCollector& errors) {
  for (const auto& o : overrides) {
    try {
      apply_one(doc, o);
    } catch (const std::out_of_range& e) {
      errors.add(common::DataError(file, o.pointer.empty() ? "/" : o.pointer, e.what()));
    }
  }
}

}  // namespace detail
}  // namespace edgetwin::sim

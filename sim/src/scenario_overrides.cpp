// `--set /json/pointer=value` overrides, applied to the document before it is validated.

#include <stdexcept>

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

// RFC 6901 tokens of a pointer ("/a/b~1c" -> {"a", "b/c"}); the pointer must start with '/'.
std::vector<std::string> pointer_tokens(const std::string& pointer) {
  std::vector<std::string> tokens;
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(token);
      token.clear();
    } else if (pointer[i] == '~' && i + 1 < pointer.size() &&
               (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
      token += pointer[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      token += pointer[i];
    }
  }
  return tokens;
}

// The element `token` of array `node`; `where` is the array's pointer, for messages.
json& array_element(json& node, const std::string& token, const std::string& where,
                    const std::string& reason_head) {
  const bool digits = !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
  const std::size_t index = digits && token.size() < 10 ? std::stoul(token) : node.size();
  if (!digits || index >= node.size()) {
    throw std::out_of_range(
        reason_head + ": " + (where.empty() ? "/" : where) + " is an array of " +
        std::to_string(node.size()) + " elements; found index \"" + token +
        "\", allowed: " + (node.empty() ? std::string("none") : "0 to " + std::to_string(node.size() - 1)));
  }
  return node[index];
}

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
  const auto tokens = pointer_tokens(o.pointer);
  json* node = &doc;
  std::string where;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const bool last = i + 1 == tokens.size();
    if (node->is_object()) {
      // Missing objects on the way are created, so optional sections can be set; a misspelt key
      // is then reported by validation as an unknown field at this pointer.
      if (last) {
        (*node)[tokens[i]] = value;
        return;
      }
      auto it = node->find(tokens[i]);
      node = it != node->end() ? &*it : &((*node)[tokens[i]] = json::object());
    } else if (node->is_array()) {
      json& element = array_element(*node, tokens[i], where, head);
      if (last) {
        element = value;
        return;
      }
      node = &element;
    } else {
      throw std::out_of_range(head + ": " + (where.empty() ? "/" : where) + " is " +
                              traces::describe_json(*node) +
                              ", allowed: a pointer through objects and arrays only");
    }
    where += "/" + tokens[i];
  }
}

}  // namespace

void apply_overrides(json& doc, const std::vector<Override>& overrides, const std::string& file,
                     ErrorCollector& errors) {
  for (const auto& o : overrides) {
    try {
      apply_one(doc, o);
    } catch (const std::out_of_range& e) {
      errors.add(traces::DataError(file, o.pointer.empty() ? "/" : o.pointer, e.what()));
    }
  }
}

}  // namespace detail
}  // namespace edgetwin::sim

#include "edgetwin/common/json_pointer.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "edgetwin/common/json_reader.hpp"

namespace edgetwin::common {

using nlohmann::json;

json::json_pointer parse_pointer(const std::string& text) {
  try {
    return json::json_pointer(text);
  } catch (const json::parse_error&) {
    throw std::invalid_argument("found \"" + text +
                                "\", allowed: a JSON pointer starting with '/' (RFC 6901)");
  }
}

std::string escape_token(const std::string& token) {
  std::string out;
  for (const char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

void set_at_pointer(json& doc, const std::string& pointer, const json& value) {
  json::json_pointer path = parse_pointer(pointer);
  if (path.empty()) throw std::out_of_range("the pointer must name a member, e.g. /platform/groups/0/count");
  std::vector<std::string> tokens;  // json_pointer walks from the back; the setter from the root
  for (auto p = path; !p.empty(); p.pop_back()) tokens.push_back(p.back());
  std::reverse(tokens.begin(), tokens.end());

  json* node = &doc;
  json::json_pointer where;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    const bool last = i + 1 == tokens.size();
    const std::string here = where.empty() ? "/" : where.to_string();
    if (node->is_object()) {
      auto it = node->find(token);
      if (last) {
        (*node)[token] = value;
        return;
      }
      node = it != node->end() ? &*it : &((*node)[token] = json::object());
    } else if (node->is_array()) {
      const bool digits = !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
      const std::size_t index = digits && token.size() < 10 ? std::stoul(token) : node->size();
      if (index >= node->size()) {
        throw std::out_of_range(
            here + " is an array of " + std::to_string(node->size()) + " elements; found index \"" + token +
            "\", allowed: " +
            (node->empty() ? std::string("none") : "0 to " + std::to_string(node->size() - 1)));
      }
      if (last) {
        (*node)[index] = value;
        return;
      }
      node = &(*node)[index];
    } else {
      throw std::out_of_range(here + " is " + describe_json(*node) +
                              ", allowed: a pointer through objects and arrays only");
    }
    where /= token;
  }
}

bool pointer_within(const std::string& pointer, const std::string& prefix) {
  if (pointer.size() < prefix.size() || pointer.compare(0, prefix.size(), prefix) != 0) return false;
  return pointer.size() == prefix.size() || pointer[prefix.size()] == '/';
}

}  // namespace edgetwin::common

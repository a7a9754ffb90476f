#include "edgetwin/sweep/json_pointer.hpp"

#include <stdexcept>

#include "edgetwin/traces/json_reader.hpp"

namespace edgetwin::sweep {

std::vector<std::string> pointer_tokens(const std::string& pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer[0] != '/') {
    throw std::invalid_argument("found \"" + pointer + "\", allowed: a JSON pointer starting with '/'");
  }
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(token);
      token.clear();
    } else if (pointer[i] == '~' && i + 1 < pointer.size() && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
      token += pointer[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      token += pointer[i];
    }
  }
  return tokens;
}

std::string escape_token(const std::string& token) {
  std::string out;
  for (const char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

void set_at_pointer(nlohmann::json& doc, const std::string& pointer, const nlohmann::json& value) {
  const auto tokens = pointer_tokens(pointer);
  if (tokens.empty()) throw std::out_of_range("the pointer must name a member, e.g. /platform/groups/0/count");
  nlohmann::json* node = &doc;
  std::string where;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    const bool last = i + 1 == tokens.size();
    if (node->is_object()) {
      // Like --set: missing objects on the way are created so optional sections can be set.
      auto it = node->find(token);
      if (last) {
        (*node)[token] = value;
        return;
      }
      node = it != node->end() ? &*it : &((*node)[token] = nlohmann::json::object());
    } else if (node->is_array()) {
      const bool digits = !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
      const std::size_t index = digits && token.size() < 10 ? std::stoul(token) : node->size();
      if (index >= node->size()) {
        throw std::out_of_range((where.empty() ? "/" : where) + " is an array of " + std::to_string(node->size()) +
                                " elements; found index \"" + token + "\", allowed: " +
                                (node->empty() ? std::string("none") : "0 to " + std::to_string(node->size() - 1)));
      }
      if (last) {
        (*node)[index] = value;
        return;
      }
      node = &(*node)[index];
    } else {
      throw std::out_of_range((where.empty() ? "/" : where) + " is " + traces::describe_json(*node) +
                              ", allowed: a pointer through objects and arrays only");
    }
    where += "/" + escape_token(token);
  }
}

bool pointer_within(const std::string& pointer, const std::string& prefix) {
  if (pointer.size() < prefix.size() || pointer.compare(0, prefix.size(), prefix) != 0) return false;
  return pointer.size() == prefix.size() || pointer[prefix.size()] == '/';
}

}  // namespace edgetwin::sweep

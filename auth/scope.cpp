#include "auth/scope.h"

#include <algorithm>

namespace cairn::auth {

std::string Scope::str() const {
  std::string out = type + ":" + name + ":";
  for (size_t i = 0; i < actions.size(); ++i) {
    if (i > 0)
      out += ',';
    out += actions[i];
  }
  return out;
}

bool parse_scope(std::string_view text, Scope& out) {
  if (text.size() > 1024)
    return false;
  const size_t first = text.find(':');
  const size_t last = text.rfind(':');
  if (first == std::string_view::npos || first == last || first == 0 || last == first + 1)
    return false;
  std::string_view type = text.substr(0, first);
  if (size_t paren = type.find('('); paren != std::string_view::npos) {
    if (!type.ends_with(')') || paren == 0)
      return false;
    type = type.substr(0, paren);
  }
  out.type = std::string(type);
  out.name = std::string(text.substr(first + 1, last - first - 1));
  out.actions.clear();
  std::string_view rest = text.substr(last + 1);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view word = rest.substr(0, comma);
    if (!word.empty() &&
        std::find(out.actions.begin(), out.actions.end(), word) == out.actions.end()) {
      out.actions.emplace_back(word);
    }
    if (comma == std::string_view::npos)
      break;
    rest.remove_prefix(comma + 1);
  }
  return !out.actions.empty();
}

std::vector<Scope> parse_scopes(const std::vector<std::string>& values) {
  constexpr size_t kMax = 64;
  std::vector<Scope> out;
  for (const std::string& value : values) {
    std::string_view rest = value;
    while (!rest.empty() && out.size() < kMax) {
      size_t space = rest.find(' ');
      std::string_view one = rest.substr(0, space);
      Scope s;
      if (!one.empty() && parse_scope(one, s)) {
        auto same = std::find_if(out.begin(), out.end(), [&](const Scope& o) {
          return o.type == s.type && o.name == s.name;
        });
        if (same == out.end()) {
          out.push_back(std::move(s));
        } else {
          for (auto& a : s.actions) {
            if (std::find(same->actions.begin(), same->actions.end(), a) == same->actions.end())
              same->actions.push_back(std::move(a));
          }
        }
      }
      if (space == std::string_view::npos)
        break;
      rest.remove_prefix(space + 1);
    }
  }
  return out;
}

}  // namespace cairn::auth

// Small text helpers for header values and other protocol text, shared by every layer.
#pragma once

#include <cctype>
#include <string_view>

namespace cairn {

// `s` without leading and trailing spaces and tabs (HTTP's optional white space).
inline std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Whether `s` starts with `prefix`, ignoring ASCII case; `prefix` must be lowercase.
inline bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size())
    return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i])
      return false;
  }
  return true;
}

}  // namespace cairn

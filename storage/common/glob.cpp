#include "storage/common/glob.h"

#include <vector>

namespace cairn {

bool glob_match(std::string_view pattern, std::string_view name) {
  // reach[j]: the pattern consumed so far can match name[0, j). One row per pattern token.
  std::vector<char> reach(name.size() + 1, 0), next(name.size() + 1, 0);
  reach[0] = 1;
  size_t i = 0;
  while (i < pattern.size()) {
    std::fill(next.begin(), next.end(), 0);
    if (pattern[i] == '*') {
      const bool any = i + 1 < pattern.size() && pattern[i + 1] == '*';
      i += any ? 2 : 1;
      // A star extends every reachable position over characters it may eat.
      bool carry = false;
      for (size_t j = 0; j <= name.size(); ++j) {
        carry = reach[j] || (j > 0 && carry && (any || name[j - 1] != '/'));
        next[j] = carry ? 1 : 0;
      }
    } else {
      for (size_t j = 0; j < name.size(); ++j) {
        if (reach[j] && name[j] == pattern[i])
          next[j + 1] = 1;
      }
      ++i;
    }
    reach.swap(next);
  }
  return reach[name.size()] != 0;
}

bool valid_glob(std::string_view pattern) {
  if (pattern.empty() || pattern.size() > 255 || pattern.find("***") != std::string_view::npos)
    return false;
  for (char c : pattern) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || c == '/' || c == '*' || c == ':';
    if (!ok)
      return false;
  }
  return true;
}

}  // namespace cairn

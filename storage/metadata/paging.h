// Paging: how list calls return names a page at a time (the distribution-spec's n/last).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace cairn::metadata {

// One page of names in lexical order. When `more` is true, pass names.back() as `last` to get
// the next page.
struct NamePage {
  std::vector<std::string> names;
  bool more = false;
  // Set when the page ended early, on a bound of the names it may visit rather than on n: the
  // name to pass as `last` instead of names.back() (which may be empty).
  std::string resume;
};

// No limit on a page's size.
inline constexpr size_t kNoLimit = 0;

}  // namespace cairn::metadata

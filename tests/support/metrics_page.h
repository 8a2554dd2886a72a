// Reading a Prometheus text page (GET /metrics) in tests.
#pragma once

#include <optional>
#include <string>

namespace cairn::testing {

// The value of the sample line `series` (name and labels exactly as serialized, e.g.
// `cairn_cache_hits_total{upstream="up.test"}`); nullopt when the page has no such line.
inline std::optional<double> sample_value(const std::string& page, const std::string& series) {
  size_t at = 0;
  while ((at = page.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || page[at - 1] == '\n')
      return std::stod(page.substr(at + series.size() + 1));
    at += series.size();
  }
  return std::nullopt;
}

}  // namespace cairn::testing

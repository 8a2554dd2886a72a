// Byte ranges: the `Range` header of blob GETs (RFC 9110) and the `Content-Range` header of
// upload PATCHes (the distribution-spec's "<start>-<end>").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cairn::handlers {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  uint64_t length() const { return last - first + 1; }
};

enum class RangeOutcome {
  none,           // no usable Range: serve the whole content (absent, or several ranges)
  satisfiable,    // serve `range` with 206
  unsatisfiable,  // 416 with Content-Range: bytes */size
  malformed,      // ignore it (RFC 9110: a server MAY ignore an invalid Range) — serve whole
};

struct RangeRequest {
  RangeOutcome outcome = RangeOutcome::none;
  ByteRange range;
};

// Interprets `Range: bytes=a-b | bytes=a- | bytes=-n` against content of `size` bytes.
RangeRequest parse_range(std::string_view header, uint64_t size);

// Parses a PATCH `Content-Range`: "a-b" or "bytes a-b" or "bytes a-b/total" with a <= b and,
// when the total is not "*", b < total.
std::optional<ByteRange> parse_content_range(std::string_view header);

}  // namespace cairn::handlers

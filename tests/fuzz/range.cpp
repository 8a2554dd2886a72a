// Fuzzes the byte-range headers: `Range` of blob GETs against a content size, and
// `Content-Range` of upload PATCHes. Input: 8 bytes of content size (little-endian), then the
// header value.
#include "handlers/range.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

using namespace cairn::handlers;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint64_t content_size = 0;
  if (size >= sizeof content_size) {
    std::memcpy(&content_size, data, sizeof content_size);
    data += sizeof content_size;
    size -= sizeof content_size;
  }
  std::string_view header(reinterpret_cast<const char*>(data), size);

  RangeRequest r = parse_range(header, content_size);
  if (r.outcome == RangeOutcome::satisfiable) {
    // A range the server will send must lie inside the content.
    if (!(r.range.first <= r.range.last && r.range.last < content_size))
      std::abort();
  }
  if (auto cr = parse_content_range(header)) {
    if (cr->first > cr->last)
      std::abort();
  }
  return 0;
}

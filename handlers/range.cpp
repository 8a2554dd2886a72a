#include "handlers/range.h"

#include "storage/common/text.h"

#include <charconv>

namespace cairn::handlers {
namespace {

// A decimal position of any length, saturated at UINT64_MAX: "bytes=0-18446744073709551615" is a
// valid range (its end past the content means "to the end") and "bytes=99999999999999999999-"
// starts past any content (416), where refusing the long number would serve everything.
std::optional<uint64_t> position(std::string_view s) {
  if (s.empty())
    return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    unsigned d = static_cast<unsigned>(c - '0');
    v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
  }
  return v;
}

std::optional<uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 19)
    return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size())
    return std::nullopt;
  return v;
}

}  // namespace

RangeRequest parse_range(std::string_view header, uint64_t size) {
  RangeRequest out;
  header = trim_blanks(header);
  if (header.empty())
    return out;
  if (!header.starts_with("bytes=")) {
    out.outcome = RangeOutcome::malformed;
    return out;
  }
  std::string_view spec = trim_blanks(header.substr(6));
  if (spec.find(',') != std::string_view::npos)
    return out;  // several ranges: send it all
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) {
    out.outcome = RangeOutcome::malformed;
    return out;
  }
  std::string_view a = trim_blanks(spec.substr(0, dash));
  std::string_view b = trim_blanks(spec.substr(dash + 1));
  if (a.empty()) {  // suffix: the last n bytes
    auto n = position(b);
    if (!n) {
      out.outcome = RangeOutcome::malformed;
      return out;
    }
    if (*n == 0 || size == 0) {
      out.outcome = RangeOutcome::unsatisfiable;
      return out;
    }
    uint64_t len = std::min(*n, size);
    out.outcome = RangeOutcome::satisfiable;
    out.range = {size - len, size - 1};
    return out;
  }
  auto first = position(a);
  std::optional<uint64_t> last = b.empty() ? std::optional<uint64_t>(UINT64_MAX) : position(b);
  if (!first || !last || *last < *first) {
    out.outcome = RangeOutcome::malformed;
    return out;
  }
  if (*first >= size) {
    out.outcome = RangeOutcome::unsatisfiable;
    return out;
  }
  out.outcome = RangeOutcome::satisfiable;
  out.range = {*first, std::min(*last, size - 1)};
  return out;
}

std::optional<ByteRange> parse_content_range(std::string_view header) {
  header = trim_blanks(header);
  if (header.starts_with("bytes "))
    header = trim_blanks(header.substr(6));
  if (header.starts_with("bytes="))
    header = trim_blanks(header.substr(6));
  std::optional<std::string_view> total;
  if (size_t slash = header.find('/'); slash != std::string_view::npos) {
    total = trim_blanks(header.substr(slash + 1));
    header = header.substr(0, slash);
  }
  size_t dash = header.find('-');
  if (dash == std::string_view::npos)
    return std::nullopt;
  auto a = number(trim_blanks(header.substr(0, dash)));
  auto b = number(trim_blanks(header.substr(dash + 1)));
  if (!a || !b || *b < *a)
    return std::nullopt;
  if (total && *total != "*") {  // RFC 9110: the complete length, larger than the last byte
    auto t = number(*total);
    if (!t || *t <= *b)
      return std::nullopt;
  }
  return ByteRange{*a, *b};
}

}  // namespace cairn::handlers

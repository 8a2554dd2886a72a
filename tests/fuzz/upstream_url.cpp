// Fuzzes the upstream client's URL parsers: endpoint URLs (upstream::parse_url), absolute URLs
// (token realms, redirects), Location headers resolved against a base, and url_encode.
// Input: the base URL, a newline, the Location value.
#include "upstream/client.h"
#include "upstream/url.h"

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace cairn::upstream;

namespace {

void check(bool ok) {
  if (!ok)
    std::abort();
}

// A parsed URL is one a request can be built from, and reads back the same.
void check_url(const Url& u) {
  check(!u.host.empty() && !u.port.empty());
  check(!u.target.empty() && u.target.front() == '/');
  for (char c : u.target)
    check(static_cast<unsigned char>(c) > ' ' && c != '#');
  auto again = parse_absolute_url(u.str());
  check(again && again->tls == u.tls && again->host == u.host && again->port == u.port &&
        again->target == u.target);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string_view base_text = input.substr(0, nl);
  std::string_view location = nl == std::string_view::npos ? input : input.substr(nl + 1);

  if (auto p = parse_url(base_text))
    check(!p->host.empty() && !p->port.empty());
  auto base = parse_absolute_url(base_text);
  if (base) {
    check_url(*base);
    if (auto r = resolve_location(*base, location))
      check_url(*r);
  }
  for (char c : url_encode(location)) {
    check(std::isalnum(static_cast<unsigned char>(c)) || c == '%' || c == '-' || c == '.' ||
          c == '_' || c == '~');
  }
  return 0;
}

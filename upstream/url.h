// URLs as the upstream client needs them: the endpoint's origin, redirect targets (absolute or
// relative Location headers) and token realms with their query strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cairn::upstream {

// An absolute http(s) URL split into what a request needs.
struct Url {
  bool tls = false;
  std::string host;          // without brackets for IPv6
  std::string port;          // "80"/"443" when absent
  std::string target = "/";  // path and query, never empty

  // "https://host:port": what identifies a connection (and a security origin).
  std::string origin() const;
  // The Host header: the host, with the port when it is not the scheme's default.
  std::string host_header() const;
  std::string str() const { return origin() + target; }
  bool same_origin(const Url& o) const { return tls == o.tls && host == o.host && port == o.port; }
};

// Parses "http[s]://host[:port][/path][?query]"; nullopt when malformed (another scheme,
// userinfo, an empty host or a bad port). A fragment is dropped.
std::optional<Url> parse_absolute_url(std::string_view url);

// Resolves a Location header against the URL it answered: absolute URLs, scheme-relative
// ("//host/p"), absolute paths ("/p") and relative paths ("p", "../p").
std::optional<Url> resolve_location(const Url& base, std::string_view location);

// Percent-encodes everything but RFC 3986 unreserved characters (for query values).
std::string url_encode(std::string_view s, std::string_view also_safe = {});

}  // namespace cairn::upstream

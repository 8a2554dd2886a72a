#include "upstream/url.h"

#include "storage/common/text.h"

#include "upstream/client.h"

#include <charconv>

namespace cairn::upstream {

namespace {

bool valid_port(std::string_view p) {
  if (p.empty() || p.size() > 5)
    return false;
  unsigned v = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  return ec == std::errc() && end == p.data() + p.size() && v > 0 && v < 65536;
}

// Splits "host[:port]" (IPv6 in brackets) of an authority; false when malformed.
bool split_authority(std::string_view auth, bool tls, std::string& host, std::string& port) {
  if (auth.empty() || auth.find('@') != std::string_view::npos)
    return false;
  std::string_view h, p;
  if (auth.front() == '[') {
    size_t close = auth.find(']');
    if (close == std::string_view::npos || close == 1)
      return false;
    h = auth.substr(1, close - 1);
    std::string_view rest = auth.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return false;
      p = rest.substr(1);
      if (!valid_port(p))
        return false;
    }
  } else {
    size_t colon = auth.rfind(':');
    h = auth.substr(0, colon);
    if (colon != std::string_view::npos) {
      p = auth.substr(colon + 1);
      if (!valid_port(p))
        return false;
    }
    if (h.empty() || h.find(':') != std::string_view::npos)
      return false;
  }
  // No brackets inside the host either: "[[]" would name host "[", which origin() cannot
  // write back as a URL (found by fuzz_upstream_url).
  for (char c : h) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f || c == '/' || c == '?' || c == '#' ||
        c == '[' || c == ']')
      return false;
  }
  host = std::string(h);
  port = p.empty() ? (tls ? "443" : "80") : std::string(p);
  return true;
}

// Removes "." and ".." segments (RFC 3986 5.2.4) from an absolute path.
std::string remove_dot_segments(std::string_view path) {
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    size_t next = path.find('/', i + 1);
    std::string_view seg = path.substr(i, next == std::string_view::npos ? path.npos : next - i);
    if (seg == "/.") {
      if (next == std::string_view::npos)
        out += '/';
    } else if (seg == "/..") {
      size_t cut = out.rfind('/');
      out.erase(cut == std::string::npos ? 0 : cut);
      if (next == std::string_view::npos)
        out += '/';
    } else {
      out += seg;
    }
    if (next == std::string_view::npos)
      break;
    i = next;
  }
  return out.empty() ? "/" : out;
}

}  // namespace

std::string Url::origin() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return (tls ? "https://" : "http://") + h + ":" + port;
}

std::string Url::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if ((tls && port == "443") || (!tls && port == "80"))
    return h;
  return h + ":" + port;
}

std::optional<Url> parse_absolute_url(std::string_view url) {
  Url out;
  if (starts_with_ci(url, "https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (starts_with_ci(url, "http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  if (size_t hash = url.find('#'); hash != std::string_view::npos)
    url = url.substr(0, hash);
  size_t end = url.find_first_of("/?");
  if (!split_authority(url.substr(0, end), out.tls, out.host, out.port))
    return std::nullopt;
  if (end != std::string_view::npos) {
    std::string_view rest = url.substr(end);
    out.target = rest.front() == '?' ? "/" + std::string(rest) : std::string(rest);
  }
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return std::nullopt;
  }
  return out;
}

std::optional<Url> resolve_location(const Url& base, std::string_view location) {
  if (location.empty())
    return std::nullopt;
  if (starts_with_ci(location, "http://") || starts_with_ci(location, "https://"))
    return parse_absolute_url(location);
  if (location.starts_with("//"))
    return parse_absolute_url((base.tls ? "https:" : "http:") + std::string(location));
  if (location.find("://") != std::string_view::npos && location.find(':') < location.find('/'))
    return std::nullopt;  // another scheme
  Url out = base;
  std::string_view loc = location;
  if (size_t hash = loc.find('#'); hash != std::string_view::npos)
    loc = loc.substr(0, hash);
  std::string path, query;
  size_t q = loc.find('?');
  std::string_view lpath = loc.substr(0, q);
  if (q != std::string_view::npos)
    query = std::string(loc.substr(q));
  if (lpath.empty()) {
    // "?query" keeps the base path
    std::string_view bpath = std::string_view(base.target).substr(0, base.target.find('?'));
    out.target = std::string(bpath) + query;
  } else if (lpath.front() == '/') {
    out.target = remove_dot_segments(lpath) + query;
  } else {
    std::string_view bpath = std::string_view(base.target).substr(0, base.target.find('?'));
    std::string merged(bpath.substr(0, bpath.rfind('/') + 1));
    merged += lpath;
    out.target = remove_dot_segments(merged) + query;
  }
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return std::nullopt;
  }
  return out;
}

std::string url_encode(std::string_view s, std::string_view also_safe) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
        also_safe.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<ParsedUrl> parse_url(std::string_view url) {
  auto u = parse_absolute_url(url);
  if (!u)
    return std::nullopt;
  // The endpoint is an origin: no path (a lone "/" is tolerated), no query.
  if (u->target != "/")
    return std::nullopt;
  std::string_view rest = url.substr(url.find("//") + 2);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return std::nullopt;
  return ParsedUrl{u->tls, u->host, u->port};
}

}  // namespace cairn::upstream

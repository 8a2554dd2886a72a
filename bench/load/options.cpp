#include "bench/load/options.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace cairn::load {
namespace {

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size())
    return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i])
      return false;
  }
  return true;
}

bool parse_u64(std::string_view text, std::uint64_t& out) {
  if (text.empty())
    return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

// Parses a byte count with an optional K, M or G suffix (powers of 1024).
bool parse_size(std::string_view text, std::uint64_t& out) {
  std::uint64_t scale = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'k':
      case 'K':
        scale = 1024;
        break;
      case 'm':
      case 'M':
        scale = 1024 * 1024;
        break;
      case 'g':
      case 'G':
        scale = 1024 * 1024 * 1024;
        break;
    }
    if (scale != 1)
      text.remove_suffix(1);
  }
  if (!parse_u64(text, out))
    return false;
  out *= scale;
  return true;
}

bool header_named(std::string_view header, std::string_view lower_name) {
  return iequals_prefix(header, lower_name) && header.size() > lower_name.size() &&
         (header[lower_name.size()] == ':' || header[lower_name.size()] == ' ');
}

}  // namespace

std::optional<Url> parse_url(std::string_view text, std::string& error) {
  Url url;
  std::string_view rest;
  if (iequals_prefix(text, "http://")) {
    rest = text.substr(7);
  } else if (iequals_prefix(text, "https://")) {
    rest = text.substr(8);
    url.tls = true;
    url.port = 443;
  } else {
    error = "only http:// and https:// URLs are supported: " + std::string(text);
    return std::nullopt;
  }
  if (std::size_t hash = rest.find('#'); hash != std::string_view::npos)
    rest = rest.substr(0, hash);
  std::size_t path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view target = path_at == std::string_view::npos ? "" : rest.substr(path_at);
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    error = "URL needs a host (and no user info): " + std::string(text);
    return std::nullopt;
  }
  std::string_view host = authority, port;
  if (authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 literal in " + std::string(text);
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        error = "bad authority in " + std::string(text);
        return std::nullopt;
      }
      port = after.substr(1);
    }
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    error = "URL needs a host: " + std::string(text);
    return std::nullopt;
  }
  if (!port.empty()) {
    std::uint64_t p = 0;
    if (!parse_u64(port, p) || p == 0 || p > 65535) {
      error = "bad port in " + std::string(text);
      return std::nullopt;
    }
    url.port = static_cast<std::uint16_t>(p);
  }
  url.host = std::string(host);
  url.authority = std::string(authority);
  if (target.empty()) {
    url.target = "/";
  } else if (target.front() == '?') {
    url.target = "/";  // (not "/" + string: GCC 12 warns falsely, -Wrestrict)
    url.target += target;
  } else {
    url.target = std::string(target);
  }
  return url;
}

double parse_duration(std::string_view text) {
  double scale = 1.0;
  if (text.ends_with("ms")) {
    scale = 0.001;
    text.remove_suffix(2);
  } else if (text.ends_with("s")) {
    text.remove_suffix(1);
  } else if (text.ends_with("m")) {
    scale = 60.0;
    text.remove_suffix(1);
  }
  if (text.empty())
    return -1.0;
  std::string copy(text);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !(v >= 0.0))
    return -1.0;
  return v * scale;
}

std::string_view usage() {
  return R"(usage: cairn-load --url URL [options]

A keep-alive HTTP/1.1 load generator. Prints one JSON object on stdout:
  {"rps":..., "p50_ms":..., "p99_ms":..., "p999_ms":..., "errors":..., "non2xx":..., "requests":..., ...}

options:
  --url URL               http[s]://host[:port][/path][?query] (required)
  --method M              request method, HEAD included                     [GET]
  --header 'K: V'         extra request header (repeatable)
  --connections N         concurrent keep-alive connections                 [64]
  --duration SECONDS      run time; also 500ms, 10s, 1m                     [10]
  --body-file F           request body (sent with Content-Length)
  --threads N             I/O threads                                       [min(2, connections)]
  --timeout SECONDS       a request unanswered this long is an error        [10]
  --random-range SIZE[:LEN]
                          each request adds 'Range: bytes=a-(a+LEN-1)' at a random offset a in
                          [0, SIZE-LEN]; sizes take K, M, G suffixes        [LEN 65536]
  --cacert FILE           https: PEM CA bundle that verifies the server     [system CAs]
  --insecure              https: verify neither certificate nor host name
  --also-port PORT        the same URL on PORT of the same host too (repeatable): connections
                          spread round-robin over the URL's port and these (replicas)
  --help                  this text
)";
}

std::optional<Options> parse_options(int argc, char** argv, std::string& error, bool& want_help) {
  Options o;
  bool have_url = false;
  want_help = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      want_help = true;
      return std::nullopt;
    }
    if (arg == "--insecure" || arg == "-k") {  // the one flag without a value
      o.insecure = true;
      continue;
    }
    if (!arg.starts_with("--")) {
      error = "unexpected argument: " + std::string(arg);
      return std::nullopt;
    }
    std::string_view key = arg, value;
    bool inline_value = false;
    if (std::size_t eq = arg.find('='); eq != std::string_view::npos) {
      key = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inline_value = true;
    }
    if (!inline_value) {
      if (i + 1 >= argc) {
        error = std::string(key) + " needs a value";
        return std::nullopt;
      }
      value = argv[++i];
    }
    std::uint64_t n = 0;
    if (key == "--url") {
      auto url = parse_url(value, error);
      if (!url)
        return std::nullopt;
      o.url = std::move(*url);
      have_url = true;
    } else if (key == "--method") {
      if (value.empty() || value.find_first_of(" \t\r\n") != std::string_view::npos) {
        error = "bad --method: " + std::string(value);
        return std::nullopt;
      }
      o.method = std::string(value);
    } else if (key == "--header" || key == "-H") {
      if (value.find(':') == std::string_view::npos || value.find_first_of("\r\n") != value.npos) {
        error = "--header wants 'Name: value', got " + std::string(value);
        return std::nullopt;
      }
      o.headers.emplace_back(value);
    } else if (key == "--also-port") {
      if (!parse_u64(value, n) || n == 0 || n > 65535) {
        error = "bad --also-port: " + std::string(value);
        return std::nullopt;
      }
      o.also_ports.push_back(static_cast<std::uint16_t>(n));
    } else if (key == "--connections") {
      if (!parse_u64(value, n) || n == 0 || n > 100000) {
        error = "bad --connections: " + std::string(value);
        return std::nullopt;
      }
      o.connections = static_cast<int>(n);
    } else if (key == "--threads") {
      if (!parse_u64(value, n) || n == 0 || n > 256) {
        error = "bad --threads: " + std::string(value);
        return std::nullopt;
      }
      o.threads = static_cast<int>(n);
    } else if (key == "--duration") {
      o.duration_s = parse_duration(value);
      if (!(o.duration_s > 0.0)) {
        error = "bad --duration: " + std::string(value);
        return std::nullopt;
      }
    } else if (key == "--timeout") {
      o.timeout_s = parse_duration(value);
      if (!(o.timeout_s > 0.0)) {
        error = "bad --timeout: " + std::string(value);
        return std::nullopt;
      }
    } else if (key == "--body-file") {
      o.body_file = std::string(value);
    } else if (key == "--cacert") {
      if (value.empty()) {
        error = "--cacert needs a file";
        return std::nullopt;
      }
      o.cacert = std::string(value);
    } else if (key == "--random-range") {
      RandomRange r;
      std::size_t colon = value.find(':');
      if (!parse_size(value.substr(0, colon), r.size) ||
          (colon != std::string_view::npos && !parse_size(value.substr(colon + 1), r.length)) ||
          r.length == 0 || r.length > r.size) {
        error = "--random-range wants SIZE[:LEN] with 0 < LEN <= SIZE, got " + std::string(value);
        return std::nullopt;
      }
      o.random_range = r;
    } else {
      error = "unknown option: " + std::string(key);
      return std::nullopt;
    }
  }
  if (!have_url) {
    error = "--url is required";
    return std::nullopt;
  }
  if (!o.url.tls && (o.insecure || !o.cacert.empty())) {
    error = "--cacert and --insecure need an https:// URL";
    return std::nullopt;
  }
  if (o.threads == 0)
    o.threads = o.connections < 2 ? o.connections : 2;
  if (o.threads > o.connections)
    o.threads = o.connections;
  return o;
}

RequestTemplate build_request(const Options& options, std::string_view body) {
  RequestTemplate t;
  t.head = options.method == "HEAD";
  bool has_host = false, has_length = false;
  std::string& p = t.prefix;
  p.reserve(256 + body.size());
  p += options.method;
  p += ' ';
  p += options.url.target;
  p += " HTTP/1.1\r\n";
  for (const std::string& h : options.headers) {
    has_host = has_host || header_named(h, "host");
    has_length = has_length || header_named(h, "content-length");
  }
  if (!has_host) {
    p += "Host: ";
    p += options.url.authority;
    p += "\r\n";
  }
  for (const std::string& h : options.headers) {
    p += h;
    p += "\r\n";
  }
  bool wants_length = !body.empty() || options.method == "POST" || options.method == "PUT" ||
                      options.method == "PATCH";
  if (wants_length && !has_length) {
    p += "Content-Length: ";
    p += std::to_string(body.size());
    p += "\r\n";
  }
  std::string& tail = options.random_range ? t.suffix : p;
  tail += "\r\n";
  tail += body;
  return t;
}

}  // namespace cairn::load

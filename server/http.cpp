#include "server/http.h"

namespace cairn::server {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size())
        return std::nullopt;
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0')
        return std::nullopt;
      out += decoded;
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

Response& Response::set(std::string_view name, std::string_view value) {
  headers.emplace_back(std::string(name), std::string(value));
  return *this;
}

std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name)
      return v;
  }
  return {};
}

std::string_view Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name)
      return v;
  }
  return {};
}

std::vector<std::string_view> Request::header_values(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : headers) {
    if (k == name)
      out.emplace_back(v);
  }
  return out;
}

std::string_view Request::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name)
      return v;
  }
  return {};
}

std::vector<std::string> Request::query_values(std::string_view key) const {
  std::vector<std::string> out;
  std::string_view q = query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    size_t eq = part.find('=');
    auto k = percent_decode(part.substr(0, eq), true);
    if (!k || *k != key)
      continue;
    std::string_view raw = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
    // A value that does not decode (a stray '%', an encoded NUL) is kept as sent, never dropped:
    // dropped, "?digest=%00" would read as no digest at all. '%' belongs to no grammar a value
    // is checked against (digest, name, tag, number), so the handler refuses it with a 4xx.
    auto v = percent_decode(raw, true);
    out.push_back(v ? std::move(*v) : std::string(raw));
  }
  return out;
}

std::optional<std::string> Request::query_value(std::string_view key) const {
  auto all = query_values(key);
  if (all.empty())
    return std::nullopt;
  return std::move(all.front());
}

}  // namespace cairn::server

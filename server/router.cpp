#include "server/router.h"

#include <algorithm>
#include <stdexcept>

namespace cairn::server {
namespace {

// Splits "/a/b/" into {"a", "b", ""}: a trailing empty part marks a trailing slash.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.starts_with('/'))
    path.remove_prefix(1);
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash - start));
    if (slash == std::string_view::npos)
      break;
    start = slash + 1;
  }
  return parts;
}

}  // namespace

std::string_view access_name(Access a) {
  switch (a) {
    case Access::open:
      return "open";
    case Access::pull:
      return "pull";
    case Access::push:
      return "push";
    case Access::remove:
      return "delete";
    case Access::admin:
      return "admin";
  }
  return "?";
}

void Router::add(std::string method, std::string_view pattern, Access access, Handler handler) {
  Route r{std::move(method), std::string(pattern), {}, access, std::move(handler)};
  bool has_rest = false;
  for (std::string_view part : split_path(pattern)) {
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      std::string_view name = part.substr(1, part.size() - 2);
      if (name.ends_with("...")) {
        if (has_rest)
          throw std::invalid_argument("two rest parameters in " + r.pattern);
        has_rest = true;
        r.segments.push_back({Segment::rest, std::string(name.substr(0, name.size() - 3))});
      } else {
        r.segments.push_back({Segment::one, std::string(name)});
      }
    } else {
      r.segments.push_back({Segment::literal, std::string(part)});
    }
  }
  routes_.push_back(std::move(r));
}

bool Router::match_route(const Route& r, const std::vector<std::string_view>& parts,
                         std::vector<std::pair<std::string, std::string>>& params) {
  params.clear();
  const auto& segs = r.segments;
  auto match_one = [&](const Segment& s, std::string_view part) {
    if (s.kind == Segment::literal)
      return s.text == part;
    if (part.empty())
      return false;
    params.emplace_back(s.text, std::string(part));
    return true;
  };
  auto rest = std::find_if(segs.begin(), segs.end(),
                           [](const Segment& s) { return s.kind == Segment::rest; });
  if (rest == segs.end()) {
    if (parts.size() != segs.size())
      return false;
    for (size_t i = 0; i < segs.size(); ++i) {
      if (!match_one(segs[i], parts[i]))
        return false;
    }
    return true;
  }
  size_t before = rest - segs.begin();
  size_t after = segs.end() - rest - 1;
  if (parts.size() < before + after + 1)
    return false;
  for (size_t i = 0; i < before; ++i) {
    if (!match_one(segs[i], parts[i]))
      return false;
  }
  size_t rest_end = parts.size() - after;
  std::string joined;
  for (size_t i = before; i < rest_end; ++i) {
    if (parts[i].empty())
      return false;  // "a//b" is no name
    if (!joined.empty())
      joined += '/';
    joined += parts[i];
  }
  params.emplace_back(rest->text, std::move(joined));
  for (size_t i = 0; i < after; ++i) {
    if (!match_one(segs[before + 1 + i], parts[rest_end + i]))
      return false;
  }
  return true;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  auto parts = split_path(path);
  std::vector<std::pair<std::string, std::string>> params;
  const std::string* owner = nullptr;  // the first pattern that matches owns the path
  for (const Route& r : routes_) {
    if (owner != nullptr && r.pattern != *owner)
      continue;
    if (!match_route(r, parts, params))
      continue;
    owner = &r.pattern;
    m.pattern = owner;
    if (r.method == method) {
      m.handler = &r.handler;
      m.access = r.access;
      m.params = std::move(params);
      m.allowed.clear();
      return m;
    }
    if (std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end()) {
      m.allowed.push_back(r.method);
    }
  }
  return m;
}

boost::asio::awaitable<Response> Router::dispatch(Request& req) const {
  Match m = match(req.method, req.path);
  if (m.pattern != nullptr)
    req.route = *m.pattern;
  if (m.handler != nullptr) {
    req.params = std::move(m.params);
    if (guard_) {
      std::optional<Response> denied = co_await guard_(req, m.access);
      if (denied)
        co_return std::move(*denied);
    }
    co_return co_await (*m.handler)(req);
  }
  if (!m.allowed.empty()) {
    std::string allow;
    for (const auto& method : m.allowed) {
      if (!allow.empty())
        allow += ", ";
      allow += method;
    }
    Response res = co_await method_not_allowed_(req);
    res.set("allow", allow);
    co_return res;
  }
  co_return co_await not_found_(req);
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  for (const Route& r : routes_)
    out.push_back({r.method, r.pattern, r.access});
  return out;
}

}  // namespace cairn::server

// Router: the one table of paths and verbs.
//
// A route is {method, pattern, handler}. A pattern is a '/'-separated list of segments:
//   literal        matches itself                      "v2", "blobs", "_catalog"
//   {x}            one non-empty segment               "{digest}", "{reference}"
//   {x...}         one or more segments (at most one per pattern), matched from the right:
//                  the fixed segments after it are matched against the end of the path first,
//                  so an OCI name may hold '/' and even the words "blobs" or "manifests".
// A pattern ending in '/' matches only a path ending in '/'. Routes are tried in the order they
// were added; the first pattern that matches the path owns it: the request goes to that
// pattern's route for its method, or to the method-not-allowed handler (with an Allow header
// listing the pattern's methods) — never on to a later, looser pattern. A path that matches no
// pattern goes to the not-found handler. No handler parses a path itself.
#pragma once

#include "server/http.h"

#include <string>
#include <string_view>
#include <vector>

namespace cairn::server {

class Router {
 public:
  // Adds a route. Throws std::invalid_argument for a malformed pattern (start-up only).
  void add(std::string method, std::string_view pattern, Handler handler);
  void set_not_found(Handler h) { not_found_ = std::move(h); }
  void set_method_not_allowed(Handler h) { method_not_allowed_ = std::move(h); }

  struct Match {
    const Handler* handler = nullptr;  // null: no route for this path and method
    std::vector<std::pair<std::string, std::string>> params;
    std::vector<std::string> allowed;  // methods of routes matching the path, when handler null
  };
  // Matches `method` and decoded `path`. Thread-safe (const).
  Match match(std::string_view method, std::string_view path) const;

  // Runs the matching handler (or a fallback) for `req`, filling req.params.
  boost::asio::awaitable<Response> dispatch(Request& req) const;

  struct RouteInfo {
    std::string method;
    std::string pattern;
  };
  // Every route, in table order (for the OpenAPI cross-check).
  std::vector<RouteInfo> routes() const;

 private:
  struct Segment {
    enum Kind { literal, one, rest } kind;
    std::string text;  // literal text or parameter name
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
  };
  static bool match_route(const Route& r, const std::vector<std::string_view>& parts,
                          std::vector<std::pair<std::string, std::string>>& params);

  std::vector<Route> routes_;
  Handler not_found_;
  Handler method_not_allowed_;
};

}  // namespace cairn::server

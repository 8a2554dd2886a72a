// Router: the one table of paths and verbs.
//
// A route is {method, pattern, access, handler}. A pattern is a '/'-separated list of segments:
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
//
// Each route declares the access it requires (Access): the router does not know what the words
// mean; a guard installed with set_guard() runs after a route matched (its path parameters
// set) and before the handler, and either lets the request through or answers it (401/403).
// So every route's requirement sits in the route table, next to its handler, and no handler
// checks access ad hoc.
#pragma once

#include "server/http.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::server {

// What a route requires of its caller: nothing (open), to read (pull), to write (push) or to
// delete (remove) in the repository its {name} names — or, without a {name}, anywhere — or
// the server-wide administrator right (admin).
enum class Access { open, pull, push, remove, admin };

// "open", "pull", "push", "delete", "admin".
std::string_view access_name(Access a);

// The guard: nullopt lets the request through; a Response answers it instead of the handler.
using Guard = std::function<boost::asio::awaitable<std::optional<Response>>(Request&, Access)>;

class Router {
 public:
  // Adds a route. Throws std::invalid_argument for a malformed pattern (start-up only).
  void add(std::string method, std::string_view pattern, Access access, Handler handler);
  // Installs the guard every matched request passes before its handler (none by default).
  void set_guard(Guard g) { guard_ = std::move(g); }
  void set_not_found(Handler h) { not_found_ = std::move(h); }
  void set_method_not_allowed(Handler h) { method_not_allowed_ = std::move(h); }

  struct Match {
    const Handler* handler = nullptr;  // null: no route for this path and method
    Access access = Access::open;      // the matched route's requirement
    std::vector<std::pair<std::string, std::string>> params;
    std::vector<std::string> allowed;      // methods of routes matching the path, when handler null
    const std::string* pattern = nullptr;  // the pattern owning the path; null: none matched
  };
  // Matches `method` and decoded `path`. Thread-safe (const).
  Match match(std::string_view method, std::string_view path) const;

  // Runs the matching handler (or a fallback) for `req`, filling req.params and req.route (the
  // owning pattern, also for a 405); a matched route passes the guard first.
  boost::asio::awaitable<Response> dispatch(Request& req) const;

  struct RouteInfo {
    std::string method;
    std::string pattern;
    Access access;
  };
  // Every route, in table order (for the OpenAPI cross-check and the access table test).
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
    Access access;
    Handler handler;
  };
  static bool match_route(const Route& r, const std::vector<std::string_view>& parts,
                          std::vector<std::pair<std::string, std::string>>& params);

  std::vector<Route> routes_;
  Guard guard_;
  Handler not_found_;
  Handler method_not_allowed_;
};

}  // namespace cairn::server

#include "handlers/routes.h"

#include "handlers/base.h"
#include "handlers/errors.h"

namespace cairn::handlers {

void add_routes(server::Router& router) {
  router.add("GET", "/v2/", api_version);
  router.add("HEAD", "/v2/", api_version);
  router.add("GET", "/healthz", healthz);

  router.set_not_found([](server::Request& req) -> boost::asio::awaitable<server::Response> {
    co_return route_not_found(req);
  });
  router.set_method_not_allowed(
      [](server::Request& req) -> boost::asio::awaitable<server::Response> {
        co_return method_not_allowed(req);
      });
}

}  // namespace cairn::handlers

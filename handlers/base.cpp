#include "handlers/base.h"

namespace cairn::handlers {

boost::asio::awaitable<server::Response> api_version(server::Request&) {
  server::Response res;
  res.body = "{}";
  res.set("content-type", "application/json");
  res.set("docker-distribution-api-version", "registry/2.0");
  co_return res;
}

boost::asio::awaitable<server::Response> healthz(server::Request&) {
  server::Response res;
  res.body = "ok\n";
  res.set("content-type", "text/plain");
  co_return res;
}

}  // namespace cairn::handlers

#include "handlers/base.h"

namespace cairn::handlers {
namespace {

server::Response text(unsigned status, std::string body) {
  server::Response res;
  res.status = status;
  res.body = std::move(body) + "\n";
  res.set("content-type", "text/plain");
  res.set("cache-control", "no-store");
  return res;
}

}  // namespace

boost::asio::awaitable<server::Response> api_version(server::Request&) {
  server::Response res;
  res.body = "{}";
  res.set("content-type", "application/json");
  res.set("docker-distribution-api-version", "registry/2.0");
  co_return res;
}

boost::asio::awaitable<Answer> healthz(Api& api, server::Request&) {
  // While writes are refused, the check tries the reopen (a write: it touches the disk), so a
  // probe alone brings the database back once space is freed.
  if (api.storage.peek([](Storage& s) { return s.db().writable(); }))
    co_return text(200, "ok");
  auto r = co_await api.storage.write([](Storage& s) { return s.db().check_writable(); });
  if (r)
    co_return text(200, "ok");
  co_return text(503, "metadata database refuses writes: " + r.error().detail);
}

boost::asio::awaitable<Answer> readyz(Api& api, server::Request&) {
  // A write: it may reopen the database, and it asks the disk for its free space.
  auto r = co_await api.storage.write([](Storage& s) { return s.check_ready(); });
  if (r)
    co_return text(200, "ready");
  co_return text(503, "not ready: " + r.error().detail);
}

}  // namespace cairn::handlers

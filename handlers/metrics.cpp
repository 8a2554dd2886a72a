#include "handlers/metrics.h"

#include "metrics/metrics.h"

namespace cairn::handlers {

boost::asio::awaitable<Answer> serve_metrics(Api& api, server::Request&) {
  const metrics::Metrics& m = *api.metrics;
  server::Response res;
  res.body = co_await api.storage.scan([&m] { return m.render(); });  // it walks storage
  res.set("content-type", metrics::Metrics::kContentType);
  res.set("cache-control", "no-store");
  co_return res;
}

}  // namespace cairn::handlers

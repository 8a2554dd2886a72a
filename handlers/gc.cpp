#include "handlers/gc.h"

#include "handlers/errors.h"
#include "handlers/json_views.h"

namespace cairn::handlers {

boost::asio::awaitable<server::Response> run_gc(Api& api, server::Request& req) {
  auto dry = req.query_value("dry_run");
  if (dry && *dry != "0" && *dry != "false") {
    // Retention's dry run: what the rules would untag and delete; nothing changes.
    auto report = co_await api.offload.run([&] { return api.storage.gc().retention_dry_run(); });
    if (!report)
      co_return from_error(report.error(), Resource::other);
    co_return json_response({{"dryRun", true}, {"retention", retention_json(*report)}});
  }
  auto stats = co_await api.offload.run([&] { return api.storage.gc().run_now(); });
  if (!stats)
    co_return from_error(stats.error(), Resource::other);
  co_return json_response(gc_json(*stats));
}

boost::asio::awaitable<server::Response> last_gc(Api& api, server::Request&) {
  auto stats = api.storage.gc().last();
  if (!stats)
    co_return oci_error(404, "NOT_FOUND", "no collection has run yet");
  co_return json_response(gc_json(*stats));
}

}  // namespace cairn::handlers

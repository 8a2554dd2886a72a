#include "handlers/gc.h"

#include "handlers/errors.h"
#include "handlers/json_views.h"

namespace cairn::handlers {

boost::asio::awaitable<Answer> run_gc(Api& api, server::Request& req) {
  bool dry_run = false;
  if (auto v = req.query_value("dry_run")) {
    if (*v == "true" || *v == "1") {
      dry_run = true;
    } else if (*v != "false" && *v != "0") {
      co_return OciError(ErrorCode::request_invalid, "dry_run is true or false");
    }
  }
  // A dry run: the collector's preview (what a run would remove now) with retention's own dry
  // run (what the rules would untag and delete first; the preview does not count the blobs
  // that untagging would free).
  auto stats = co_await api.storage.write([&](Storage& s) -> Result<gc::GcStats> {
    if (!dry_run)
      return s.gc().run_now();
    auto preview = s.collector().preview();
    if (!preview)
      return preview;
    auto retention = s.gc().retention_dry_run();
    if (!retention)
      return retention.error();
    preview->retention = std::move(*retention);
    return preview;
  });
  if (!stats)
    co_return from_error(stats.error(), Resource::other);
  co_return json_response(gc_json(*stats));
}

boost::asio::awaitable<Answer> last_gc(Api& api, server::Request&) {
  auto stats = api.storage.peek([](Storage& s) { return s.gc().last(); });
  if (!stats)
    co_return OciError(ErrorCode::not_found, "no collection has run yet");
  co_return json_response(gc_json(*stats));
}

}  // namespace cairn::handlers

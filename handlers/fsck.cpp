#include "handlers/fsck.h"

#include "handlers/errors.h"
#include "handlers/json_views.h"
#include "storage/common/units.h"
#include "storage/fsck/runner.h"

namespace cairn::handlers {

boost::asio::awaitable<Answer> start_fsck(Api& api, server::Request& req) {
  if (api.fsck == nullptr)
    co_return OciError(ErrorCode::not_found, "fsck is not available");
  bool repair = false;
  if (auto v = req.query_value("repair")) {
    if (*v == "true" || *v == "1") {
      repair = true;
    } else if (*v != "false" && *v != "0") {
      co_return OciError(ErrorCode::request_invalid, "repair is true or false");
    }
  }
  // Quick (a mutex and a notify), but off the I/O thread all the same.
  auto started = co_await api.offload.run([&] { return api.fsck->request(repair); });
  if (!started.started) {
    const auto& p = started.report.progress;
    co_return OciError(ErrorCode::conflict, "a check is running (" + started.report.trigger + ", " +
                                                format_bytes(p.bytes_hashed) + " of " +
                                                format_bytes(p.bytes_total) +
                                                " hashed); GET /_admin/fsck shows it");
  }
  auto res = json_response(fsck::to_json(started.report), 202);
  res.set("location", "/_admin/fsck");
  co_return res;
}

boost::asio::awaitable<Answer> fsck_report(Api& api, server::Request&) {
  if (api.fsck == nullptr)
    co_return OciError(ErrorCode::not_found, "fsck is not available");
  auto report = api.fsck->report();
  if (!report)
    co_return OciError(ErrorCode::not_found, "no check has run yet");
  co_return json_response(fsck::to_json(*report));
}

}  // namespace cairn::handlers

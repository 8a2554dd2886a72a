#include "handlers/json_views.h"

#include "handlers/body.h"
#include "handlers/errors.h"
#include "storage/common/json.h"
#include "storage/metadata/rfc3339.h"

namespace cairn::handlers {

using nlohmann::json;

nlohmann::json info_json(const content::Info& info) {
  return json{{"digest", info.digest.str()},
              {"size", info.size},
              {"createdAt", metadata::format_rfc3339(info.created_at)},
              {"updatedAt", metadata::format_rfc3339(info.updated_at)},
              {"labels", info.labels}};
}

nlohmann::json status_json(const content::Status& st, std::optional<Timestamp> expires_at) {
  json j{{"ref", st.ref},
         {"offset", st.offset},
         {"total", st.total},
         {"startedAt", metadata::format_rfc3339(st.started_at)},
         {"updatedAt", metadata::format_rfc3339(st.updated_at)}};
  if (st.expected)
    j["expected"] = st.expected->str();
  if (expires_at)
    j["expiresAt"] = metadata::format_rfc3339(*expires_at);
  return j;
}

nlohmann::json lease_json(const metadata::Lease& lease) {
  json j{{"id", lease.id},
         {"createdAt", metadata::format_rfc3339(lease.created_at)},
         {"labels", lease.labels}};
  if (lease.expire_at)
    j["expiresAt"] = metadata::format_rfc3339(*lease.expire_at);
  return j;
}

nlohmann::json gc_json(const gc::GcStats& s) {
  auto ms = [](std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e6; };
  return json{{"startedAt", metadata::format_rfc3339(s.started_at)},
              {"durationMs", ms(s.duration)},
              {"markMs", ms(s.mark_time)},
              {"pausedMs", ms(s.paused)},
              {"marked", s.marked},
              {"removedBlobs", s.removed_blobs},
              {"removedFiles", s.removed_files},
              {"removedBytes", s.removed_bytes},
              {"removedIngests", s.removed_ingests},
              {"removedBackendIngests", s.removed_backend_ingests},
              {"removedLeases", s.removed_leases},
              {"dryRun", s.dry_run},
              {"retention", retention_json(s.retention)}};
}

nlohmann::json retention_json(const gc::RetentionReport& r) {
  return json{{"dryRun", r.dry_run},
              {"namespaces", r.namespaces},
              {"removedTags", r.removed_tags},
              {"removedManifests", r.removed_manifests},
              {"tags", r.tags},
              {"manifests", r.manifests}};
}

server::Response json_response(const nlohmann::json& body, unsigned status) {
  server::Response res;
  res.status = status;
  res.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  res.set("content-type", "application/json");
  return res;
}

boost::asio::awaitable<Checked<nlohmann::json>> json_body(Api& api, server::Request& req) {
  // json converts from almost anything, so both alternatives are built explicitly.
  using boost::system::in_place_error;
  using boost::system::in_place_value;
  auto text = co_await read_small_body(req, api.options.max_json_bytes);
  if (!text) {
    co_return Checked<json>(in_place_error,
                            OciError(ErrorCode::body_too_large, "the JSON body is too large"));
  }
  if (text->empty())
    co_return Checked<json>(in_place_value, json::object());
  json j = parse_json(*text);
  if (j.is_discarded() || !j.is_object()) {
    co_return Checked<json>(in_place_error,
                            OciError(ErrorCode::body_invalid, "the body must be a JSON object"));
  }
  co_return Checked<json>(in_place_value, std::move(j));
}

Checked<content::Labels> labels_of(const nlohmann::json& body) {
  content::Labels labels;
  auto it = body.find("labels");
  if (it == body.end() || it->is_null())
    return labels;
  if (!it->is_object())
    return OciError(ErrorCode::body_invalid, "labels must be an object");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string())
      return OciError(ErrorCode::body_invalid, "label " + k + " must be a string");
    labels.emplace(k, v.get<std::string>());
  }
  return labels;
}

}  // namespace cairn::handlers

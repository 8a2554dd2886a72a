#include "handlers/leases.h"

#include "handlers/errors.h"
#include "handlers/json_views.h"
#include "handlers/params.h"
#include "storage/common/units.h"
#include "storage/content/filter.h"
#include "storage/metadata/names.h"
#include "storage/metadata/rfc3339.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace cairn::handlers {

using server::Request;
using server::Response;

namespace {

Response no_content() {
  Response res;
  res.status = 204;
  return res;
}

Checked<std::string> lease_id(const Request& req) {
  std::string id(req.param("id"));
  if (auto ok = metadata::validate_lease_id(id); !ok) {
    return OciError(ErrorCode::lease_invalid, ok.error().detail);
  }
  return id;
}

// {"type":"content"|"ingest","id":…} as a lease resource.
Checked<metadata::LeaseResource> resource_of(const nlohmann::json& body) {
  auto type = body.find("type");
  auto id = body.find("id");
  if (type == body.end() || !type->is_string() || id == body.end() || !id->is_string()) {
    return OciError(ErrorCode::body_invalid, R"(expected {"type": "content"|"ingest", "id": "…"})");
  }
  std::string t = type->get<std::string>();
  if (t == "ingest")
    t = "ingests";
  auto kind = metadata::resource_kind_from_name(t);
  if (!kind)
    return OciError(ErrorCode::body_invalid, "type must be content or ingest");
  return metadata::LeaseResource{*kind, id->get<std::string>()};
}

nlohmann::json resource_json(const metadata::LeaseResource& r) {
  return {{"type", r.kind == metadata::ResourceKind::content ? "content" : "ingest"}, {"id", r.id}};
}

// The "expire" member: an RFC 3339 time, or a duration from now ("90m").
Checked<std::optional<Timestamp>> expiry_of(const nlohmann::json& body, const Clock& clock) {
  auto e = body.find("expire");
  if (e == body.end() || e->is_null())
    return std::optional<Timestamp>();
  if (!e->is_string())
    return OciError(ErrorCode::body_invalid, "expire must be a string");
  const std::string text = e->get<std::string>();
  if (auto d = parse_duration(text))
    return std::optional<Timestamp>(clock.now() + *d);
  auto t = metadata::parse_rfc3339(text);
  if (!t) {
    return OciError(ErrorCode::body_invalid,
                    "expire must be an RFC 3339 time (years 1678 to 2261) or a duration such "
                    "as 90m or 1h (at most 100 years)");
  }
  return std::optional<Timestamp>(*t);
}

}  // namespace

boost::asio::awaitable<Answer> create_lease(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto body = co_await json_body(api, req);
  if (!body)
    co_return body.error();
  auto labels = labels_of(*body);
  if (!labels)
    co_return labels.error();
  if (auto it = labels->find(metadata::kExpireLabel);
      it != labels->end() && !metadata::parse_rfc3339(it->second)) {
    co_return OciError(ErrorCode::body_invalid,
                       "label " + std::string(metadata::kExpireLabel) +
                           " must be an RFC 3339 time in the years 1678 to 2261");
  }
  auto expiry =
      expiry_of(*body, api.storage.peek([](Storage& s) -> const Clock& { return s.clock(); }));
  if (!expiry)
    co_return expiry.error();
  metadata::LeaseOptions opts;
  if (auto id = body->find("id"); id != body->end() && !id->is_null()) {
    if (!id->is_string())
      co_return OciError(ErrorCode::body_invalid, "id must be a string");
    opts.id = id->get<std::string>();
  }
  opts.labels = std::move(*labels);
  opts.expire_at = *expiry;
  auto lease =
      co_await api.storage.write([&](Storage& s) { return s.leases().create(*name, opts); });
  if (!lease)
    co_return from_error(lease.error(), Resource::lease);
  Response res = json_response(lease_json(*lease), 201);
  res.set("location", "/v2/" + *name + "/_leases/" + lease->id);
  co_return res;
}

boost::asio::awaitable<Answer> list_leases(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto filter = content::Filter::parse(req.query_values("filter"));
  if (!filter)
    co_return OciError(ErrorCode::filter_invalid, filter.error().detail);
  auto leases = co_await api.storage.scan([&](Storage& s) { return s.leases().list(*name); });
  if (!leases)
    co_return from_error(leases.error(), Resource::lease);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& lease : *leases) {
    content::Info view;  // leases are filtered by their labels
    view.labels = lease.labels;
    if (filter->match(view))
      out.push_back(lease_json(lease));
  }
  co_return json_response({{"leases", std::move(out)}});
}

boost::asio::awaitable<Answer> get_lease(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto id = lease_id(req);
  if (!id)
    co_return id.error();
  auto lease = co_await api.storage.lookup([&](Storage& s) { return s.leases().get(*name, *id); });
  if (!lease)
    co_return from_error(lease.error(), Resource::lease);
  co_return json_response(lease_json(*lease));
}

boost::asio::awaitable<Answer> delete_lease(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto id = lease_id(req);
  if (!id)
    co_return id.error();
  bool sync = req.query_value("sync").value_or("") == "true";
  auto removed = co_await api.storage.write([&](Storage& s) -> Result<void> {
    if (auto r = s.leases().remove(*name, *id); !r)
      return r.error();
    if (sync) {
      if (auto r = s.gc().run_now(); !r)
        return r.error();
    }
    return {};
  });
  if (!removed)
    co_return from_error(removed.error(), Resource::lease);
  co_return no_content();
}

boost::asio::awaitable<Answer> list_lease_resources(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto id = lease_id(req);
  if (!id)
    co_return id.error();
  auto resources =
      co_await api.storage.scan([&](Storage& s) { return s.leases().list_resources(*name, *id); });
  if (!resources)
    co_return from_error(resources.error(), Resource::lease);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : *resources)
    out.push_back(resource_json(r));
  co_return json_response({{"resources", std::move(out)}});
}

// POST and DELETE on resources differ only in the store call.
boost::asio::awaitable<Answer> change_resource(Api& api, Request& req, bool add) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto id = lease_id(req);
  if (!id)
    co_return id.error();
  auto body = co_await json_body(api, req);
  if (!body)
    co_return body.error();
  auto resource = resource_of(*body);
  if (!resource)
    co_return resource.error();
  auto changed = co_await api.storage.write([&](Storage& s) {
    return add ? s.leases().add_resource(*name, *id, *resource)
               : s.leases().remove_resource(*name, *id, *resource);
  });
  if (!changed)
    co_return from_error(changed.error(), Resource::lease);
  co_return no_content();
}

boost::asio::awaitable<Answer> add_lease_resource(Api& api, Request& req) {
  return change_resource(api, req, true);
}

boost::asio::awaitable<Answer> remove_lease_resource(Api& api, Request& req) {
  return change_resource(api, req, false);
}

}  // namespace cairn::handlers

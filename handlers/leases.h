// Leases (containerd's leases service, as JSON), per repository. A lease holds the content and
// ingests listed under it from GC until it is deleted or expires.
//
//   POST   /v2/<name>/_leases                     {"id"?, "labels"?, "expire"?} → 201 Lease
//                                                 (expire: RFC 3339 time or a duration "1h")
//   GET    /v2/<name>/_leases[?filter=…]          {"leases":[Lease…]} (label filters)
//   GET    /v2/<name>/_leases/<id>                Lease (404 LEASE_UNKNOWN)
//   DELETE /v2/<name>/_leases/<id>[?sync=true]    204; with sync, GC runs before the answer
//   GET    /v2/<name>/_leases/<id>/resources      {"resources":[{"type","id"}…]}
//   POST   /v2/<name>/_leases/<id>/resources      {"type":"content"|"ingest","id":…} → 204
//   DELETE /v2/<name>/_leases/<id>/resources      {"type","id"} → 204
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"

namespace cairn::handlers {

boost::asio::awaitable<Answer> create_lease(Api& api, server::Request& req);
boost::asio::awaitable<Answer> list_leases(Api& api, server::Request& req);
boost::asio::awaitable<Answer> get_lease(Api& api, server::Request& req);
boost::asio::awaitable<Answer> delete_lease(Api& api, server::Request& req);
boost::asio::awaitable<Answer> list_lease_resources(Api& api, server::Request& req);
boost::asio::awaitable<Answer> add_lease_resource(Api& api, server::Request& req);
boost::asio::awaitable<Answer> remove_lease_resource(Api& api, server::Request& req);

}  // namespace cairn::handlers

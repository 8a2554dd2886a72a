// Request checks shared by the handlers: repository names, digests and references from the
// route's parameters, n/last paging, and the Link header for the next page. Each check answers
// either the value or the typed error (handlers/errors.h) to answer, so a handler reads:
//
//   auto name = repository(req);
//   if (!name) co_return name.error();
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"
#include "storage/content/digest.h"

#include <cstddef>
#include <optional>
#include <string>

namespace cairn::handlers {

// The route's {name}, validated (400 NAME_INVALID otherwise).
Checked<std::string> repository(const server::Request& req);
// A repository and a digest, from the route's {name} and {digest}: what every per-blob route
// starts with.
struct BlobTarget {
  std::string name;
  content::Digest digest;
  metadata::Scope scope() const { return {name, {}}; }
};
// 400 NAME_INVALID or DIGEST_INVALID when either is malformed.
Checked<BlobTarget> blob_target(const server::Request& req);

// The route's parameter `param` as a digest (400 DIGEST_INVALID otherwise).
Checked<content::Digest> digest_param(const server::Request& req, std::string_view param);
// A query parameter as a digest (400 DIGEST_INVALID when malformed; nullopt when absent).
Checked<std::optional<content::Digest>> digest_query(const server::Request& req,
                                                     std::string_view key);

// The header that names the lease a write adds what it creates to.
inline constexpr std::string_view kLeaseHeader = "x-cairn-lease";

// The scope of a request on repository `name`: the namespace, and the lease its
// X-Cairn-Lease header names, which must exist and be unexpired (400 LEASE_INVALID or
// 404 LEASE_UNKNOWN otherwise; 405 UNSUPPORTED in a namespace of the pull-through cache). The
// lease is an AsyncStorage::lookup.
boost::asio::awaitable<Checked<metadata::Scope>> scope_of(Api& api, const server::Request& req,
                                                          const std::string& name);

struct Paging {
  size_t n = 0;  // the page size: ?n= clamped to the API's max_page, which is also the default
  std::string last;
};
// ?n= and ?last=: 400 PAGINATION_NUMBER_INVALID on an n that is not a non-negative decimal. A
// larger n than `max_page` (or none) gives max_page: every listing is bounded, and the Link
// header leads on.
Checked<Paging> paging(const server::Request& req, size_t max_page);
// `Link: <path?n=N&last=LAST>; rel="next"` for the page after `last`; `extra` (already escaped,
// e.g. "artifactType=...") joins the query when not empty.
std::string next_link(std::string_view path, size_t n, std::string_view last,
                      std::string_view extra = {});

// Percent-encodes a query value.
std::string query_escape(std::string_view in);

}  // namespace cairn::handlers

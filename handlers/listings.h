// Name listings with the distribution-spec's n/last paging and Link header:
//
//   GET /v2/<name>/tags/list   {"name": …, "tags": […]}     unknown repository: NAME_UNKNOWN
//   GET /v2/_catalog           {"repositories": […]}
//
// Both list in lexical order; n=0 answers an empty list; when more names follow, a
// `Link: </path?n=N&last=…>; rel="next"` header points at the next page.
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"

namespace cairn::handlers {

boost::asio::awaitable<Answer> list_tags(Api& api, server::Request& req);
boost::asio::awaitable<Answer> list_repositories(Api& api, server::Request& req);

}  // namespace cairn::handlers

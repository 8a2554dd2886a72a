// Referrers (distribution-spec v1.1): the manifests whose subject is a given digest.
//
//   GET /v2/<name>/referrers/<digest>[?artifactType=…]
//
// Always 200 with an OCI image index (an unknown subject or repository has no referrers);
// with ?artifactType= only matching entries, and `OCI-Filters-Applied: artifactType`.
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"

namespace cairn::handlers {

boost::asio::awaitable<Answer> list_referrers(Api& api, server::Request& req);

}  // namespace cairn::handlers

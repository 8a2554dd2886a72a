// A repository's byte quota (storage/quota.h), for clients and operators:
//
//   GET /v2/<name>/_quota   200 {"repository", "usedBytes", "limitBytes" (null: no quota),
//                           "rule" (the matching glob, null without one)}
//
// The quota itself is enforced where bytes join a repository: the upload handlers
// (handlers/uploads.cpp: POST, PATCH, PUT, mounts) and a manifest PUT (handlers/manifests.cpp),
// through the two functions below. The pull-through cache's fills are never refused.
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"
#include "storage/content/digest.h"
#include "storage/metadata/content_store.h"

#include <optional>
#include <string_view>

namespace cairn::handlers {

// Whether a quota governs `ns` (memory only: the I/O thread asks before it offloads a check).
bool has_quota(Api& api, std::string_view ns);

// Whether `total` bytes may join scope.ns (storage/quota.h); a blob the namespace holds already
// (`digest`) adds nothing. Errors: denied (403 DENIED naming the rule), io, internal. Blocks
// (the first question about a namespace scans its blob records): call it inside an
// AsyncStorage::write or scan, after has_quota() said there is one.
Result<void> admit_quota(Storage& storage, const metadata::Scope& scope, int64_t total,
                         const std::optional<content::Digest>& digest);

boost::asio::awaitable<Answer> get_quota(Api& api, server::Request& req);

}  // namespace cairn::handlers

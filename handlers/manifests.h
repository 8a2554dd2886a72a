// Manifest routes: PUT (validated, children required), GET and HEAD (by tag or digest; through
// the pull-through cache for cached repositories), DELETE.
#pragma once

#include "handlers/api.h"
#include "handlers/manifest_parser.h"
#include "handlers/params.h"
#include "server/http.h"

#include <span>
#include <string>
#include <variant>

namespace cairn::handlers {

boost::asio::awaitable<Answer> put_manifest(Api& api, server::Request& req);
// GET and HEAD (HEAD answers the same headers without the bytes).
boost::asio::awaitable<Answer> get_manifest(Api& api, server::Request& req);
boost::asio::awaitable<Answer> delete_manifest(Api& api, server::Request& req);

// A manifest reference: a digest (it holds ':') or a tag.
using Reference = std::variant<content::Digest, std::string>;
// The route's {reference}: 400 DIGEST_INVALID for a malformed digest; for a malformed tag
// 400 TAG_INVALID on a PUT, 404 MANIFEST_UNKNOWN on a read or delete (it cannot exist).
Checked<Reference> reference_param(const server::Request& req);
// The route's {name} and {reference}: what every manifest route starts with.
struct ManifestTarget {
  std::string name;
  Reference ref;
};
Checked<ManifestTarget> manifest_target(const server::Request& req);

// The answer to GET or HEAD (req.method) for manifest `ref` of namespace `ns`, from the store:
// 200 with the manifest, or an error (MANIFEST_UNKNOWN when it is not there).
Answer cached_manifest(Api& api, const server::Request& req, const std::string& ns,
                       const Reference& ref);

// Stores a parsed manifest's bytes in scope.ns (a blob commit), then its record, referrer entry
// and `tags` in one metadata batch (ManifestStore::put). Blocks. Does not check that its
// children are present.
Result<void> record_manifest(Api& api, const metadata::Scope& scope, const content::Digest& digest,
                             std::string_view body, const ParsedManifest& parsed,
                             std::span<const std::string> tags);

}  // namespace cairn::handlers

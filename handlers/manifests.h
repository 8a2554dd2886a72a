// Manifest routes: PUT (validated, children required), GET and HEAD (by tag or digest; through
// the pull-through cache for cached repositories), DELETE.
#pragma once

#include "handlers/api.h"
#include "handlers/params.h"
#include "oci/reference.h"
#include "server/http.h"
#include "storage/metadata/records.h"

#include <string>
#include <utility>

namespace cairn::handlers {

boost::asio::awaitable<Answer> put_manifest(Api& api, server::Request& req);
// GET and HEAD (HEAD answers the same headers without the bytes).
boost::asio::awaitable<Answer> get_manifest(Api& api, server::Request& req);
boost::asio::awaitable<Answer> delete_manifest(Api& api, server::Request& req);

// A manifest reference: a digest (it holds ':') or a tag.
using Reference = oci::Reference;
// The route's {reference}: 400 DIGEST_INVALID for a malformed digest; for a malformed tag
// 400 TAG_INVALID on a PUT, 404 MANIFEST_UNKNOWN on a read or delete (it cannot exist).
Checked<Reference> reference_param(const server::Request& req);
// The route's {name} and {reference}: what every manifest route starts with.
struct ManifestTarget {
  std::string name;
  Reference ref;
};
Checked<ManifestTarget> manifest_target(const server::Request& req);

// The digest a reference names in `ns` and its record. Errors: MANIFEST_UNKNOWN, or the
// store's. Point reads: call it inside AsyncStorage::lookup, as the two below.
Checked<std::pair<content::Digest, metadata::ManifestRecord>> find_manifest(Storage& storage,
                                                                            const std::string& ns,
                                                                            const Reference& ref);

// The answer to GET or HEAD (req.method) for manifest `digest` of namespace `ns` with its record
// `record`: 200 with the manifest, or an error reading its bytes.
Answer manifest_answer(Storage& storage, server::Offloader& pool, const server::Request& req,
                       const std::string& ns, const content::Digest& digest,
                       const metadata::ManifestRecord& record);

// The answer to GET or HEAD (req.method) for manifest `ref` of namespace `ns`, from the store:
// 200 with the manifest, or an error (MANIFEST_UNKNOWN when it is not there).
Answer cached_manifest(Storage& storage, server::Offloader& pool, const server::Request& req,
                       const std::string& ns, const Reference& ref);

}  // namespace cairn::handlers

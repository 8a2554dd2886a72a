// A manifest through the pull-through cache: the cache's half of GET and HEAD of a manifest of
// a cached repository (Cache::manifest). The handler (handlers/proxy.cpp) reads what the cache
// namespace holds, asks here, and renders the outcome; this layer names no HTTP status.
//
// By tag, a cached manifest is served as it is while the tag was revalidated less than the
// upstream's interval ago; after that a HEAD upstream compares digests and only a changed
// manifest is fetched again. By digest, a cached manifest is served as it is. A manifest
// fetched (GET) must fit max_bytes, hash to the digest asked for, and parse
// (oci/manifest_parser.h); it is then stored in the cache namespace with the tag
// (oci::record_manifest, on the offload pool). When the upstream cannot answer (unreachable,
// timed out, 5xx, 429, a body cut short) and a manifest is cached, that one is served stale.
//
// Counted in the upstream's UpstreamStats: hits (served from the cache), revalidations (HEADs),
// misses and upstream_bytes (fetched), fills (stored), stale, errors (upstream failures
// answered).
#pragma once

#include "oci/reference.h"
#include "proxy/fetch_failure.h"
#include "storage/content/digest.h"

#include <cstddef>
#include <optional>
#include <string>

namespace cairn::proxy {

// A manifest the cache namespace holds for the reference asked.
struct HeldManifest {
  content::Digest digest;
  std::string media_type;
};

// What a client asks for.
struct ManifestQuery {
  oci::Reference ref;  // a tag or a digest
  // The media types the client takes, as sent upstream in Accept ("a, b"). A held manifest of
  // a type not named here is not an answer for this client: the upstream is asked instead.
  std::string accept;
  // What the cache namespace holds for `ref`, readable; nullopt when nothing is (or reading it
  // failed: the upstream is asked).
  std::optional<HeldManifest> held;
  size_t max_bytes = 0;  // the largest manifest fetched
};

// The manifest to answer with, in the target's cache namespace.
struct ManifestServed {
  enum class Source {
    cache,        // the held manifest, not checked with the upstream (fresh, or by digest)
    revalidated,  // the held manifest, which the upstream still names
    fetched,      // fetched from the upstream and stored now
    stale,        // the held manifest: the upstream could not answer
  };
  Source source = Source::cache;
  content::Digest digest;
};

// The manifest served, or why none can be (FetchFailure::Kind::unknown for 404, 401 and 403).
using ManifestOutcome = Fetched<ManifestServed>;

}  // namespace cairn::proxy

#include "oci/record_manifest.h"

#include <chrono>

namespace cairn::oci {

namespace {

// How long a manifest write waits for a concurrent write of the same manifest (a second PUT,
// or cache fills of it for several clients at once) before it answers 503. Under load a
// durable commit (fsync of data, directory and metadata) takes longer than the store's default
// wait, and the holder stores the very same bytes.
constexpr std::chrono::milliseconds kSameManifestWait = std::chrono::seconds(10);

// Writes the manifest bytes as a blob of scope.ns (nothing to do when it is there already).
// Runs on the offload pool: it blocks while a concurrent write of the same manifest holds the
// ingest, then finds the bytes committed.
Result<void> store_bytes(Storage& storage, const metadata::Scope& scope,
                         const content::Digest& digest, std::string_view body) {
  content::WriterOptions opts{"manifest-" + std::string(digest.hex()),
                              static_cast<int64_t>(body.size()), digest};
  opts.lock_wait = kSameManifestWait;
  auto writer = storage.content().writer(scope, opts);
  if (!writer)
    return writer.error() == Errc::already_exists ? Result<void>() : writer.error();
  if (auto r = (*writer)->truncate(0); !r)
    return r.error();  // a stale attempt's bytes
  if (auto r = (*writer)->write(body); !r)
    return r.error();
  auto committed = (*writer)->commit(static_cast<int64_t>(body.size()), digest);
  if (!committed && committed.error() != Errc::already_exists)
    return committed.error();
  return {};
}

}  // namespace

Result<void> record_manifest(Storage& storage, const metadata::Scope& scope,
                             const content::Digest& digest, std::string_view body,
                             const ParsedManifest& parsed, std::span<const std::string> tags) {
  // The bytes first (durable before the commit returns): the records name a blob that exists.
  if (auto r = store_bytes(storage, scope, digest, body); !r)
    return r.error();
  auto record = parsed.record(static_cast<int64_t>(body.size()));
  if (auto r = storage.manifests().put(scope.ns, digest, std::move(record), tags); !r)
    return r.error();
  return {};
}

}  // namespace cairn::oci

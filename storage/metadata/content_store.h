// ContentStore: content per namespace, over one shared backend store (containerd's metadata
// contentStore proxy over content/local).
//
// The backend (a content::LocalStore in production) holds each blob's bytes once, whatever the
// number of namespaces that hold it. A blob is visible in namespace ns only while its record
// v1·ns·blob·<digest> exists (keys.h); its labels, created/updated times and size there are the
// record's, never the backend's. Removing a blob removes the record and marks the database
// dirty; the bytes stay for GC to sweep once no namespace holds them.
//
// Ingests: a client's ref in namespace ns is an ingest record v1·ns·ingest·<ref> naming a backend
// ref "<ns>@<ref>", so two namespaces never share an upload. Unless a lease holds it, an ingest
// record carries expire_at = now + ingest_expiry (24h by default), after which GC may abort it.
//
// Sharing policy (config `content_sharing`):
//  - shared: writer() with an expected digest the backend already holds (with the same size,
//    when a size is given) records the blob in the namespace without any bytes and answers
//    already_exists; mount() without `from` does the same.
//  - isolated: the bytes must be uploaded again, or mounted from a namespace that holds them.
//
// Scope: every call names its namespace; writes made with a lease id (Scope::lease) add the
// blobs and ingests they create to that lease, which must exist (not_found otherwise).
//
// Commit order: backend commit (bytes verified, renamed into the blob tree, durable) → one
// WriteBatch (blob record, + lease resource, − ingest record). A crash between the two leaves
// bytes without a record, which GC sweeps; never a record without bytes. Backend commits and
// the shared-policy checks hold content_lock shared; GC sweeps the backend holding it exclusive.
// Lock order: content_lock, then Database's wlock, then stripes.
//
// Thread-safety: every method may be called from any thread; a Writer or ReaderAt is used by
// one thread at a time.
#pragma once

#include "storage/common/result.h"
#include "storage/content/store.h"
#include "storage/metadata/db.h"
#include "storage/metadata/records.h"
#include "storage/metadata/usage.h"

#include <chrono>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::metadata {

enum class SharingPolicy { shared, isolated };

// Where a call acts: a namespace, and optionally a lease that holds what the call creates.
struct Scope {
  std::string ns;
  std::string lease;  // empty: no lease
};

struct ContentStoreOptions {
  SharingPolicy policy = SharingPolicy::shared;
  // How long an ingest without a lease lives before GC may abort it.
  std::chrono::nanoseconds ingest_expiry = std::chrono::hours(24);
  // The per-namespace byte totals (usage.h) this store moves as it records and removes blobs;
  // null: none. Must outlive the store.
  Usage* usage = nullptr;
};

class ContentStore {
 public:
  // `db` and `backend` must outlive the store.
  ContentStore(Database& db, content::Store& backend, ContentStoreOptions options = {});

  // The backend ref of ingest `ref` in namespace `ns` ("<ns>@<ref>").
  static std::string backend_ref(std::string_view ns, std::string_view ref);

  SharingPolicy policy() const noexcept { return options_.policy; }
  // The byte totals this store keeps current (ContentStoreOptions::usage), or null.
  Usage* usage() const noexcept { return options_.usage; }

  // Opens content visible in scope.ns. Errors: not_found (not in this namespace, or its bytes
  // are gone), invalid_argument (bad name), io.
  Result<std::unique_ptr<content::ReaderAt>> reader(const Scope& scope, const Digest& digest);

  // The namespace's record of a blob. Errors: not_found, invalid_argument, io, internal.
  Result<content::Info> info(const Scope& scope, const Digest& digest);

  // Whether the blob is visible in scope.ns. Errors: invalid_argument, io.
  Result<bool> exists(const Scope& scope, const Digest& digest);

  // Changes labels as content::Store::update describes. Errors: not_found, invalid_argument,
  // io, internal.
  Result<content::Info> update(const Scope& scope, const content::Info& info,
                               std::span<const std::string> fieldpaths);

  // Visits the blobs of scope.ns matching `filters` (content/filter.h) in digest order, over a
  // snapshot; fn may call this store. Errors: invalid_argument (bad filter), io, internal.
  Result<void> walk(const Scope& scope, const content::WalkFn& fn,
                    std::span<const std::string> filters);

  // Removes the blob from scope.ns (the bytes stay for GC) and marks the database dirty.
  // Errors: not_found, invalid_argument, io.
  Result<void> remove(const Scope& scope, const Digest& digest);

  // Makes a blob visible in scope.ns without uploading it: from namespace `from` when it holds
  // the blob (either policy), else, under the shared policy only, from the backend. Adds the
  // blob to scope.lease. Returns the namespace's record (an existing one untouched).
  // Errors: not_found (nowhere to mount from under this policy; also a missing lease),
  // invalid_argument, io, internal.
  Result<content::Info> mount(const Scope& scope, const Digest& digest, std::string_view from = {});

  // The status of ingest `ref` of scope.ns, with the client's ref and expected digest.
  // Errors: not_found, invalid_argument, io, internal.
  Result<content::Status> status(const Scope& scope, std::string_view ref);

  // When ingest `ref` of scope.ns expires (GC may then abort it); nullopt while a lease holds
  // it. Errors: not_found, invalid_argument, io, internal.
  Result<std::optional<Timestamp>> ingest_expiry(const Scope& scope, std::string_view ref);

  // Every ingest of scope.ns in ref order (records whose backend ingest is gone are skipped).
  // Errors: invalid_argument, io, internal.
  Result<std::vector<content::Status>> list_statuses(const Scope& scope);

  // How many ingest records namespace `ns` holds, or every namespace together when `ns` is
  // empty; counting stops at `limit` (so the cost is bounded by it plus, for all namespaces,
  // one seek per namespace). Errors: invalid_argument (bad name), io, internal.
  Result<size_t> count_ingests(std::string_view ns, size_t limit) const;

  // Aborts ingest `ref`: its bytes and its record. Errors: not_found, unavailable (a writer
  // holds it), invalid_argument, io.
  Result<void> abort(const Scope& scope, std::string_view ref);

  // Opens or resumes ingest opts.ref of scope.ns. When opts.expected is already in scope.ns, or
  // (shared policy) in the backend with a matching size, records it (adding it to the lease)
  // and answers already_exists without opening anything. Commit through the returned Writer
  // records the blob in scope.ns. Errors: already_exists, not_found (the lease), invalid_argument
  // (bad ref or name, a total that contradicts the ingest's), unavailable (another writer holds
  // the ref), io, internal.
  Result<std::unique_ptr<content::Writer>> writer(const Scope& scope,
                                                  const content::WriterOptions& opts);

  // For GC: taken exclusively, no backend commit or shared-policy check is in flight (in any
  // process sharing the engine: FleetLock), so the backend can be swept against a marked set of
  // records. Errors: unavailable, io.
  Result<FleetLock::Held> lock_exclusive() { return content_lock_.lock(); }

 private:
  class NamespacedWriter;

  // Records `digest` (size `size`, `labels`) in `scope` in one batch, adding it to the lease and
  // removing ingest `ref` when given. Returns already_exists (after adding it to the lease and
  // removing the ingest) when the namespace held it already.
  Result<content::Info> record_blob(const Scope& scope, const Digest& digest, int64_t size,
                                    const content::Labels& labels, std::string_view ref);

  Database& db_;
  content::Store& backend_;
  ContentStoreOptions options_;
  FleetLock content_lock_;
};

}  // namespace cairn::metadata

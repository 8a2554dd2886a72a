// LeaseStore: leases of each namespace (containerd's leases), which hold content and ingests
// from GC while a client works (e.g. during a push, before a tag points at the manifest).
//
// Expiry is stored explicitly as LeaseRecord::expire_at (GC compares it with its clock and
// never parses labels). A lease may be given its expiry either as LeaseOptions::expire_at or,
// as containerd clients do, as the label kExpireLabel ("containerd.io/gc.expire") holding an
// RFC 3339 time; the label is kept, and expire_at is derived from it when not given directly.
//
// Resources: a lease holds blobs (ResourceKind::content, named by digest) and ingests
// (ResourceKind::ingest, named by ref) of its own namespace. Writes through ContentStore with a
// lease in their Scope add what they create; these calls add and remove resources by hand.
//
// Thread-safety: every method may be called from any thread. Reads take no lock.
#pragma once

#include "storage/common/clock.h"
#include "storage/common/result.h"
#include "storage/metadata/db.h"
#include "storage/metadata/records.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::metadata {

// The label containerd uses for a lease's expiry (an RFC 3339 time).
inline constexpr std::string_view kExpireLabel = "containerd.io/gc.expire";

struct Lease {
  std::string id;
  Timestamp created_at{};
  std::optional<Timestamp> expire_at;
  Labels labels;

  friend bool operator==(const Lease&, const Lease&) = default;
};

struct LeaseOptions {
  std::string id;                      // empty: generate one
  Labels labels;                       // may hold kExpireLabel
  std::optional<Timestamp> expire_at;  // wins over kExpireLabel
};

enum class ResourceKind { content, ingest };

// The name the lease API uses for a kind ("content", "ingests" as containerd), and its inverse.
std::string_view resource_kind_name(ResourceKind kind) noexcept;
std::optional<ResourceKind> resource_kind_from_name(std::string_view name) noexcept;

struct LeaseResource {
  ResourceKind kind = ResourceKind::content;
  std::string id;  // a digest (content) or an ingest ref (ingest)

  friend bool operator==(const LeaseResource&, const LeaseResource&) = default;
};

class LeaseStore {
 public:
  explicit LeaseStore(Database& db) : db_(db) {}

  // Creates a lease. Errors: already_exists (the id is taken), invalid_argument (bad name, id,
  // labels, or an unparseable kExpireLabel), io.
  Result<Lease> create(std::string_view ns, LeaseOptions options);

  // Errors: not_found, invalid_argument, io, internal.
  Result<Lease> get(std::string_view ns, std::string_view id) const;

  // Every lease of `ns` in id order (expired ones too, until GC removes them).
  // Errors: invalid_argument, io, internal.
  Result<std::vector<Lease>> list(std::string_view ns) const;

  // Deletes a lease and its resource list (not the resources). Errors: not_found,
  // invalid_argument, io.
  Result<void> remove(std::string_view ns, std::string_view id);

  // Adds a resource (idempotent). The resource need not exist yet. Errors: not_found (no such
  // lease), invalid_argument (bad digest or ref), io.
  Result<void> add_resource(std::string_view ns, std::string_view id, const LeaseResource& r);

  // Removes a resource (idempotent). Errors: not_found (no such lease), invalid_argument, io.
  Result<void> remove_resource(std::string_view ns, std::string_view id, const LeaseResource& r);

  // The resources of a lease: content first, then ingests, each in name order.
  // Errors: not_found, invalid_argument, io.
  Result<std::vector<LeaseResource>> list_resources(std::string_view ns, std::string_view id) const;

 private:
  Database& db_;
};

}  // namespace cairn::metadata

// Records: the values stored under the keys of keys.h, and their encoding.
//
// Every value is a small JSON object (nlohmann::json), so a database can be read with ldb-like
// tools and fields can be added without a migration: decoders ignore fields they do not know
// and give absent optional fields their defaults. Times are integers, Unix nanoseconds.
// Decoders never crash on bad bytes: a value that is not what its key promises is
// Errc::internal ("corrupt <kind> record").
//
// Field names on disk:
//   BlobRecord      {"size", "createdat", "updatedat", "labels"?, "mediatype"?}
//   IngestRecord    {"ref", "expireat"?, "expected"?, "total"?, "lease"?}
//   Descriptor      {"digest", "mediatype"?, "size", "artifacttype"?, "annotations"?}
//   TagRecord       {"target": Descriptor, "createdat", "updatedat", "labels"?}
//   ManifestRecord  {"mediatype"?, "size", "createdat", "children": [{"kind", "digest"}],
//                    "subject"?, "artifacttype"?, "annotations"?}
//   LeaseRecord     {"createdat", "expireat"?, "labels"?}
//   NamespaceRecord {"labels"?}
// The referrer entry's value is a Descriptor.
#pragma once

#include "storage/common/clock.h"
#include "storage/common/result.h"
#include "storage/content/digest.h"
#include "storage/content/store.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::metadata {

using content::Digest;
using content::Labels;

// OCI descriptor annotations.
using Annotations = std::map<std::string, std::string, std::less<>>;

// A blob visible in one namespace (v1·ns·blob·digest).
struct BlobRecord {
  int64_t size = 0;
  Timestamp created_at{};
  Timestamp updated_at{};
  Labels labels;
  std::string media_type;  // empty when unknown

  friend bool operator==(const BlobRecord&, const BlobRecord&) = default;
};

// An ingest (upload session) of one namespace (v1·ns·ingest·ref).
struct IngestRecord {
  std::string backend_ref;             // the ref in the backend content store
  std::optional<Timestamp> expire_at;  // absent while a lease holds the ingest
  std::optional<Digest> expected;      // the digest the writer was told to expect
  int64_t total = 0;                   // expected size, 0 when unknown
  std::string lease;                   // the lease that holds it, empty when none

  friend bool operator==(const IngestRecord&, const IngestRecord&) = default;
};

// An OCI content descriptor (tag target, referrer entry).
struct Descriptor {
  Digest digest;
  std::string media_type;
  int64_t size = 0;
  std::string artifact_type;  // empty when none
  Annotations annotations;

  friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

// A tag (v1·ns·tag·tag): a name for a manifest.
struct TagRecord {
  Descriptor target;
  Timestamp created_at{};
  Timestamp updated_at{};
  Labels labels;

  friend bool operator==(const TagRecord&, const TagRecord&) = default;
};

// How a manifest refers to another piece of content. GC follows every kind.
enum class ChildKind {
  config,    // an image manifest's config blob
  layer,     // an image manifest's layer blob
  manifest,  // an index's manifest
  subject,   // the manifest this one refers to (OCI 1.1 subject)
  blob,      // any other reference (e.g. an artifact's blobs)
};

// The on-disk name of a ChildKind ("config", ...), and its inverse.
std::string_view child_kind_name(ChildKind kind) noexcept;
std::optional<ChildKind> child_kind_from_name(std::string_view name) noexcept;

struct ManifestChild {
  ChildKind kind = ChildKind::blob;
  Digest digest;

  friend bool operator==(const ManifestChild&, const ManifestChild&) = default;
};

// A manifest stored in one namespace (v1·ns·manifest·digest). The manifest's bytes are a blob
// of the same namespace; this record lists what it refers to, so GC can walk the graph without
// parsing JSON, and what the referrers API needs of it.
struct ManifestRecord {
  std::string media_type;
  int64_t size = 0;
  Timestamp created_at{};
  std::vector<ManifestChild> children;
  std::optional<Digest> subject;  // also listed in children as ChildKind::subject
  std::string artifact_type;      // artifactType, or the config media type for images
  Annotations annotations;

  friend bool operator==(const ManifestRecord&, const ManifestRecord&) = default;
};

// A lease (v1·ns·lease·id): holds the content and ingests listed under it from GC until it is
// deleted or, when expire_at is set, until then.
struct LeaseRecord {
  Timestamp created_at{};
  std::optional<Timestamp> expire_at;
  Labels labels;

  friend bool operator==(const LeaseRecord&, const LeaseRecord&) = default;
};

// A namespace's own record (v1·ns·labels).
struct NamespaceRecord {
  Labels labels;

  friend bool operator==(const NamespaceRecord&, const NamespaceRecord&) = default;
};

// Encoders: never fail.
std::string encode(const BlobRecord& r);
std::string encode(const IngestRecord& r);
std::string encode(const Descriptor& r);
std::string encode(const TagRecord& r);
std::string encode(const ManifestRecord& r);
std::string encode(const LeaseRecord& r);
std::string encode(const NamespaceRecord& r);

// Decoders. Errors: internal (the bytes are not a record of this kind).
Result<BlobRecord> decode_blob(std::string_view bytes);
Result<IngestRecord> decode_ingest(std::string_view bytes);
Result<Descriptor> decode_descriptor(std::string_view bytes);
Result<TagRecord> decode_tag(std::string_view bytes);
Result<ManifestRecord> decode_manifest(std::string_view bytes);
Result<LeaseRecord> decode_lease(std::string_view bytes);
Result<NamespaceRecord> decode_namespace(std::string_view bytes);

}  // namespace cairn::metadata

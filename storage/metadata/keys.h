// Keys: the one place that builds and parses every key of the metadata database (any Engine).
//
// An Engine is a flat ordered map, so containerd's bolt bucket tree becomes key prefixes. The
// components of a key are joined by a 0x00 byte, which no repository name, tag, digest, ingest
// ref or lease id can hold (each is validated before it reaches a key). Because 0x00 sorts
// below every other byte, key order equals the lexical order of the components: "a" sorts
// before "a/b", and a scan over a prefix visits names in the order a client expects.
//
// Schema (· is the 0x00 separator; ╘══ marks a family of keys with arbitrary names). Change it
// only together with kSchemaVersion (db.h) and a registered migration (migrations.h).
//
//   ├── version                                 : decimal schema version (db.h kSchemaVersion)
//   └── v1                                      - schema prefix
//       ╘══ <namespace>                         - an OCI repository name ("library/alpine")
//           ├── ·labels                         : NamespaceRecord (namespace labels)
//           ├── ·blob·<digest>                  : BlobRecord (size, createdat, updatedat,
//           │                                     labels, mediatype): the blob is visible here
//           ├── ·ingest·<ref>                   : IngestRecord (backend ref, expireat,
//           │                                     expected digest, total, lease)
//           ├── ·tag·<tag>                      : TagRecord (target {digest, mediatype, size},
//           │                                     createdat, updatedat, labels)
//           ├── ·pulled·<tag>                   : decimal Unix nanoseconds: when the tag was last
//           │                                     pulled, written at most once an hour per tag
//           │                                     (metadata/pull_times.h) for retention's "pulled
//           │                                     within" (gc/retention.h); may outlive its tag
//           ├── ·manifest·<digest>              : ManifestRecord (mediatype, size, children:
//           │                                     config, layers, manifests, subject; like
//           │                                     containerd's gc.ref labels, for GC to walk)
//           ├── ·referrer·<subject>·<digest>    : Descriptor of the referring manifest
//           │                                     (mediatype, size, artifactType, annotations)
//           └── ·lease·<id>                     : LeaseRecord (createdat, expireat, labels)
//               ├── ·blob·<digest>              : ∅ (the lease holds this blob in <namespace>)
//               └── ·ingest·<ref>               : ∅ (the lease holds this ingest)
//
// A namespace exists while any key lies under v1·<namespace>·. Namespaces are listed without
// visiting their keys: after reading the first key of a namespace, a scan seeks to
// namespace_end(ns) (v1·<ns> followed by 0x01), the first key past everything the namespace
// holds.
//
// None of these functions validate their arguments; the stores do that first.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cairn::metadata::keys {

// The byte that joins key components.
inline constexpr char kSep = '\0';

// The key holding the schema version.
std::string version();

// "v1·": every namespaced key starts with this.
std::string schema_prefix();
// The first key past every key of the schema prefix.
std::string schema_end();

// "v1·<ns>·": every key of namespace `ns` starts with this.
std::string namespace_prefix(std::string_view ns);
// "v1·<ns>\x01": the first key past every key of `ns`; seek here to skip to the next namespace.
std::string namespace_end(std::string_view ns);

// v1·<ns>·labels
std::string namespace_labels(std::string_view ns);

// v1·<ns>·blob·<digest> and the prefix "v1·<ns>·blob·" of every blob record in `ns`.
std::string blob(std::string_view ns, std::string_view digest);
std::string blob_prefix(std::string_view ns);

// v1·<ns>·ingest·<ref> and the prefix of every ingest record in `ns`.
std::string ingest(std::string_view ns, std::string_view ref);
std::string ingest_prefix(std::string_view ns);

// v1·<ns>·tag·<tag> and the prefix of every tag in `ns`.
std::string tag(std::string_view ns, std::string_view tag);
std::string tag_prefix(std::string_view ns);

// v1·<ns>·pulled·<tag> (when `tag` was last pulled) and the prefix of every such key in `ns`.
std::string pulled(std::string_view ns, std::string_view tag);
std::string pulled_prefix(std::string_view ns);

// v1·<ns>·manifest·<digest> and the prefix of every manifest record in `ns`.
std::string manifest(std::string_view ns, std::string_view digest);
std::string manifest_prefix(std::string_view ns);

// v1·<ns>·referrer·<subject>·<digest>: `digest` is a manifest whose subject is `subject`.
std::string referrer(std::string_view ns, std::string_view subject, std::string_view digest);
// The prefix of every referrer of `subject` in `ns`.
std::string referrer_prefix(std::string_view ns, std::string_view subject);
// The prefix of every referrer entry in `ns`.
std::string referrers_prefix(std::string_view ns);

// v1·<ns>·lease·<id>: the lease record.
std::string lease(std::string_view ns, std::string_view id);
// The prefix of every lease key (records and resources) in `ns`.
std::string lease_prefix(std::string_view ns);
// The first key past lease `id` and all its resources; seek here to skip to the next lease.
std::string lease_end(std::string_view ns, std::string_view id);
// "v1·<ns>·lease·<id>·": the prefix of every resource of lease `id`.
std::string lease_resources_prefix(std::string_view ns, std::string_view id);
// v1·<ns>·lease·<id>·blob·<digest> and v1·<ns>·lease·<id>·ingest·<ref>.
std::string lease_blob(std::string_view ns, std::string_view id, std::string_view digest);
std::string lease_ingest(std::string_view ns, std::string_view id, std::string_view ref);

// The smallest key greater than `key` among keys of the same shape: seek here to resume a scan
// after `key` (it appends one 0x00 byte, which no component can contain).
std::string successor(std::string_view key);

// What a key names, as parse() recognises it.
enum class KeyKind {
  version,
  namespace_labels,
  blob,
  ingest,
  tag,
  pulled,
  manifest,
  referrer,
  lease,
  lease_blob,
  lease_ingest,
};

// A decoded key. `name` is the digest, ref, tag, lease id or subject the key is named by;
// `child` is the referring digest of a referrer key, or the digest/ref of a lease resource.
struct ParsedKey {
  KeyKind kind = KeyKind::version;
  std::string ns;
  std::string name;
  std::string child;

  friend bool operator==(const ParsedKey&, const ParsedKey&) = default;
};

// Decodes `key`; std::nullopt for a key this schema does not define (or an empty component).
std::optional<ParsedKey> parse(std::string_view key);

// The namespace of a key under schema_prefix(), or std::nullopt for any other key.
std::optional<std::string_view> namespace_of(std::string_view key);

}  // namespace cairn::metadata::keys

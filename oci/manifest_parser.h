// Manifest parsing: what a manifest refers to (pushed by a client, or fetched by the pull-through
// cache), checked against the image-spec.
//
// Accepted media types: OCI image manifest and index (v1), Docker schema2 manifest and manifest
// list. The media type comes from Content-Type, else from the body's mediaType; when both are
// present they must agree. A pure function: no I/O, safe from any thread.
#pragma once

#include "storage/common/result.h"
#include "storage/metadata/records.h"

#include <string>
#include <string_view>
#include <vector>

namespace cairn::oci {

inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";

struct ParsedManifest {
  std::string media_type;
  bool is_index = false;
  // What the manifest refers to: config and layers (blobs), or manifests (index entries), and
  // the subject. Layers with external `urls` (Docker foreign layers) are left out of
  // `required`: the registry need not hold them.
  std::vector<metadata::ManifestChild> children;
  struct Required {
    metadata::ManifestChild child;
    int64_t size = 0;  // the descriptor's size, which the stored content must have
  };
  std::vector<Required> required;
  std::optional<metadata::Digest> subject;
  std::string artifact_type;  // artifactType, else (image manifests) the config's media type
  metadata::Annotations annotations;

  // The record storage keeps of this manifest (ManifestStore::put), whose bytes are `size`.
  metadata::ManifestRecord record(int64_t size) const;
};

// Parses `body` sent with `content_type` (may be empty); an index may list at most
// `max_entries` manifests, and no JSON may nest deeper than kMaxJsonDepth. Errors:
// invalid_argument with a detail for the client (MANIFEST_INVALID).
Result<ParsedManifest> parse_manifest(std::string_view body, std::string_view content_type,
                                      size_t max_entries = 10'000);

}  // namespace cairn::oci

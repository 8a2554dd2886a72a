// Image layout: copies images between a data root and an OCI image layout directory (image-spec
// image-layout.md), as skopeo (`oci:DIR[:REF]`) and umoci read and write them:
//
//   DIR/
//   ├── oci-layout        {"imageLayoutVersion": "1.0.0"}
//   ├── index.json        an OCI index; each entry a manifest (or index), its tag in the
//   │                     annotation org.opencontainers.image.ref.name
//   └── blobs/<alg>/<hex> every manifest, index, config and layer, named by its digest
//
// Export writes an image's manifest (an index with all its child manifests) and every blob they
// refer to (not the subject: referrers are images of their own), then adds or replaces its entry
// in index.json. Blobs already in the layout with the right size are kept, so several images can
// share one layout. Each blob is hashed while it is copied (a corrupt blob in the store stops the
// export: run `cairn fsck`), written under a temporary name, fsynced and renamed; index.json is
// written last (temporary, fsync, rename, fsync of DIR), so a reader never sees an entry whose
// blobs are not all there.
//
// Import reads one entry of index.json and writes it through the storage API as a push would:
// blobs first (each through a content writer that verifies its digest and size before anything
// becomes visible: a blob that does not hash to its name is never stored), then each manifest's
// bytes and record (children before the index that lists them), then the tag. Each step is as
// durable as the same push (storage/storage.h: fsync of the blob and its directory, then of the
// metadata batch). Manifests are checked as a PUT checks them (oci/manifest_parser.h).
// Which entry: the one whose ref name is the tag asked for; else the only one; else an error
// listing the ref names.
//
// Both block on the disk for the whole copy; one thread each. The storage may be a running
// server's only through its own process (the commands open a stopped server's root).
#pragma once

#include "storage/common/result.h"
#include "storage/content/digest.h"
#include "storage/storage.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::app {

// The annotation that names an index.json entry.
inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

// "NAME", "NAME:TAG" or "NAME@DIGEST".
struct ImageRef {
  std::string name;
  std::string tag;                        // empty when none was given
  std::optional<content::Digest> digest;  // set for NAME@DIGEST
};
// Parses and validates an image reference (the tag is the part after the last ':' that follows
// the last '/'). Errors: invalid_argument (bad name, tag or digest).
Result<ImageRef> parse_image_ref(std::string_view text);

// Called as bytes are copied: `done` of `total` bytes.
using CopyProgress = std::function<void(int64_t done, int64_t total)>;

struct CopyResult {
  content::Digest digest;  // the image's (top) manifest
  std::string media_type;
  int64_t size = 0;      // of that manifest
  std::string tag;       // the ref name written (export) or the tag set (import); may be empty
  size_t manifests = 0;  // manifests and indexes copied
  size_t blobs = 0;      // other blobs copied
  size_t present = 0;    // blobs (of either kind) already at the destination, not copied
  int64_t bytes = 0;     // bytes copied
};

// Writes image `ref` of `storage` into the layout at `dir` (created when missing). The ref
// name written is ref.tag (none for NAME@DIGEST). Errors: not_found (no such repository, tag or
// manifest, or a blob the manifest needs is not in the repository), internal (a stored blob does
// not hash to its digest), io.
Result<CopyResult> export_image(Storage& storage, const ImageRef& ref,
                                const std::filesystem::path& dir, const CopyProgress& progress);

// Imports an image of the layout at `dir` into repository ref.name, tagged ref.tag (or, when
// empty, the entry's ref name if it is a valid tag, else "latest"; no tag for NAME@DIGEST,
// which picks the entry with that digest). Errors: invalid_argument (not a layout, no or
// several matching entries, a manifest cairn does not accept, a blob whose bytes do not match
// its digest or size), not_found (a blob the image needs is missing from the layout), io,
// no_space, and the storage API's errors.
Result<CopyResult> import_image(Storage& storage, const std::filesystem::path& dir,
                                const ImageRef& ref, const CopyProgress& progress);

}  // namespace cairn::app

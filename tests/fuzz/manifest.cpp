// Fuzzes the manifest and index parser (oci/manifest_parser.h) as a manifest PUT reaches
// it. Input: one byte choosing the Content-Type (none, one of the four accepted types, or
// another), then the body.
#include "oci/manifest_parser.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace cairn::oci;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  static constexpr std::string_view kTypes[] = {
      "",
      kOciManifest,
      kOciIndex,
      kDockerManifest,
      kDockerManifestList,
      "application/json",
      "application/vnd.oci.image.manifest.v1+json; charset=utf-8"};
  std::string_view content_type = kTypes[data[0] % std::size(kTypes)];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  auto parsed = parse_manifest(body, content_type);
  if (!parsed) {
    if (parsed.error().detail.empty())  // the client is told why
      std::abort();
    return 0;
  }
  const bool index = parsed->media_type == kOciIndex || parsed->media_type == kDockerManifestList;
  if (parsed->is_index != index)
    std::abort();
  if (parsed->required.size() > parsed->children.size())
    std::abort();
  return 0;
}

// Helpers for the OCI API tests: error codes of responses, deterministic blob bytes, pushes,
// and manifests built from their parts.
#pragma once

#include "storage/content/digest.h"
#include "tests/support/http_client.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::testing {

inline constexpr std::string_view kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndexType = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerManifestType =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerListType =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kOciConfigType = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayerType = "application/vnd.oci.image.layer.v1.tar+gzip";

// A response body as JSON (discarded when it is not JSON).
inline nlohmann::json body_of(const HttpResult& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

// The Content-Range of a PATCH carrying bytes [first, end) of an upload: "<first>-<last>".
inline std::string content_range(size_t first, size_t end) {
  return std::to_string(first) + "-" + std::to_string(end - 1);
}

// The first OCI error code of a response body, "<none>" when it holds none.
inline std::string error_code(const HttpResult& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("errors") || !j["errors"].is_array() ||
      j["errors"].empty() || !j["errors"][0].contains("code")) {
    return "<none>";
  }
  return j["errors"][0]["code"].get<std::string>();
}

// The sha256 digest of `data`, "sha256:<hex>".
inline std::string digest_of(std::string_view data) {
  return content::digest_of(data).str();
}

// `n` deterministic bytes (every byte value occurs), different for each seed.
inline std::string blob_bytes(size_t n, uint32_t seed = 1) {
  std::string out(n, '\0');
  uint32_t x = seed * 2654435761u + 12345u;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

// Pushes `data` to `name` in one POST ?digest= and checks the 201. Returns the digest.
inline std::string push_blob(HttpClient& c, const std::string& name, const std::string& data) {
  std::string digest = digest_of(data);
  auto r = c.request("POST", "/v2/" + name + "/blobs/uploads/?digest=" + digest, data,
                     {{"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(r.status, 201u) << name << " " << r.body;
  return digest;
}

// POST, then each piece as a PATCH through the next client in turn, then the PUT through the
// one after: the upload moves from replica to replica. Returns the PUT's answer.
inline HttpResult chunked_push(std::vector<HttpClient*> clients, const std::string& name,
                               const std::string& data, size_t piece) {
  size_t turn = 0;
  auto next = [&]() -> HttpClient& { return *clients[turn++ % clients.size()]; };
  auto started = next().request("POST", "/v2/" + name + "/blobs/uploads/");
  EXPECT_EQ(started.status, 202u) << started.body;
  std::string location = started.header("location");
  for (size_t at = 0; at < data.size(); at += piece) {
    const std::string chunk = data.substr(at, piece);
    auto r = next().request(
        "PATCH", location, chunk,
        {{"Content-Type", "application/octet-stream"},
         {"Content-Range", std::to_string(at) + "-" + std::to_string(at + chunk.size() - 1)}});
    EXPECT_EQ(r.status, 202u) << r.body;
    EXPECT_EQ(r.header("range"), "0-" + std::to_string(at + chunk.size() - 1));
    location = r.header("location");
  }
  const char* sep = location.find('?') == std::string::npos ? "?" : "&";
  return next().request("PUT", location + sep + "digest=" + digest_of(data));
}

struct Desc {
  std::string media_type;
  std::string digest;
  size_t size = 0;
  std::string artifact_type;  // for index entries; empty: none
};

inline nlohmann::json to_json(const Desc& d) {
  nlohmann::json j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.artifact_type.empty())
    j["artifactType"] = d.artifact_type;
  return j;
}

// An image manifest of `media_type` (OCI or Docker schema2) over a config and layers.
inline std::string image_manifest(std::string_view media_type, const Desc& config,
                                  const std::vector<Desc>& layers,
                                  const std::optional<Desc>& subject = std::nullopt,
                                  std::string_view artifact_type = {}) {
  nlohmann::json j = {{"schemaVersion", 2}, {"mediaType", media_type}, {"config", to_json(config)}};
  j["layers"] = nlohmann::json::array();
  for (const auto& l : layers)
    j["layers"].push_back(to_json(l));
  if (subject)
    j["subject"] = to_json(*subject);
  if (!artifact_type.empty())
    j["artifactType"] = artifact_type;
  return j.dump(2);
}

// An index of `media_type` (OCI index or Docker manifest list) over manifests.
inline std::string index_manifest(std::string_view media_type, const std::vector<Desc>& manifests) {
  nlohmann::json j = {{"schemaVersion", 2}, {"mediaType", media_type}};
  j["manifests"] = nlohmann::json::array();
  for (const auto& m : manifests)
    j["manifests"].push_back(to_json(m));
  return j.dump(3);
}

// PUTs a manifest with its Content-Type.
inline HttpResult put_manifest(HttpClient& c, const std::string& name, const std::string& ref,
                               const std::string& body, std::string_view media_type) {
  return c.request("PUT", "/v2/" + name + "/manifests/" + ref, body,
                   {{"Content-Type", std::string(media_type)}});
}

// A small image pushed to `name`: its config and one layer as blobs, and its manifest body
// (not pushed). `seed` makes each image's bytes different.
struct Image {
  Desc config;
  Desc layer;
  std::string manifest;
  std::string digest;  // of `manifest`
};

inline Image push_image_blobs(HttpClient& c, const std::string& name, uint32_t seed,
                              std::string_view media_type = kOciManifestType) {
  const bool docker = media_type == kDockerManifestType;
  std::string config =
      R"({"architecture":"amd64","os":"linux","seed":)" + std::to_string(seed) + "}";
  std::string layer = blob_bytes(1000 + seed, seed);
  Image img;
  img.config = {
      docker ? "application/vnd.docker.container.image.v1+json" : std::string(kOciConfigType),
      push_blob(c, name, config),
      config.size(),
      {}};
  img.layer = {
      docker ? "application/vnd.docker.image.rootfs.diff.tar.gzip" : std::string(kOciLayerType),
      push_blob(c, name, layer),
      layer.size(),
      {}};
  img.manifest = image_manifest(media_type, img.config, {img.layer});
  img.digest = digest_of(img.manifest);
  return img;
}

}  // namespace cairn::testing

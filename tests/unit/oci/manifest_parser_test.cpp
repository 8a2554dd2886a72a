#include "oci/manifest_parser.h"

#include <gtest/gtest.h>

namespace cairn::oci {
namespace {

const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');
const std::string kD3 = "sha256:" + std::string(64, '3');

std::string image(const std::string& media_type_field, const std::string& extra = "") {
  return R"({"schemaVersion":2,)" + media_type_field +
         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + kD1 +
         R"(","size":10},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
         kD2 + R"(","size":20}])" + extra + "}";
}

TEST(ManifestParser, OciImageManifest) {
  auto m = parse_manifest(image(R"("mediaType":"application/vnd.oci.image.manifest.v1+json",)"),
                          "application/vnd.oci.image.manifest.v1+json");
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_EQ(m->media_type, kOciManifest);
  EXPECT_FALSE(m->is_index);
  ASSERT_EQ(m->children.size(), 2u);
  EXPECT_EQ(m->children[0].kind, metadata::ChildKind::config);
  EXPECT_EQ(m->children[1].kind, metadata::ChildKind::layer);
  ASSERT_EQ(m->required.size(), 2u);
  EXPECT_EQ(m->required[0].size, 10);  // the descriptors' sizes, checked against the store
  EXPECT_EQ(m->required[1].size, 20);
  EXPECT_EQ(m->artifact_type, "application/vnd.oci.image.config.v1+json");
}

TEST(ManifestParser, IndexEntriesAndNestingAreBounded) {
  std::string entries;
  for (int i = 0; i < 4; ++i) {
    entries += std::string(i ? "," : "") +
               R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kD1 +
               R"(","size":5})";
  }
  std::string index = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                      R"("manifests":[)" +
                      entries + "]}";
  EXPECT_TRUE(parse_manifest(index, "", 4));
  auto m = parse_manifest(index, "", 3);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().detail.find("at most 3 manifests"), std::string::npos) << m.error().detail;
  std::string deep =
      image(R"("mediaType":"application/vnd.oci.image.manifest.v1+json",)",
            R"(,"annotations":{"a":)" + std::string(100, '[') + "1" + std::string(100, ']') + "}");
  m = parse_manifest(deep, "");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().detail.find("nested levels"), std::string::npos) << m.error().detail;
}

TEST(ManifestParser, MediaTypeFromBodyOrShape) {
  auto from_body = parse_manifest(
      image(R"("mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"), "");
  ASSERT_TRUE(from_body);
  EXPECT_EQ(from_body->media_type, kDockerManifest);
  auto from_shape = parse_manifest(image(""), "application/json");
  ASSERT_TRUE(from_shape);
  EXPECT_EQ(from_shape->media_type, kOciManifest);
}

TEST(ManifestParser, IndexWithSubjectAndArtifactType) {
  std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                     R"("artifactType":"application/x.sig","manifests":[{"mediaType":)"
                     R"("application/vnd.oci.image.manifest.v1+json","digest":")" +
                     kD1 +
                     R"(","size":5}],"subject":{"mediaType":)"
                     R"("application/vnd.oci.image.manifest.v1+json","digest":")" +
                     kD3 + R"(","size":7},"annotations":{"a":"b"}})";
  auto m = parse_manifest(body, "");
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_TRUE(m->is_index);
  EXPECT_EQ(m->artifact_type, "application/x.sig");
  ASSERT_TRUE(m->subject);
  EXPECT_EQ(m->subject->str(), kD3);
  EXPECT_EQ(m->required.size(), 1u);  // the subject need not be present
  EXPECT_EQ(m->children.size(), 2u);
  EXPECT_EQ(m->annotations.at("a"), "b");
}

TEST(ManifestParser, ForeignLayersAreNotRequired) {
  std::string body =
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
      R"("config":{"mediaType":"x","digest":")" +
      kD1 +
      R"(","size":1},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":")" +
      kD2 + R"(","size":2,"urls":["https://example.invalid/l"]}]})";
  auto m = parse_manifest(body, "");
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_EQ(m->children.size(), 2u);
  EXPECT_EQ(m->required.size(), 1u);
}

TEST(ManifestParser, RejectsBadManifests) {
  const std::string bad_digest =
      R"({"schemaVersion":2,"config":{"digest":"sha256:xyz","size":1},"layers":[]})";
  const std::string neg_size =
      R"({"schemaVersion":2,"config":{"digest":")" + kD1 + R"(","size":-1},"layers":[]})";
  for (const auto& [body, type] : std::vector<std::pair<std::string, std::string>>{
           {"not json", ""},
           {"[]", ""},
           {R"({"schemaVersion":1})", ""},
           {R"({"schemaVersion":2,"mediaType":"application/vnd.unknown+json"})", ""},
           {image(""), "application/vnd.oci.image.index.v1+json"},  // header says index
           {image(R"("mediaType":"application/vnd.oci.image.manifest.v1+json",)"),
            "application/vnd.docker.distribution.manifest.v2+json"},  // disagree
           {R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})", ""},
           {R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"})", ""},
           {bad_digest, ""},
           {neg_size, ""},
           {image("", R"(,"annotations":{"a":1})"), ""},
       }) {
    auto m = parse_manifest(body, type);
    EXPECT_FALSE(m) << body << " / " << type;
    if (!m) {
      EXPECT_EQ(m.error().code, Errc::invalid_argument);
    }
  }
}

}  // namespace
}  // namespace cairn::oci

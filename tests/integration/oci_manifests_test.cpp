// OCI manifests, tags, catalog and referrers against the real server: pushes of every
// supported manifest type by tag and by digest, their exact bytes and headers on the way back,
// validation failures, deletes, paging with Link headers, and the referrers index.
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

namespace cairn::testing {
namespace {

using nlohmann::json;

class OciManifests : public ::testing::Test {
 protected:
  TestServer srv_;
  HttpClient c_{srv_.port()};

  // Pushes an image (blobs and manifest) to `name` under `ref`; returns it.
  Image push_image(const std::string& name, const std::string& ref, uint32_t seed) {
    Image img = push_image_blobs(c_, name, seed);
    auto r = put_manifest(c_, name, ref, img.manifest, kOciManifestType);
    EXPECT_EQ(r.status, 201u) << r.body;
    return img;
  }

  std::vector<std::string> tags(const std::string& name, const std::string& query = {}) {
    auto r = c_.request("GET", "/v2/" + name + "/tags/list" + query);
    EXPECT_EQ(r.status, 200u) << r.body;
    auto j = json::parse(r.body);
    EXPECT_EQ(j["name"], name);
    return j["tags"].get<std::vector<std::string>>();
  }
};

// --- PUT, GET and HEAD for every manifest type, by tag and by digest -------------------------

struct ManifestCase {
  const char* label;
  std::string_view media_type;
  bool index;
  bool by_digest;
};

class OciManifestTypes : public OciManifests, public ::testing::WithParamInterface<ManifestCase> {};

TEST_P(OciManifestTypes, PushKeepsExactBytesAndContentType) {
  const ManifestCase& tc = GetParam();
  const std::string name = "lib/types";
  std::string body;
  if (tc.index) {
    // Two child manifests of the matching family, pushed by digest first.
    std::string_view child_type =
        tc.media_type == kOciIndexType ? kOciManifestType : kDockerManifestType;
    std::vector<Desc> children;
    for (uint32_t seed : {21u, 22u}) {
      Image img = push_image_blobs(c_, name, seed, child_type);
      ASSERT_EQ(put_manifest(c_, name, img.digest, img.manifest, child_type).status, 201u);
      children.push_back({std::string(child_type), img.digest, img.manifest.size(), {}});
    }
    body = index_manifest(tc.media_type, children);
  } else {
    body = push_image_blobs(c_, name, 20, tc.media_type).manifest;
  }
  body = "  " + body + "\n\n";  // whitespace a re-serialization would lose
  const std::string digest = digest_of(body);
  const std::string ref = tc.by_digest ? digest : "v1.0";

  auto put = put_manifest(c_, name, ref, body, tc.media_type);
  ASSERT_EQ(put.status, 201u) << put.body;
  EXPECT_EQ(put.header("location"), "/v2/" + name + "/manifests/" + digest);
  EXPECT_EQ(put.header("docker-content-digest"), digest);
  EXPECT_TRUE(put.header("oci-subject").empty());

  std::vector<std::string> refs = {digest};
  if (!tc.by_digest)
    refs.push_back(ref);
  for (const auto& r : refs) {
    auto get = c_.request("GET", "/v2/" + name + "/manifests/" + r, {},
                          {{"Accept", std::string(tc.media_type)}});
    EXPECT_EQ(get.status, 200u) << r;
    EXPECT_EQ(get.body, body) << r;
    EXPECT_EQ(get.header("content-type"), tc.media_type) << r;
    EXPECT_EQ(get.header("docker-content-digest"), digest) << r;
    EXPECT_EQ(get.header("content-length"), std::to_string(body.size())) << r;

    auto head = c_.request("HEAD", "/v2/" + name + "/manifests/" + r);
    EXPECT_EQ(head.status, 200u) << r;
    EXPECT_TRUE(head.body.empty());
    EXPECT_EQ(head.header("content-type"), tc.media_type) << r;
    EXPECT_EQ(head.header("docker-content-digest"), digest) << r;
    EXPECT_EQ(head.header("content-length"), std::to_string(body.size())) << r;
  }
  // The manifest is a blob of the repository too.
  EXPECT_EQ(c_.request("GET", "/v2/" + name + "/blobs/" + digest).body, body);
}

INSTANTIATE_TEST_SUITE_P(
    All, OciManifestTypes,
    ::testing::Values(ManifestCase{"OciManifestByTag", kOciManifestType, false, false},
                      ManifestCase{"OciManifestByDigest", kOciManifestType, false, true},
                      ManifestCase{"OciIndexByTag", kOciIndexType, true, false},
                      ManifestCase{"OciIndexByDigest", kOciIndexType, true, true},
                      ManifestCase{"DockerManifestByTag", kDockerManifestType, false, false},
                      ManifestCase{"DockerManifestByDigest", kDockerManifestType, false, true},
                      ManifestCase{"DockerListByTag", kDockerListType, true, false},
                      ManifestCase{"DockerListByDigest", kDockerListType, true, true}),
    [](const auto& info) { return std::string(info.param.label); });

// --- Invalid manifests ----------------------------------------------------------------------

struct InvalidCase {
  const char* label;
  std::string body;  // "{config}" and "{layer}" are replaced by valid descriptors
  std::string content_type;
  const char* code;
};

class OciInvalidManifests : public OciManifests,
                            public ::testing::WithParamInterface<InvalidCase> {};

TEST_P(OciInvalidManifests, AreRejected) {
  const InvalidCase& tc = GetParam();
  Image img = push_image_blobs(c_, "lib/bad", 30);
  std::string body = tc.body;
  auto fill = [&](const std::string& key, const Desc& d) {
    if (auto at = body.find(key); at != std::string::npos)
      body.replace(at, key.size(), to_json(d).dump());
  };
  fill("{config}", img.config);
  fill("{layer}", img.layer);
  for (const std::string& ref : {std::string("bad"), digest_of(body)}) {
    auto r = put_manifest(c_, "lib/bad", ref, body, tc.content_type);
    EXPECT_EQ(r.status, 400u) << ref << " " << r.body;
    EXPECT_EQ(error_code(r), tc.code) << ref << " " << r.body;
  }
  auto get = c_.request("GET", "/v2/lib/bad/manifests/bad");
  EXPECT_EQ(get.status, 404u);
  EXPECT_EQ(error_code(get), "MANIFEST_UNKNOWN");
}

const std::string kOci(kOciManifestType);

INSTANTIATE_TEST_SUITE_P(
    All, OciInvalidManifests,
    ::testing::Values(
        InvalidCase{"NotJson", "{\"schemaVersion\": 2, ", kOci, "MANIFEST_INVALID"},
        InvalidCase{"Empty", "", kOci, "MANIFEST_INVALID"},
        InvalidCase{"JsonArray", "[1,2,3]", kOci, "MANIFEST_INVALID"},
        InvalidCase{"SchemaVersion1", R"({"schemaVersion":1,"config":{config},"layers":[{layer}]})",
                    kOci, "MANIFEST_INVALID"},
        InvalidCase{"SchemaVersionString",
                    R"({"schemaVersion":"2","config":{config},"layers":[{layer}]})", kOci,
                    "MANIFEST_INVALID"},
        InvalidCase{"NoConfig", R"({"schemaVersion":2,"layers":[{layer}]})", kOci,
                    "MANIFEST_INVALID"},
        InvalidCase{"LayersNotArray", R"({"schemaVersion":2,"config":{config},"layers":{layer}})",
                    kOci, "MANIFEST_INVALID"},
        InvalidCase{"LayerWithoutDigest",
                    R"({"schemaVersion":2,"config":{config},"layers":[{"size":1}]})", kOci,
                    "MANIFEST_INVALID"},
        InvalidCase{
            "NegativeSize",
            R"({"schemaVersion":2,"config":{config},"layers":[{"mediaType":"x",)"
            R"("digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":-1}]})",
            kOci, "MANIFEST_INVALID"},
        InvalidCase{"IndexWithoutManifests", R"({"schemaVersion":2})", std::string(kOciIndexType),
                    "MANIFEST_INVALID"},
        InvalidCase{"UnknownMediaTypeHeader",
                    R"({"schemaVersion":2,"config":{config},"layers":[{layer}]})",
                    "application/vnd.example.unknown+json", "MANIFEST_INVALID"},
        InvalidCase{"UnknownMediaTypeBody",
                    R"({"schemaVersion":2,"mediaType":"application/vnd.example+json",)"
                    R"("config":{config},"layers":[{layer}]})",
                    "", "MANIFEST_INVALID"},
        InvalidCase{"HeaderAndBodyDisagree",
                    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                    R"("config":{config},"layers":[{layer}]})",
                    kOci, "MANIFEST_INVALID"},
        InvalidCase{"LayerNotPushed",
                    R"({"schemaVersion":2,"config":{config},"layers":[{layer},)"
                    R"({"mediaType":"x","size":3,"digest":"sha256:)"
                    R"(1111111111111111111111111111111111111111111111111111111111111111"}]})",
                    kOci, "MANIFEST_BLOB_UNKNOWN"},
        InvalidCase{"ConfigNotPushed",
                    R"({"schemaVersion":2,"config":{"mediaType":"x","size":3,"digest":"sha256:)"
                    R"(2222222222222222222222222222222222222222222222222222222222222222"},)"
                    R"("layers":[{layer}]})",
                    kOci, "MANIFEST_BLOB_UNKNOWN"},
        InvalidCase{"IndexChildNotPushed",
                    R"({"schemaVersion":2,"manifests":[{"mediaType":")" +
                        std::string(kOciManifestType) +
                        R"(","size":3,"digest":"sha256:)"
                        R"(3333333333333333333333333333333333333333333333333333333333333333"}]})",
                    std::string(kOciIndexType), "MANIFEST_BLOB_UNKNOWN"}),
    [](const auto& info) { return std::string(info.param.label); });

TEST_F(OciManifests, PutByDigestOfOtherBytesIsDigestInvalid) {
  Image img = push_image_blobs(c_, "lib/app", 31);
  auto r =
      put_manifest(c_, "lib/app", digest_of("not the manifest"), img.manifest, kOciManifestType);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "DIGEST_INVALID");
  EXPECT_EQ(c_.request("GET", "/v2/lib/app/manifests/" + img.digest).status, 404u);
}

// A PUT while another write of the same manifest holds its ingest (a second client pushing the
// same image, or cache fills for several clients at once) waits for it rather than answering
// 503, however long that durable commit takes: here longer than the store's 200 ms default.
TEST_F(OciManifests, ConcurrentPutOfTheSameManifestWaitsForTheOther) {
  Image img = push_image_blobs(c_, "lib/same", 34);
  const auto digest = content::Digest::parse(img.digest);
  ASSERT_TRUE(digest.has_value());
  auto held = srv_.service().storage().content().writer(
      {"lib/same", {}}, {"manifest-" + std::string(digest->hex()),
                         static_cast<int64_t>(img.manifest.size()), *digest});
  ASSERT_TRUE(held.has_value()) << held.error().detail;

  HttpResult put;
  std::thread pusher(
      [&] { put = put_manifest(c_, "lib/same", "v1", img.manifest, kOciManifestType); });
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  ASSERT_TRUE((*held)->write(img.manifest).has_value());
  ASSERT_TRUE((*held)->commit(static_cast<int64_t>(img.manifest.size()), *digest).has_value());
  held->reset();
  pusher.join();
  EXPECT_EQ(put.status, 201u) << put.body;
  auto got = c_.request("GET", "/v2/lib/same/manifests/v1");
  EXPECT_EQ(got.status, 200u);
  EXPECT_EQ(got.body, img.manifest);
}

TEST_F(OciManifests, ForeignLayerNeedNotBePushed) {
  Image img = push_image_blobs(c_, "lib/win", 32, kDockerManifestType);
  json m = json::parse(img.manifest);
  m["layers"].push_back({{"mediaType", "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"},
                         {"digest", digest_of("foreign")},
                         {"size", 7},
                         {"urls", {"https://example.com/layer"}}});
  auto r = put_manifest(c_, "lib/win", "ltsc", m.dump(), kDockerManifestType);
  EXPECT_EQ(r.status, 201u) << r.body;
}

TEST_F(OciManifests, UnknownManifestIs404ManifestUnknown) {
  push_image("lib/app", "latest", 33);
  for (const std::string& ref : {std::string("nope"), digest_of("nope")}) {
    auto g = c_.request("GET", "/v2/lib/app/manifests/" + ref);
    EXPECT_EQ(g.status, 404u) << ref;
    EXPECT_EQ(error_code(g), "MANIFEST_UNKNOWN") << ref;
    EXPECT_EQ(c_.request("HEAD", "/v2/lib/app/manifests/" + ref).status, 404u) << ref;
    auto d = c_.request("DELETE", "/v2/lib/app/manifests/" + ref);
    EXPECT_EQ(d.status, 404u) << ref;
    EXPECT_EQ(error_code(d), "MANIFEST_UNKNOWN") << ref;
  }
  // A repository never pushed to.
  auto other = c_.request("GET", "/v2/lib/other/manifests/latest");
  EXPECT_EQ(other.status, 404u);
}

TEST_F(OciManifests, RetagMovesTheTag) {
  Image a = push_image("lib/app", "latest", 34);
  Image b = push_image("lib/app", "latest", 35);
  auto g = c_.request("GET", "/v2/lib/app/manifests/latest");
  EXPECT_EQ(g.header("docker-content-digest"), b.digest);
  EXPECT_EQ(c_.request("GET", "/v2/lib/app/manifests/" + a.digest).status, 200u);
}

TEST_F(OciManifests, DeleteByDigestRemovesManifestAndItsTags) {
  Image img = push_image("lib/app", "one", 36);
  ASSERT_EQ(put_manifest(c_, "lib/app", "two", img.manifest, kOciManifestType).status, 201u);
  Image keep = push_image("lib/app", "keep", 37);

  auto d = c_.request("DELETE", "/v2/lib/app/manifests/" + img.digest);
  EXPECT_EQ(d.status, 202u) << d.body;
  for (const std::string& ref : {img.digest, std::string("one"), std::string("two")}) {
    auto g = c_.request("GET", "/v2/lib/app/manifests/" + ref);
    EXPECT_EQ(g.status, 404u) << ref;
    EXPECT_EQ(error_code(g), "MANIFEST_UNKNOWN") << ref;
  }
  EXPECT_EQ(tags("lib/app"), std::vector<std::string>{"keep"});
  EXPECT_EQ(c_.request("GET", "/v2/lib/app/manifests/keep").status, 200u);
}

TEST_F(OciManifests, DeleteByTagOnlyUntags) {
  Image img = push_image("lib/app", "one", 38);
  ASSERT_EQ(put_manifest(c_, "lib/app", "two", img.manifest, kOciManifestType).status, 201u);
  auto d = c_.request("DELETE", "/v2/lib/app/manifests/one");
  EXPECT_EQ(d.status, 202u) << d.body;
  auto gone = c_.request("GET", "/v2/lib/app/manifests/one");
  EXPECT_EQ(gone.status, 404u);
  EXPECT_EQ(error_code(gone), "MANIFEST_UNKNOWN");
  EXPECT_EQ(c_.request("GET", "/v2/lib/app/manifests/two").body, img.manifest);
  EXPECT_EQ(c_.request("GET", "/v2/lib/app/manifests/" + img.digest).body, img.manifest);
  EXPECT_EQ(tags("lib/app"), std::vector<std::string>{"two"});
}

TEST_F(OciManifests, ManifestWithSubjectAnswersOciSubject) {
  Image base = push_image("lib/app", "latest", 39);
  Image sig = push_image_blobs(c_, "lib/app", 40);
  std::string body =
      image_manifest(kOciManifestType, sig.config, {sig.layer},
                     Desc{std::string(kOciManifestType), base.digest, base.manifest.size(), {}},
                     "application/vnd.example.sig");
  auto r = put_manifest(c_, "lib/app", digest_of(body), body, kOciManifestType);
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.header("oci-subject"), base.digest);

  // The subject need not exist (yet).
  std::string orphan =
      image_manifest(kOciManifestType, sig.config, {sig.layer},
                     Desc{std::string(kOciManifestType), digest_of("later"), 5, {}});
  auto o = put_manifest(c_, "lib/app", "orphan", orphan, kOciManifestType);
  EXPECT_EQ(o.status, 201u) << o.body;
  EXPECT_EQ(o.header("oci-subject"), digest_of("later"));
}

// --- Tags list and catalog ------------------------------------------------------------------

TEST_F(OciManifests, TagsListIsLexicalAndPagedWithLink) {
  Image img = push_image("lib/app", "b", 41);
  for (const char* t : {"a", "c", "V2", "latest", "1.0", "a-1"}) {
    ASSERT_EQ(put_manifest(c_, "lib/app", t, img.manifest, kOciManifestType).status, 201u);
  }
  const std::vector<std::string> all = {"1.0", "V2", "a", "a-1", "b", "c", "latest"};
  EXPECT_EQ(tags("lib/app"), all);

  auto first = c_.request("GET", "/v2/lib/app/tags/list?n=2");
  EXPECT_EQ(first.status, 200u);
  EXPECT_EQ(json::parse(first.body)["tags"], json({"1.0", "V2"}));
  EXPECT_EQ(first.header("link"), "</v2/lib/app/tags/list?n=2&last=V2>; rel=\"next\"");
  EXPECT_EQ(first.header("content-type"), "application/json");

  // Follow the links to the end.
  std::vector<std::string> seen;
  std::string target = "/v2/lib/app/tags/list?n=3";
  for (int pages = 0; !target.empty() && pages < 10; ++pages) {
    auto r = c_.request("GET", target);
    ASSERT_EQ(r.status, 200u);
    json page = json::parse(r.body);
    for (const auto& t : page["tags"])
      seen.push_back(t);
    std::string link = r.header("link");
    target = link.empty() ? "" : link.substr(1, link.find('>') - 1);
  }
  EXPECT_EQ(seen, all);

  EXPECT_EQ(tags("lib/app", "?last=a"), (std::vector<std::string>{"a-1", "b", "c", "latest"}));
  EXPECT_EQ(tags("lib/app", "?n=2&last=b"), (std::vector<std::string>{"c", "latest"}));
  auto last_page = c_.request("GET", "/v2/lib/app/tags/list?n=2&last=b");
  EXPECT_TRUE(last_page.header("link").empty());
  EXPECT_TRUE(tags("lib/app", "?n=0").empty());
  EXPECT_TRUE(tags("lib/app", "?last=zzz").empty());
  EXPECT_EQ(tags("lib/app", "?n=100"), all);
}

TEST_F(OciManifests, TagsListOfRepositoryWithoutTagsIsEmpty) {
  push_blob(c_, "lib/untagged", "a blob");
  EXPECT_TRUE(tags("lib/untagged").empty());
}

TEST_F(OciManifests, TagsListOfUnknownRepositoryIsNameUnknown) {
  auto r = c_.request("GET", "/v2/lib/nothing/tags/list");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(error_code(r), "NAME_UNKNOWN");
}

TEST_F(OciManifests, BadPageSizeIsRejected) {
  push_image("lib/app", "t", 42);
  for (const char* q : {"?n=-1", "?n=abc", "?n=", "?n=1x"}) {
    auto r = c_.request("GET", std::string("/v2/lib/app/tags/list") + q);
    EXPECT_EQ(r.status, 400u) << q;
    EXPECT_NE(error_code(r), "<none>") << q;
    auto cat = c_.request("GET", std::string("/v2/_catalog") + q);
    EXPECT_EQ(cat.status, 400u) << q;
  }
}

TEST_F(OciManifests, CatalogIsLexicalAndPagedWithLink) {
  const std::vector<std::string> repos = {"alpha", "alpha/one", "alpha-beta", "beta", "z/y/x"};
  for (const auto& r : {"z/y/x", "beta", "alpha/one", "alpha", "alpha-beta"})
    push_blob(c_, r, std::string("blob of ") + r);
  std::vector<std::string> sorted = repos;
  std::sort(sorted.begin(), sorted.end());

  auto all = c_.request("GET", "/v2/_catalog");
  EXPECT_EQ(all.status, 200u);
  EXPECT_EQ(all.header("content-type"), "application/json");
  EXPECT_EQ(json::parse(all.body)["repositories"].get<std::vector<std::string>>(), sorted);
  EXPECT_TRUE(all.header("link").empty());

  auto page = c_.request("GET", "/v2/_catalog?n=2");
  EXPECT_EQ(json::parse(page.body)["repositories"].get<std::vector<std::string>>(),
            (std::vector<std::string>{sorted[0], sorted[1]}));
  EXPECT_EQ(page.header("link"), "</v2/_catalog?n=2&last=" + sorted[1] + ">; rel=\"next\"");

  std::vector<std::string> seen;
  std::string target = "/v2/_catalog?n=2";
  for (int pages = 0; !target.empty() && pages < 10; ++pages) {
    auto r = c_.request("GET", target);
    ASSERT_EQ(r.status, 200u) << target << " " << r.body;
    json listed = json::parse(r.body);
    for (const auto& n : listed["repositories"])
      seen.push_back(n);
    std::string link = r.header("link");
    target = link.empty() ? "" : link.substr(1, link.find('>') - 1);
  }
  EXPECT_EQ(seen, sorted);

  auto after = c_.request("GET", "/v2/_catalog?last=alpha/one");
  EXPECT_EQ(json::parse(after.body)["repositories"].get<std::vector<std::string>>(),
            (std::vector<std::string>{"beta", "z/y/x"}));
}

TEST_F(OciManifests, EmptyCatalog) {
  auto r = c_.request("GET", "/v2/_catalog");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(json::parse(r.body)["repositories"], json::array());
}

// --- Referrers ------------------------------------------------------------------------------

TEST_F(OciManifests, ReferrersOfUnknownSubjectIsAnEmptyIndex) {
  for (const std::string& name : {std::string("lib/app"), std::string("never/pushed")}) {
    auto r = c_.request("GET", "/v2/" + name + "/referrers/" + digest_of("no subject"));
    EXPECT_EQ(r.status, 200u) << name;
    EXPECT_EQ(r.header("content-type"), kOciIndexType);
    auto j = json::parse(r.body);
    EXPECT_EQ(j["schemaVersion"], 2);
    EXPECT_EQ(j["mediaType"], kOciIndexType);
    EXPECT_EQ(j["manifests"], json::array());
    EXPECT_TRUE(r.header("oci-filters-applied").empty());
  }
  auto bad = c_.request("GET", "/v2/lib/app/referrers/sha256:zzz");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(error_code(bad), "DIGEST_INVALID");
}

TEST_F(OciManifests, ReferrersListsAndFiltersByArtifactType) {
  Image base = push_image("lib/app", "latest", 43);
  Desc subject{std::string(kOciManifestType), base.digest, base.manifest.size(), {}};
  Image blobs = push_image_blobs(c_, "lib/app", 44);

  // One artifact typed by artifactType, one by its config's media type (image-spec rule).
  std::string sig = image_manifest(kOciManifestType, blobs.config, {blobs.layer}, subject,
                                   "application/vnd.example.sig");
  Desc sbom_config{"application/vnd.example.sbom", blobs.layer.digest, blobs.layer.size, {}};
  std::string sbom = image_manifest(kOciManifestType, sbom_config, {blobs.layer}, subject);
  ASSERT_EQ(put_manifest(c_, "lib/app", digest_of(sig), sig, kOciManifestType).status, 201u);
  ASSERT_EQ(put_manifest(c_, "lib/app", digest_of(sbom), sbom, kOciManifestType).status, 201u);

  auto all = c_.request("GET", "/v2/lib/app/referrers/" + base.digest);
  ASSERT_EQ(all.status, 200u);
  auto j = json::parse(all.body);
  ASSERT_EQ(j["manifests"].size(), 2u);
  std::map<std::string, std::string> by_digest;
  for (const auto& m : j["manifests"]) {
    EXPECT_EQ(m["mediaType"], kOciManifestType);
    by_digest[m["digest"]] = m["artifactType"];
    EXPECT_EQ(m["size"], m["digest"] == digest_of(sig) ? sig.size() : sbom.size());
  }
  EXPECT_EQ(by_digest[digest_of(sig)], "application/vnd.example.sig");
  EXPECT_EQ(by_digest[digest_of(sbom)], "application/vnd.example.sbom");

  auto filtered = c_.request("GET", "/v2/lib/app/referrers/" + base.digest +
                                        "?artifactType=application/"
                                        "vnd.example.sbom");
  EXPECT_EQ(filtered.status, 200u);
  EXPECT_EQ(filtered.header("oci-filters-applied"), "artifactType");
  auto f = json::parse(filtered.body);
  ASSERT_EQ(f["manifests"].size(), 1u);
  EXPECT_EQ(f["manifests"][0]["digest"], digest_of(sbom));

  auto none = c_.request(
      "GET", "/v2/lib/app/referrers/" + base.digest + "?artifactType=application%2Fvnd.none");
  EXPECT_EQ(none.status, 200u);
  EXPECT_EQ(none.header("oci-filters-applied"), "artifactType");
  EXPECT_EQ(json::parse(none.body)["manifests"], json::array());

  // Paged like the listings: ?n=1 answers one, and its Link leads to the other (the filter
  // carried along when there is one).
  auto first = c_.request("GET", "/v2/lib/app/referrers/" + base.digest + "?n=1");
  ASSERT_EQ(first.status, 200u);
  auto p1 = json::parse(first.body)["manifests"];
  ASSERT_EQ(p1.size(), 1u);
  const std::string link = first.header("link");
  ASSERT_EQ(link.rfind("</v2/lib/app/referrers/" + base.digest + "?n=1&last=", 0), 0u) << link;
  auto second = c_.request("GET", link.substr(1, link.find('>') - 1));
  ASSERT_EQ(second.status, 200u);
  auto p2 = json::parse(second.body)["manifests"];
  ASSERT_EQ(p2.size(), 1u);
  EXPECT_NE(p1[0]["digest"], p2[0]["digest"]);
  EXPECT_EQ(second.header("link"), "");
  auto typed = c_.request("GET", "/v2/lib/app/referrers/" + base.digest +
                                     "?n=1&artifactType=application%2Fvnd.example.sig");
  EXPECT_EQ(json::parse(typed.body)["manifests"].size(), 1u);
  EXPECT_EQ(c_.request("GET", "/v2/lib/app/referrers/" + base.digest + "?last=nope").status, 400u);

  // A deleted referrer leaves the index.
  ASSERT_EQ(c_.request("DELETE", "/v2/lib/app/manifests/" + digest_of(sig)).status, 202u);
  auto after = json::parse(c_.request("GET", "/v2/lib/app/referrers/" + base.digest).body);
  ASSERT_EQ(after["manifests"].size(), 1u);
  EXPECT_EQ(after["manifests"][0]["digest"], digest_of(sbom));
}

// --- Names and routes -----------------------------------------------------------------------

TEST_F(OciManifests, UnknownRouteIs404AndWrongMethodIs405) {
  auto nf = c_.request("GET", "/v2/lib/app/nonsense/x");
  EXPECT_EQ(nf.status, 404u);
  EXPECT_EQ(error_code(nf), "NOT_FOUND");
  auto v1 = c_.request("GET", "/v1/_ping");
  EXPECT_EQ(v1.status, 404u);

  struct Case {
    const char* method;
    std::string target;
  };
  const Case cases[] = {
      {"PATCH", "/v2/lib/app/manifests/latest"},          {"POST", "/v2/lib/app/tags/list"},
      {"PUT", "/v2/lib/app/blobs/" + digest_of("x")},     {"DELETE", "/v2/_catalog"},
      {"PUT", "/v2/lib/app/referrers/" + digest_of("x")},
  };
  for (const auto& tc : cases) {
    auto r = c_.request(tc.method, tc.target);
    EXPECT_EQ(r.status, 405u) << tc.method << " " << tc.target;
    EXPECT_EQ(error_code(r), "UNSUPPORTED") << tc.method << " " << tc.target;
    EXPECT_FALSE(r.header("allow").empty()) << tc.method << " " << tc.target;
  }
}

TEST_F(OciManifests, NamesMayHoldRouteWords) {
  // Matching from the right lets a name hold "blobs", "manifests" or "tags".
  Image img = push_image("blobs/manifests/tags", "latest", 45);
  EXPECT_EQ(c_.request("GET", "/v2/blobs/manifests/tags/manifests/latest").body, img.manifest);
  EXPECT_EQ(tags("blobs/manifests/tags"), std::vector<std::string>{"latest"});
}

}  // namespace
}  // namespace cairn::testing

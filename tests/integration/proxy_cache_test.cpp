// The pull-through cache against real upstreams (Debian's docker-registry on loopback): how a
// request picks its upstream, manifest caching and revalidation, stale-on-error, one upstream
// fetch for many cold pulls, eviction to a byte budget, and push and proxy on one instance.
#include "tests/support/http_client.h"
#include "tests/support/test_server.h"
#include "tests/support/upstream_registry.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

namespace cairn::testing {
namespace {

upstream::Endpoint endpoint(const std::string& host, const UpstreamRegistry& reg) {
  upstream::Endpoint ep;
  ep.host = host;
  ep.url = reg.url();
  return ep;
}

handlers::ServiceOptions with_cache(std::vector<upstream::Endpoint> ups,
                                    std::string default_upstream = {}, uint64_t max_bytes = 0) {
  handlers::ServiceOptions s;
  s.cache.upstreams = std::move(ups);
  s.cache.default_upstream = std::move(default_upstream);
  s.cache.max_bytes = max_bytes;
  s.start_gc_scheduler = false;
  return s;
}

nlohmann::json figures(HttpClient& c) {
  auto r = c.request("GET", "/_admin/cache");
  EXPECT_EQ(r.status, 200u) << r.body;
  return nlohmann::json::parse(r.body);
}

// `curl URL | sha256sum` for each URL at once; returns "sha256:<hex>" of each body.
std::vector<std::string> parallel_digests(const std::vector<std::string>& urls) {
  std::vector<FILE*> pipes;
  for (const auto& u : urls)
    pipes.push_back(::popen(("curl -sS --fail '" + u + "' | sha256sum").c_str(), "r"));
  std::vector<std::string> out;
  for (FILE* p : pipes) {
    char buf[128] = {};
    std::string line = p && std::fgets(buf, sizeof buf, p) ? buf : "";
    if (p)
      ::pclose(p);
    out.push_back("sha256:" + line.substr(0, 64));
  }
  return out;
}

TEST(ProxyCache, PicksTheUpstreamByNsParamPrefixAndDefault) {
  UpstreamRegistry reg;
  const std::string digest = reg.push_image("team/app", "v1", {"layer-one"});
  TestServer server({}, with_cache({endpoint("up.test", reg)}, "up.test"));
  HttpClient c(server.port());

  // ?ns= as containerd sends it; the answer names the namespace.
  auto r = c.request("GET", "/v2/team/app/manifests/v1?ns=up.test");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("docker-content-digest"), digest);
  EXPECT_EQ(r.header("oci-namespace"), "up.test");
  // The path prefix names the same cache namespace: served from the cache now.
  r = c.request("GET", "/v2/up.test/team/app/manifests/v1");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("oci-namespace"), "");
  EXPECT_EQ(reg.count_requests("GET", "/v2/team/app/manifests/v1"), 1u);
  // A plain name goes to the default upstream (served from the same cache namespace).
  r = c.request("HEAD", "/v2/team/app/manifests/v1");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("docker-content-digest"), digest);
  EXPECT_EQ(r.header("content-length"),
            std::to_string(c.request("GET", "/v2/up.test/team/app/manifests/v1").body.size()));
  // An unknown ns is not an upstream: the repository is local (and empty).
  r = c.request("GET", "/v2/other/app/manifests/v1?ns=nowhere.test");
  EXPECT_EQ(r.status, 404u) << r.body;
  EXPECT_EQ(reg.count_requests("GET", "/v2/other/app"), 0u);

  auto f = figures(c);
  EXPECT_EQ(f["upstreams"][0]["host"], "up.test");
  EXPECT_GE(f["upstreams"][0]["hits"].get<int>(), 2);
  EXPECT_EQ(f["upstreams"][0]["misses"].get<int>(), 1);
}

TEST(ProxyCache, PushAndProxyOnOneInstanceAndCacheNamespacesAreReadOnly) {
  UpstreamRegistry reg;
  reg.push_image("team/app", "v1", {"upstream-layer"});
  TestServer server({}, with_cache({endpoint("up.test", reg)}, "up.test"));
  HttpClient c(server.port());

  // A local push to a plain name works, and then that name is local: no upstream asked.
  const std::string layer = "local layer bytes";
  const std::string ld = sha256_digest(layer);
  auto r = c.request("POST", "/v2/team/app/blobs/uploads/?digest=" + ld, layer);
  ASSERT_EQ(r.status, 201u) << r.body;
  r = c.request("GET", "/v2/team/app/blobs/" + ld);
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, layer);
  r = c.request("GET", "/v2/team/app/manifests/v1");
  EXPECT_EQ(r.status, 404u) << "a local repository must not fall through to the default upstream";
  // The upstream's image is there by prefix.
  r = c.request("GET", "/v2/up.test/team/app/manifests/v1");
  EXPECT_EQ(r.status, 200u) << r.body;
  // Writes into a cache namespace are refused with the OCI error.
  r = c.request("POST", "/v2/up.test/team/app/blobs/uploads/?digest=" + ld, layer);
  EXPECT_EQ(r.status, 405u);
  EXPECT_NE(r.body.find("UNSUPPORTED"), std::string::npos) << r.body;
}

TEST(ProxyCache, RepeatedAcceptHeadersAreMergedForTheUpstream) {
  UpstreamRegistry reg;
  const std::string digest = reg.push_image("team/app", "v1", {"accept"});
  TestServer server({}, with_cache({endpoint("up.test", reg)}));
  HttpClient c(server.port());
  // As podman does: one Accept header per type. Distribution refuses an OCI manifest to a
  // client that does not name its type, so the second header must reach it.
  const std::string reply = c.raw(
      "GET /v2/up.test/team/app/manifests/v1 HTTP/1.1\r\nHost: x\r\n"
      "Accept: application/vnd.docker.distribution.manifest.list.v2+json\r\n"
      "Accept: application/vnd.oci.image.manifest.v1+json\r\n"
      "Connection: close\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_NE(reply.find(digest), std::string::npos);
}

TEST(ProxyCache, ACachedManifestOfATypeTheClientRefusesIsNotServedToIt) {
  UpstreamRegistry reg;
  const std::string digest = reg.push_image("team/app", "v1", {"oci only"});
  TestServer server({}, with_cache({endpoint("up.test", reg)}));
  HttpClient c(server.port());
  auto r = c.request("GET", "/v2/up.test/team/app/manifests/v1");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("content-type"), "application/vnd.oci.image.manifest.v1+json");
  // A client that takes Docker schema2 only: the upstream has nothing for it (Distribution says
  // so), and the cached OCI manifest is not pushed on it.
  r = c.request("GET", "/v2/up.test/team/app/manifests/v1", {},
                {{"Accept", "application/vnd.docker.distribution.manifest.v2+json"}});
  EXPECT_EQ(r.status, 404u) << r.body;
  EXPECT_EQ(reg.count_requests("GET", "/manifests/v1"), 2u);
  // A client that takes it still gets it from the cache.
  r = c.request("GET", "/v2/up.test/team/app/manifests/v1", {},
                {{"Accept", "application/vnd.oci.image.manifest.v1+json"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("docker-content-digest"), digest);
  EXPECT_EQ(reg.count_requests("GET", "/manifests/v1"), 2u);
}

TEST(ProxyCache, TagsAreRevalidatedWithHeadAndRefetchedOnlyWhenChanged) {
  UpstreamRegistry reg;
  const std::string first = reg.push_image("team/app", "v1", {"one"});
  auto ep = endpoint("up.test", reg);
  ep.revalidate = std::chrono::nanoseconds(0);  // every request revalidates
  TestServer server({}, with_cache({ep}));
  HttpClient c(server.port());

  auto r = c.request("GET", "/v2/up.test/team/app/manifests/v1");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("docker-content-digest"), first);
  r = c.request("GET", "/v2/up.test/team/app/manifests/v1");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(reg.count_requests("GET", "/manifests/v1"), 1u);
  EXPECT_EQ(reg.count_requests("HEAD", "/manifests/v1"), 1u);

  const std::string second = reg.push_image("team/app", "v1", {"two"});
  r = c.request("GET", "/v2/up.test/team/app/manifests/v1");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("docker-content-digest"), second);
  EXPECT_EQ(reg.count_requests("GET", "/manifests/v1"), 2u);
  // By digest: immutable, never asked again.
  r = c.request("GET", "/v2/up.test/team/app/manifests/" + first);
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(reg.count_requests("GET", "/manifests/sha256:"), 0u);
  EXPECT_EQ(reg.count_requests("HEAD", "/manifests/sha256:"), 0u);
  EXPECT_GE(figures(c)["upstreams"][0]["revalidations"].get<int>(), 2);
}

TEST(ProxyCache, WithinTheIntervalTagsAreServedWithoutAskingTheUpstream) {
  UpstreamRegistry reg;
  reg.push_image("team/app", "v1", {"one"});
  auto ep = endpoint("up.test", reg);
  ep.revalidate = std::chrono::hours(1);
  TestServer server({}, with_cache({ep}));
  HttpClient c(server.port());
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(c.request("GET", "/v2/up.test/team/app/manifests/v1").status, 200u);
  EXPECT_EQ(reg.count_requests("GET", "/manifests/v1"), 1u);
  EXPECT_EQ(reg.count_requests("HEAD", "/manifests/v1"), 0u);
}

TEST(ProxyCache, ServesStaleManifestsWhenTheUpstreamIsDown) {
  UpstreamRegistry reg;
  const std::string digest = reg.push_image("team/app", "v1", {"stale layer"});
  auto ep = endpoint("up.test", reg);
  ep.revalidate = std::chrono::nanoseconds(0);
  TestServer server({}, with_cache({ep}));
  HttpClient c(server.port());
  auto m = c.request("GET", "/v2/up.test/team/app/manifests/v1");
  ASSERT_EQ(m.status, 200u);
  const std::string layer = sha256_digest("stale layer");
  ASSERT_EQ(c.request("GET", "/v2/up.test/team/app/blobs/" + layer).status, 200u);

  reg.stop();
  auto r = c.request("GET", "/v2/up.test/team/app/manifests/v1");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("docker-content-digest"), digest);
  EXPECT_EQ(r.body, m.body);
  EXPECT_NE(r.header("warning").find("110"), std::string::npos);
  r = c.request("GET", "/v2/up.test/team/app/blobs/" + layer);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "stale layer");
  // Nothing cached: a clear error, not a hang or a crash.
  r = c.request("GET", "/v2/up.test/team/app/manifests/v2");
  EXPECT_EQ(r.status, 502u);
  EXPECT_NE(r.body.find("up.test"), std::string::npos) << r.body;
  EXPECT_GE(figures(c)["upstreams"][0]["stale_served"].get<int>(), 1);
  EXPECT_EQ(c.request("GET", "/v2/").status, 200u);
}

TEST(ProxyCache, SixteenColdPullsOfOneBlobFetchItOnce) {
  UpstreamRegistry reg;
  const auto file = reg.make_random_file(200u << 20);
  const std::string digest = reg.push_blob_file("team/big", file);
  TestServer server({}, with_cache({endpoint("up.test", reg)}));
  HttpClient c(server.port());

  const std::string url =
      "http://127.0.0.1:" + std::to_string(server.port()) + "/v2/up.test/team/big/blobs/" + digest;
  std::vector<std::string> urls(16, url);
  for (const auto& got : parallel_digests(urls))
    EXPECT_EQ(got, digest);
  EXPECT_EQ(reg.count_requests("GET", "/blobs/" + digest), 1u);
  auto up = figures(c)["upstreams"][0];
  EXPECT_EQ(up["misses"].get<int>() + up["coalesced_waiters"].get<int>() + up["hits"].get<int>(),
            16);
  EXPECT_EQ(up["upstream_bytes"].get<uint64_t>(), 200u << 20);
  // Cached now: a range is served from the store.
  auto r = c.request("GET", "/v2/up.test/team/big/blobs/" + digest, {}, {{"Range", "bytes=-10"}});
  EXPECT_EQ(r.status, 206u);
  EXPECT_EQ(r.body.size(), 10u);
}

TEST(ProxyCache, ColdBlobsAnswerHeadAndRangesWhileFetching) {
  UpstreamRegistry reg;
  std::string bytes(3u << 20, '\0');
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>(i * 131 % 251);
  const std::string digest = reg.push_blob("team/app", bytes);
  TestServer server({}, with_cache({endpoint("up.test", reg)}));
  HttpClient c(server.port());

  auto h = c.request("HEAD", "/v2/up.test/team/app/blobs/" + digest);
  ASSERT_EQ(h.status, 200u);
  EXPECT_EQ(h.header("docker-content-digest"), digest);
  EXPECT_EQ(h.header("content-length"), std::to_string(bytes.size()));
  // A cold blob asked for with a range: the fetch starts and the range follows it.
  auto r =
      c.request("GET", "/v2/up.test/team/app/blobs/" + digest, {}, {{"Range", "bytes=1000000-"}});
  ASSERT_EQ(r.status, 206u) << r.body;
  EXPECT_EQ(r.body, bytes.substr(1000000));
  EXPECT_EQ(r.header("content-range"), "bytes 1000000-" + std::to_string(bytes.size() - 1) + "/" +
                                           std::to_string(bytes.size()));
  // Unknown upstream blob: BLOB_UNKNOWN.
  const std::string missing = sha256_digest("not there");
  EXPECT_EQ(c.request("GET", "/v2/up.test/team/app/blobs/" + missing).status, 404u);
  EXPECT_EQ(c.request("HEAD", "/v2/up.test/team/app/blobs/" + missing).status, 404u);
}

TEST(ProxyCache, EvictsTheLeastRecentlyPulledImageAndNeverPushedContent) {
  UpstreamRegistry reg;
  std::vector<std::pair<std::string, std::string>> images;  // (tag, layer digest)
  for (const std::string tag : {"a", "b", "c"}) {
    const auto file = reg.make_random_file(60u << 20);
    const std::string layer = sha256_file_digest(file);
    reg.push_image_files("team/app", tag, {file});
    std::filesystem::remove(file);
    images.emplace_back(tag, layer);
  }
  TestServer server({}, with_cache({endpoint("up.test", reg)}, "", 100u << 20));
  HttpClient c(server.port());
  // A pushed image of 60 MiB, outside the cache: never evicted, never counted.
  const std::string pushed(60u << 20, 'p');
  const std::string pd = sha256_digest(pushed);
  ASSERT_EQ(c.request("POST", "/v2/local/app/blobs/uploads/?digest=" + pd, pushed).status, 201u);
  const std::string config = R"({"architecture":"amd64","os":"linux"})";
  const std::string cd = sha256_digest(config);
  ASSERT_EQ(c.request("POST", "/v2/local/app/blobs/uploads/?digest=" + cd, config).status, 201u);
  const std::string manifest =
      UpstreamRegistry::image_manifest(cd, config.size(), {{pd, pushed.size()}});
  ASSERT_EQ(c.request("PUT", "/v2/local/app/manifests/v1", manifest,
                      {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}})
                .status,
            201u);

  auto pull = [&](const std::string& tag, const std::string& layer) {
    auto m = c.request("GET", "/v2/up.test/team/app/manifests/" + tag);
    ASSERT_EQ(m.status, 200u) << m.body;
    auto b = c.request("GET", "/v2/up.test/team/app/blobs/" + layer);
    ASSERT_EQ(b.status, 200u);
    ASSERT_EQ(sha256_digest(b.body), layer);
  };
  pull(images[0].first, images[0].second);
  pull(images[1].first, images[1].second);
  pull(images[2].first, images[2].second);
  // Eviction runs on the pool after a commit: wait for it to settle.
  nlohmann::json f;
  for (int i = 0; i < 200; ++i) {
    f = figures(c);
    if (f["bytes_used"].get<uint64_t>() <= (100u << 20))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_LE(f["bytes_used"].get<uint64_t>(), 100u << 20) << f.dump();
  EXPECT_GE(f["evictions"].get<int>(), 2) << f.dump();
  // The least recently pulled (a) is gone from the cache; the last (c) is there.
  auto& content = server.service().storage().content();
  EXPECT_FALSE(
      *content.exists({"up.test/team/app", {}}, *content::Digest::parse(images[0].second)));
  EXPECT_TRUE(*content.exists({"up.test/team/app", {}}, *content::Digest::parse(images[2].second)));
  EXPECT_FALSE(
      server.service().storage().tags().get("up.test/team/app", images[0].first).has_value());
  // The pushed image is untouched.
  auto pm = c.request("GET", "/v2/local/app/manifests/v1");
  ASSERT_EQ(pm.status, 200u);
  EXPECT_EQ(pm.body, manifest);
  auto p = c.request("GET", "/v2/local/app/blobs/" + pd);
  ASSERT_EQ(p.status, 200u);
  EXPECT_EQ(p.body, pushed);
  // An evicted image pulls again (from the upstream).
  pull(images[0].first, images[0].second);
  EXPECT_EQ(reg.count_requests("GET", "/blobs/" + images[0].second), 2u);
}

}  // namespace
}  // namespace cairn::testing

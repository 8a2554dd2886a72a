// proxy::Cache's fetches against an in-process fake upstream. Manifests (Cache::manifest,
// proxy/manifest_fetch.h): what it serves (held, revalidated, fetched, stale), how it fails
// (unknown, upstream, never storing a wrong manifest), and what it counts. A cold blob's HEAD
// (Cache::upstream_blob_size).
#include "proxy/cache.h"
#include "tests/support/fake_upstream.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace cairn::testing {
namespace {

namespace asio = boost::asio;
using proxy::FetchFailure;
using proxy::ManifestServed;
using proxy::UpstreamStats;
using Counter = UpstreamStats::Counter;

constexpr std::string_view kOci = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kDocker = "application/vnd.docker.distribution.manifest.v2+json";

// A valid image manifest (its children need not exist: a fill does not check them), different
// for each `n`.
std::string manifest_body(int n, std::string_view media_type = kOci) {
  return R"({"schemaVersion":2,"mediaType":")" + std::string(media_type) +
         R"(","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
         std::string(64, '1') + R"(","size":)" + std::to_string(10 + n) +
         R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:)" +
         std::string(64, '2') + R"(","size":20}]})";
}

// The fake answers `status` (empty body) / these bytes with 200.
Behaviour answering(unsigned status) {
  Behaviour b;
  b.status = status;
  return b;
}
Behaviour sending(std::string body) {
  Behaviour b;
  b.body = std::move(body);
  return b;
}

class CacheFetch : public ::testing::Test {
 protected:
  void SetUp() override {
    StorageOptions options;
    options.min_free_bytes = 0;
    storage_ = Storage::open(dir_.path(), options).value();
  }

  // The cache, its upstream the fake ("upstream.test"), tags revalidated after `revalidate`.
  void start(std::chrono::nanoseconds revalidate) {
    proxy::CacheOptions o;
    upstream::Endpoint ep;
    ep.host = "upstream.test";
    ep.url = fake_.url();
    ep.revalidate = revalidate;
    o.upstreams.push_back(ep);
    async_ = std::make_unique<AsyncStorage>(*storage_, offload_);
    cache_ = std::make_unique<proxy::Cache>(*storage_, *async_, o);
    target_ = *cache_->route("upstream.test/lib/app", std::nullopt, [] { return true; });
    ASSERT_EQ(target_.ns, "upstream.test/lib/app");
  }

  // What the cache namespace holds for `ref` (as the handler reads it), or nothing.
  std::optional<proxy::HeldManifest> held(const oci::Reference& ref) {
    content::Digest d;
    if (auto* by_digest = std::get_if<content::Digest>(&ref)) {
      d = *by_digest;
    } else {
      auto tag = storage_->tags().get(target_.ns, std::get<std::string>(ref));
      if (!tag)
        return std::nullopt;
      d = tag->target.digest;
    }
    auto rec = storage_->manifests().get(target_.ns, d);
    if (!rec)
      return std::nullopt;
    return proxy::HeldManifest{d, rec->media_type};
  }

  // Asks the cache for `ref`, with what it holds, taking `accept`.
  proxy::ManifestOutcome ask(const oci::Reference& ref, std::string accept = std::string(kOci),
                             size_t max_bytes = 4 << 20) {
    proxy::ManifestQuery q{ref, std::move(accept), held(ref), max_bytes};
    return run(cache_->manifest(target_, std::move(q)));
  }

  // Runs `task` on the test's io_context to its end and returns what it gave.
  template <class T>
  T run(asio::awaitable<T> task) {
    std::optional<T> out;
    asio::co_spawn(ioc_, std::move(task), [&](std::exception_ptr e, T r) {
      if (e)
        std::rethrow_exception(e);
      out = std::move(r);
    });
    ioc_.restart();
    ioc_.run();
    return std::move(*out);
  }

  uint64_t count(Counter c) const { return target_.upstream->stats.get(c); }
  std::string path(const std::string& ref) const { return "/v2/lib/app/manifests/" + ref; }

  TempDir dir_;
  std::unique_ptr<Storage> storage_;
  server::Offloader offload_{2};
  std::unique_ptr<AsyncStorage> async_;
  asio::io_context ioc_;  // the upstream client's sockets: outlives the cache
  FakeUpstream fake_;
  std::unique_ptr<proxy::Cache> cache_;
  proxy::Target target_;
};

TEST_F(CacheFetch, FetchesAndStoresOnceThenServesWhatItHolds) {
  start(std::chrono::hours(1));
  const std::string body = manifest_body(1);
  const auto digest = content::Digest::parse(fake_.add_manifest("lib/app", "v1", body)).value();

  auto first = ask(std::string("v1"));
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_EQ(first->source, ManifestServed::Source::fetched);
  EXPECT_EQ(first->digest, digest);
  // Stored with its tag in the cache namespace.
  auto h = held(std::string("v1"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->digest, digest);
  EXPECT_EQ(h->media_type, kOci);
  EXPECT_EQ(count(Counter::misses), 1u);
  EXPECT_EQ(count(Counter::fills), 1u);
  EXPECT_EQ(count(Counter::upstream_bytes), body.size());

  // Within the interval by tag, and always by digest: from the cache, the upstream not asked.
  auto by_tag = ask(std::string("v1"));
  ASSERT_TRUE(by_tag);
  EXPECT_EQ(by_tag->source, ManifestServed::Source::cache);
  auto by_digest = ask(digest);
  ASSERT_TRUE(by_digest);
  EXPECT_EQ(by_digest->source, ManifestServed::Source::cache);
  EXPECT_EQ(by_digest->digest, digest);
  EXPECT_EQ(fake_.count("", "/manifests/"), 1u);
  EXPECT_EQ(count(Counter::hits), 2u);
  EXPECT_EQ(count(Counter::revalidations), 0u);
}

TEST_F(CacheFetch, RevalidationKeepsAnUnchangedTagAndRefetchesAChangedOne) {
  start(std::chrono::nanoseconds(0));  // every request revalidates
  fake_.add_manifest("lib/app", "v1", manifest_body(1));
  ASSERT_TRUE(ask(std::string("v1")));

  auto same = ask(std::string("v1"));
  ASSERT_TRUE(same);
  EXPECT_EQ(same->source, ManifestServed::Source::revalidated);
  EXPECT_EQ(fake_.count("HEAD", path("v1")), 1u);
  EXPECT_EQ(fake_.count("GET", path("v1")), 1u);  // only the first fetch

  const auto moved =
      content::Digest::parse(fake_.add_manifest("lib/app", "v1", manifest_body(2))).value();
  auto changed = ask(std::string("v1"));
  ASSERT_TRUE(changed) << changed.error().detail;
  EXPECT_EQ(changed->source, ManifestServed::Source::fetched);
  EXPECT_EQ(changed->digest, moved);
  EXPECT_EQ(held(std::string("v1"))->digest, moved);  // the tag follows the upstream
  EXPECT_EQ(fake_.count("HEAD", path("v1")), 2u);
  EXPECT_EQ(fake_.count("GET", path("v1")), 2u);
  EXPECT_EQ(count(Counter::revalidations), 2u);
  EXPECT_EQ(count(Counter::fills), 2u);
}

TEST_F(CacheFetch, ServesTheHeldManifestStaleWhenTheUpstreamIsDown) {
  start(std::chrono::nanoseconds(0));
  const auto digest =
      content::Digest::parse(fake_.add_manifest("lib/app", "v1", manifest_body(1))).value();
  ASSERT_TRUE(ask(std::string("v1")));

  fake_.set_behaviour(path("v1"), answering(503));
  auto stale = ask(std::string("v1"));
  ASSERT_TRUE(stale) << stale.error().detail;
  EXPECT_EQ(stale->source, ManifestServed::Source::stale);
  EXPECT_EQ(stale->digest, digest);
  EXPECT_EQ(count(Counter::stale), 1u);
  EXPECT_EQ(count(Counter::errors), 0u);

  // 429 is "down for now" too.
  fake_.set_behaviour(path("v1"), answering(429));
  auto busy = ask(std::string("v1"));
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->source, ManifestServed::Source::stale);

  // With nothing held, the failure is the upstream's.
  fake_.set_behaviour(path("v2"), answering(503));
  auto down = ask(std::string("v2"));
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().kind, FetchFailure::Kind::upstream);
  EXPECT_NE(down.error().detail.find("upstream upstream.test: answered 503"), std::string::npos)
      << down.error().detail;
  EXPECT_EQ(count(Counter::errors), 1u);
}

TEST_F(CacheFetch, WhatTheUpstreamLacksOrRefusesIsUnknown) {
  start(std::chrono::hours(1));
  auto missing = ask(std::string("nope"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, FetchFailure::Kind::unknown);
  EXPECT_EQ(missing.error().detail, "upstream upstream.test answered 404 for lib/app:nope");
  for (unsigned status : {401u, 403u}) {
    fake_.set_behaviour(path("locked"), answering(status));
    auto refused = ask(std::string("locked"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, FetchFailure::Kind::unknown) << status;
  }
  EXPECT_EQ(count(Counter::errors), 0u);  // not the upstream's failure
  // Another status is.
  fake_.set_behaviour(path("odd"), answering(204));
  auto odd = ask(std::string("odd"));
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().kind, FetchFailure::Kind::upstream);
  EXPECT_EQ(count(Counter::errors), 1u);
}

TEST_F(CacheFetch, AWrongInvalidOrOversizedManifestIsTheUpstreamsFailureAndNotStored) {
  start(std::chrono::hours(1));
  const std::string body = manifest_body(1);
  const auto asked = content::Digest::parse(sha256_digest(body)).value();
  // By digest, the upstream sends other (valid) bytes.
  fake_.set_behaviour(path(asked.str()), sending(manifest_body(2)));
  auto wrong = ask(asked);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().kind, FetchFailure::Kind::upstream);
  EXPECT_NE(wrong.error().detail.find("sent a manifest that hashes to"), std::string::npos)
      << wrong.error().detail;
  EXPECT_FALSE(held(asked));
  EXPECT_EQ(storage_->manifests().list(target_.ns).value().size(), 0u);

  fake_.set_behaviour(path("junk"), sending("{\"not\":\"a manifest\"}"));
  auto junk = ask(std::string("junk"));
  ASSERT_FALSE(junk);
  EXPECT_EQ(junk.error().kind, FetchFailure::Kind::upstream);
  EXPECT_NE(junk.error().detail.find("sent an invalid manifest"), std::string::npos);
  EXPECT_FALSE(held(std::string("junk")));

  fake_.add_manifest("lib/app", "big", body);
  auto big = ask(std::string("big"), std::string(kOci), body.size() - 1);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().kind, FetchFailure::Kind::upstream);
  EXPECT_FALSE(held(std::string("big")));
  EXPECT_EQ(count(Counter::errors), 3u);
  EXPECT_EQ(count(Counter::fills), 0u);
}

TEST_F(CacheFetch, AHeldManifestOfATypeTheClientRefusesIsNotItsAnswer) {
  start(std::chrono::hours(1));
  fake_.add_manifest("lib/app", "v1", manifest_body(1, kDocker), std::string(kDocker));
  auto docker = ask(std::string("v1"), std::string(kDocker));
  ASSERT_TRUE(docker) << docker.error().detail;
  EXPECT_EQ(docker->source, ManifestServed::Source::fetched);

  // The upstream now has an OCI manifest for the tag; a client taking only OCI gets that one,
  // although the Docker one is held and fresh.
  const auto oci =
      content::Digest::parse(fake_.add_manifest("lib/app", "v1", manifest_body(2))).value();
  auto got = ask(std::string("v1"), std::string(kOci));
  ASSERT_TRUE(got) << got.error().detail;
  EXPECT_EQ(got->source, ManifestServed::Source::fetched);
  EXPECT_EQ(got->digest, oci);
  EXPECT_EQ(fake_.count("GET", path("v1")), 2u);
}

TEST_F(CacheFetch, AColdBlobsHeadAsksTheUpstream) {
  start(std::chrono::hours(1));
  const auto blob = content::Digest::parse(fake_.add_blob("lib/app", "twelve bytes")).value();
  auto size = [&](const content::Digest& d) { return run(cache_->upstream_blob_size(target_, d)); };
  auto known = size(blob);
  ASSERT_TRUE(known) << known.error().detail;
  EXPECT_EQ(*known, 12u);
  EXPECT_EQ(fake_.count("HEAD", "/v2/lib/app/blobs/" + blob.str()), 1u);

  const auto other = content::Digest::parse(sha256_digest("not there")).value();
  auto missing = size(other);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, FetchFailure::Kind::unknown);
  EXPECT_EQ(count(Counter::errors), 0u);

  fake_.set_behaviour("/v2/lib/app/blobs/" + other.str(), answering(500));
  auto failed = size(other);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, FetchFailure::Kind::upstream);
  EXPECT_EQ(failed.error().detail, "upstream upstream.test: answered 500 to HEAD");
  EXPECT_EQ(count(Counter::errors), 1u);
}

}  // namespace
}  // namespace cairn::testing

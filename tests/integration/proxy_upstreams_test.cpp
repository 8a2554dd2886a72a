// The pull-through cache against upstreams that need credentials or TLS, and against hostile
// ones (FakeUpstream): a wrong digest, a short body, a slow answer, a 500, a redirect loop. The
// client always gets a clear error or a cut connection, nothing corrupt is committed, and the
// server keeps serving.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "tests/support/fake_upstream.h"
#include "tests/support/http_client.h"
#include "tests/support/test_server.h"
#include "tests/support/upstream_registry.h"

#include <gtest/gtest.h>

namespace cairn::testing {
namespace {

// A cache of `ep`. The hostile upstreams stall on purpose, so each read or write step gives up
// after `io_timeout`; against a real registry (bcrypt-checked credentials, TLS handshakes on a
// loaded CI machine) the tests pass kSlowUpstream, which only a broken fetch reaches.
constexpr std::chrono::milliseconds kSlowUpstream{15'000};
handlers::ServiceOptions cache_of(
    upstream::Endpoint ep, std::chrono::milliseconds io_timeout = std::chrono::milliseconds(1000)) {
  handlers::ServiceOptions s;
  s.cache.upstreams = {std::move(ep)};
  s.cache.client.io_timeout = io_timeout;
  s.start_gc_scheduler = false;
  return s;
}

upstream::Endpoint endpoint_of(const std::string& url) {
  upstream::Endpoint ep;
  ep.host = "up.test";
  ep.url = url;
  return ep;
}

// Pulls manifest `tag` of team/app and its one layer through the cache; returns the layer.
std::string pull(HttpClient& c, const std::string& layer_digest) {
  auto m = c.request("GET", "/v2/up.test/team/app/manifests/v1");
  EXPECT_EQ(m.status, 200u) << m.body;
  auto b = c.request("GET", "/v2/up.test/team/app/blobs/" + layer_digest);
  EXPECT_EQ(b.status, 200u) << b.body;
  return b.body;
}

TEST(ProxyUpstreams, BearerTokenFlowThroughAFront) {
  UpstreamRegistry reg;
  reg.push_image("team/app", "v1", {"bearer layer"});
  FakeUpstreamOptions fo;
  fo.require_token = true;
  fo.forward_to = reg.url();
  FakeUpstream front(fo);
  TestServer server({}, cache_of(endpoint_of(front.url()), kSlowUpstream));
  HttpClient c(server.port());
  EXPECT_EQ(pull(c, sha256_digest("bearer layer")), "bearer layer");
  // One token for the repository, reused by the manifest, the layer and the next requests.
  EXPECT_EQ(front.token_requests(), 1u);
  for (const auto& seen : front.seen()) {
    if (seen.path.find("/blobs/") != std::string::npos) {
      EXPECT_EQ(seen.authorization.rfind("Bearer ", 0), 0u) << seen.path;
    }
  }
}

TEST(ProxyUpstreams, BasicAuthWithAndWithoutCredentials) {
  UpstreamRegistryOptions ro;
  ro.htpasswd_user = "puller";
  ro.htpasswd_password = "s3cret";
  UpstreamRegistry reg(ro);
  reg.push_image("team/app", "v1", {"basic layer"});
  {
    auto ep = endpoint_of(reg.url());
    ep.username = "puller";
    ep.password = "s3cret";
    TestServer server({}, cache_of(ep, kSlowUpstream));
    HttpClient c(server.port());
    EXPECT_EQ(pull(c, sha256_digest("basic layer")), "basic layer");
  }
  TestServer server({}, cache_of(endpoint_of(reg.url()), kSlowUpstream));
  HttpClient c(server.port());
  auto r = c.request("GET", "/v2/up.test/team/app/manifests/v1");
  EXPECT_EQ(r.status, 404u) << r.body;  // the upstream refuses us: nothing to serve
  EXPECT_NE(r.body.find("401"), std::string::npos) << r.body;
}

TEST(ProxyUpstreams, TlsVerifiedWithTheGivenCaAndRefusedWithout) {
  UpstreamRegistryOptions ro;
  ro.tls = true;
  UpstreamRegistry reg(ro);
  reg.push_image("team/app", "v1", {"tls layer"});
  {
    auto ep = endpoint_of(reg.url());
    ep.ca_file = reg.ca_file().string();
    TestServer server({}, cache_of(ep, kSlowUpstream));
    HttpClient c(server.port());
    EXPECT_EQ(pull(c, sha256_digest("tls layer")), "tls layer");
  }
  TestServer server({}, cache_of(endpoint_of(reg.url()), kSlowUpstream));
  HttpClient c(server.port());
  auto r = c.request("GET", "/v2/up.test/team/app/manifests/v1");
  EXPECT_EQ(r.status, 502u);
  EXPECT_NE(r.body.find("certificate"), std::string::npos) << r.body;
}

class ProxyHostile : public ::testing::Test {
 protected:
  ProxyHostile() : server_({}, cache_of(endpoint_of(fake_.url()))), client_(server_.port()) {}

  // The server still answers, and `digest` was not committed to the cache.
  void expect_nothing_cached(const std::string& digest) {
    HttpClient fresh(server_.port());
    EXPECT_EQ(fresh.request("GET", "/v2/").status, 200u);
    auto& content = server_.service().storage().content();
    auto has = content.exists({"up.test/team/app", {}}, *content::Digest::parse(digest));
    ASSERT_TRUE(has.has_value());
    EXPECT_FALSE(*has);
  }

  // A bad fetch reaches a client as a cut connection when it failed after the answer began (0),
  // or as 502 when it failed before (which one depends on timing: both are right).
  static void expect_cut_or_refused(unsigned status) {
    EXPECT_TRUE(status == 0 || status == 502) << status;
  }

  // GET of the blob through the cache: the status, or 0 when the connection was cut.
  unsigned get_blob(const std::string& digest, std::string* body = nullptr) {
    HttpClient c(server_.port());
    try {
      auto r = c.request("GET", "/v2/up.test/team/app/blobs/" + digest);
      if (body)
        *body = r.body;
      return r.status;
    } catch (const std::exception&) {
      return 0;
    }
  }

  FakeUpstream fake_;
  TestServer server_;
  HttpClient client_;
};

TEST_F(ProxyHostile, WrongDigestCutsTheClientsAndCommitsNothing) {
  const std::string bytes(2u << 20, 'a');
  const std::string digest = fake_.add_blob("team/app", bytes);
  fake_.set_behaviour("/v2/team/app/blobs/" + digest,
                      Behaviour{.body = std::string(2u << 20, 'b')});
  expect_cut_or_refused(get_blob(digest));  // a wrong blob never arrives whole
  expect_nothing_cached(digest);
  // The next request tries the upstream again (nothing was kept from the bad one).
  expect_cut_or_refused(get_blob(digest));
  EXPECT_EQ(fake_.count("GET", "/blobs/" + digest), 2u);
  // Fixed upstream: the right bytes arrive and are cached.
  fake_.set_behaviour("/v2/team/app/blobs/" + digest, Behaviour{});
  std::string body;
  EXPECT_EQ(get_blob(digest, &body), 200u);
  EXPECT_EQ(body, bytes);
}

TEST_F(ProxyHostile, TruncatedBodyCutsTheClientsAndCommitsNothing) {
  const std::string bytes(1u << 20, 'x');
  const std::string digest = fake_.add_blob("team/app", bytes);
  fake_.set_behaviour("/v2/team/app/blobs/" + digest,
                      Behaviour{.body = bytes.substr(0, 1000), .promise = bytes.size()});
  expect_cut_or_refused(get_blob(digest));
  expect_nothing_cached(digest);
}

TEST_F(ProxyHostile, SlowUpstreamTimesOut) {
  const std::string digest = fake_.add_blob("team/app", "slow bytes");
  fake_.set_behaviour("/v2/team/app/blobs/" + digest,
                      Behaviour{.delay = std::chrono::milliseconds(3000)});
  EXPECT_EQ(get_blob(digest), 502u);
  expect_nothing_cached(digest);
}

TEST_F(ProxyHostile, StalledBodyTimesOutAndCutsTheClients) {
  const std::string bytes(1u << 20, 's');
  const std::string digest = fake_.add_blob("team/app", bytes);
  fake_.set_behaviour("/v2/team/app/blobs/" + digest, Behaviour{.stall_after = 64u << 10});
  EXPECT_EQ(get_blob(digest), 0u) << "the answer began: the stalled fetch must cut it short";
  expect_nothing_cached(digest);
  EXPECT_GE(
      nlohmann::json::parse(client_.request("GET", "/_admin/cache").body)["upstreams"][0]["errors"]
          .get<int>(),
      1);
}

TEST_F(ProxyHostile, ServerErrorsAndRedirectLoopsAreClearErrors) {
  const std::string a = fake_.add_blob("team/app", "five hundred");
  fake_.set_behaviour("/v2/team/app/blobs/" + a, Behaviour{.status = 500});
  std::string body;
  EXPECT_EQ(get_blob(a, &body), 502u);
  EXPECT_NE(body.find("500"), std::string::npos) << body;
  const std::string b = fake_.add_blob("team/app", "loop");
  const std::string path = "/v2/team/app/blobs/" + b;
  fake_.set_behaviour(path, Behaviour{.redirect = path});
  EXPECT_EQ(get_blob(b, &body), 502u);
  EXPECT_NE(body.find("redirect"), std::string::npos) << body;
  fake_.set_behaviour("/v2/team/app/manifests/v1", Behaviour{.status = 500});
  auto r = client_.request("GET", "/v2/up.test/team/app/manifests/v1");
  EXPECT_EQ(r.status, 502u);
  // A manifest that is not one: refused, not cached.
  fake_.add_manifest("team/app", "bad", "{not json");
  r = client_.request("GET", "/v2/up.test/team/app/manifests/bad");
  EXPECT_EQ(r.status, 502u);
  EXPECT_EQ(client_.request("GET", "/v2/").status, 200u);
  EXPECT_GE(
      nlohmann::json::parse(client_.request("GET", "/_admin/cache").body)["upstreams"][0]["errors"]
          .get<int>(),
      3);
}

}  // namespace
}  // namespace cairn::testing

namespace cairn::testing {
namespace {

// A server stopped while a blob fetch waits on a silent upstream: the fetch is abandoned, the
// client's connection closes, and nothing outlives what it uses (ASan checks the teardown).
TEST(ProxyShutdown, StopsWithAFetchInFlight) {
  FakeUpstream fake;
  const std::string digest = fake.add_blob("team/app", "never arrives");
  fake.set_behaviour("/v2/team/app/blobs/" + digest,
                     Behaviour{.delay = std::chrono::milliseconds(4000)});
  server::ServerOptions so;
  so.shutdown_deadline = std::chrono::milliseconds(300);
  auto opts = cache_of(endpoint_of(fake.url()));
  opts.cache.client.io_timeout = std::chrono::milliseconds(10'000);
  auto server = std::make_unique<TestServer>(so, opts);
  std::thread client([port = server->port()] {
    HttpClient c(port);
    try {
      c.request("GET", "/v2/up.test/team/app/blobs/" + sha256_digest("never arrives"));
    } catch (const std::exception&) {
    }
  });
  while (fake.count("GET", "/blobs/") == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  server.reset();
  client.join();
}

}  // namespace
}  // namespace cairn::testing

// upstream::Client against real registries (docker-registry: plain, TLS, htpasswd) and the
// in-process FakeUpstream (bearer tokens, redirects, faults, connection limits). Each test runs
// its coroutines on its own io_context, declared before the clients (idle connections belong
// to it).
#include "upstream/client.h"
#include "tests/support/fake_upstream.h"
#include "tests/support/upstream_registry.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

// Options are written with designated initializers; the members left out keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace cairn::testing {
namespace {

namespace asio = boost::asio;
using upstream::Client;
using upstream::ClientOptions;
using upstream::Endpoint;

struct Fetched {
  std::string error;  // send() failed: its detail
  unsigned status = 0;
  upstream::Headers headers;
  std::optional<uint64_t> content_length;
  std::string final_url;
  std::string body;
  std::string body_error;  // read_all failed: its detail
  std::optional<Errc> body_errc;

  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
      if (k == name)
        return v;
    }
    return {};
  }
};

asio::awaitable<Fetched> fetch(Client& client, std::string method, std::string target,
                               std::string repo) {
  Fetched f;
  upstream::Headers headers = {{"accept", "application/vnd.oci.image.manifest.v1+json"}};
  auto got = co_await client.send(method, target, headers, repo);
  if (!got) {
    f.error = got.error().detail;
    co_return f;
  }
  auto& reply = **got;
  f.status = reply.status;
  f.headers = reply.headers;
  f.content_length = reply.content_length;
  f.final_url = reply.final_url;
  auto body = co_await reply.read_all(16u << 20);
  if (body) {
    f.body = std::move(*body);
  } else {
    f.body_error = body.error().detail;
    f.body_errc = body.error().code;
  }
  co_return f;
}

// Runs one request to completion on `ioc`.
Fetched request(asio::io_context& ioc, Client& client, std::string method, std::string target,
                std::string repo = "test/repo") {
  std::optional<Fetched> out;
  asio::co_spawn(ioc, fetch(client, std::move(method), std::move(target), std::move(repo)),
                 [&](std::exception_ptr e, Fetched f) {
                   if (e)
                     std::rethrow_exception(e);
                   out = std::move(f);
                 });
  ioc.restart();
  ioc.run();
  return std::move(*out);
}

Endpoint endpoint(const std::string& url) {
  Endpoint e;
  e.host = "upstream.test";
  e.url = url;
  return e;
}

TEST(UpstreamRegistryClient, GetAndHeadBlobsAndManifests) {
  UpstreamRegistry reg;
  std::string blob = reg.push_blob("test/plain", "hello, upstream");
  std::string manifest = reg.push_image("test/plain", "v1", {"layer one", "layer two"});
  asio::io_context ioc;
  Client client(endpoint(reg.url()));

  auto got = request(ioc, client, "GET", "/v2/test/plain/blobs/" + blob);
  ASSERT_EQ(got.error, "");
  EXPECT_EQ(got.status, 200u);
  EXPECT_EQ(got.body, "hello, upstream");
  EXPECT_EQ(got.final_url, reg.url() + "/v2/test/plain/blobs/" + blob);

  got = request(ioc, client, "HEAD", "/v2/test/plain/blobs/" + blob);
  EXPECT_EQ(got.status, 200u);
  EXPECT_EQ(got.content_length, 15u);
  EXPECT_EQ(got.body, "");

  got = request(ioc, client, "GET", "/v2/test/plain/manifests/v1");
  EXPECT_EQ(got.status, 200u);
  EXPECT_EQ(got.header("docker-content-digest"), manifest);
  EXPECT_EQ(sha256_digest(got.body), manifest);

  got = request(ioc, client, "GET", "/v2/test/plain/manifests/missing");
  EXPECT_EQ(got.error, "");
  EXPECT_EQ(got.status, 404u);

  EXPECT_EQ(reg.count_requests("GET", "/v2/test/plain/blobs/" + blob), 1u);
  EXPECT_EQ(reg.count_requests("HEAD", "/v2/test/plain/blobs/" + blob), 1u);
  EXPECT_EQ(reg.count_requests("GET", "/manifests/missing"), 1u);
}

TEST(UpstreamRegistryClient, KeepAliveReuseAndRetryAfterRestart) {
  UpstreamRegistry reg;
  std::string blob = reg.push_blob("test/ka", "kept alive");
  auto before = reg.client_addresses();
  asio::io_context ioc;
  Client client(endpoint(reg.url()));
  for (int i = 0; i < 5; ++i) {
    auto got = request(ioc, client, i % 2 ? "HEAD" : "GET", "/v2/test/ka/blobs/" + blob);
    ASSERT_EQ(got.status, 200u) << got.error;
  }
  EXPECT_EQ(reg.count_requests("", "/v2/test/ka/blobs/" + blob), 5u);  // any method
  EXPECT_EQ(reg.count_requests("GET", "/v2/test/ka/blobs/" + blob), 3u);
  auto after = reg.client_addresses();
  EXPECT_EQ(after.size() - before.size(), 1u) << "five requests on one connection";

  // The idle connection dies with the registry; the next request retries on a fresh one.
  reg.stop();
  reg.start();
  auto got = request(ioc, client, "GET", "/v2/test/ka/blobs/" + blob);
  EXPECT_EQ(got.error, "");
  EXPECT_EQ(got.body, "kept alive");
}

TEST(UpstreamRegistryClient, StreamsABigBlobInSmallPieces) {
  UpstreamRegistry reg;
  auto file = reg.make_random_file(8u << 20);
  std::string manifest = reg.push_image_files("test/big", "v1", {file});
  std::string digest = sha256_file_digest(file);
  asio::io_context ioc;
  Client client(endpoint(reg.url()));
  std::string hashed;
  uint64_t total = 0;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        std::string method = "GET", target = "/v2/test/big/blobs/" + digest, repo = "test/big";
        upstream::Headers headers;
        auto got = co_await client.send(method, target, headers, repo);
        if (!got)
          co_return;
        std::string bytes;
        std::vector<std::byte> buf(1000);  // not a divisor of anything
        for (;;) {
          std::span<std::byte> piece(buf);
          auto [ec, n] = co_await (*got)->read_some(piece);
          if (ec || n == 0)
            break;
          bytes.append(reinterpret_cast<const char*>(buf.data()), n);
        }
        total = bytes.size();
        hashed = sha256_digest(bytes);
      },
      [](std::exception_ptr e) {
        if (e)
          std::rethrow_exception(e);
      });
  ioc.run();
  EXPECT_EQ(total, 8u << 20);
  EXPECT_EQ(hashed, digest);
  auto got = request(ioc, client, "GET", "/v2/test/big/manifests/" + manifest);
  EXPECT_EQ(got.status, 200u);
}

TEST(UpstreamRegistryClient, SharedAcrossIoContextsAndThreads) {
  UpstreamRegistry reg;
  std::string blob = reg.push_blob("test/mt", "many threads");
  auto before = reg.client_addresses();
  asio::io_context first, second, pool;
  Client client(endpoint(reg.url()), ClientOptions{.max_connections = 3});
  // An idle connection opened on one io_context serves a coroutine of another.
  EXPECT_EQ(request(first, client, "GET", "/v2/test/mt/blobs/" + blob).body, "many threads");
  EXPECT_EQ(request(second, client, "GET", "/v2/test/mt/blobs/" + blob).body, "many threads");
  EXPECT_EQ(reg.client_addresses().size() - before.size(), 1u);

  // Many coroutines on strands of a two-thread io_context, three connections at most.
  std::mutex mu;
  std::vector<Fetched> results;
  for (int i = 0; i < 24; ++i) {
    asio::co_spawn(asio::make_strand(pool), fetch(client, "GET", "/v2/test/mt/blobs/" + blob, "r"),
                   [&](std::exception_ptr e, Fetched f) {
                     if (e)
                       std::rethrow_exception(e);
                     std::lock_guard lock(mu);
                     results.push_back(std::move(f));
                   });
  }
  std::thread helper([&] { pool.run(); });
  pool.run();
  helper.join();
  ASSERT_EQ(results.size(), 24u);
  for (const auto& r : results)
    EXPECT_EQ(r.body, "many threads") << r.error;
  EXPECT_LE(reg.client_addresses().size() - before.size(), 4u);
}

TEST(UpstreamRegistryClient, ProxyModeRegistryPullsThrough) {
  UpstreamRegistry origin;
  std::string manifest = origin.push_image("lib/p", "v1", {"proxied layer"});
  UpstreamRegistry mirror(UpstreamRegistryOptions{.proxy_remote_url = origin.url()});
  asio::io_context ioc;
  Client client(endpoint(mirror.url()));
  auto got = request(ioc, client, "GET", "/v2/lib/p/manifests/v1", "lib/p");
  ASSERT_EQ(got.status, 200u) << got.error << got.body;
  EXPECT_EQ(got.header("docker-content-digest"), manifest);
  EXPECT_GE(origin.count_requests("GET", "/v2/lib/p/manifests/"), 1u);
}

TEST(UpstreamRegistryClient, ConnectRefused) {
  uint16_t port = pick_free_port();
  asio::io_context ioc;
  Client client(endpoint("http://127.0.0.1:" + std::to_string(port)));
  auto got = request(ioc, client, "GET", "/v2/");
  EXPECT_EQ(got.error, "connect 127.0.0.1:" + std::to_string(port) + ": connection refused");
}

TEST(UpstreamRegistryClient, TlsVerification) {
  UpstreamRegistry reg(UpstreamRegistryOptions{.tls = true});
  std::string blob = reg.push_blob("test/tls", "over tls");
  asio::io_context ioc;
  {
    auto e = endpoint(reg.url());
    e.ca_file = reg.ca_file().string();
    Client client(e);
    auto got = request(ioc, client, "GET", "/v2/test/tls/blobs/" + blob);
    EXPECT_EQ(got.error, "");
    EXPECT_EQ(got.body, "over tls");
    // localhost is in the certificate too
    auto byname = e;
    byname.url = "https://localhost:" + std::to_string(reg.port());
    Client named(byname);
    got = request(ioc, named, "GET", "/v2/test/tls/blobs/" + blob);
    EXPECT_EQ(got.body, "over tls") << got.error;
  }
  {
    Client client(endpoint(reg.url()));
    auto got = request(ioc, client, "GET", "/v2/test/tls/blobs/" + blob);
    EXPECT_NE(got.error.find("TLS handshake with 127.0.0.1:" + std::to_string(reg.port())),
              std::string::npos)
        << got.error;
    EXPECT_NE(got.error.find("certificate verify failed"), std::string::npos) << got.error;
  }
  {
    auto e = endpoint(reg.url());
    e.insecure = true;
    Client client(e);
    auto got = request(ioc, client, "GET", "/v2/test/tls/blobs/" + blob);
    EXPECT_EQ(got.error, "");
    EXPECT_EQ(got.body, "over tls");
  }
  {
    auto e = endpoint("http://127.0.0.1:" + std::to_string(reg.port()));  // http to a TLS port
    Client client(e);
    auto got = request(ioc, client, "GET", "/v2/");
    EXPECT_EQ(got.status, 400u) << got.error;  // Go answers plain HTTP on a TLS port with 400
  }
}

TEST(UpstreamRegistryClient, HtpasswdBasicAuth) {
  UpstreamRegistry reg(
      UpstreamRegistryOptions{.htpasswd_user = "alice", .htpasswd_password = "s3cret"});
  std::string blob = reg.push_blob("test/basic", "behind basic");
  asio::io_context ioc;
  {
    Client client(endpoint(reg.url()));
    auto got = request(ioc, client, "GET", "/v2/test/basic/blobs/" + blob);
    EXPECT_EQ(got.error, "");
    EXPECT_EQ(got.status, 401u);
  }
  auto e = endpoint(reg.url());
  e.username = "alice";
  e.password = "s3cret";
  Client client(e);
  for (int i = 0; i < 3; ++i) {
    auto got = request(ioc, client, "GET", "/v2/test/basic/blobs/" + blob);
    EXPECT_EQ(got.status, 200u) << got.error;
    EXPECT_EQ(got.body, "behind basic");
  }
  // 1 refused without credentials, then 1 challenge and 3 successes with them: basic is sent up
  // front once the upstream asked for it.
  EXPECT_EQ(reg.count_requests("GET", "/v2/test/basic/blobs/" + blob), 5u);
  e.password = "wrong";
  Client wrong(e);
  auto got = request(ioc, wrong, "GET", "/v2/test/basic/blobs/" + blob);
  EXPECT_EQ(got.status, 401u);
}

TEST(UpstreamFakeClient, BearerTokenFetchedOnceAndReused) {
  FakeUpstream fake(FakeUpstreamOptions{.require_token = true});
  std::string blob = fake.add_blob("lib/a", "token protected");
  asio::io_context ioc;
  Client client(endpoint(fake.url()));
  for (int i = 0; i < 3; ++i) {
    auto got = request(ioc, client, "GET", "/v2/lib/a/blobs/" + blob, "lib/a");
    ASSERT_EQ(got.status, 200u) << got.error;
    EXPECT_EQ(got.body, "token protected");
  }
  EXPECT_EQ(fake.token_requests(), 1u);
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 5u);  // 401, /token, then three with the token
  EXPECT_EQ(seen[0].authorization, "");
  EXPECT_EQ(seen[1].path, "/token");
  EXPECT_EQ(seen[1].authorization, "");  // no credentials configured
  EXPECT_EQ(seen[2].authorization, "Bearer tok-1");
  EXPECT_EQ(seen[4].authorization, "Bearer tok-1");

  // Another repository has its own token.
  std::string other = fake.add_blob("lib/b", "other");
  auto got = request(ioc, client, "GET", "/v2/lib/b/blobs/" + other, "lib/b");
  EXPECT_EQ(got.body, "other");
  EXPECT_EQ(fake.token_requests(), 2u);
}

TEST(UpstreamFakeClient, RefusedCachedTokenIsReplacedOnce) {
  FakeUpstream fake(FakeUpstreamOptions{.require_token = true});
  std::string blob = fake.add_blob("lib/rv", "renewed");
  asio::io_context ioc;
  Client client(endpoint(fake.url()));
  EXPECT_EQ(request(ioc, client, "GET", "/v2/lib/rv/blobs/" + blob, "lib/rv").body, "renewed");
  fake.revoke_tokens();
  auto got = request(ioc, client, "GET", "/v2/lib/rv/blobs/" + blob, "lib/rv");
  EXPECT_EQ(got.body, "renewed") << got.error;
  EXPECT_EQ(fake.token_requests(), 2u);
  EXPECT_EQ(fake.seen().back().authorization, "Bearer tok-2");
}

TEST(UpstreamFakeClient, NoContentAndHeadHaveNoBodyAndKeepTheConnection) {
  FakeUpstream fake;
  std::string blob = fake.add_blob("lib/n", "sized");
  fake.set_behaviour("/v2/lib/n/manifests/empty", Behaviour{.status = 204});
  asio::io_context ioc;
  Client client(endpoint(fake.url()));
  auto got = request(ioc, client, "GET", "/v2/lib/n/manifests/empty");
  EXPECT_EQ(got.status, 204u);
  EXPECT_EQ(got.body, "");
  EXPECT_EQ(got.body_error, "");
  got = request(ioc, client, "HEAD", "/v2/lib/n/blobs/" + blob);
  EXPECT_EQ(got.status, 200u);
  EXPECT_EQ(got.content_length, 5u);
  EXPECT_EQ(got.body, "");
  got = request(ioc, client, "GET", "/v2/lib/n/blobs/" + blob);
  EXPECT_EQ(got.body, "sized");
}

TEST(UpstreamFakeClient, BearerTokenWithBasicCredentialsAtTheRealm) {
  FakeUpstream fake(
      FakeUpstreamOptions{.require_token = true, .token_user = "bob", .token_password = "pw"});
  std::string blob = fake.add_blob("lib/c", "realm creds");
  asio::io_context ioc;
  {
    Client client(endpoint(fake.url()));
    auto got = request(ioc, client, "GET", "/v2/lib/c/blobs/" + blob, "lib/c");
    EXPECT_EQ(got.error, "token from " + fake.url() + "/token: 401");
  }
  auto e = endpoint(fake.url());
  e.username = "bob";
  e.password = "pw";
  Client client(e);
  auto got = request(ioc, client, "GET", "/v2/lib/c/blobs/" + blob, "lib/c");
  EXPECT_EQ(got.body, "realm creds") << got.error;
  auto seen = fake.seen();
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen[seen.size() - 2].authorization, upstream::basic_authorization("bob", "pw"));
  // Basic credentials go to the realm only, never to the registry itself.
  EXPECT_EQ(seen.back().authorization, "Bearer tok-1");
}

// A challenge is the upstream's word: its realm may name any host. The upstream's credentials go
// only to its own host or to one the configuration names; elsewhere the token is asked for
// anonymously (here refused, since this realm wants credentials).
TEST(UpstreamFakeClient, CredentialsGoOnlyToTrustedRealmHosts) {
  FakeUpstream fake(FakeUpstreamOptions{.require_token = true,
                                        .token_user = "bob",
                                        .token_password = "pw",
                                        .realm_host = "localhost"});
  std::string blob = fake.add_blob("lib/r", "trusted realm");
  asio::io_context ioc;
  auto e = endpoint(fake.url());
  e.username = "bob";
  e.password = "pw";
  {
    Client client(e);
    auto got = request(ioc, client, "GET", "/v2/lib/r/blobs/" + blob, "lib/r");
    EXPECT_NE(got.error.find(": 401"), std::string::npos) << got.error;
    for (const auto& s : fake.seen())
      EXPECT_EQ(s.authorization.find("Basic"), std::string::npos) << s.path;
  }
  e.token_hosts = {"localhost"};
  Client client(e);
  auto got = request(ioc, client, "GET", "/v2/lib/r/blobs/" + blob, "lib/r");
  EXPECT_EQ(got.body, "trusted realm") << got.error;
  auto seen = fake.seen();
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen[seen.size() - 2].authorization, upstream::basic_authorization("bob", "pw"));
}

TEST(UpstreamFakeClient, BearerFrontForARealRegistry) {
  UpstreamRegistry reg;
  std::string manifest = reg.push_image("front/img", "latest", {"front layer"});
  FakeUpstream fake(FakeUpstreamOptions{.require_token = true, .forward_to = reg.url()});
  asio::io_context ioc;
  Client client(endpoint(fake.url()));
  auto got = request(ioc, client, "GET", "/v2/front/img/manifests/latest", "front/img");
  ASSERT_EQ(got.status, 200u) << got.error << got.body;
  EXPECT_EQ(got.header("docker-content-digest"), manifest);
  EXPECT_EQ(sha256_digest(got.body), manifest);
  got = request(ioc, client, "HEAD", "/v2/front/img/manifests/latest", "front/img");
  EXPECT_EQ(got.status, 200u);
  EXPECT_EQ(fake.token_requests(), 1u);
  EXPECT_EQ(reg.count_requests("GET", "/v2/front/img/manifests/latest"), 1u);
}

TEST(UpstreamFakeClient, RedirectsAndAuthorizationStaysHome) {
  FakeUpstream home(FakeUpstreamOptions{.require_token = true});
  FakeUpstream elsewhere;
  std::string blob = elsewhere.add_blob("lib/r", "redirected bytes");
  std::string path = "/v2/lib/r/blobs/" + blob;
  home.set_behaviour(path, Behaviour{.redirect = elsewhere.url() + path + "?signed=1"});
  std::string local = home.add_blob("lib/r", "local bytes");
  home.set_behaviour("/v2/lib/r/blobs/sha256:relative", Behaviour{.redirect = "../blobs/" + local});
  asio::io_context ioc;
  Client client(endpoint(home.url()));

  auto got = request(ioc, client, "GET", path, "lib/r");
  EXPECT_EQ(got.body, "redirected bytes") << got.error;
  EXPECT_EQ(got.final_url, elsewhere.url() + path + "?signed=1");
  auto there = elsewhere.seen();
  ASSERT_EQ(there.size(), 1u);
  EXPECT_EQ(there[0].authorization, "");  // never sent to another host
  EXPECT_EQ(home.seen().back().authorization, "Bearer tok-1");

  got = request(ioc, client, "GET", "/v2/lib/r/blobs/sha256:relative", "lib/r");
  EXPECT_EQ(got.body, "local bytes") << got.error;
  EXPECT_EQ(home.seen().back().path, "/v2/lib/r/blobs/" + local);
  EXPECT_EQ(home.seen().back().authorization, "Bearer tok-1");  // same origin: sent
}

TEST(UpstreamFakeClient, RedirectLoopIsAnError) {
  FakeUpstream fake;
  fake.set_behaviour("/v2/lib/l/manifests/x", Behaviour{.redirect = "/v2/lib/l/manifests/x"});
  asio::io_context ioc;
  Client client(endpoint(fake.url()), ClientOptions{.max_redirects = 3});
  auto got = request(ioc, client, "GET", "/v2/lib/l/manifests/x");
  EXPECT_NE(got.error.find("too many redirects"), std::string::npos) << got.error;
  EXPECT_EQ(fake.count("GET", "/v2/lib/l/manifests/x"), 4u);
}

TEST(UpstreamFakeClient, TimeoutIsAnError) {
  FakeUpstream fake;
  fake.set_behaviour("/v2/lib/s/manifests/slow",
                     Behaviour{.delay = std::chrono::milliseconds(3000)});
  asio::io_context ioc;
  Client client(endpoint(fake.url()), ClientOptions{.io_timeout = std::chrono::milliseconds(200)});
  auto got = request(ioc, client, "GET", "/v2/lib/s/manifests/slow");
  EXPECT_EQ(got.error, "timed out reading from 127.0.0.1:" + std::to_string(fake.port()));
}

// Sends one request with send_direct and an Authorization of the caller's own; returns its
// status and Location header.
asio::awaitable<Result<std::pair<unsigned, std::string>>> send_direct_signed(Client& c,
                                                                             std::string method,
                                                                             std::string target,
                                                                             std::string body) {
  upstream::Headers headers;
  headers.emplace_back("authorization", "AWS4-HMAC-SHA256 x");
  auto got = co_await c.send_direct(std::move(method), std::move(target), std::move(headers),
                                    std::move(body));
  if (!got)
    co_return got.error();
  co_await (*got)->read_all(1 << 20);
  co_return std::pair{(*got)->status, std::string((*got)->header("location"))};
}

// send_direct (what s3::Client uses): the caller's headers as given, no token flow, no redirect
// followed, whatever the origin answers is the reply.
TEST(UpstreamFakeClient, SendDirectSendsAsGivenAndFollowsNothing) {
  FakeUpstream home;
  FakeUpstream elsewhere;
  FakeUpstream locked(FakeUpstreamOptions{.require_token = true});
  std::string blob = elsewhere.add_blob("lib/d", "elsewhere");
  const std::string path = "/v2/lib/d/blobs/" + blob;
  home.set_behaviour(path, Behaviour{.redirect = elsewhere.url() + path});
  asio::io_context ioc;
  Client client(endpoint(home.url()));
  Client to_locked(endpoint(locked.url()));
  EXPECT_EQ(client.host_header(), home.url().substr(std::string("http://").size()));

  // Sends one request; returns its status and Location.
  auto send = [&](Client& c, std::string method, std::string target, std::string body) {
    using Out = Result<std::pair<unsigned, std::string>>;
    std::optional<Out> out;
    asio::co_spawn(ioc,
                   send_direct_signed(c, std::move(method), std::move(target), std::move(body)),
                   [&](std::exception_ptr e, Out r) {
                     if (e)
                       std::rethrow_exception(e);
                     out = std::move(r);
                   });
    ioc.restart();
    ioc.run();
    return std::move(*out);
  };

  // The redirect is the answer.
  auto got = send(client, "GET", path, "");
  ASSERT_TRUE(got) << got.error().detail;
  EXPECT_EQ(got->first, 307u);
  EXPECT_EQ(got->second, elsewhere.url() + path);
  EXPECT_TRUE(elsewhere.seen().empty());
  ASSERT_EQ(home.seen().size(), 1u);
  EXPECT_EQ(home.seen()[0].authorization, "AWS4-HMAC-SHA256 x");  // the caller's, untouched

  // A 401 with a bearer challenge is the answer too: no token fetched.
  got = send(to_locked, "PUT", "/v2/lib/d/blobs/uploads/x?a=1", "body bytes");
  ASSERT_TRUE(got) << got.error().detail;
  EXPECT_EQ(got->first, 401u);
  EXPECT_EQ(locked.token_requests(), 0u);
  auto seen = locked.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_EQ(seen[0].authorization, "AWS4-HMAC-SHA256 x");
}

TEST(UpstreamFakeClient, ServerErrorIsAReply) {
  FakeUpstream fake;
  fake.set_behaviour("/v2/lib/e/manifests/x", Behaviour{.status = 500, .body = "boom"});
  asio::io_context ioc;
  Client client(endpoint(fake.url()));
  auto got = request(ioc, client, "GET", "/v2/lib/e/manifests/x");
  EXPECT_EQ(got.error, "");
  EXPECT_EQ(got.status, 500u);
  EXPECT_EQ(got.body, "boom");
}

TEST(UpstreamFakeClient, TruncatedAndWrongBodies) {
  FakeUpstream fake;
  std::string blob = fake.add_blob("lib/t", "the real bytes");
  fake.set_behaviour("/v2/lib/t/blobs/" + blob, Behaviour{.body = "short", .promise = 100});
  std::string other = fake.add_blob("lib/t", "expected");
  fake.set_behaviour("/v2/lib/t/blobs/" + other, Behaviour{.body = "tampered"});
  asio::io_context ioc;
  Client client(endpoint(fake.url()));
  auto got = request(ioc, client, "GET", "/v2/lib/t/blobs/" + blob);
  EXPECT_EQ(got.status, 200u);
  EXPECT_EQ(got.content_length, 100u);
  EXPECT_EQ(got.body_errc, Errc::io) << got.body_error;
  // The client hands over what it got; checking digests is the cache's job.
  got = request(ioc, client, "GET", "/v2/lib/t/blobs/" + other);
  EXPECT_EQ(got.body, "tampered");
}

TEST(UpstreamFakeClient, MaxConnectionsRespected) {
  FakeUpstream fake;
  std::string blob = fake.add_blob("lib/m", "limited");
  fake.set_behaviour("/v2/lib/m/blobs/" + blob, Behaviour{.delay = std::chrono::milliseconds(100)});
  asio::io_context ioc;
  Client client(endpoint(fake.url()), ClientOptions{.max_connections = 2});
  std::vector<Fetched> results;
  for (int i = 0; i < 6; ++i) {
    asio::co_spawn(ioc, fetch(client, "GET", "/v2/lib/m/blobs/" + blob, "lib/m"),
                   [&](std::exception_ptr e, Fetched f) {
                     if (e)
                       std::rethrow_exception(e);
                     results.push_back(std::move(f));
                   });
  }
  ioc.run();
  ASSERT_EQ(results.size(), 6u);
  for (const auto& r : results)
    EXPECT_EQ(r.body, "limited") << r.error;
  EXPECT_LE(fake.max_in_flight(), 2u);
  EXPECT_GE(fake.max_in_flight(), 1u);
}

}  // namespace
}  // namespace cairn::testing

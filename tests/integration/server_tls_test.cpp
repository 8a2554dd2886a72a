// The server over TLS: protocol versions, ALPN, blobs pushed and pulled byte-exact (sendfile
// cannot serve them there), mutual TLS, and reloading the certificate.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include "tests/support/fake_upstream.h"
#include "tests/support/https_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"
#include "tests/support/tls.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace cairn::testing {
namespace {

server::ServerOptions tls_options(const TestPki::Pair& pair, const std::string& client_ca = "") {
  server::ServerOptions opts;
  opts.tls.cert = pair.cert.string();
  opts.tls.key = pair.key.string();
  opts.tls.client_ca = client_ca;
  return opts;
}

TlsClientOptions trusting(const TestPki& pki) {
  TlsClientOptions o;
  o.ca_file = pki.ca().string();
  return o;
}

// A server whose one route says what the connection told the handler: "tls=1 user=alice".
class WhoamiServer {
 public:
  explicit WhoamiServer(server::ServerOptions opts) {
    router_.add("GET", "/whoami", server::Access::open,
                [](server::Request& req) -> boost::asio::awaitable<server::Response> {
                  server::Response res;
                  res.body =
                      std::string("tls=") + (req.tls ? "1" : "0") + " user=" + req.tls_client_user;
                  co_return res;
                });
    opts.host = "127.0.0.1";
    opts.port = 0;
    opts.threads = 1;
    server_ = std::make_unique<server::HttpServer>(opts, router_);
    thread_ = std::thread([this] { server_->run(); });
  }
  ~WhoamiServer() {
    server_->stop();
    thread_.join();
  }
  uint16_t port() const { return server_->port(); }

 private:
  server::Router router_;
  std::unique_ptr<server::HttpServer> server_;
  std::thread thread_;
};

TEST(ServerTls, Tls12And13AreServed) {
  TestPki pki;
  TestServer srv(tls_options(pki.server()));
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    auto o = trusting(pki);
    o.min_version = version;
    o.max_version = version;
    HttpsClient c(srv.port(), o);
    ASSERT_FALSE(c.connect()) << version;
    EXPECT_EQ(c.version(), version == TLS1_2_VERSION ? "TLSv1.2" : "TLSv1.3");
    EXPECT_EQ(c.request("GET", "/v2/").status, 200u);
  }
}

TEST(ServerTls, Tls11AndOlderAreRefused) {
  TestPki pki;
  TestServer srv(tls_options(pki.server()));
  for (int version : {TLS1_1_VERSION, TLS1_VERSION}) {
    auto o = trusting(pki);
    o.max_version = version;
    HttpsClient c(srv.port(), o);
    EXPECT_TRUE(c.connect()) << "TLS version " << version << " was accepted";
  }
  // The server goes on.
  HttpsClient c(srv.port(), trusting(pki));
  EXPECT_EQ(c.request("GET", "/v2/").status, 200u);
}

TEST(ServerTls, AlpnSelectsHttp11) {
  TestPki pki;
  TestServer srv(tls_options(pki.server()));
  auto o = trusting(pki);
  o.alpn = std::string("\x02h2\x08http/1.1", 12);
  HttpsClient c(srv.port(), o);
  ASSERT_FALSE(c.connect());
  EXPECT_EQ(c.alpn(), "http/1.1");
  o.alpn = "";
  HttpsClient none(srv.port(), o);
  ASSERT_FALSE(none.connect());
  EXPECT_EQ(none.alpn(), "");
  EXPECT_EQ(none.request("GET", "/v2/").status, 200u);
}

TEST(ServerTls, PlainHttpIsNotServedOnTheTlsPort) {
  TestPki pki;
  TestServer srv(tls_options(pki.server()));
  HttpClient c(srv.port());
  std::string reply = c.raw("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_FALSE(reply.starts_with("HTTP/1.1 200"));
}

// Monolithic and chunked pushes of a multi-MiB blob, then the whole blob and a range, over TLS.
TEST(ServerTls, BlobsPushAndPullByteExact) {
  TestPki pki;
  TestServer srv(tls_options(pki.server()));
  HttpsClient c(srv.port(), trusting(pki));
  const std::string data = blob_bytes((5 << 20) + 12345, 7);
  const std::string digest = digest_of(data);

  auto mono = c.request("POST", "/v2/tls/one/blobs/uploads/?digest=" + digest, data,
                        {{"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(mono.status, 201u) << mono.body;

  auto post = c.request("POST", "/v2/tls/two/blobs/uploads/");
  ASSERT_EQ(post.status, 202u);
  const std::string location = post.header("location");
  const size_t half = data.size() / 2;
  auto p1 = c.request("PATCH", location, data.substr(0, half),
                      {{"Content-Type", "application/octet-stream"},
                       {"Content-Range", "0-" + std::to_string(half - 1)}});
  ASSERT_EQ(p1.status, 202u) << p1.body;
  // The second piece with Transfer-Encoding: chunked (Beast's chunked parser over TLS).
  auto p2 = c.request("PATCH", p1.header("location"), data.substr(half),
                      {{"Content-Type", "application/octet-stream"}}, /*chunked=*/true);
  ASSERT_EQ(p2.status, 202u) << p2.body;
  auto put = c.request("PUT", p2.header("location") + "?digest=" + digest);
  ASSERT_EQ(put.status, 201u) << put.body;

  for (std::string repo : {"tls/one", "tls/two"}) {
    auto whole = c.request("GET", "/v2/" + repo + "/blobs/" + digest);
    ASSERT_EQ(whole.status, 200u);
    EXPECT_TRUE(whole.body == data) << repo << ": " << whole.body.size() << " bytes";
    auto part =
        c.request("GET", "/v2/" + repo + "/blobs/" + digest, {}, {{"Range", "bytes=1000-3000000"}});
    ASSERT_EQ(part.status, 206u);
    EXPECT_TRUE(part.body == data.substr(1000, 3000000 - 1000 + 1)) << part.body.size();
  }
  EXPECT_EQ(c.connections(), 1);  // all of it on one kept-alive connection
}

// A cold pull through the cache is served while the fetch goes on (the response follows the
// fetch's FileFeed) in pieces over TLS; a fetch that stalls cuts the TLS response short.
TEST(ServerTls, CacheFetchIsFollowedOverTls) {
  FakeUpstream fake;
  const std::string data = blob_bytes(3 << 20, 9);
  const std::string digest = fake.add_blob("team/app", data);
  const std::string stalled = fake.add_blob("team/app", blob_bytes(1 << 20, 10));
  fake.set_behaviour("/v2/team/app/blobs/" + stalled, Behaviour{.stall_after = 64u << 10});
  handlers::ServiceOptions service;
  upstream::Endpoint ep;
  ep.host = "up.test";
  ep.url = fake.url();
  service.cache.upstreams = {ep};
  service.cache.client.io_timeout = std::chrono::milliseconds(1000);
  service.start_gc_scheduler = false;
  TestPki pki;
  TestServer srv(tls_options(pki.server()), service);
  HttpsClient c(srv.port(), trusting(pki));
  for (int pass = 0; pass < 2; ++pass) {  // cold (following the fetch), then from the cache
    auto r = c.request("GET", "/v2/up.test/team/app/blobs/" + digest);
    ASSERT_EQ(r.status, 200u) << pass;
    EXPECT_TRUE(r.body == data) << pass << ": " << r.body.size() << " bytes";
  }
  HttpsClient cut(srv.port(), trusting(pki));
  EXPECT_ANY_THROW(cut.request("GET", "/v2/up.test/team/app/blobs/" + stalled));
}

TEST(ServerTls, MutualTlsNamesTheClient) {
  TestPki pki;
  auto alice = pki.client("alice");
  WhoamiServer srv(tls_options(pki.server(), pki.ca().string()));

  auto with_cert = trusting(pki);
  with_cert.cert_file = alice.cert.string();
  with_cert.key_file = alice.key.string();
  HttpsClient c(srv.port(), with_cert);
  EXPECT_EQ(c.request("GET", "/whoami").body, "tls=1 user=alice");

  HttpsClient anonymous(srv.port(), trusting(pki));
  EXPECT_EQ(anonymous.request("GET", "/whoami").body, "tls=1 user=");

  // A certificate from a CA the server does not trust fails the handshake.
  TestPki other("2");
  auto mallory = other.client("alice");
  auto foreign = trusting(pki);
  foreign.cert_file = mallory.cert.string();
  foreign.key_file = mallory.key.string();
  HttpsClient bad(srv.port(), foreign);
  boost::system::error_code ec = bad.connect();
  if (!ec) {  // TLS 1.3: the client learns of the refusal on its first read
    EXPECT_ANY_THROW(bad.request("GET", "/whoami"));
  }
}

TEST(ServerTls, WithoutClientCaNoUserIsNamed) {
  TestPki pki;
  auto alice = pki.client("alice");
  WhoamiServer srv(tls_options(pki.server()));
  auto o = trusting(pki);
  o.cert_file = alice.cert.string();
  o.key_file = alice.key.string();
  HttpsClient c(srv.port(), o);
  EXPECT_EQ(c.request("GET", "/whoami").body, "tls=1 user=");
}

TEST(ServerTls, PlainRequestsAreNotTls) {
  WhoamiServer srv({});
  HttpClient c(srv.port());
  EXPECT_EQ(c.request("GET", "/whoami").body, "tls=0 user=");
}

// A reload swaps the pair for new handshakes; a connection made before keeps working.
TEST(ServerTls, ReloadUsesTheNewCertificateAndKeepsConnections) {
  TestPki pki;
  auto live = pki.server("live", "cairn-a");
  TestServer srv(tls_options(live));
  HttpsClient old(srv.port(), trusting(pki));
  ASSERT_EQ(old.request("GET", "/v2/").status, 200u);
  EXPECT_EQ(old.server_cn(), "cairn-a");

  auto next = pki.server("next", "cairn-b");
  std::filesystem::copy_file(next.cert, live.cert,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(next.key, live.key, std::filesystem::copy_options::overwrite_existing);
  EXPECT_EQ(srv.server().reload_tls(), "");

  HttpsClient fresh(srv.port(), trusting(pki));
  ASSERT_EQ(fresh.request("GET", "/v2/").status, 200u);
  EXPECT_EQ(fresh.server_cn(), "cairn-b");
  EXPECT_EQ(old.request("GET", "/v2/").status, 200u);
  EXPECT_EQ(old.connections(), 1);  // the same connection, not a new one
}

// A bad file on reload is reported and the old pair stays in use.
TEST(ServerTls, BadReloadKeepsTheOldPair) {
  TestPki pki;
  auto live = pki.server("live", "cairn-a");
  TestServer srv(tls_options(live));
  { std::ofstream(live.cert, std::ios::trunc) << "not a certificate\n"; }
  EXPECT_NE(srv.server().reload_tls(), "");
  HttpsClient c(srv.port(), trusting(pki));
  ASSERT_EQ(c.request("GET", "/v2/").status, 200u);
  EXPECT_EQ(c.server_cn(), "cairn-a");

  // A key that does not match the certificate is refused too.
  auto other = pki.server("other", "cairn-c");
  std::filesystem::copy_file(other.cert, live.cert,
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_NE(srv.server().reload_tls(), "");
  HttpsClient again(srv.port(), trusting(pki));
  ASSERT_EQ(again.request("GET", "/v2/").status, 200u);
  EXPECT_EQ(again.server_cn(), "cairn-a");
}

TEST(ServerTls, StartUpRefusesBadFiles) {
  TestPki pki;
  auto good = pki.server();
  auto other = pki.server("other");
  server::Router router;
  auto make = [&](const std::string& cert, const std::string& key, const std::string& ca = "") {
    server::ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.tls.cert = cert;
    o.tls.key = key;
    o.tls.client_ca = ca;
    server::HttpServer s(o, router);
  };
  EXPECT_NO_THROW(make(good.cert.string(), good.key.string()));
  EXPECT_THROW(make((pki.dir() / "missing.pem").string(), good.key.string()),
               server::TlsSetupError);
  EXPECT_THROW(make(good.cert.string(), other.key.string()), server::TlsSetupError);
  EXPECT_THROW(make(good.key.string(), good.key.string()), server::TlsSetupError);
  EXPECT_THROW(make(good.cert.string(), good.key.string(), (pki.dir() / "nope.pem").string()),
               server::TlsSetupError);
}

}  // namespace
}  // namespace cairn::testing

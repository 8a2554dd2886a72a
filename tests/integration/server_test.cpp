// The real server on 127.0.0.1:0: the API root, fallbacks, limits, keep-alive and shutdown.
#include "tests/support/http_client.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace cairn::testing {
namespace {

std::string first_error_code(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded())
    return "<not json>";
  return j["errors"][0]["code"].get<std::string>();
}

TEST(Server, ApiVersionCheck) {
  TestServer srv;
  HttpClient c(srv.port());
  auto r = c.request("GET", "/v2/");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("docker-distribution-api-version"), "registry/2.0");
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.body, "{}");
  auto h = c.request("HEAD", "/v2/");  // same connection: keep-alive
  EXPECT_EQ(h.status, 200u);
  EXPECT_EQ(h.header("content-length"), "2");
  EXPECT_TRUE(h.body.empty());
}

TEST(Server, UnknownRouteIsOciNotFound) {
  TestServer srv;
  HttpClient c(srv.port());
  auto r = c.request("GET", "/v3/whatever");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(first_error_code(r.body), "NOT_FOUND");
}

TEST(Server, WrongMethodIs405WithAllow) {
  TestServer srv;
  HttpClient c(srv.port());
  auto r = c.request("DELETE", "/v2/");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.header("allow"), "GET, HEAD");
  EXPECT_EQ(first_error_code(r.body), "UNSUPPORTED");
}

TEST(Server, OversizedHeaderIs431AndServerGoesOn) {
  server::ServerOptions opts;
  opts.max_header_bytes = 4096;
  TestServer srv(opts);
  HttpClient c(srv.port());
  std::string big(8192, 'a');
  std::string reply = c.raw("GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 431")) << reply.substr(0, 40);
  EXPECT_EQ(c.request("GET", "/v2/").status, 200u);
}

TEST(Server, GarbageIs400) {
  TestServer srv;
  HttpClient c(srv.port());
  std::string reply = c.raw("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 400")) << reply.substr(0, 40);
  EXPECT_EQ(c.request("GET", "/v2/").status, 200u);
}

TEST(Server, UnreadBodyIsDrainedAndConnectionKept) {
  TestServer srv;
  HttpClient c(srv.port());
  auto r = c.request("POST", "/v2/", std::string(100'000, 'x'));
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(c.request("GET", "/v2/").status, 200u);
}

TEST(Server, IdleConnectionIsClosedAfterTimeout) {
  server::ServerOptions opts;
  opts.header_timeout = std::chrono::milliseconds(200);
  TestServer srv(opts);
  HttpClient c(srv.port());
  // Half a request line, then silence: the server must hang up rather than wait forever.
  std::string reply = c.raw("GET /v2/ HTT");
  EXPECT_TRUE(reply.empty() || reply.starts_with("HTTP/1.1 4"));
}

TEST(Server, ConnectionsOverTheLimitGet503) {
  server::ServerOptions opts;
  opts.max_connections = 1;
  TestServer srv(opts);
  HttpClient first(srv.port());
  EXPECT_EQ(first.request("GET", "/v2/").status, 200u);  // holds the only slot (keep-alive)
  HttpClient second(srv.port());
  std::string reply = second.raw("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 503")) << reply.substr(0, 40);
  first.close();
  // The slot frees once the first connection is gone; the server keeps serving.
  for (int i = 0; i < 100; ++i) {
    HttpClient again(srv.port());
    if (again.request("GET", "/v2/").status == 200u)
      return;
  }
  ADD_FAILURE() << "the freed connection slot was never reused";
}

TEST(Server, StopsWithOpenIdleConnections) {
  server::ServerOptions opts;
  opts.shutdown_deadline = std::chrono::minutes(10);  // far beyond the test's ctest timeout
  auto srv = std::make_unique<TestServer>(opts);
  uint16_t port = srv->port();
  HttpClient c(port);
  EXPECT_EQ(c.request("GET", "/v2/").status, 200u);
  srv.reset();               // returns only if the idle connection was closed by the stop
  EXPECT_EQ(c.raw(""), "");  // the kept-alive connection was closed by the server
  HttpClient fresh(port);
  EXPECT_ANY_THROW(fresh.request("GET", "/v2/"));  // nothing listens any more
}

}  // namespace
}  // namespace cairn::testing

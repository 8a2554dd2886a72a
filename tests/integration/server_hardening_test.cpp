// What an outside probe broke in the connection code (issue 9, section 0): oversized trailers
// that made Beast throw out of the connection, request smuggling through Transfer-Encoding,
// bodies trickled to hold a connection, silent connections held past the idle timeout, and the
// absolute form of a request target.
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <poll.h>

#include <chrono>
#include <string>
#include <thread>

namespace cairn::testing {
namespace {

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

// A chunked body whose last chunk carries a trailer field of ~70 KiB (a name or a value): Beast
// cannot hold such a field and threw out of the connection, terminating the process. The
// request must be refused and the server must go on.
TEST(ServerHardening, HugeTrailerFieldIsRefusedAndServerGoesOn) {
  TestServer srv;
  const std::string big(70 * 1024, 'a');
  const std::string digest = digest_of("hello");
  for (const std::string& trailer : {"X-T: " + big, big + ": v"}) {
    for (const std::string& target :
         {std::string("/v2/"), "/v2/t/blobs/uploads/?digest=" + digest}) {
      HttpClient c(srv.port());
      std::string reply = c.raw("POST " + target +
                                " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "5\r\nhello\r\n0\r\n" +
                                trailer + "\r\n\r\n");
      EXPECT_FALSE(reply.starts_with("HTTP/1.1 2")) << target << ": " << reply.substr(0, 60);
      HttpClient after(srv.port());
      EXPECT_EQ(after.request("GET", "/v2/").status, 200u) << target;
    }
  }
  // The blob was never stored from a body whose framing failed.
  HttpClient c(srv.port());
  EXPECT_EQ(c.request("HEAD", "/v2/t/blobs/" + digest).status, 404u);
}

// A small trailer is fine: the body is read and the upload completes.
TEST(ServerHardening, SmallTrailerIsAccepted) {
  TestServer srv;
  const std::string digest = digest_of("hello");
  HttpClient c(srv.port());
  std::string reply = c.raw("POST /v2/t/blobs/uploads/?digest=" + digest +
                            " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 201")) << reply.substr(0, 60);
}

// RFC 9112 §6.1: a Transfer-Encoding whose final coding is not "chunked", a coding cairn does
// not decode, or Transfer-Encoding with Content-Length: 400 and close, and the bytes after the
// header are never parsed as a second request.
TEST(ServerHardening, AmbiguousFramingIs400AndClose) {
  TestServer srv;
  const std::string smuggled = "GET /v2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  for (std::string framing :
       {"Transfer-Encoding: xchunked", "Transfer-Encoding: chunked, identity",
        "Transfer-Encoding: gzip, chunked", "Transfer-Encoding: chunked, chunked",
        "Transfer-Encoding: identity", "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip",
        "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
        "Content-Length: 4\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked\r\nContent-Length: 4"}) {
    HttpClient c(srv.port());
    std::string reply = c.raw("POST /v2/t/blobs/uploads/ HTTP/1.1\r\nHost: x\r\n" + framing +
                              "\r\n\r\n" + "0\r\n\r\n" + smuggled);
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 400")) << framing << ": " << reply.substr(0, 60);
    EXPECT_EQ(count_of(reply, "HTTP/1.1 "), 1u) << framing << ": " << reply;
  }
  // Plain chunked framing is still served.
  HttpClient c(srv.port());
  std::string reply = c.raw("POST /v2/t/blobs/uploads/?digest=" + digest_of("hello") +
                            " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                            "Transfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 201")) << reply.substr(0, 60);
}

// A body trickled one byte at a time, each byte well within the I/O timeout, must not hold the
// connection: it is cut once the time spent waiting passes io-timeout plus what the bytes
// received allow at the minimum rate — long before this body would end.
TEST(ServerHardening, TrickledBodyIsCutOff) {
  server::ServerOptions opts;
  opts.io_timeout = std::chrono::milliseconds(1'000);
  TestServer srv(opts);
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), srv.port()});
  const size_t kBody = 100;  // at 1 byte / 300 ms: 30 s
  std::string head = "POST /v2/t/blobs/uploads/?digest=" + digest_of(std::string(kBody, 'x')) +
                     " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(kBody) +
                     "\r\n\r\n";
  boost::asio::write(s, boost::asio::buffer(head));
  size_t sent = 0;
  bool server_ended = false;
  while (sent < kBody && !server_ended) {
    boost::system::error_code ec;
    boost::asio::write(s, boost::asio::buffer("x", 1), ec);
    if (ec) {
      server_ended = true;
      break;
    }
    ++sent;
    pollfd p{s.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, 300) > 0)
      server_ended = true;  // an answer or the end of the connection
  }
  EXPECT_TRUE(server_ended);
  EXPECT_LT(sent, kBody) << "the whole trickled body was read";
  HttpClient c(srv.port());
  EXPECT_EQ(c.request("GET", "/v2/").status, 200u);
}

// A connection that never sends a byte is closed after the idle timeout, not the (longer)
// header timeout.
TEST(ServerHardening, SilentConnectionClosedAfterIdleTimeout) {
  server::ServerOptions opts;
  opts.idle_timeout = std::chrono::milliseconds(300);
  opts.header_timeout = std::chrono::minutes(10);
  TestServer srv(opts);
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), srv.port()});
  pollfd p{s.native_handle(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 60'000), 1) << "the silent connection was still open after 60 s";
  char c;
  boost::system::error_code ec;
  EXPECT_EQ(s.read_some(boost::asio::buffer(&c, 1), ec), 0u);
  EXPECT_EQ(ec, boost::asio::error::eof);
}

// RFC 9112 §3.2.2: the absolute form is routed by its path and query.
TEST(ServerHardening, AbsoluteFormTargetIsRouted) {
  TestServer srv;
  HttpClient c(srv.port());
  const std::string base = "http://127.0.0.1:" + std::to_string(srv.port());
  EXPECT_EQ(c.request("GET", base + "/v2/").status, 200u);
  EXPECT_EQ(c.request("GET", "HTTP://localhost/v2/").status, 200u);
  push_blob(c, "abs/repo", "abc");
  auto r = c.request("GET", base + "/v2/abs/repo/blobs/" + digest_of("abc"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "abc");
  auto tags = c.request("GET", base + "/v2/_catalog?n=10");
  EXPECT_EQ(tags.status, 200u);
  EXPECT_NE(tags.body.find("abs/repo"), std::string::npos) << tags.body;
}

}  // namespace
}  // namespace cairn::testing

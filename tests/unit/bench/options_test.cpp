#include "bench/load/options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn::load {
namespace {

TEST(ParseUrl, Table) {
  struct Row {
    std::string text;
    bool ok = false;
    std::string host{};
    std::uint16_t port = 0;
    std::string authority{};
    std::string target{};
  };
  for (const Row& r : std::vector<Row>{
           {"http://127.0.0.1:5000/v2/", true, "127.0.0.1", 5000, "127.0.0.1:5000", "/v2/"},
           {"http://localhost", true, "localhost", 80, "localhost", "/"},
           {"HTTP://h:1?x=1", true, "h", 1, "h:1", "/?x=1"},
           {"http://[::1]:8080/a?b#frag", true, "::1", 8080, "[::1]:8080", "/a?b"},
           {"http://h:5000/v2/a/blobs/sha256:00", true, "h", 5000, "h:5000",
            "/v2/a/blobs/sha256:00"},
           {"https://h/", true, "h", 443, "h", "/"},
           {"HTTPS://127.0.0.1:5443/v2/x", true, "127.0.0.1", 5443, "127.0.0.1:5443", "/v2/x"},
           {"https://u:p@h/", false},
           {"httpx://h/", false},
           {"http:///x", false},
           {"http://u@h/", false},
           {"http://h:0/", false},
           {"http://h:70000/", false},
           {"http://h:x/", false},
           {"http://[::1/", false},
       }) {
    SCOPED_TRACE(r.text);
    std::string error;
    auto url = parse_url(r.text, error);
    ASSERT_EQ(url.has_value(), r.ok) << error;
    if (!url) {
      EXPECT_FALSE(error.empty());
      continue;
    }
    EXPECT_EQ(url->tls, r.text.starts_with("https") || r.text.starts_with("HTTPS"));
    EXPECT_EQ(url->host, r.host);
    EXPECT_EQ(url->port, r.port);
    EXPECT_EQ(url->authority, r.authority);
    EXPECT_EQ(url->target, r.target);
  }
}

TEST(ParseDuration, Forms) {
  EXPECT_DOUBLE_EQ(parse_duration("10"), 10.0);
  EXPECT_DOUBLE_EQ(parse_duration("2.5s"), 2.5);
  EXPECT_DOUBLE_EQ(parse_duration("500ms"), 0.5);
  EXPECT_DOUBLE_EQ(parse_duration("1m"), 60.0);
  EXPECT_LT(parse_duration(""), 0.0);
  EXPECT_LT(parse_duration("ten"), 0.0);
  EXPECT_LT(parse_duration("-1"), 0.0);
}

std::optional<Options> parse(std::vector<std::string> args, std::string& error) {
  std::vector<char*> argv = {const_cast<char*>("cairn-load")};
  for (std::string& a : args)
    argv.push_back(a.data());
  bool help = false;
  return parse_options(static_cast<int>(argv.size()), argv.data(), error, help);
}

TEST(ParseOptions, DefaultsAndBothForms) {
  std::string error;
  auto o = parse({"--url=http://127.0.0.1:9/x", "--method", "HEAD", "--header", "Accept: a/b",
                  "--connections", "1", "--duration", "3"},
                 error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->method, "HEAD");
  EXPECT_EQ(o->connections, 1);
  EXPECT_EQ(o->threads, 1);  // min(2, connections)
  EXPECT_DOUBLE_EQ(o->duration_s, 3.0);
  ASSERT_EQ(o->headers.size(), 1u);
  o = parse({"--url", "http://h/", "--random-range", "64M:64K"}, error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->threads, 2);
  ASSERT_TRUE(o->random_range);
  EXPECT_EQ(o->random_range->size, 64u << 20);
  EXPECT_EQ(o->random_range->length, 64u << 10);
  EXPECT_TRUE(o->also_ports.empty());
  o = parse({"--url", "http://h:1/", "--also-port", "5001", "--also-port=5002"}, error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->also_ports, (std::vector<std::uint16_t>{5001, 5002}));
}

TEST(ParseOptions, Tls) {
  std::string error;
  auto o = parse({"--url", "https://127.0.0.1:5443/v2/", "--cacert", "/tmp/ca.pem"}, error);
  ASSERT_TRUE(o) << error;
  EXPECT_TRUE(o->url.tls);
  EXPECT_EQ(o->cacert, "/tmp/ca.pem");
  EXPECT_FALSE(o->insecure);
  o = parse({"--insecure", "--url=https://h/", "--cacert=/c.pem", "--connections", "2"}, error);
  ASSERT_TRUE(o) << error;  // --insecure takes no value, anywhere on the line
  EXPECT_TRUE(o->insecure);
  EXPECT_EQ(o->cacert, "/c.pem");
  EXPECT_EQ(o->connections, 2);
  o = parse({"--url", "https://h/"}, error);
  ASSERT_TRUE(o) << error;  // the system's CAs
  EXPECT_TRUE(o->cacert.empty());
  EXPECT_FALSE(o->insecure);
}

TEST(ParseOptions, BadUsage) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {},
           {"--url"},
           {"--url", "ftp://h/"},
           {"--url", "http://h/", "--connections", "0"},
           {"--url", "http://h/", "--duration", "x"},
           {"--url", "http://h/", "--header", "NoColon"},
           {"--url", "http://h/", "--random-range", "1K:2K"},
           {"--url", "http://h/", "--bogus", "1"},
           {"--url", "http://h/", "--also-port", "0"},
           {"--url", "http://h/", "--also-port", "65536"},
           {"--url", "http://h/", "--also-port", "x"},
           {"--url", "http://h/", "--cacert", "/c.pem"},  // TLS flags need https://
           {"--url", "http://h/", "--insecure"},
           {"--url", "https://h/", "--cacert", ""},
           {"--url", "https://h/", "--cacert"},
           {"stray"},
       }) {
    std::string error;
    EXPECT_FALSE(parse(args, error));
    EXPECT_FALSE(error.empty());
  }
}

TEST(BuildRequest, HeadGetAndBody) {
  std::string error;
  auto o = parse({"--url", "http://127.0.0.1:5000/v2/r/blobs/d", "--method", "HEAD"}, error);
  ASSERT_TRUE(o);
  RequestTemplate t = build_request(*o, "");
  EXPECT_TRUE(t.head);
  EXPECT_EQ(t.prefix, "HEAD /v2/r/blobs/d HTTP/1.1\r\nHost: 127.0.0.1:5000\r\n\r\n");
  EXPECT_EQ(t.suffix, "");

  o = parse({"--url", "http://h:1/u", "--method", "PUT", "--header", "host: other"}, error);
  ASSERT_TRUE(o);
  t = build_request(*o, "abc");
  EXPECT_FALSE(t.head);
  EXPECT_EQ(t.prefix, "PUT /u HTTP/1.1\r\nhost: other\r\nContent-Length: 3\r\n\r\nabc");

  o = parse({"--url", "http://h:1/u", "--random-range", "1M"}, error);
  ASSERT_TRUE(o);
  t = build_request(*o, "");
  EXPECT_EQ(t.prefix, "GET /u HTTP/1.1\r\nHost: h:1\r\n");
  EXPECT_EQ(t.suffix, "\r\n");

  // https changes nothing in the request; the Host header keeps the port as written.
  o = parse(
      {"--url", "https://127.0.0.1:5443/v2/r/manifests/v1", "--header", "Authorization: Bearer t"},
      error);
  ASSERT_TRUE(o);
  t = build_request(*o, "");
  EXPECT_EQ(t.prefix,
            "GET /v2/r/manifests/v1 HTTP/1.1\r\nHost: 127.0.0.1:5443\r\nAuthorization: Bearer "
            "t\r\n\r\n");
}

}  // namespace
}  // namespace cairn::load

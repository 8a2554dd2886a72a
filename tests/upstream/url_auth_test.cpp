// Case tables for the upstream client's URL handling and authentication parsing.
#include "upstream/auth.h"
#include "upstream/client.h"
#include "upstream/url.h"

#include <gtest/gtest.h>

namespace cairn::upstream {
namespace {

TEST(UpstreamUrl, ParseUrl) {
  auto u = parse_url("https://registry-1.docker.io");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "registry-1.docker.io");
  EXPECT_EQ(u->port, "443");
  u = parse_url("http://127.0.0.1:5001");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->port, "5001");
  u = parse_url("http://[::1]:5001/");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  for (const char* bad : {"ftp://x", "http://", "http://u:p@host", "http://host/path",
                          "http://host:99999", "http://host:abc", "host:5000", "http://h?x=1"})
    EXPECT_FALSE(parse_url(bad)) << bad;
}

TEST(UpstreamUrl, ResolveLocation) {
  Url base = *parse_absolute_url("http://a:5000/v2/x/blobs/sha256:1?q=1");
  struct Case {
    const char* location;
    const char* want;
  } cases[] = {
      {"https://b/path?x=y", "https://b:443/path?x=y"},
      {"//c:81/p", "http://c:81/p"},
      {"/abs?z=1", "http://a:5000/abs?z=1"},
      {"rel", "http://a:5000/v2/x/blobs/rel"},
      {"../up", "http://a:5000/v2/x/up"},
      {"?only=q", "http://a:5000/v2/x/blobs/sha256:1?only=q"},
  };
  for (const auto& c : cases) {
    auto r = resolve_location(base, c.location);
    ASSERT_TRUE(r) << c.location;
    EXPECT_EQ(r->str(), c.want) << c.location;
  }
  EXPECT_FALSE(resolve_location(base, ""));
  EXPECT_FALSE(resolve_location(base, "ftp://x/y"));
}

// Found by fuzz_upstream_url: a bracket inside the host ("http://[[]?") was taken as host "[",
// so the parsed URL did not read back as itself.
TEST(UpstreamUrl, BracketsInsideTheHostAreRefused) {
  for (const char* bad : {"http://[[]?", "http://[[]]/", "http://a]/", "http://a[:80/",
                          "http://[::1]]/", "http://h\x7f/"}) {
    EXPECT_FALSE(parse_absolute_url(bad)) << bad;
    EXPECT_FALSE(parse_url(bad)) << bad;
  }
  auto ok = parse_absolute_url("http://[::1]:5000/v2/");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->host, "::1");
  EXPECT_EQ(parse_absolute_url(ok->str())->host, "::1");
}

TEST(UpstreamUrl, Encode) {
  EXPECT_EQ(url_encode("repository:library/alpine:pull"), "repository%3Alibrary%2Falpine%3Apull");
  EXPECT_EQ(url_encode("a-b.c_d~e"), "a-b.c_d~e");
}

TEST(UpstreamAuth, Challenges) {
  auto cs = parse_challenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(cs[0].param("service"), "registry.docker.io");
  EXPECT_EQ(cs[0].param("scope"), "repository:library/alpine:pull,push");
  cs = parse_challenges(R"(Basic realm="Registry Realm", Bearer realm=x, error="a\"b")");
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].param("realm"), "Registry Realm");
  EXPECT_EQ(cs[1].param("realm"), "x");
  EXPECT_EQ(cs[1].param("error"), "a\"b");
  EXPECT_TRUE(parse_challenges("").empty());
  parse_challenges("=,,\"\"\"=== ,");  // junk does not crash
}

TEST(UpstreamAuth, BasicAndTokens) {
  EXPECT_EQ(basic_authorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  auto t = parse_token_response(R"({"token":"abc","expires_in":300})");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->value, "abc");
  EXPECT_EQ(t->expires_in, std::chrono::seconds(300));
  t = parse_token_response(R"({"access_token":"xyz"})");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->value, "xyz");
  EXPECT_EQ(t->expires_in, std::chrono::seconds(60));
  // Lifetimes out of bounds: below a second means the default, beyond a day (or beyond what
  // int64_t holds, where converting would be undefined) means a day.
  t = parse_token_response(R"({"token":"abc","expires_in":3005555555555555555555})");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->expires_in, kMaxTokenLifetime);
  t = parse_token_response(R"({"token":"abc","expires_in":1e308})");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->expires_in, kMaxTokenLifetime);
  t = parse_token_response(R"({"token":"abc","expires_in":-5})");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->expires_in, std::chrono::seconds(60));
  EXPECT_FALSE(parse_token_response("nope"));
  EXPECT_FALSE(parse_token_response(R"({"token":""})"));

  TokenCache cache;
  auto now = TokenCache::Clock::now();
  cache.put("a/b", Token{"tok", std::chrono::seconds(60)}, now);
  EXPECT_EQ(cache.get("a/b", now + std::chrono::seconds(49)), "tok");
  EXPECT_FALSE(cache.get("a/b", now + std::chrono::seconds(51)));  // 10 s margin
  EXPECT_FALSE(cache.get("other", now));
}

}  // namespace
}  // namespace cairn::upstream

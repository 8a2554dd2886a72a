#include "auth/jwt.h"
#include "auth/base64url.h"
#include "auth/keys.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

namespace cairn::auth {
namespace {

constexpr int64_t kNow = 1'800'000'000;

Claims good_claims() {
  Claims c;
  c.issuer = "cairn";
  c.subject = "alice";
  c.audience = {"registry"};
  c.issued_at = kNow;
  c.not_before = kNow;
  c.expires = kNow + 300;
  c.id = "abc";
  c.access = {{"repository", "team/app", {"pull", "push"}}};
  return c;
}

VerifyOptions opts(int64_t now = kNow) {
  return {"cairn", "registry", now, 60};
}

class JwtTest : public ::testing::Test {
 protected:
  SigningKey key_ = SigningKey::generate().value();
  KeySet keys_ = KeySet::of(key_);
};

TEST_F(JwtTest, SignVerifyRoundTrip) {
  auto token = sign_jwt(key_, good_claims()).value();
  auto parsed = parse_jwt(token).value();
  EXPECT_EQ(parsed.alg, "ES256");
  EXPECT_EQ(parsed.kid, key_.kid());
  EXPECT_EQ(parsed.signature.size(), 64u);
  auto c = verify_jwt(token, keys_, opts());
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->subject, "alice");
  ASSERT_EQ(c->access.size(), 1u);
  EXPECT_EQ(c->access[0], (Scope{"repository", "team/app", {"pull", "push"}}));
}

// Replaces the payload of `token` with `payload` (JSON), keeping header and signature.
std::string with_payload(const std::string& token, const std::string& payload) {
  size_t d1 = token.find('.'), d2 = token.rfind('.');
  return token.substr(0, d1) + "." + base64url_encode(payload) + token.substr(d2);
}
std::string with_header(const std::string& token, const std::string& header) {
  return base64url_encode(header) + token.substr(token.find('.'));
}

struct Tamper {
  const char* what;
  std::function<std::string(const std::string&)> change;
  const char* says;
};

TEST_F(JwtTest, RefusesTamperedTokens) {
  const std::string token = sign_jwt(key_, good_claims()).value();
  const std::vector<Tamper> cases = {
      {"payload changed",
       [](const std::string& t) {
         return with_payload(t,
                             R"({"iss":"cairn","sub":"root","aud":"registry","exp":1800000300})");
       },
       "signature"},
      {"signature flipped",
       [](const std::string& t) {
         std::string s = t;
         s[s.size() - 5] = s[s.size() - 5] == 'A' ? 'B' : 'A';
         return s;
       },
       "signature"},
      {"signature cut", [](const std::string& t) { return t.substr(0, t.size() - 4); },
       "signature"},
      {"alg none",
       [](const std::string& t) {
         return with_header(t, R"({"alg":"none"})").substr(0, t.rfind('.') + 1);
       },
       "not ES256"},
      {"alg HS256", [](const std::string& t) { return with_header(t, R"({"alg":"HS256"})"); },
       "not ES256"},
      {"no alg", [](const std::string& t) { return with_header(t, R"({"typ":"JWT"})"); }, "no alg"},
      {"crit",
       [](const std::string& t) { return with_header(t, R"({"alg":"ES256","crit":["x"]})"); },
       "critical"},
      {"two parts", [](const std::string& t) { return t.substr(0, t.rfind('.')); }, "three"},
      {"four parts", [](const std::string& t) { return t + ".x"; }, "three"},
      {"not base64", [](const std::string& t) { return "!!" + t; }, "base64url"},
      {"huge", [](const std::string&) { return std::string(20000, 'a'); }, "16 KiB"},
      {"deep payload",
       [](const std::string& t) {
         return with_payload(t, std::string(50, '[') + std::string(50, ']'));
       },
       "too deep"},
  };
  for (const auto& c : cases) {
    auto got = verify_jwt(c.change(token), keys_, opts());
    ASSERT_FALSE(got) << c.what;
    EXPECT_NE(got.error().detail.find(c.says), std::string::npos)
        << c.what << ": " << got.error().detail;
  }
}

TEST_F(JwtTest, TimeAndAudienceChecks) {
  struct Case {
    const char* what;
    std::function<void(Claims&)> change;
    int64_t now;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"fresh", [](Claims&) {}, kNow, true},
      {"expired within leeway", [](Claims&) {}, kNow + 300 + 59, true},
      {"expired", [](Claims&) {}, kNow + 300 + 60, false},
      {"nbf within leeway", [](Claims&) {}, kNow - 60, true},
      {"nbf in the future", [](Claims&) {}, kNow - 61, false},
      {"no exp", [](Claims& c) { c.expires.reset(); }, kNow, false},
      {"wrong issuer", [](Claims& c) { c.issuer = "evil"; }, kNow, false},
      {"wrong audience", [](Claims& c) { c.audience = {"other"}; }, kNow, false},
      {"audience array",
       [](Claims& c) {
         c.audience = {"other", "registry"};
       },
       kNow, true},
      {"no audience", [](Claims& c) { c.audience = {}; }, kNow, false},
  };
  for (const auto& c : cases) {
    Claims claims = good_claims();
    c.change(claims);
    auto got = verify_jwt(sign_jwt(key_, claims).value(), keys_, opts(c.now));
    EXPECT_EQ(got.has_value(), c.ok) << c.what << (got ? "" : ": " + got.error().detail);
  }
}

TEST_F(JwtTest, OtherKeyRefused) {
  auto other = SigningKey::generate().value();
  auto got = verify_jwt(sign_jwt(other, good_claims()).value(), keys_, opts());
  ASSERT_FALSE(got);
}

TEST_F(JwtTest, PemAndJwksKeySets) {
  auto token = sign_jwt(key_, good_claims()).value();
  auto pem = KeySet::parse(key_.public_pem());
  ASSERT_TRUE(pem) << pem.error().detail;
  EXPECT_TRUE(verify_jwt(token, *pem, opts()));

  auto other = SigningKey::generate().value();
  auto jwks = KeySet::parse(R"({"keys":[)" + other.public_jwk() + "," + key_.public_jwk() + "]}");
  ASSERT_TRUE(jwks) << jwks.error().detail;
  EXPECT_EQ(jwks->size(), 2u);
  EXPECT_TRUE(verify_jwt(token, *jwks, opts()));
  // A JWKS key is only used for its own kid.
  auto only_other = KeySet::parse(R"({"keys":[)" + other.public_jwk() + "]}").value();
  auto got = verify_jwt(token, only_other, opts());
  ASSERT_FALSE(got);
  // The same key under another kid does not verify a token naming the real one.
  std::string renamed = key_.public_jwk();
  renamed.replace(renamed.find(key_.kid()), key_.kid().size(), "elsewhere");
  EXPECT_FALSE(verify_jwt(token, KeySet::parse(R"({"keys":[)" + renamed + "]}").value(), opts()));
}

TEST(Keys, BadKeyFilesRefused) {
  EXPECT_FALSE(KeySet::parse(""));
  EXPECT_FALSE(KeySet::parse("not a key"));
  EXPECT_FALSE(KeySet::parse(R"({"keys":[]})"));
  EXPECT_FALSE(KeySet::parse(R"({"keys":[{"kty":"RSA","n":"x","e":"AQAB","kid":"a"}]})"));
  // A point that is not on the curve.
  std::string x = base64url_encode(std::string(32, '\x01'));
  auto off = KeySet::parse(R"({"keys":[{"kty":"EC","crv":"P-256","kid":"a","x":")" + x +
                           R"(","y":")" + x + R"("}]})");
  ASSERT_FALSE(off);
  EXPECT_NE(off.error().detail.find("not on P-256"), std::string::npos);
  EXPECT_FALSE(
      SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
}

TEST(Keys, LoadOrCreateWritesA0600KeyAndReadsItBack) {
  testing::TempDir dir;
  auto path = (dir / "token.pem").string();
  auto first = SigningKey::load_or_create(path);
  ASSERT_TRUE(first) << first.error().detail;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = SigningKey::load_or_create(path).value();
  EXPECT_EQ(second.kid(), first->kid());
  std::ofstream(dir / "bad.pem") << "garbage";
  auto bad = SigningKey::load_or_create((dir / "bad.pem").string());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().detail.find("bad.pem"), std::string::npos);
}

TEST(Base64url, RoundTripAndStrictness) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"}) {
    EXPECT_EQ(base64url_decode(base64url_encode(s)), s);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("a"));
  EXPECT_FALSE(base64url_decode("ab+c"));
  EXPECT_FALSE(base64url_decode("Zh"));  // non-zero leftover bits
  EXPECT_EQ(base64_decode("YWxpY2U6cHc="), "alice:pw");
  EXPECT_FALSE(base64_decode("YWxpY2U6cHc"));
}

}  // namespace
}  // namespace cairn::auth

#include "storage/content/digest.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn::content {
namespace {

const std::string kHex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kHex128(128, 'a');

struct ParseCase {
  std::string name;
  std::string text;
  bool ok;
  std::string detail_has;  // for failures: a fragment of the error detail
};

class DigestParse : public ::testing::TestWithParam<ParseCase> {};

TEST_P(DigestParse, Case) {
  const ParseCase& c = GetParam();
  auto d = Digest::parse(c.text);
  if (c.ok) {
    ASSERT_TRUE(d.has_value()) << d.error().detail;
    EXPECT_EQ(d->str(), c.text);
    EXPECT_FALSE(d->empty());
  } else {
    ASSERT_FALSE(d.has_value());
    EXPECT_EQ(d.error().code, Errc::invalid_argument);
    EXPECT_NE(d.error().detail.find(c.detail_has), std::string::npos) << d.error().detail;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Grammar, DigestParse,
    ::testing::Values(
        ParseCase{"sha256", "sha256:" + kHex64, true, ""},
        ParseCase{"sha512", "sha512:" + kHex128, true, ""},
        ParseCase{"uppercase_hex", "sha256:" + std::string(64, 'A'), false, "lowercase"},
        ParseCase{"short", "sha256:" + kHex64.substr(1), false, "wrong length"},
        ParseCase{"long", "sha256:" + kHex64 + "0", false, "wrong length"},
        ParseCase{"sha512_with_64", "sha512:" + kHex64, false, "wrong length"},
        ParseCase{"md5", "md5:d41d8cd98f00b204e9800998ecf8427e", false, "unsupported"},
        ParseCase{"alg_with_separator", "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
                  false, "unsupported"},
        ParseCase{"double_separator", "sha256++x:" + kHex64, false, "malformed"},
        ParseCase{"leading_separator", "-sha256:" + kHex64, false, "malformed"},
        ParseCase{"trailing_separator", "sha256-:" + kHex64, false, "malformed"},
        ParseCase{"uppercase_alg", "SHA256:" + kHex64, false, "malformed"},
        ParseCase{"no_colon", kHex64, false, "no algorithm"},
        ParseCase{"empty", "", false, "no algorithm"},
        ParseCase{"empty_alg", ":" + kHex64, false, "malformed"},
        ParseCase{"empty_encoded", "sha256:", false, "malformed"},
        ParseCase{"bad_encoded_char", "sha256:" + kHex64.substr(1) + "/", false, "malformed"},
        ParseCase{"space", "sha256: " + kHex64.substr(1), false, "malformed"},
        ParseCase{"too_long", "sha256:" + std::string(300, 'a'), false, "too long"}),
    [](const ::testing::TestParamInfo<ParseCase>& info) { return info.param.name; });

TEST(Digest, HexAndAlgorithm) {
  auto d = Digest::parse("sha512:" + kHex128);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->algorithm(), Algorithm::sha512);
  EXPECT_EQ(d->hex(), kHex128);
  EXPECT_EQ(algorithm_name(Algorithm::sha256), "sha256");
  EXPECT_EQ(algorithm_hex_size(Algorithm::sha512), 128u);
  EXPECT_TRUE(Digest().empty());
}

TEST(Digest, Ordering) {
  auto a = Digest::parse("sha256:" + std::string(64, '0')).value();
  auto b = Digest::parse("sha256:" + std::string(64, '1')).value();
  auto c = Digest::parse("sha512:" + std::string(128, '0')).value();
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(a, Digest::parse(a.str()).value());
}

TEST(Hasher, KnownVectors) {
  EXPECT_EQ(digest_of("").str(), "sha256:" + kHex64);
  EXPECT_EQ(digest_of("abc").str(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(digest_of("abc", Algorithm::sha512).str(),
            "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(Hasher, RunningDigestContinuesAfterDigest) {
  Hasher h;
  h.update("a");
  EXPECT_EQ(h.digest(), digest_of("a"));
  h.update(std::string_view("bc"));
  EXPECT_EQ(h.digest(), digest_of("abc"));
  EXPECT_EQ(h.digest(), digest_of("abc"));  // digest() does not disturb the state
  h.reset();
  EXPECT_EQ(h.digest(), digest_of(""));
}

TEST(Hasher, Sha512Streaming) {
  Hasher h(Algorithm::sha512);
  EXPECT_EQ(h.algorithm(), Algorithm::sha512);
  h.update("ab");
  h.update("c");
  EXPECT_EQ(h.digest(), digest_of("abc", Algorithm::sha512));
  Hasher moved = std::move(h);
  moved.update("d");
  EXPECT_EQ(moved.digest(), digest_of("abcd", Algorithm::sha512));
}

TEST(Hasher, DigestsParseBack) {
  Digest d = digest_of("x", Algorithm::sha512);
  auto p = Digest::parse(d.str());
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, d);
}

}  // namespace
}  // namespace cairn::content

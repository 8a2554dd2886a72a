#include "auth/htpasswd.h"
#include "auth/credential_cache.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>

namespace cairn::auth {
namespace {

// A bcrypt line as `htpasswd -nbB` writes it (cost 4 keeps the test quick).
std::string line_for(const std::string& user, const std::string& password) {
  auto r = testing::sh("htpasswd -nbB -C 4 " + user + " " + password);
  EXPECT_EQ(r.status, 0) << r.output;
  return r.output.substr(0, r.output.find('\n'));
}

TEST(Htpasswd, VerifiesBcryptFromHtpasswdB) {
  std::string text = line_for("alice", "s3cret") + "\n\n# comment\n" + line_for("bob", "pw") + "\n";
  auto h = Htpasswd::parse(text);
  ASSERT_TRUE(h) << h.error().detail;
  EXPECT_EQ(h->size(), 2u);
  EXPECT_TRUE(h->verify("alice", "s3cret"));
  EXPECT_FALSE(h->verify("alice", "s3cre"));
  EXPECT_FALSE(h->verify("alice", "s3cret "));
  EXPECT_FALSE(h->verify("alice", ""));
  EXPECT_TRUE(h->verify("bob", "pw"));
  EXPECT_FALSE(h->verify("bob", "s3cret"));
  EXPECT_FALSE(h->verify("carol", "s3cret"));
}

TEST(Htpasswd, AcceptsTwoBAndCrlf) {
  std::string line = line_for("alice", "pw");
  line.replace(line.find("$2y$"), 4, "$2b$");
  auto h = Htpasswd::parse(line + "\r\n");
  ASSERT_TRUE(h) << h.error().detail;
  EXPECT_TRUE(h->verify("alice", "pw"));
}

struct BadLine {
  std::string text;
  std::string says;
};

class BadHtpasswdTest : public ::testing::TestWithParam<BadLine> {};

TEST_P(BadHtpasswdTest, RefusedNamingTheLine) {
  auto h = Htpasswd::parse(GetParam().text);
  ASSERT_FALSE(h);
  EXPECT_NE(h.error().detail.find(GetParam().says), std::string::npos) << h.error().detail;
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadHtpasswdTest,
    ::testing::Values(BadLine{"alice:$apr1$abc$def\n", "line 1 (user alice): the hash is MD5"},
                      BadLine{"\nbob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n", "line 2 (user bob)"},
                      BadLine{"carol:plaintext\n", "not bcrypt"},
                      BadLine{"dave:$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui\n",
                              "old bcrypt"},
                      BadLine{"no-colon\n", "line 1: expected user:hash"},
                      BadLine{":$2y$\n", "line 1: expected user:hash"}));

TEST(Htpasswd, DuplicateUserRefused) {
  std::string line = line_for("alice", "pw");
  auto h = Htpasswd::parse(line + "\n" + line + "\n");
  ASSERT_FALSE(h);
  EXPECT_NE(h.error().detail.find("line 2: user alice appears twice"), std::string::npos);
}

TEST(Htpasswd, LoadNamesTheFile) {
  testing::TempDir dir;
  auto path = (dir / "users").string();
  EXPECT_EQ(Htpasswd::load(path).error().code, Errc::io);
  std::ofstream(path) << "x:$1$salt$hash\n";
  auto h = Htpasswd::load(path);
  ASSERT_FALSE(h);
  EXPECT_NE(h.error().detail.find(path + ": line 1"), std::string::npos);
}

TEST(CredentialCache, RemembersUntilExpiry) {
  CredentialCache cache(8, std::chrono::seconds(60));
  auto t0 = CredentialCache::Clock::time_point{} + std::chrono::hours(1);
  auto k = CredentialCache::key_of("alice", "pw");
  EXPECT_FALSE(cache.contains(k, t0));
  cache.remember(k, t0);
  EXPECT_TRUE(cache.contains(k, t0 + std::chrono::seconds(59)));
  EXPECT_FALSE(cache.contains(k, t0 + std::chrono::seconds(60)));
  // The pair is the key: another password or user is not covered.
  EXPECT_FALSE(cache.contains(CredentialCache::key_of("alice", "pw2"), t0));
  EXPECT_FALSE(cache.contains(CredentialCache::key_of("alicep", "w"), t0));
}

TEST(CredentialCache, Bounded) {
  CredentialCache cache(4, std::chrono::seconds(60));
  auto t0 = CredentialCache::Clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 10; ++i)
    cache.remember(CredentialCache::key_of("u" + std::to_string(i), "pw"), t0);
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_TRUE(cache.contains(CredentialCache::key_of("u9", "pw"), t0));
  EXPECT_FALSE(cache.contains(CredentialCache::key_of("u0", "pw"), t0));
  // Expired entries are dropped when new ones arrive.
  cache.remember(CredentialCache::key_of("late", "pw"), t0 + std::chrono::minutes(5));
  EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace cairn::auth

#include "auth/token_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn::auth {
namespace {

Claims claims_of(const std::string& subject) {
  Claims c;
  c.subject = subject;
  c.access = {Scope{"repository", "team/app", {"pull"}}};
  return c;
}

TEST(TokenCache, RemembersVerifiedTokensUntilTheyExpire) {
  TokenCache cache(8);
  const int64_t now = 1'700'000'000;
  EXPECT_FALSE(cache.find("tok-a", now));
  cache.remember("tok-a", claims_of("alice"), now + 300, now);
  auto found = cache.find("tok-a", now + 299);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->subject, "alice");
  ASSERT_EQ(found->access.size(), 1u);
  EXPECT_EQ(found->access[0].name, "team/app");
  EXPECT_FALSE(cache.find("tok-a", now + 300));  // expired
  EXPECT_FALSE(cache.find("tok-b", now));        // another token, even one sharing a prefix
  cache.remember("tok-old", claims_of("bob"), now, now);  // already expired: not kept
  EXPECT_FALSE(cache.find("tok-old", now));
}

TEST(TokenCache, IsBounded) {
  TokenCache cache(4);
  const int64_t now = 1'700'000'000;
  for (int i = 0; i < 10; ++i)
    cache.remember("tok-" + std::to_string(i), claims_of("u"), now + 300, now);
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_TRUE(cache.find("tok-9", now));  // the newest stay
  EXPECT_FALSE(cache.find("tok-0", now));
}

}  // namespace
}  // namespace cairn::auth

#include "auth/scope.h"
#include "auth/action.h"

#include <gtest/gtest.h>

namespace cairn::auth {
namespace {

struct ScopeCase {
  const char* text;
  bool ok;
  Scope want;
};

class ScopeTest : public ::testing::TestWithParam<ScopeCase> {};

TEST_P(ScopeTest, Parses) {
  const ScopeCase& c = GetParam();
  Scope got;
  ASSERT_EQ(parse_scope(c.text, got), c.ok) << c.text;
  if (c.ok) {
    EXPECT_EQ(got, c.want) << c.text;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ScopeTest,
    ::testing::Values(
        ScopeCase{"repository:alpine:pull", true, {"repository", "alpine", {"pull"}}},
        ScopeCase{
            "repository:team/app:pull,push", true, {"repository", "team/app", {"pull", "push"}}},
        ScopeCase{"repository:localhost:5000/app:pull",
                  true,
                  {"repository", "localhost:5000/app", {"pull"}}},
        ScopeCase{"repository(plugin):x:pull", true, {"repository", "x", {"pull"}}},
        ScopeCase{"registry:catalog:*", true, {"registry", "catalog", {"*"}}},
        ScopeCase{"repository:a:pull,pull,,push", true, {"repository", "a", {"pull", "push"}}},
        ScopeCase{"repository:alpine", false, {}}, ScopeCase{"repository::pull", false, {}},
        ScopeCase{":a:pull", false, {}}, ScopeCase{"repository:a:", false, {}},
        ScopeCase{"", false, {}}));

TEST(Scopes, SeveralValuesAndSpacesMerge) {
  auto scopes = parse_scopes(
      {"repository:a:pull repository:b:push", "repository:a:push", "bogus", "registry:catalog:*"});
  ASSERT_EQ(scopes.size(), 3u);
  EXPECT_EQ(scopes[0], (Scope{"repository", "a", {"pull", "push"}}));
  EXPECT_EQ(scopes[1], (Scope{"repository", "b", {"push"}}));
  EXPECT_EQ(scopes[2], (Scope{"registry", "catalog", {"*"}}));
  EXPECT_EQ(scopes[0].str(), "repository:a:pull,push");
}

TEST(Scopes, Bounded) {
  std::string many;
  for (int i = 0; i < 200; ++i)
    many += "repository:r" + std::to_string(i) + ":pull ";
  EXPECT_EQ(parse_scopes({many}).size(), 64u);
}

TEST(Actions, Words) {
  EXPECT_EQ(parse_action("pull"), bit(Action::pull));
  EXPECT_EQ(parse_action("delete"), bit(Action::remove));
  EXPECT_EQ(parse_action("*"), kRepositoryActions);
  EXPECT_EQ(parse_action("admin"), std::nullopt);
  EXPECT_EQ(action_words(kAllActions), "pull,push,delete");
  EXPECT_EQ(action_words(bit(Action::push)), "push");
}

}  // namespace
}  // namespace cairn::auth

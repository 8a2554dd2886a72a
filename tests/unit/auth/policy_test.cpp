#include "auth/policy.h"

#include <gtest/gtest.h>

namespace cairn::auth {
namespace {

constexpr std::string_view kIssuePolicy = R"({
  "anonymous": [{"repositories": ["public/**"], "actions": ["pull"]}],
  "rules": [{"users": ["alice"], "repositories": ["team/**"], "actions": ["pull","push","delete"]},
            {"users": ["bob"], "repositories": ["**"], "actions": ["pull"]},
            {"users": ["*"], "repositories": ["shared/*"], "actions": ["pull", "push"]}],
  "admins": ["root"]})";

struct PolicyCase {
  std::optional<std::string> who;
  const char* repo;
  ActionSet want;
};

class PolicyTest : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(PolicyTest, Decides) {
  auto p = Policy::parse(kIssuePolicy);
  ASSERT_TRUE(p) << p.error().detail;
  const PolicyCase& c = GetParam();
  Who who = c.who ? Who(*c.who) : std::nullopt;
  EXPECT_EQ(p->actions(who, c.repo), c.want) << c.who.value_or("(anonymous)") << " " << c.repo;
}

const ActionSet pull = bit(Action::pull), push = bit(Action::push), del = bit(Action::remove);

INSTANTIATE_TEST_SUITE_P(
    Table, PolicyTest,
    ::testing::Values(
        PolicyCase{std::nullopt, "public/x", pull}, PolicyCase{std::nullopt, "team/app", 0},
        PolicyCase{std::nullopt, "shared/x", 0}, PolicyCase{"alice", "team/app", pull | push | del},
        PolicyCase{"alice", "team/a/b", pull | push | del}, PolicyCase{"alice", "public/x", pull},
        PolicyCase{"alice", "other", 0}, PolicyCase{"alice", "shared/x", pull | push},
        PolicyCase{"alice", "shared/x/y", 0}, PolicyCase{"bob", "team/app", pull},
        PolicyCase{"bob", "anything/at/all", pull}, PolicyCase{"carol", "shared/x", pull | push},
        PolicyCase{"carol", "team/app", 0}, PolicyCase{"root", "team/app", kAllActions},
        PolicyCase{"root", "x", kAllActions}));

TEST(Policy, AdminsAndEverything) {
  auto p = Policy::parse(kIssuePolicy).value();
  EXPECT_TRUE(p.is_admin("root"));
  EXPECT_FALSE(p.is_admin("alice"));
  EXPECT_FALSE(p.is_admin(std::nullopt));
  EXPECT_TRUE(p.pulls_everything("bob"));
  EXPECT_TRUE(p.pulls_everything("root"));
  EXPECT_FALSE(p.pulls_everything("alice"));
  EXPECT_FALSE(p.pulls_everything(std::nullopt));
  EXPECT_TRUE(p.has_anonymous());
}

TEST(Policy, WithoutAFileAuthenticatedUsersDoEverything) {
  auto p = Policy::everyone_authenticated();
  EXPECT_EQ(p.actions("anyone", "x/y"), kAllActions);
  EXPECT_TRUE(p.is_admin("anyone"));
  EXPECT_EQ(p.actions(std::nullopt, "x/y"), kNoActions);
  EXPECT_FALSE(p.is_admin(std::nullopt));
  EXPECT_FALSE(p.has_anonymous());
}

struct BadDocument {
  const char* json;
  const char* says;  // a piece of the message
};

class BadPolicyTest : public ::testing::TestWithParam<BadDocument> {};

TEST_P(BadPolicyTest, Refused) {
  auto p = Policy::parse(GetParam().json);
  ASSERT_FALSE(p) << GetParam().json;
  EXPECT_NE(p.error().detail.find(GetParam().says), std::string::npos) << p.error().detail;
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadPolicyTest,
    ::testing::Values(
        BadDocument{"", "not a JSON object"}, BadDocument{"[]", "not a JSON object"},
        BadDocument{R"({"rule": []})", "unknown key \"rule\""},
        BadDocument{R"({"rules": {}})", "must be an array"},
        BadDocument{R"({"rules": [{"repositories": ["a"], "actions": ["pull"]}]})",
                    "needs \"users\""},
        BadDocument{R"({"rules": [{"users": ["a"], "actions": ["pull"]}]})", "rules[0] needs"},
        BadDocument{R"({"rules": [{"users": ["a"], "repositories": ["A"], "actions": ["pull"]}]})",
                    "invalid repository glob"},
        BadDocument{R"({"rules": [{"users": ["a"], "repositories": ["a"], "actions": ["write"]}]})",
                    "unknown action \"write\""},
        BadDocument{
            R"({"anonymous": [{"users": ["a"], "repositories": ["a"], "actions": ["pull"]}]})",
            "unknown key \"users\""},
        BadDocument{R"({"admins": "root"})", "admins must be an array"},
        BadDocument{R"({"admins": [""]})", "non-empty"}));

TEST(Policy, DeepNestingRefusedBeforeParsing) {
  std::string deep(100000, '[');
  auto p = Policy::parse(R"({"comment": )" + deep + "}");
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().detail.find("deeper"), std::string::npos);
}

}  // namespace
}  // namespace cairn::auth

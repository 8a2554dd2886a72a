// The config file's "retention", "retention-dry-run" and "quotas" keys (app/policy_config.h).
#include "app/config.h"

#include <gtest/gtest.h>

namespace cairn::app {
namespace {

TEST(PolicyConfig, ReadsRetentionAndQuotas) {
  Config c;
  std::string err;
  ASSERT_TRUE(parse_config_json(R"({"retention": [{"repositories": ["ret/**"], "keep-newest": 2,
      "keep-within": "720h", "keep-tags": ["v[0-9]+"], "untagged-older-than": "24h"}],
      "retention-dry-run": true,
      "quotas": [{"repositories": ["q/**", "r/*"], "bytes": "1MiB"}, {"repositories": ["**"],
      "bytes": 5}]})",
                                c, err))
      << err;
  ASSERT_EQ(c.retention.rules.size(), 1u);
  const auto& r = c.retention.rules[0];
  EXPECT_EQ(r.repositories, (std::vector<std::string>{"ret/**"}));
  EXPECT_EQ(r.keep_newest, 2u);
  EXPECT_EQ(r.keep_within, std::chrono::hours(720));
  EXPECT_EQ(r.keep_tags, (std::vector<std::string>{"v[0-9]+"}));
  EXPECT_EQ(r.untagged_older_than, std::chrono::hours(24));
  EXPECT_TRUE(c.retention.dry_run);
  ASSERT_EQ(c.quotas.rules.size(), 2u);
  EXPECT_EQ(c.quotas.rules[0].bytes, 1 << 20);
  EXPECT_EQ(c.quotas.rules[1].bytes, 5);
  EXPECT_EQ(c.quotas.rule_for("r/x")->bytes, 1 << 20);
  EXPECT_EQ(c.quotas.rule_for("other")->bytes, 5);
}

TEST(PolicyConfig, RefusesWhatCouldOpenAHoleOrSilentlyDoNothing) {
  const char* bad[] = {
      R"({"retention": {}})",
      R"({"retention": [{"keep-newest": 2}]})",
      R"({"retention": [{"repositories": [], "keep-newest": 2}]})",
      R"({"retention": [{"repositories": ["Bad Glob"], "keep-newest": 2}]})",
      R"({"retention": [{"repositories": ["**"], "keep-newest": -1}]})",
      R"({"retention": [{"repositories": ["**"], "keep-within": "30d"}]})",
      R"({"retention": [{"repositories": ["**"], "keep-tags": ["("]}]})",
      R"({"retention": [{"repositories": ["**"], "keep-newset": 2}]})",
      R"({"retention-dry-run": "maybe"})",
      R"({"quotas": [{"repositories": ["q/**"]}]})",
      R"({"quotas": [{"repositories": ["q/**"], "bytes": "lots"}]})",
      R"({"quotas": [{"repositories": ["q/**"], "bytes": 1, "byte": 2}]})",
  };
  for (const char* text : bad) {
    Config c;
    std::string err;
    EXPECT_FALSE(parse_config_json(text, c, err)) << text;
    EXPECT_FALSE(err.empty()) << text;
  }
}

}  // namespace
}  // namespace cairn::app

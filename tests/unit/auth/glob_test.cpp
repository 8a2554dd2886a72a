#include "auth/glob.h"

#include <gtest/gtest.h>

namespace cairn::auth {
namespace {

struct Case {
  const char* pattern;
  const char* name;
  bool want;
};

class GlobTest : public ::testing::TestWithParam<Case> {};

TEST_P(GlobTest, Matches) {
  const Case& c = GetParam();
  EXPECT_EQ(glob_match(c.pattern, c.name), c.want) << c.pattern << " vs " << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, GlobTest,
    ::testing::Values(Case{"alpine", "alpine", true}, Case{"alpine", "alpine2", false},
                      Case{"*", "alpine", true}, Case{"*", "library/alpine", false},
                      Case{"**", "library/alpine", true}, Case{"**", "a", true},
                      Case{"team/**", "team/app", true}, Case{"team/**", "team/a/b/c", true},
                      Case{"team/**", "team", false}, Case{"team/**", "teamx/app", false},
                      Case{"team/*", "team/app", true}, Case{"team/*", "team/a/b", false},
                      Case{"*/app", "x/app", true}, Case{"*/app", "x/y/app", false},
                      Case{"**/app", "x/y/app", true}, Case{"**/app", "x/y/apps", false},
                      Case{"a*b", "ab", true}, Case{"a*b", "axxb", true},
                      Case{"a*b", "ax/b", false}, Case{"a**b", "ax/b", true},
                      Case{"team/*/ci", "team/x/ci", true}, Case{"team/*/ci", "team/x/y/ci", false},
                      Case{"", "", true}, Case{"", "a", false}, Case{"*", "", true}));

TEST(Glob, ManyStarsStayLinear) {
  // A pattern that would make a backtracking matcher exponential.
  std::string pattern;
  for (int i = 0; i < 40; ++i)
    pattern += "a*";
  pattern += "b";
  std::string name(200, 'a');
  EXPECT_FALSE(glob_match(pattern, name));
}

TEST(Glob, Validity) {
  EXPECT_TRUE(valid_glob("team/**"));
  EXPECT_TRUE(valid_glob("localhost:5000/x"));
  EXPECT_FALSE(valid_glob(""));
  EXPECT_FALSE(valid_glob("a***"));
  EXPECT_FALSE(valid_glob("Team/x"));
  EXPECT_FALSE(valid_glob("a?b"));
  EXPECT_FALSE(valid_glob(std::string(256, 'a')));
}

}  // namespace
}  // namespace cairn::auth

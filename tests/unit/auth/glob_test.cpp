#include "auth/glob.h"

#include <gtest/gtest.h>

namespace cairn::auth {
namespace {

struct GlobCase {
  const char* pattern;
  const char* name;
  bool want;
};

class GlobTest : public ::testing::TestWithParam<GlobCase> {};

TEST_P(GlobTest, Matches) {
  const GlobCase& c = GetParam();
  EXPECT_EQ(glob_match(c.pattern, c.name), c.want) << c.pattern << " vs " << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, GlobTest,
    ::testing::Values(GlobCase{"alpine", "alpine", true}, GlobCase{"alpine", "alpine2", false},
                      GlobCase{"*", "alpine", true}, GlobCase{"*", "library/alpine", false},
                      GlobCase{"**", "library/alpine", true}, GlobCase{"**", "a", true},
                      GlobCase{"team/**", "team/app", true},
                      GlobCase{"team/**", "team/a/b/c", true}, GlobCase{"team/**", "team", false},
                      GlobCase{"team/**", "teamx/app", false}, GlobCase{"team/*", "team/app", true},
                      GlobCase{"team/*", "team/a/b", false}, GlobCase{"*/app", "x/app", true},
                      GlobCase{"*/app", "x/y/app", false}, GlobCase{"**/app", "x/y/app", true},
                      GlobCase{"**/app", "x/y/apps", false}, GlobCase{"a*b", "ab", true},
                      GlobCase{"a*b", "axxb", true}, GlobCase{"a*b", "ax/b", false},
                      GlobCase{"a**b", "ax/b", true}, GlobCase{"team/*/ci", "team/x/ci", true},
                      GlobCase{"team/*/ci", "team/x/y/ci", false}, GlobCase{"", "", true},
                      GlobCase{"", "a", false}, GlobCase{"*", "", true}));

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

#include "storage/metadata/names.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn::metadata {
namespace {

using namespace std::string_literals;

struct Case {
  std::string input;
  bool valid;
};

TEST(NamesTest, RepositoryNames) {
  const std::vector<Case> cases = {
      {"a", true},
      {"library/alpine", true},
      {"a/b/c/d", true},
      {"a0", true},
      {"foo.bar", true},
      {"foo_bar", true},
      {"foo__bar", true},
      {"foo-bar", true},
      {"foo---bar", true},
      {"a.b-c_d__e/f", true},
      {"123", true},
      {"", false},
      {"A", false},
      {"Library/alpine", false},
      {"/a", false},
      {"a/", false},
      {"a//b", false},
      {"-a", false},
      {"a-", false},
      {"a.", false},
      {".a", false},
      {"a..b", false},
      {"a___b", false},
      {"a._b", false},
      {"a.-b", false},
      {"a-.b", false},
      {"a b", false},
      {"a:b", false},
      {"a@b", false},
      {"a\0b"s, false},
      {"../a", false},
      {"a/../b", false},
      {"a/./b", false},
      {"ä", false},
      {std::string(255, 'a'), true},
      {std::string(256, 'a'), false},
      {std::string(127, 'a') + "/" + std::string(127, 'b'), true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(is_valid_repository_name(c.input), c.valid) << '"' << c.input << '"';
    EXPECT_EQ(validate_repository_name(c.input).has_value(), c.valid) << c.input;
  }
  auto err = validate_repository_name("A");
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().code, Errc::invalid_argument);
}

TEST(NamesTest, Tags) {
  const std::vector<Case> cases = {
      {"latest", true},
      {"v1.0.0", true},
      {"_hidden", true},
      {"A-Z_0.9", true},
      {"1", true},
      {"sha256-abc.sig", true},
      {std::string(128, 'a'), true},
      {std::string(129, 'a'), false},
      {"", false},
      {".a", false},
      {"-a", false},
      {"a/b", false},
      {"a:b", false},
      {"a b", false},
      {"a\0"s, false},
      {"a@b", false},
      {"a+b", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(is_valid_tag(c.input), c.valid) << '"' << c.input << '"';
    EXPECT_EQ(validate_tag(c.input).has_value(), c.valid) << c.input;
  }
}

TEST(NamesTest, LeaseIds) {
  const std::vector<Case> cases = {
      {"l", true},
      {"push-1700000000-abc", true},
      {"A.b_c-d", true},
      {"0", true},
      {std::string(128, 'x'), true},
      {std::string(129, 'x'), false},
      {"", false},
      {"_a", false},
      {".a", false},
      {"-a", false},
      {"a/b", false},
      {"a b", false},
      {"a\0b"s, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(is_valid_lease_id(c.input), c.valid) << '"' << c.input << '"';
    EXPECT_EQ(validate_lease_id(c.input).has_value(), c.valid) << c.input;
  }
}

}  // namespace
}  // namespace cairn::metadata

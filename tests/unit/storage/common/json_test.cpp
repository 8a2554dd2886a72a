#include "storage/common/json.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn {
namespace {

TEST(JsonDepth, CountsArraysAndObjectsOutsideStrings) {
  EXPECT_TRUE(json_depth_within("", 0));
  EXPECT_TRUE(json_depth_within("1", 0));
  EXPECT_FALSE(json_depth_within("[]", 0));
  EXPECT_TRUE(json_depth_within("[]", 1));
  EXPECT_TRUE(json_depth_within(R"({"a":[1,{"b":2}]})", 3));
  EXPECT_FALSE(json_depth_within(R"({"a":[1,{"b":2}]})", 2));
  EXPECT_TRUE(json_depth_within("[][][][]", 1));  // siblings, not nesting
  // Brackets in strings, escaped quotes included, do not count.
  EXPECT_TRUE(json_depth_within(R"(["[[[[", "\"[[[[", "\\"])", 1));
  EXPECT_FALSE(json_depth_within(R"(["\\", [[]]])", 2));
}

// 4 MiB of '[' cost 160 MB of parser state before failing; it is now refused by the scan.
TEST(JsonDepth, ParseRefusesDeepDocuments) {
  std::string deep(4u << 20, '[');
  EXPECT_TRUE(parse_json(deep).is_discarded());
  std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_FALSE(parse_json(ok).is_discarded());
  std::string over = "[" + ok + "]";
  EXPECT_TRUE(parse_json(over).is_discarded());
  EXPECT_TRUE(parse_json("{bad").is_discarded());
  EXPECT_EQ(parse_json(R"({"a":1})")["a"], 1);
}

}  // namespace
}  // namespace cairn

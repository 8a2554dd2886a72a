#include "storage/content/labels.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn::content {
namespace {

TEST(Labels, Bounds) {
  EXPECT_TRUE(validate_labels({{"k", std::string(kMaxLabelSize - 1, 'v')}}));
  EXPECT_FALSE(validate_labels({{"k", std::string(kMaxLabelSize, 'v')}}));
  EXPECT_FALSE(validate_labels({{std::string(kMaxLabelSize + 1, 'k'), ""}}));
  // Each label within its bound, together over 64 KiB.
  Labels many;
  for (int i = 0; i < 17; ++i)
    many.emplace("k" + std::to_string(i), std::string(4000, 'v'));
  auto r = validate_labels(many);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_NE(r.error().detail.find("in all"), std::string::npos);
  many.erase("k0");
  EXPECT_TRUE(validate_labels(many));
}

// A NUL inside a label key was stored (a probe found it); control characters in keys and NUL in
// values are refused.
TEST(Labels, ControlCharacters) {
  EXPECT_FALSE(validate_labels({{std::string("a\0b", 3), "v"}}));
  EXPECT_FALSE(validate_labels({{"a\nb", "v"}}));
  EXPECT_FALSE(validate_labels({{"a\x7f", "v"}}));
  EXPECT_FALSE(validate_labels({{"k", std::string("v\0w", 3)}}));
  EXPECT_TRUE(validate_labels({{"containerd.io/gc.ref.content.l.0", "sha256:ab\tc"}}));
  EXPECT_FALSE(validate_labels({{"", "v"}}));
}

}  // namespace
}  // namespace cairn::content

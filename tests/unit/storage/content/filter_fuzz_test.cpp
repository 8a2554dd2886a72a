// Regressions found by fuzz_filter (tests/fuzz/filter.cpp).
#include "storage/content/filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn::content {
namespace {

// A backreference number past LONG_MAX: libstdc++'s std::regex compiler multiplied it into a
// long and overflowed (undefined behaviour; UBSan aborted). `~=` uses RE2, which has no
// backreferences: it reads "\222" as an octal escape (U+0092) followed by literal digits, and
// parses and matches without overflow.
TEST(FilterFuzz, HugeBackreferenceIsHarmless) {
  std::vector<std::string> exprs = {"labels.a~=\\22222222222222222222"};
  auto f = Filter::parse(exprs);
  ASSERT_TRUE(f) << f.error().detail;
  Info info;
  info.labels = {{"a", std::string("\xC2\x92") + std::string(17, '2')}};  // U+0092 in UTF-8
  EXPECT_TRUE(f->match(info));
  info.labels = {{"a", "22222222222222222222"}};
  EXPECT_FALSE(f->match(info));
}

}  // namespace
}  // namespace cairn::content

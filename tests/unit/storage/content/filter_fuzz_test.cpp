// Regressions found by fuzz_filter (tests/fuzz/filter.cpp).
#include "storage/content/filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn::content {
namespace {

// A backreference number past LONG_MAX: libstdc++'s std::regex compiler multiplies it into a
// long and overflows (undefined behaviour; UBSan aborted). `~=` uses RE2, which has no
// backreferences: the expression is refused with invalid_argument.
TEST(FilterFuzz, HugeBackreferenceIsRefused) {
  std::vector<std::string> exprs = {"labels.a~=\\22222222222222222222"};
  auto f = Filter::parse(exprs);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error(), Errc::invalid_argument);
}

}  // namespace
}  // namespace cairn::content

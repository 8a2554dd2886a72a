#include "handlers/range.h"

#include <gtest/gtest.h>

namespace cairn::handlers {
namespace {

struct RangeCase {
  std::string header;
  uint64_t size;
  RangeOutcome outcome;
  uint64_t first = 0, last = 0;
};

class ParseRange : public ::testing::TestWithParam<RangeCase> {};

TEST_P(ParseRange, Cases) {
  const auto& c = GetParam();
  RangeRequest r = parse_range(c.header, c.size);
  EXPECT_EQ(r.outcome, c.outcome) << c.header;
  if (c.outcome == RangeOutcome::satisfiable) {
    EXPECT_EQ(r.range.first, c.first) << c.header;
    EXPECT_EQ(r.range.last, c.last) << c.header;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseRange,
    ::testing::Values(
        RangeCase{"", 100, RangeOutcome::none},
        RangeCase{"bytes=0-0", 100, RangeOutcome::satisfiable, 0, 0},
        RangeCase{"bytes=0-99", 100, RangeOutcome::satisfiable, 0, 99},
        RangeCase{"bytes=0-1000", 100, RangeOutcome::satisfiable, 0, 99},
        RangeCase{"bytes=99-", 100, RangeOutcome::satisfiable, 99, 99},
        RangeCase{"bytes=10-", 100, RangeOutcome::satisfiable, 10, 99},
        RangeCase{"bytes=-1", 100, RangeOutcome::satisfiable, 99, 99},
        RangeCase{"bytes=-100", 100, RangeOutcome::satisfiable, 0, 99},
        RangeCase{"bytes=-500", 100, RangeOutcome::satisfiable, 0, 99},
        RangeCase{"bytes=-0", 100, RangeOutcome::unsatisfiable},
        RangeCase{"bytes=100-", 100, RangeOutcome::unsatisfiable},
        RangeCase{"bytes=100-200", 100, RangeOutcome::unsatisfiable},
        RangeCase{"bytes=0-", 0, RangeOutcome::unsatisfiable},
        RangeCase{"bytes=-5", 0, RangeOutcome::unsatisfiable},
        RangeCase{"bytes=0-1,5-6", 100, RangeOutcome::none},
        RangeCase{"bytes=5-1", 100, RangeOutcome::malformed},
        RangeCase{"bytes=a-b", 100, RangeOutcome::malformed},
        RangeCase{"bytes=-", 100, RangeOutcome::malformed},
        RangeCase{"items=0-1", 100, RangeOutcome::malformed},
        // Positions past 2^64-1 saturate: a start past any content is 416,
        // an end past it means "to the end" (they were refused and served whole).
        RangeCase{"bytes=99999999999999999999-", 100, RangeOutcome::unsatisfiable},
        RangeCase{"bytes=18446744073709551615-", 100, RangeOutcome::unsatisfiable},
        RangeCase{"bytes=0-18446744073709551615", 100, RangeOutcome::satisfiable, 0, 99},
        RangeCase{"bytes=5-99999999999999999999999", 100, RangeOutcome::satisfiable, 5, 99},
        RangeCase{"bytes=-99999999999999999999999", 100, RangeOutcome::satisfiable, 0, 99},
        RangeCase{"bytes=1x-2", 100, RangeOutcome::malformed},
        RangeCase{" bytes=1-2 ", 100, RangeOutcome::satisfiable, 1, 2}));

TEST(ParseContentRange, Forms) {
  auto r = parse_content_range("0-1023");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 0u);
  EXPECT_EQ(r->last, 1023u);
  EXPECT_EQ(r->length(), 1024u);
  r = parse_content_range("bytes 10-19/100");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 10u);
  EXPECT_EQ(r->last, 19u);
  for (const char* bad : {"", "-", "5-1", "a-b", "10", "bytes */100", "-5"}) {
    EXPECT_FALSE(parse_content_range(bad)) << bad;
  }
}

}  // namespace
}  // namespace cairn::handlers

#include "bench/load/histogram.h"

#include <gtest/gtest.h>

namespace cairn::load {
namespace {

TEST(LatencyHistogram, ExactBelow2048AndWithinAThousandthAbove) {
  for (std::uint64_t v : {0ull, 1ull, 999ull, 2047ull}) {
    EXPECT_EQ(LatencyHistogram::highest_value_of(LatencyHistogram::index_of(v)), v);
  }
  for (std::uint64_t v = 2048; v < (1ull << 34); v = v * 3 / 2 + 7) {
    std::uint64_t hi = LatencyHistogram::highest_value_of(LatencyHistogram::index_of(v));
    EXPECT_GE(hi, v);
    EXPECT_LE(hi - v, v / 1024) << v;
    // The next index starts just above.
    EXPECT_EQ(LatencyHistogram::index_of(hi + 1), LatencyHistogram::index_of(v) + 1) << v;
  }
}

TEST(LatencyHistogram, PercentilesOfAUniformRun) {
  LatencyHistogram h;
  for (std::uint64_t v = 1; v <= 1000; ++v)
    h.record(v);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.percentile(0.5), 500u);
  EXPECT_EQ(h.percentile(0.99), 990u);
  EXPECT_EQ(h.percentile(0.999), 999u);
  EXPECT_EQ(h.percentile(1.0), 1000u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 1000u);
  EXPECT_DOUBLE_EQ(h.mean(), 500.5);
}

TEST(LatencyHistogram, MergeAndClamp) {
  LatencyHistogram a, b;
  a.record(10);
  b.record(LatencyHistogram::kMaxMicros * 4);
  a.merge(b);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.percentile(0.5), 10u);
  EXPECT_EQ(a.percentile(1.0), LatencyHistogram::kMaxMicros);  // clamped bucket
  EXPECT_EQ(a.max(), LatencyHistogram::kMaxMicros * 4);        // the true maximum
  EXPECT_EQ(LatencyHistogram().percentile(0.5), 0u);
}

}  // namespace
}  // namespace cairn::load

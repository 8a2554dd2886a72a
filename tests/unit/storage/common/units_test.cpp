#include "storage/common/units.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(Units, ParsesByteCounts) {
  EXPECT_EQ(parse_bytes("0"), 0u);
  EXPECT_EQ(parse_bytes("512"), 512u);
  EXPECT_EQ(parse_bytes("4k"), 4096u);
  EXPECT_EQ(parse_bytes("3MB"), 3u << 20);
  EXPECT_EQ(parse_bytes("2GiB"), 2ull << 30);
  EXPECT_EQ(parse_bytes("1T"), 1ull << 40);
  EXPECT_FALSE(parse_bytes(""));
  EXPECT_FALSE(parse_bytes("-1"));
  EXPECT_FALSE(parse_bytes("1.5G"));
  EXPECT_FALSE(parse_bytes("G"));
}

TEST(Units, ParsesDurations) {
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("1.5s"), std::chrono::milliseconds(1500));
  EXPECT_EQ(parse_duration("1h"), std::chrono::milliseconds(3'600'000));
  EXPECT_EQ(parse_duration("0s"), std::chrono::milliseconds(0));
  EXPECT_EQ(parse_duration("10"), std::nullopt);
  EXPECT_EQ(parse_duration("-1s"), std::nullopt);
  // Nothing that std::stod would take beyond plain decimals, and nothing that overflows.
  for (const char* bad :
       {"nanh", "infs", "0x10s", "1e3s", "1000000000h", "1.s", ".5s", "5 s", "5sec", ""}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_duration("876000h"), std::chrono::hours(876000));  // 100 years: the limit
}

TEST(Units, FormatsBytes) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(int64_t{3} << 30), "3.0 GiB");
}

}  // namespace
}  // namespace cairn

#include "server/config.h"

#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>

namespace cairn::server {
namespace {

TEST(Config, Defaults) {
  Config c;
  std::string err;
  ASSERT_TRUE(parse_serve_args({}, c, err)) << err;
  EXPECT_EQ(c.root, "./var");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 5000);
}

TEST(Config, FlagsBothForms) {
  Config c;
  std::string err;
  ASSERT_TRUE(
      parse_serve_args({"--root", "/tmp/x", "--listen=[::1]:8080", "--threads", "3"}, c, err))
      << err;
  EXPECT_EQ(c.root, "/tmp/x");
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.port, 8080);
  EXPECT_EQ(c.threads, 3);
}

TEST(Config, BadFlagsAreClearErrors) {
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"--listen", "nohost"},
                                             {"--listen", "h:99999"},
                                             {"--threads", "-1"},
                                             {"--content-sharing", "open"},
                                             {"--bogus", "1"},
                                             {"--root"},
                                             {"stray"},
                                             {"--idle-timeout", "5 parsecs"}}) {
    Config c;
    std::string err;
    EXPECT_FALSE(parse_serve_args(args, c, err)) << args[0];
    EXPECT_FALSE(err.empty());
  }
}

TEST(Config, FileThenFlagsOverride) {
  cairn::testing::TempDir dir;
  auto path = dir / "cairn.json";
  std::ofstream(path) << R"({"root": "/srv/a", "listen": "127.0.0.1:7000", "threads": 4})";
  Config c;
  std::string err;
  ASSERT_TRUE(parse_serve_args({"--config", path.string(), "--threads", "2"}, c, err)) << err;
  EXPECT_EQ(c.root, "/srv/a");
  EXPECT_EQ(c.port, 7000);
  EXPECT_EQ(c.threads, 2);
}

TEST(Config, Durations) {
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

}  // namespace
}  // namespace cairn::server

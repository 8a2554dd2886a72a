// The "notifications" key of the config file (app/config.h).
#include "app/config.h"

#include <gtest/gtest.h>

namespace cairn::app {
namespace {

TEST(NotificationsConfig, ReadsEveryKey) {
  Config c;
  std::string err;
  ASSERT_TRUE(parse_config_json(R"({"notifications": [
      {"url": "https://hooks.example/events", "name": "ci",
       "headers": {"Authorization": ["Bearer t"], "X-One": "1"},
       "events": ["push", "delete"], "timeout": "500ms", "backoff": "2s",
       "max-backoff": "1m", "queue-size": 50, "ca-file": "/etc/ca.pem", "insecure": true},
      {"url": "http://127.0.0.1:8080/"}]})",
                                c, err))
      << err;
  ASSERT_EQ(c.notifications.size(), 2u);
  const auto& ep = c.notifications[0];
  EXPECT_EQ(ep.url, "https://hooks.example/events");
  EXPECT_EQ(ep.name, "ci");
  ASSERT_EQ(ep.headers.size(), 2u);
  EXPECT_EQ(ep.headers[0], (std::pair<std::string, std::string>{"Authorization", "Bearer t"}));
  EXPECT_EQ(ep.headers[1], (std::pair<std::string, std::string>{"X-One", "1"}));
  EXPECT_EQ(ep.events, (std::vector<notify::Action>{notify::Action::push, notify::Action::remove}));
  EXPECT_EQ(ep.timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(ep.backoff, std::chrono::seconds(2));
  EXPECT_EQ(ep.max_backoff, std::chrono::minutes(1));
  EXPECT_EQ(ep.queue_size, 50u);
  EXPECT_EQ(ep.ca_file, "/etc/ca.pem");
  EXPECT_TRUE(ep.insecure);
  const auto& plain = c.notifications[1];
  EXPECT_TRUE(plain.events.empty());  // every action
  EXPECT_EQ(plain.timeout, std::chrono::seconds(5));
}

TEST(NotificationsConfig, RefusesWhatIsMalformed) {
  const char* bad[] = {
      R"({"notifications": {}})",
      R"({"notifications": [{}]})",
      R"({"notifications": [{"url": "ftp://x/"}]})",
      R"({"notifications": [{"url": "http://x/", "events": ["mount"]}]})",
      R"({"notifications": [{"url": "http://x/", "events": "push"}]})",
      R"({"notifications": [{"url": "http://x/", "timeout": "0s"}]})",
      R"({"notifications": [{"url": "http://x/", "timeout": 5}]})",
      R"({"notifications": [{"url": "http://x/", "queue-size": 0}]})",
      R"({"notifications": [{"url": "http://x/", "headers": {"A": 1}}]})",
      R"({"notifications": [{"url": "http://x/", "headers": ["A"]}]})",
      R"({"notifications": [{"url": "http://x/", "color": "red"}]})",
  };
  for (const char* text : bad) {
    Config c;
    std::string err;
    EXPECT_FALSE(parse_config_json(text, c, err)) << text;
    EXPECT_FALSE(err.empty()) << text;
  }
}

}  // namespace
}  // namespace cairn::app

#include "notify/event.h"
#include "notify/notifier.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace cairn::notify {
namespace {

TEST(NotifyEvent, ActionNamesRoundTrip) {
  for (Action a : {Action::push, Action::pull, Action::remove})
    EXPECT_EQ(parse_action(action_name(a)), a);
  EXPECT_EQ(action_name(Action::remove), "delete");
  EXPECT_FALSE(parse_action("mount"));
  EXPECT_FALSE(parse_action("Push"));
}

TEST(NotifyEvent, JsonHasDistributionsShape) {
  Event e;
  e.id = "id-1";
  e.timestamp = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)) +
                std::chrono::nanoseconds(5);
  e.action = Action::push;
  e.target = {"application/vnd.oci.image.manifest.v1+json", "sha256:ab", 42, "lib/app",
              "http://h/v2/lib/app/manifests/sha256:ab",    "v1"};
  e.request = {"req-1", "10.0.0.1:4000", "h", "PUT", "curl/8"};
  e.actor = "alice";
  auto j = nlohmann::json::parse(event_json(e, {"127.0.0.1:5000", "inst"}));
  EXPECT_EQ(j["id"], "id-1");
  EXPECT_EQ(j["timestamp"], "2023-11-14T22:13:20.000000005Z");
  EXPECT_EQ(j["action"], "push");
  EXPECT_EQ(j["target"]["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(j["target"]["digest"], "sha256:ab");
  EXPECT_EQ(j["target"]["size"], 42);
  EXPECT_EQ(j["target"]["length"], 42);
  EXPECT_EQ(j["target"]["repository"], "lib/app");
  EXPECT_EQ(j["target"]["url"], "http://h/v2/lib/app/manifests/sha256:ab");
  EXPECT_EQ(j["target"]["tag"], "v1");
  EXPECT_EQ(j["request"], nlohmann::json({{"id", "req-1"},
                                          {"addr", "10.0.0.1:4000"},
                                          {"host", "h"},
                                          {"method", "PUT"},
                                          {"useragent", "curl/8"}}));
  EXPECT_EQ(j["actor"]["name"], "alice");
  EXPECT_EQ(j["source"]["addr"], "127.0.0.1:5000");
  EXPECT_EQ(j["source"]["instanceID"], "inst");
}

TEST(NotifyEvent, EmptyFieldsAreLeftOutAndBadUtf8IsReplaced) {
  Event e;
  e.action = Action::remove;
  e.target.repository = "lib/app";
  e.target.tag = "old";
  e.request.useragent = std::string("bad \xff agent");
  auto j = nlohmann::json::parse(event_json(e, {}));
  EXPECT_EQ(j["action"], "delete");
  EXPECT_FALSE(j["target"].contains("digest"));
  EXPECT_FALSE(j["target"].contains("size"));
  EXPECT_FALSE(j["target"].contains("length"));
  EXPECT_TRUE(j["actor"].is_object());
  EXPECT_FALSE(j["actor"].contains("name"));
  EXPECT_TRUE(j["request"]["useragent"].is_string());
}

TEST(NotifyEvent, EnvelopeWrapsRenderedEvents) {
  std::vector<std::string> events = {R"({"id":"a"})", R"({"id":"b"})"};
  auto j = nlohmann::json::parse(envelope(events));
  ASSERT_EQ(j["events"].size(), 2u);
  EXPECT_EQ(j["events"][1]["id"], "b");
  EXPECT_EQ(envelope({}), R"({"events":[]})");
  EXPECT_EQ(kEnvelopeMediaType, "application/vnd.docker.distribution.events.v1+json");
}

TEST(NotifyEvent, IdsAreVersion4Uuids) {
  std::string a = new_event_id(), b = new_event_id();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);
}

TEST(Notifier, RefusesBadEndpoints) {
  auto bad = [](EndpointConfig ep) {
    NotifierOptions o;
    o.endpoints.push_back(std::move(ep));
    return !Notifier::create(std::move(o));
  };
  EndpointConfig ok;
  ok.url = "http://127.0.0.1:9/events";
  EXPECT_FALSE(bad(ok));
  EndpointConfig e = ok;
  e.url = "ftp://x/";
  EXPECT_TRUE(bad(e));
  e = ok;
  e.queue_size = 0;
  EXPECT_TRUE(bad(e));
  e = ok;
  e.timeout = std::chrono::milliseconds(0);
  EXPECT_TRUE(bad(e));
}

TEST(Notifier, WantsOnlyTheConfiguredActions) {
  NotifierOptions o;
  EndpointConfig ep;
  ep.url = "http://127.0.0.1:9/";
  ep.events = {Action::remove};
  o.endpoints.push_back(ep);
  auto n = Notifier::create(std::move(o));
  ASSERT_TRUE(n);
  EXPECT_TRUE((*n)->wants(Action::remove));
  EXPECT_FALSE((*n)->wants(Action::push));
  EXPECT_FALSE((*n)->source().instance_id.empty());
}

}  // namespace
}  // namespace cairn::notify

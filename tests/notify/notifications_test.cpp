// Notifications end to end: the real server with notification endpoints, a loopback sink
// (tests/support/event_sink.h) receiving the envelopes.
#include "notify/notifier.h"
#include "tests/support/event_sink.h"
#include "tests/support/http_client.h"
#include "tests/support/metrics_page.h"
#include "tests/support/oci.h"
#include "tests/support/ports.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>

#include <thread>

namespace cairn::testing {
namespace {

handlers::ServiceOptions with_endpoint(notify::EndpointConfig ep) {
  handlers::ServiceOptions service;
  service.start_gc_scheduler = false;
  service.notifications.endpoints.push_back(std::move(ep));
  service.notifications.source.addr = "127.0.0.1:5000";
  return service;
}

notify::EndpointConfig endpoint(const std::string& url) {
  notify::EndpointConfig ep;
  ep.url = url;
  ep.headers = {{"Authorization", "Bearer sink-token"}};
  ep.backoff = std::chrono::milliseconds(5);
  ep.max_backoff = std::chrono::milliseconds(20);
  return ep;
}

// Waits (at most 30 s) until `done()`: the notifier counts a delivery after reading the
// sink's answer, which may come after the sink recorded the events.
template <class F>
bool eventually(F done) {
  for (int i = 0; i < 6000 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return done();
}

const nlohmann::json* find_event(const std::vector<nlohmann::json>& events,
                                 const std::string& action, const std::string& digest,
                                 const std::string& tag = "") {
  for (const auto& e : events) {
    if (e.value("action", "") != action)
      continue;
    const auto& t = e["target"];
    if (t.value("digest", "") == digest && t.value("tag", "") == tag)
      return &e;
  }
  return nullptr;
}

TEST(Notifications, PushEventsCarryDigestRepositoryAndTag) {
  EventSink sink;
  TestServer server({}, with_endpoint(endpoint(sink.url())));
  HttpClient c(server.port());
  Image img = push_image_blobs(c, "team/app", 1);
  auto put = put_manifest(c, "team/app", "v1", img.manifest, kOciManifestType);
  ASSERT_EQ(put.status, 201u) << put.body;

  // Two blobs and the manifest: three push events.
  auto events = sink.wait_events(3);
  ASSERT_EQ(events.size(), 3u);
  const auto* m = find_event(events, "push", img.digest, "v1");
  ASSERT_NE(m, nullptr) << nlohmann::json(events).dump(2);
  const auto& t = (*m)["target"];
  EXPECT_EQ(t["repository"], "team/app");
  EXPECT_EQ(t["mediaType"], std::string(kOciManifestType));
  EXPECT_EQ(t["size"], img.manifest.size());
  EXPECT_EQ(t["length"], img.manifest.size());
  // The URL names the host the client asked for (the test client's Host has no port).
  EXPECT_EQ(t["url"], "http://127.0.0.1/v2/team/app/manifests/" + img.digest);
  EXPECT_EQ((*m)["request"]["host"], "127.0.0.1");
  EXPECT_EQ((*m)["request"]["method"], "PUT");
  EXPECT_TRUE((*m)["request"]["addr"].get<std::string>().starts_with("127.0.0.1:"));
  EXPECT_EQ((*m)["source"]["addr"], "127.0.0.1:5000");
  EXPECT_FALSE((*m)["source"]["instanceID"].get<std::string>().empty());
  EXPECT_FALSE((*m)["id"].get<std::string>().empty());
  EXPECT_TRUE((*m)["timestamp"].get<std::string>().ends_with("Z"));

  const auto* layer = find_event(events, "push", img.layer.digest);
  ASSERT_NE(layer, nullptr);
  EXPECT_EQ((*layer)["target"]["repository"], "team/app");
  EXPECT_EQ((*layer)["target"]["size"], img.layer.size);
  EXPECT_EQ((*layer)["target"]["mediaType"], "application/octet-stream");
  EXPECT_NE(find_event(events, "push", img.config.digest), nullptr);

  // Every POST carried the envelope media type and the configured headers.
  for (const auto& post : sink.posts()) {
    EXPECT_EQ(post.headers.at("content-type"),
              "application/vnd.docker.distribution.events.v1+json");
    EXPECT_EQ(post.headers.at("authorization"), "Bearer sink-token");
  }
  auto figures = server.service().notifier()->figures();
  ASSERT_EQ(figures.size(), 1u);
  const auto& stats = figures[0].stats;
  EXPECT_TRUE(eventually([&] { return stats.delivered.load() == 3u; }));
  EXPECT_EQ(stats.published.load(), 3u);
  EXPECT_EQ(stats.dropped.load(), 0u);
  EXPECT_EQ(stats.failures.load(), 0u);
}

TEST(Notifications, ManifestPushedByDigestWithTagsTellsEachTag) {
  EventSink sink;
  auto ep = endpoint(sink.url());
  ep.events = {notify::Action::push};
  TestServer server({}, with_endpoint(ep));
  HttpClient c(server.port());
  Image img = push_image_blobs(c, "multi", 2);
  auto put = put_manifest(c, "multi", img.digest + "?tag=a&tag=b", img.manifest, kOciManifestType);
  ASSERT_EQ(put.status, 201u) << put.body;
  auto events = sink.wait_events(4);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_NE(find_event(events, "push", img.digest, "a"), nullptr);
  EXPECT_NE(find_event(events, "push", img.digest, "b"), nullptr);
}

TEST(Notifications, PullsAndDeletesAreToldHeadsAreNot) {
  EventSink sink;
  auto ep = endpoint(sink.url());
  ep.events = {notify::Action::pull, notify::Action::remove};  // no pushes
  TestServer server({}, with_endpoint(ep));
  HttpClient c(server.port());
  Image img = push_image_blobs(c, "lib/x", 3);
  ASSERT_EQ(put_manifest(c, "lib/x", "v1", img.manifest, kOciManifestType).status, 201u);

  EXPECT_EQ(c.request("HEAD", "/v2/lib/x/manifests/v1").status, 200u);
  EXPECT_EQ(c.request("HEAD", "/v2/lib/x/blobs/" + img.layer.digest).status, 200u);
  EXPECT_EQ(c.request("GET", "/v2/lib/x/manifests/v1").status, 200u);
  EXPECT_EQ(c.request("GET", "/v2/lib/x/blobs/" + img.layer.digest).status, 200u);
  EXPECT_EQ(c.request("GET", "/v2/lib/x/manifests/missing").status, 404u);
  EXPECT_EQ(c.request("DELETE", "/v2/lib/x/manifests/v1").status, 202u);
  EXPECT_EQ(c.request("DELETE", "/v2/lib/x/blobs/" + img.layer.digest).status, 202u);

  auto events = sink.wait_events(4);
  ASSERT_EQ(events.size(), 4u) << nlohmann::json(events).dump(2);
  EXPECT_EQ(events[0]["action"], "pull");
  EXPECT_EQ(events[0]["target"]["digest"], img.digest);
  EXPECT_EQ(events[0]["target"]["tag"], "v1");
  EXPECT_EQ(events[0]["target"]["size"], img.manifest.size());
  EXPECT_EQ(events[1]["action"], "pull");
  EXPECT_EQ(events[1]["target"]["digest"], img.layer.digest);
  EXPECT_EQ(events[1]["target"]["size"], img.layer.size);
  EXPECT_EQ(events[2]["action"], "delete");
  EXPECT_EQ(events[2]["target"]["tag"], "v1");
  EXPECT_FALSE(events[2]["target"].contains("digest"));
  EXPECT_EQ(events[3]["action"], "delete");
  EXPECT_EQ(events[3]["target"]["digest"], img.layer.digest);
}

TEST(Notifications, AFailingEndpointIsRetried) {
  EventSink sink(/*silent=*/false, /*fail_first=*/2);
  TestServer server({}, with_endpoint(endpoint(sink.url())));
  HttpClient c(server.port());
  std::string digest = push_blob(c, "retry/me", "some bytes");
  auto events = sink.wait_events(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["target"]["digest"], digest);
  EXPECT_EQ(sink.posts().size(), 3u);  // two 500s, then the 200
  const auto& stats = server.service().notifier()->figures()[0].stats;
  EXPECT_TRUE(eventually([&] { return stats.delivered.load() == 1u; }));
  EXPECT_EQ(stats.failures.load(), 2u);
  EXPECT_EQ(stats.pending.load(), 0u);
  // The same figures on /metrics, by endpoint.
  const std::string name = server.service().notifier()->figures()[0].name;
  auto page = c.request("GET", "/metrics");
  ASSERT_EQ(page.status, 200u);
  const std::string label = "{endpoint=\"" + name + "\"}";
  EXPECT_EQ(sample_value(page.body, "cairn_notify_events_delivered_total" + label), 1) << page.body;
  EXPECT_EQ(sample_value(page.body, "cairn_notify_failures_total" + label), 2);
  EXPECT_EQ(sample_value(page.body, "cairn_notify_events_pending" + label), 0);
}

// A sink that never answers: pushes are answered all the same while the sender waits on it, and
// past the queue's bound events are dropped and counted.
TEST(Notifications, AHungEndpointNeverSlowsPushes) {
  EventSink sink(/*silent=*/true);
  auto ep = endpoint(sink.url());
  ep.timeout = std::chrono::hours(1);  // the sender waits on the sink for the whole test
  ep.queue_size = 2;
  TestServer server({}, with_endpoint(ep));
  HttpClient c(server.port());
  constexpr int kPushes = 10;
  for (int i = 0; i < kPushes; ++i) {
    auto r = c.request("POST",
                       "/v2/hung/blobs/uploads/?digest=" + digest_of("blob " + std::to_string(i)),
                       "blob " + std::to_string(i));
    ASSERT_EQ(r.status, 201u) << r.body;
  }
  ASSERT_GE(sink.wait_connections(1), 1u);  // the sender is at the sink, which never answers
  EXPECT_TRUE(sink.posts().size() <= 1u);
  // Blob push events are published from the offload pool: wait until all ten were.
  const auto& stats = server.service().notifier()->figures()[0].stats;
  eventually([&] { return stats.published.load() + stats.dropped.load() >= kPushes; });
  EXPECT_EQ(stats.published.load() + stats.dropped.load(), static_cast<uint64_t>(kPushes));
  // At most one batch in flight (taken from a queue of at most 2) and 2 queued behind it.
  EXPECT_GE(stats.dropped.load(), static_cast<uint64_t>(kPushes - 4));
  EXPECT_EQ(stats.delivered.load(), 0u);
}

// An endpoint nobody listens on: pushes are answered, the sender keeps failing and retrying.
TEST(Notifications, ADownEndpointFailsWithoutHarm) {
  auto ep = endpoint("http://127.0.0.1:" + std::to_string(pick_free_port()) + "/events");
  TestServer server({}, with_endpoint(ep));
  HttpClient c(server.port());
  Image img = push_image_blobs(c, "down/app", 4);
  ASSERT_EQ(put_manifest(c, "down/app", "v1", img.manifest, kOciManifestType).status, 201u);
  const auto& stats = server.service().notifier()->figures()[0].stats;
  EXPECT_TRUE(eventually([&] { return stats.failures.load() >= 2u; }));  // retried
  EXPECT_EQ(stats.delivered.load(), 0u);
  EXPECT_EQ(c.request("GET", "/v2/down/app/manifests/v1").status, 200u);
}

}  // namespace
}  // namespace cairn::testing

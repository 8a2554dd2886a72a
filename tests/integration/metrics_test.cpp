// GET /metrics on the live server: the page passes `promtool check metrics` (Debian's
// prometheus package; the check is skipped with a message when promtool is missing), and a
// push, a pull, a pull through the cache (Debian's docker-registry as the upstream) and a GC
// run each move the series that count them.
#include "tests/support/http_client.h"
#include "tests/support/metrics_page.h"
#include "tests/support/oci.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"
#include "tests/support/upstream_registry.h"

#include <gtest/gtest.h>

#include <fstream>

namespace cairn::testing {
namespace {

// The value of the sample line `series` (name and labels exactly as serialized), or 0 when
// the page has no such line.
double value_of(const std::string& page, const std::string& series) {
  return sample_value(page, series).value_or(0);
}

std::string scrape(HttpClient& c) {
  auto r = c.request("GET", "/metrics");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return r.body;
}

// Runs promtool's linter over `page`; "" when it passes or promtool is missing (then
// `skipped` is set), else its output.
std::string promtool_check(const std::string& page, bool& skipped) {
  skipped = sh("command -v promtool").status != 0;
  if (skipped)
    return "";
  TempDir dir;
  std::ofstream(dir.path() / "page.txt") << page;
  Run r = sh("promtool check metrics < '" + (dir.path() / "page.txt").string() + "'");
  return r.status == 0 ? "" : r.output;
}

handlers::ServiceOptions service_options(const UpstreamRegistry& reg) {
  handlers::ServiceOptions s;
  upstream::Endpoint ep;
  ep.host = "up.test";
  ep.url = reg.url();
  s.cache.upstreams = {ep};
  s.start_gc_scheduler = false;
  s.storage.gc.grace = std::chrono::nanoseconds(0);        // a GC run removes what was just deleted
  s.metrics.scan_interval = std::chrono::milliseconds(0);  // every scrape reads the storage
  return s;
}

const std::string kUploadPost = R"(route="/v2/{name...}/blobs/uploads/")";
const std::string kBlobRoute = R"(route="/v2/{name...}/blobs/{digest}")";

TEST(Metrics, PushPullCacheFillAndGcMoveTheirSeriesAndThePagePassesPromtool) {
  UpstreamRegistry reg;
  const std::string layer = blob_bytes(3000, 7);
  reg.push_image("team/app", "v1", {layer});
  TestServer server({}, service_options(reg));
  HttpClient c(server.port());

  const std::string before = scrape(c);
  EXPECT_EQ(value_of(before, "cairn_storage_blobs"), 0) << before;
  EXPECT_GE(value_of(before, "cairn_http_open_connections"), 1);

  // A push: an upload request, ingest bytes, a stored blob in its namespace.
  const std::string data = blob_bytes(5000, 1);
  const std::string digest = push_blob(c, "local/app", data);
  const std::string pushed = scrape(c);
  EXPECT_EQ(value_of(pushed,
                     "cairn_http_requests_total{code=\"2xx\",method=\"POST\"," + kUploadPost + "}"),
            1)
      << pushed;
  EXPECT_EQ(
      value_of(pushed, "cairn_ingest_bytes_total") - value_of(before, "cairn_ingest_bytes_total"),
      5000);
  EXPECT_EQ(value_of(pushed, "cairn_storage_blobs"), 1);
  EXPECT_EQ(value_of(pushed, "cairn_storage_bytes"), 5000);
  EXPECT_EQ(value_of(pushed, R"(cairn_namespace_bytes{namespace="local/app"})"), 5000);
  EXPECT_GT(value_of(pushed, R"(cairn_metadata_write_duration_seconds_count{sync="true"})"),
            value_of(before, R"(cairn_metadata_write_duration_seconds_count{sync="true"})"));

  // A pull: the blob route's counter, duration and bytes out; an unknown path is "none".
  ASSERT_EQ(c.request("GET", "/v2/local/app/blobs/" + digest).status, 200u);
  ASSERT_EQ(c.request("GET", "/no/such/path").status, 404u);
  const std::string pulled = scrape(c);
  const std::string get_blob = "{method=\"GET\"," + kBlobRoute + "}";
  EXPECT_EQ(
      value_of(pulled, "cairn_http_requests_total{code=\"2xx\",method=\"GET\"," + kBlobRoute + "}"),
      1)
      << pulled;
  EXPECT_EQ(value_of(pulled, "cairn_http_request_duration_seconds_count" + get_blob), 1);
  EXPECT_GT(value_of(pulled, "cairn_http_response_bytes_total" + get_blob), 5000);
  EXPECT_EQ(value_of(pulled, R"(cairn_http_requests_total{code="4xx",method="GET",route="none"})"),
            1);
  EXPECT_EQ(pulled.find("/no/such/path"), std::string::npos);  // never the raw path

  // A pull through the cache: a miss and fills (the manifest, then the layer), fill bytes; the
  // second pull of the layer is a hit.
  auto m = c.request("GET", "/v2/up.test/team/app/manifests/v1");
  ASSERT_EQ(m.status, 200u) << m.body;
  const std::string layer_path = "/v2/up.test/team/app/blobs/" + digest_of(layer);
  auto b = c.request("GET", layer_path);
  ASSERT_EQ(b.status, 200u) << b.body;
  ASSERT_EQ(b.body, layer);
  ASSERT_EQ(c.request("GET", layer_path).status, 200u);
  const std::string cached = scrape(c);
  const std::string up = R"({upstream="up.test"})";
  EXPECT_EQ(value_of(cached, "cairn_cache_fills_total" + up), 2) << cached;
  EXPECT_EQ(value_of(cached, "cairn_cache_misses_total" + up), 2);
  EXPECT_EQ(value_of(cached, "cairn_cache_hits_total" + up), 1);
  EXPECT_GE(value_of(cached, "cairn_cache_fill_bytes_total" + up), 3000);
  EXPECT_GE(value_of(cached, "cairn_cache_used_bytes" + up), 3000);
  EXPECT_EQ(value_of(cached, "cairn_cache_upstream_errors_total" + up), 0);

  // A GC run after the pushed blob was deleted: a run, a file and its bytes removed.
  ASSERT_EQ(c.request("DELETE", "/v2/local/app/blobs/" + digest).status, 202u);
  auto gc = c.request("POST", "/_admin/gc");
  ASSERT_EQ(gc.status, 200u) << gc.body;
  const std::string collected = scrape(c);
  EXPECT_EQ(value_of(collected, "cairn_gc_runs_total"), 1) << collected;
  EXPECT_EQ(value_of(collected, "cairn_gc_removed_files_total"), 1);
  EXPECT_EQ(value_of(collected, "cairn_gc_removed_bytes_total"), 5000);
  EXPECT_EQ(value_of(collected, R"(cairn_namespace_bytes{namespace="local/app"})"), 0);

  // The standard process series, and the page is valid for Prometheus.
  EXPECT_GT(value_of(collected, "process_resident_memory_bytes"), 0);
  EXPECT_GT(value_of(collected, "process_open_fds"), 0);
  bool skipped = false;
  EXPECT_EQ(promtool_check(collected, skipped), "");
  if (skipped)
    GTEST_SKIP() << "promtool is missing (Debian package prometheus): the page was not linted";
}

TEST(Metrics, OffRemovesTheRouteAndTheRequestObserver) {
  handlers::ServiceOptions off;
  off.metrics.enabled = false;
  TestServer server({}, off);
  HttpClient c(server.port());
  EXPECT_EQ(c.request("GET", "/metrics").status, 404u);
  EXPECT_EQ(server.service().request_observer(), nullptr);
}

}  // namespace
}  // namespace cairn::testing

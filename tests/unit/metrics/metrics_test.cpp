// The metrics module's wiring: observers feed the right series with bounded labels, the
// scrape-time collectors read the layers' figures, and the page is Prometheus text.
#include "metrics/metrics.h"
#include "metrics/http_metrics.h"
#include "metrics/storage_metrics.h"
#include "storage/content/digest.h"
#include "storage/storage.h"
#include "tests/support/metrics_page.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <future>
#include <regex>
#include <string>

namespace cairn::metrics {
namespace {

std::string serialize(const prometheus::Collectable& c) {
  return prometheus::TextSerializer().Serialize(c.Collect());
}

// The value of the sample line `series` (name and labels exactly as serialized), or -1.
double value_of(const std::string& page, const std::string& series) {
  return cairn::testing::sample_value(page, series).value_or(-1);
}

TEST(HttpMetrics, LabelsAreTheRoutePatternABoundedMethodAndTheStatusClass) {
  prometheus::Registry registry;
  HttpMetrics m(registry, [](std::string_view r) { return r.find("/uploads/") != r.npos; });
  const std::string blob_route = "/v2/{name...}/blobs/{digest}";
  const std::string upload_route = "/v2/{name...}/blobs/uploads/{ref}";
  m.on_request({blob_route, "GET", 200, std::chrono::milliseconds(3), 0, 1000});
  m.on_request({blob_route, "GET", 206, std::chrono::milliseconds(1), 0, 10});
  m.on_request({blob_route, "BREW", 405, std::chrono::milliseconds(1), 0, 50});
  m.on_request({"", "GET", 404, std::chrono::milliseconds(1), 0, 70});
  m.on_request({upload_route, "PATCH", 202, std::chrono::milliseconds(2), 4096, 0});
  m.on_request({upload_route, "PUT", 500, std::chrono::milliseconds(2), 100, 0});
  m.on_connection_opened();
  m.on_connection_opened();
  m.on_connection_closed();
  const std::string page = serialize(registry);

  EXPECT_EQ(
      value_of(
          page,
          R"(cairn_http_requests_total{code="2xx",method="GET",route="/v2/{name...}/blobs/{digest}"})"),
      2)
      << page;
  EXPECT_EQ(
      value_of(
          page,
          R"(cairn_http_requests_total{code="4xx",method="other",route="/v2/{name...}/blobs/{digest}"})"),
      1);
  EXPECT_EQ(value_of(page, R"(cairn_http_requests_total{code="4xx",method="GET",route="none"})"),
            1);
  EXPECT_EQ(
      value_of(
          page,
          R"(cairn_http_requests_total{code="5xx",method="PUT",route="/v2/{name...}/blobs/uploads/{ref}"})"),
      1);
  EXPECT_EQ(
      value_of(
          page,
          R"(cairn_http_response_bytes_total{method="GET",route="/v2/{name...}/blobs/{digest}"})"),
      1010);
  EXPECT_EQ(
      value_of(
          page,
          R"(cairn_http_request_body_bytes_total{method="PATCH",route="/v2/{name...}/blobs/uploads/{ref}"})"),
      4096);
  EXPECT_EQ(
      value_of(
          page,
          R"(cairn_http_request_duration_seconds_count{method="GET",route="/v2/{name...}/blobs/{digest}"})"),
      2);
  EXPECT_EQ(
      value_of(
          page,
          R"(cairn_http_request_duration_seconds_bucket{method="GET",route="/v2/{name...}/blobs/{digest}",le="0.001"})"),
      1);
  EXPECT_EQ(value_of(page, "cairn_ingest_bytes_total"), 4196);  // upload routes only
  EXPECT_EQ(value_of(page, "cairn_http_open_connections"), 1);
  // No series carries a raw path or an unknown method.
  EXPECT_EQ(page.find("BREW"), std::string::npos);
}

TEST(HttpMetrics, LabelHelpers) {
  EXPECT_EQ(HttpMetrics::method_label("DELETE"), "DELETE");
  EXPECT_EQ(HttpMetrics::method_label("get"), "other");
  EXPECT_EQ(HttpMetrics::code_label(101), "1xx");
  EXPECT_EQ(HttpMetrics::code_label(507), "5xx");
  EXPECT_EQ(HttpMetrics::code_label(999), "other");
}

class MetricsTest : public ::testing::Test {
 protected:
  MetricsTest() {
    StorageOptions options;
    options.gc.grace = std::chrono::nanoseconds(0);
    options.min_free_bytes = 0;
    storage_ = Storage::open(dir_.path(), options).value();
  }

  content::Digest put(const std::string& ns, const std::string& data) {
    const auto d = content::digest_of(data);
    content::WriterOptions o;
    o.ref = "upload-" + std::string(d.hex().substr(0, 12));
    o.total = static_cast<int64_t>(data.size());
    o.expected = d;
    auto w = storage_->content().writer(metadata::Scope{ns, {}}, o);
    if (!w) {  // known content (shared policy): recorded in `ns` without an upload
      EXPECT_EQ(w.error().code, Errc::already_exists) << w.error().detail;
      return d;
    }
    EXPECT_TRUE((*w)->write(data));
    EXPECT_TRUE((*w)->commit(static_cast<int64_t>(data.size()), d));
    return d;
  }

  testing::TempDir dir_;
  std::unique_ptr<Storage> storage_;
};

TEST_F(MetricsTest, StoredFiguresAreBoundedPerNamespaceAndCountSharedBlobsOnce) {
  put("team/a", std::string(300, 'a'));
  put("team/a", std::string(10, 's'));  // shared with team/b
  put("team/b", std::string(10, 's'));
  put("team/b", std::string(200, 'b'));
  put("team/c", std::string(100, 'c'));
  StorageMetrics m(*storage_, std::chrono::milliseconds(0), /*max_namespaces=*/2);
  const std::string page = serialize(m);
  EXPECT_EQ(value_of(page, "cairn_storage_blobs"), 4) << page;
  EXPECT_EQ(value_of(page, "cairn_storage_bytes"), 610);
  EXPECT_EQ(value_of(page, R"(cairn_namespace_bytes{namespace="team/a"})"), 310);
  EXPECT_EQ(value_of(page, R"(cairn_namespace_blobs{namespace="team/b"})"), 2);
  EXPECT_EQ(value_of(page, "cairn_namespace_bytes{namespace=\"(other)\"}"), 100);
  EXPECT_EQ(value_of(page, R"(cairn_namespace_bytes{namespace="team/c"})"), -1);
  EXPECT_EQ(value_of(page, "cairn_uploads_in_progress"), 0);
}

TEST_F(MetricsTest, AScanIsReusedWithinTheInterval) {
  StorageMetrics m(*storage_, std::chrono::hours(1), 100);
  EXPECT_EQ(value_of(serialize(m), "cairn_storage_blobs"), 0);
  put("team/a", "x");
  EXPECT_EQ(value_of(serialize(m), "cairn_storage_blobs"), 0);  // the first scan, reused
  StorageMetrics fresh(*storage_, std::chrono::milliseconds(0), 100);
  EXPECT_EQ(value_of(serialize(fresh), "cairn_storage_blobs"), 1);
}

TEST_F(MetricsTest, ThePageReadsGcTotalsMetadataWritesThePoolAndTheProcess) {
  server::Offloader pool(1);
  Metrics m(*storage_, pool, 1, nullptr, nullptr, MetricsOptions{});
  put("team/a", "some bytes");
  ASSERT_TRUE(storage_->content().remove(metadata::Scope{"team/a", {}},
                                         content::digest_of(std::string("some bytes"))));
  auto gc = storage_->gc().run_now();
  ASSERT_TRUE(gc) << gc.error().detail;
  const std::string page = m.render();

  EXPECT_EQ(value_of(page, "cairn_gc_runs_total"), 1) << page;
  EXPECT_EQ(value_of(page, "cairn_gc_removed_blobs_total"), static_cast<double>(gc->removed_blobs));
  EXPECT_EQ(value_of(page, "cairn_gc_removed_bytes_total"), 10);
  EXPECT_GE(value_of(page, "cairn_gc_duration_seconds_total"), 0);
  EXPECT_GE(value_of(page, R"(cairn_metadata_write_duration_seconds_count{sync="true"})"), 2);
  EXPECT_EQ(value_of(page, "cairn_offload_queue_depth"), 0);
  EXPECT_EQ(value_of(page, "cairn_offload_threads"), 1);
  EXPECT_GT(value_of(page, "process_open_fds"), 0);
  EXPECT_GT(value_of(page, "process_resident_memory_bytes"), 0);
  EXPECT_GT(value_of(page, "process_start_time_seconds"), 1.6e9);
  EXPECT_GE(value_of(page, "process_cpu_seconds_total"), 0);
  EXPECT_EQ(value_of(page, "cairn_storage_blobs"), 0);
  // Text format: each family announced once with its type, counters named *_total.
  EXPECT_NE(page.find("# TYPE cairn_gc_runs_total counter"), std::string::npos);
  EXPECT_NE(page.find("# TYPE cairn_metadata_write_duration_seconds histogram"), std::string::npos);
  std::regex counter_type(R"(# TYPE (\S+) counter)");
  for (std::sregex_iterator it(page.begin(), page.end(), counter_type), end; it != end; ++it)
    EXPECT_TRUE((*it)[1].str().ends_with("_total")) << (*it)[1];
}

TEST(Offloader, CountsQueuedAndRunningTasks) {
  std::promise<void> release;  // before the pool: its task waits on them until it is joined
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  server::Offloader pool(1);
  pool.post([&] {
    started.set_value();
    released.wait();
  });
  started.get_future().wait();
  pool.post([] {});
  EXPECT_EQ(pool.running(), 1u);
  EXPECT_EQ(pool.queued(), 1u);
  release.set_value();
  pool.stop();
}

}  // namespace
}  // namespace cairn::metrics

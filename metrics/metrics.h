// Metrics: every Prometheus series cairn exposes on GET /metrics, in one registry.
//
// The series come from three kinds of source, so the hot paths stay free of any metrics
// library and nothing is counted twice:
//  - pushed by the HTTP server per request (HttpMetrics, a server::RequestObserver) and by the
//    metadata database per batch write (MetadataMetrics, a Database write observer);
//  - read at scrape time from counters the layers already keep (GcMetrics: the GC scheduler's
//    totals; CacheMetrics: proxy::UpstreamStats; OffloadMetrics: the pool's queue);
//  - computed at scrape time (StorageMetrics: a walk of the blob records, reused for
//    scan_interval; ProcessMetrics: /proc).
// render() serializes them in the Prometheus text format (version 0.0.4) with prometheus-cpp's
// TextSerializer. Names are `cairn_*` (and the standard `process_*`), in base units (seconds,
// bytes), counters ending in `_total`; every label is bounded (see each file).
//
// Thread-safety: render() may be called from any thread and blocks (storage walks): call it on
// the offload pool. The observers are thread-safe.
#pragma once

#include "metrics/http_metrics.h"
#include "metrics/metadata_metrics.h"
#include "server/offload.h"
#include "storage/storage.h"

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace cairn::proxy {
class Cache;
}
namespace cairn::notify {
class Notifier;
}

namespace cairn::metrics {

struct MetricsOptions {
  // Serve GET /metrics and count requests (`--metrics off`: neither).
  bool enabled = true;
  // GET /metrics needs the administrator right (`--metrics admin`) rather than none.
  bool admin_only = false;
  // How long a walk of the blob records (stored blobs and bytes, cache bytes used) is reused
  // by later scrapes. 0: every scrape walks.
  std::chrono::milliseconds scan_interval{30'000};
  // Namespaces with their own cairn_namespace_* series (the largest); the rest are "(other)".
  size_t max_namespaces = 100;
};

class Metrics {
 public:
  // Every reference must outlive this; `cache` may be null (no pull-through cache), as may
  // `notifier` (no notification endpoints). Installs
  // the database's write observer (removed by the destructor: destroy this only once nothing
  // writes metadata any more).
  Metrics(Storage& storage, const server::Offloader& offload, size_t offload_threads,
          proxy::Cache* cache, const notify::Notifier* notifier, MetricsOptions options);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The observer to give the HTTP server (ServerOptions::observer).
  server::RequestObserver& requests() noexcept { return *http_; }

  // Every series in the Prometheus text format. Blocks; thread-safe.
  std::string render() const;

  // The content type of render()'s text.
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  prometheus::Registry registry_;
  std::unique_ptr<HttpMetrics> http_;
  std::unique_ptr<MetadataMetrics> metadata_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
};

}  // namespace cairn::metrics

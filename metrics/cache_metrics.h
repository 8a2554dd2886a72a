// CacheMetrics: the pull-through cache's figures, by upstream (label `upstream`: its host as
// configured), read from proxy::UpstreamStats at scrape time (nothing is counted twice):
//
//   cairn_cache_hits_total, cairn_cache_misses_total     requests answered from the cache / not
//   cairn_cache_fills_total                              blobs and manifests stored in the cache
//   cairn_cache_fill_bytes_total                         body bytes fetched from the upstream
//   cairn_cache_coalesced_waiters_total                  clients that joined a fetch in flight
//   cairn_cache_stale_total                              cached manifests served, upstream failing
//   cairn_cache_upstream_errors_total                    upstream failures answered to clients
//   cairn_cache_revalidations_total                      tags checked with the upstream
//   cairn_cache_evictions_total                          entries evicted to the budget
//   cairn_cache_used_bytes{upstream}, cairn_cache_budget_bytes (0: unlimited)   gauges
//   cairn_cache_fetches_in_flight                        gauge
//
// The bytes used come from proxy::Cache::figures(), a walk of the cache namespaces' records:
// a scrape reuses the last one while it is younger than `scan_interval`. Collect() blocks on
// it: call it off the I/O threads.
//
// Thread-safety: Collect() may be called from any thread.
#pragma once

#include "proxy/cache.h"

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <chrono>
#include <mutex>
#include <optional>

namespace cairn::metrics {

class CacheMetrics final : public prometheus::Collectable {
 public:
  // `cache` must outlive this.
  CacheMetrics(proxy::Cache& cache, std::chrono::milliseconds scan_interval);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  proxy::Cache& cache_;
  const std::chrono::milliseconds scan_interval_;
  mutable std::mutex mu_;
  mutable std::optional<std::chrono::steady_clock::time_point> scanned_at_;
  mutable nlohmann::json figures_;
};

}  // namespace cairn::metrics

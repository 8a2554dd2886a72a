#include "metrics/cache_metrics.h"

#include "metrics/families.h"

namespace cairn::metrics {

CacheMetrics::CacheMetrics(proxy::Cache& cache, std::chrono::milliseconds scan_interval)
    : cache_(cache), scan_interval_(scan_interval) {}

std::vector<prometheus::MetricFamily> CacheMetrics::Collect() const {
  using prometheus::MetricType;
  nlohmann::json figures;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!scanned_at_ || now - *scanned_at_ >= scan_interval_) {
      figures_ = cache_.figures();
      scanned_at_ = now;
    }
    figures = figures_;
  }

  struct Counter {
    const char* name;
    const char* help;
    proxy::UpstreamStats::Counter counter;
  };
  static const Counter kCounters[] = {
      {"cairn_cache_hits_total", "Requests answered from the cache.",
       proxy::UpstreamStats::Counter::hits},
      {"cairn_cache_misses_total", "Requests that fetched from the upstream.",
       proxy::UpstreamStats::Counter::misses},
      {"cairn_cache_fills_total", "Blobs and manifests stored in the cache.",
       proxy::UpstreamStats::Counter::fills},
      {"cairn_cache_fill_bytes_total", "Body bytes fetched from the upstream.",
       proxy::UpstreamStats::Counter::upstream_bytes},
      {"cairn_cache_coalesced_waiters_total", "Clients that joined a blob fetch in flight.",
       proxy::UpstreamStats::Counter::coalesced},
      {"cairn_cache_stale_total", "Cached manifests served because the upstream failed.",
       proxy::UpstreamStats::Counter::stale},
      {"cairn_cache_upstream_errors_total", "Upstream failures answered to clients.",
       proxy::UpstreamStats::Counter::errors},
      {"cairn_cache_revalidations_total", "Tags checked with the upstream.",
       proxy::UpstreamStats::Counter::revalidations},
      {"cairn_cache_evictions_total", "Cache entries evicted to keep within the budget.",
       proxy::UpstreamStats::Counter::evictions},
  };
  std::vector<prometheus::MetricFamily> out;
  for (const Counter& c : kCounters) {
    auto f = family(c.name, c.help, MetricType::Counter);
    for (const auto& up : cache_.upstreams()) {
      add_sample(f, static_cast<double>(up->stats.get(c.counter)),
                 {{"upstream", up->endpoint.host}});
    }
    out.push_back(std::move(f));
  }
  auto used =
      family("cairn_cache_used_bytes",
             "Bytes of content recorded in an upstream's cache namespaces.", MetricType::Gauge);
  const auto& ups = cache_.upstreams();
  const auto& fig_ups = figures.value("upstreams", nlohmann::json::array());
  for (size_t i = 0; i < ups.size() && i < fig_ups.size(); ++i) {
    add_sample(used, fig_ups[i].value("bytes_used", 0.0), {{"upstream", ups[i]->endpoint.host}});
  }
  out.push_back(std::move(used));
  out.push_back(single("cairn_cache_budget_bytes",
                       "The cache's byte budget (--cache-max-bytes; 0: unlimited).",
                       MetricType::Gauge, static_cast<double>(cache_.options().max_bytes)));
  out.push_back(single("cairn_cache_fetches_in_flight", "Blob fetches from upstreams running.",
                       MetricType::Gauge, figures.value("fetches_in_flight", 0.0)));
  return out;
}

}  // namespace cairn::metrics

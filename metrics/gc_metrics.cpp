#include "metrics/gc_metrics.h"

#include "metrics/families.h"

namespace cairn::metrics {

std::vector<prometheus::MetricFamily> GcMetrics::Collect() const {
  using prometheus::MetricType;
  const gc::GcTotals t = scheduler_.totals();
  const auto seconds = [](std::chrono::nanoseconds d) {
    return std::chrono::duration<double>(d).count();
  };
  auto count = [](std::string name, std::string help, uint64_t v) {
    return single(std::move(name), std::move(help), MetricType::Counter, static_cast<double>(v));
  };
  std::vector<prometheus::MetricFamily> out;
  out.push_back(count("cairn_gc_runs_total", "Garbage collections completed.", t.runs));
  out.push_back(count("cairn_gc_failures_total", "Garbage collections that failed.", t.failures));
  out.push_back(single("cairn_gc_duration_seconds_total", "Wall time of the garbage collections.",
                       MetricType::Counter, seconds(t.duration)));
  out.push_back(single("cairn_gc_writer_hold_seconds_total",
                       "Time garbage collections held metadata writers (the sweep's lock).",
                       MetricType::Counter, seconds(t.paused)));
  out.push_back(
      count("cairn_gc_removed_blobs_total", "Blob records deleted by GC.", t.removed_blobs));
  out.push_back(
      count("cairn_gc_removed_files_total", "Blob files deleted by GC.", t.removed_files));
  out.push_back(count("cairn_gc_removed_bytes_total", "Size of the blob files deleted by GC.",
                      t.removed_bytes));
  out.push_back(count("cairn_gc_removed_ingests_total",
                      "Ingests (upload records and orphan ingests) removed by GC.",
                      t.removed_ingests));
  out.push_back(
      count("cairn_gc_removed_leases_total", "Expired leases deleted by GC.", t.removed_leases));
  out.push_back(count("cairn_gc_retention_removed_tags_total",
                      "Tags removed by retention rules before a collection.",
                      t.retention_removed_tags));
  out.push_back(count("cairn_gc_retention_removed_manifests_total",
                      "Manifests deleted by retention rules before a collection.",
                      t.retention_removed_manifests));
  const auto last = scheduler_.last();
  out.push_back(single("cairn_gc_last_duration_seconds",
                       "Wall time of the last garbage collection (0 before the first).",
                       MetricType::Gauge, last ? seconds(last->duration) : 0.0));
  return out;
}

}  // namespace cairn::metrics

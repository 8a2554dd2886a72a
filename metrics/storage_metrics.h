// StorageMetrics: what the data root holds, read from the metadata database at scrape time.
//
//   cairn_storage_blobs, cairn_storage_bytes               gauges: distinct blobs recorded in any
//                                                          namespace (each digest once) and their
//                                                          size
//   cairn_namespace_blobs{namespace}, cairn_namespace_bytes{namespace}
//                                                          gauges: blob records of a namespace
//                                                          and their size (a blob shared by two
//                                                          namespaces counts in both)
//   cairn_uploads_in_progress                              gauge: ingest records (open uploads
//                                                          and cache fills)
//   cairn_storage_scan_timestamp_seconds                   gauge: when the figures were read
//
// Bounded: only the `max_namespaces` namespaces holding the most bytes get their own series;
// the rest are added up under namespace="(other)" (a value no repository name can take).
//
// The figures come from a walk of every blob record (the cost grows with the records, so it
// is not done per scrape): a scrape reuses the last walk while it is younger than
// `scan_interval`. Collect() blocks on that walk: call it off the I/O threads (the /metrics
// handler runs on the offload pool).
//
// Thread-safety: Collect() may be called from any thread; concurrent calls share one walk.
#pragma once

#include "storage/storage.h"

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <chrono>
#include <mutex>
#include <optional>

namespace cairn::metrics {

class StorageMetrics final : public prometheus::Collectable {
 public:
  // `storage` must outlive this.
  StorageMetrics(Storage& storage, std::chrono::milliseconds scan_interval, size_t max_namespaces);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::vector<prometheus::MetricFamily> scan() const;

  Storage& storage_;
  const std::chrono::milliseconds scan_interval_;
  const size_t max_namespaces_;
  mutable std::mutex mu_;
  mutable std::optional<std::chrono::steady_clock::time_point> scanned_at_;
  mutable std::vector<prometheus::MetricFamily> last_;
};

}  // namespace cairn::metrics

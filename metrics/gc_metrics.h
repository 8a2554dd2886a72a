// GcMetrics: the garbage collector's figures, read from the scheduler's running totals
// (gc::Scheduler::totals) at scrape time, so nothing is counted twice:
//
//   cairn_gc_runs_total, cairn_gc_failures_total
//   cairn_gc_duration_seconds_total          wall time of the collections
//   cairn_gc_writer_hold_seconds_total       time writers were held (the sweep's lock)
//   cairn_gc_removed_blobs_total             blob records deleted
//   cairn_gc_removed_files_total, cairn_gc_removed_bytes_total   blob files deleted, their size
//   cairn_gc_removed_ingests_total, cairn_gc_removed_leases_total
//   cairn_gc_retention_removed_tags_total, cairn_gc_retention_removed_manifests_total
//                                            what retention rules removed before collections
//   cairn_gc_last_duration_seconds           gauge: the last collection's wall time
//
// Thread-safety: Collect() may be called from any thread; it does not block on a collection.
#pragma once

#include "storage/gc/scheduler.h"

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace cairn::metrics {

class GcMetrics final : public prometheus::Collectable {
 public:
  // `scheduler` must outlive this.
  explicit GcMetrics(const gc::Scheduler& scheduler) : scheduler_(scheduler) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const gc::Scheduler& scheduler_;
};

}  // namespace cairn::metrics

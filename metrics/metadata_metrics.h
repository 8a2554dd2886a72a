// MetadataMetrics: how long the metadata database's LevelDB batch writes take.
//
//   cairn_metadata_write_duration_seconds{sync="true"|"false"}   histogram
//   cairn_metadata_write_errors_total                            counter
//
// Fed by Database::set_write_observer (storage stays free of any metrics library): installed
// by the constructor, removed by the destructor.
#pragma once

#include "storage/metadata/db.h"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace cairn::metrics {

class MetadataMetrics {
 public:
  // `registry` and `db` must outlive this.
  MetadataMetrics(prometheus::Registry& registry, metadata::Database& db);
  ~MetadataMetrics();
  MetadataMetrics(const MetadataMetrics&) = delete;
  MetadataMetrics& operator=(const MetadataMetrics&) = delete;

  // What the observer does with one write (public for tests).
  void observe(std::chrono::nanoseconds elapsed, bool synced, bool ok);

 private:
  metadata::Database& db_;
  prometheus::Histogram& synced_;
  prometheus::Histogram& unsynced_;
  prometheus::Counter& errors_;
};

}  // namespace cairn::metrics

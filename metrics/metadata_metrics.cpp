#include "metrics/metadata_metrics.h"

namespace cairn::metrics {
namespace {

// From 50 µs (a batch without fsync) to a second (an fsync on a busy disk).
const prometheus::Histogram::BucketBoundaries& write_buckets() {
  static const prometheus::Histogram::BucketBoundaries b = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
  return b;
}

prometheus::Family<prometheus::Histogram>& write_family(prometheus::Registry& registry) {
  return prometheus::BuildHistogram()
      .Name("cairn_metadata_write_duration_seconds")
      .Help("LevelDB batch write time of the metadata database (sync: fsynced).")
      .Register(registry);
}

}  // namespace

MetadataMetrics::MetadataMetrics(prometheus::Registry& registry, metadata::Database& db)
    : db_(db),
      synced_(write_family(registry).Add({{"sync", "true"}}, write_buckets())),
      unsynced_(write_family(registry).Add({{"sync", "false"}}, write_buckets())),
      errors_(prometheus::BuildCounter()
                  .Name("cairn_metadata_write_errors_total")
                  .Help("Metadata batch writes that failed.")
                  .Register(registry)
                  .Add({})) {
  db_.set_write_observer([this](std::chrono::nanoseconds elapsed, bool synced, bool ok) {
    observe(elapsed, synced, ok);
  });
}

MetadataMetrics::~MetadataMetrics() {
  db_.set_write_observer({});
}

void MetadataMetrics::observe(std::chrono::nanoseconds elapsed, bool synced, bool ok) {
  if (!ok) {
    errors_.Increment();
    return;
  }
  (synced ? synced_ : unsynced_).Observe(std::chrono::duration<double>(elapsed).count());
}

}  // namespace cairn::metrics

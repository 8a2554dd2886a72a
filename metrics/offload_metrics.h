// OffloadMetrics: the offload pool (server/offload.h), where blocking storage work waits for a
// thread:
//
//   cairn_offload_queue_depth    gauge: tasks submitted and not started
//   cairn_offload_running        gauge: tasks running now
//   cairn_offload_threads        gauge: the pool's threads
//
// Thread-safety: Collect() may be called from any thread; it reads atomics only.
#pragma once

#include "server/offload.h"

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace cairn::metrics {

class OffloadMetrics final : public prometheus::Collectable {
 public:
  // `pool` must outlive this.
  OffloadMetrics(const server::Offloader& pool, size_t threads) : pool_(pool), threads_(threads) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const server::Offloader& pool_;
  const size_t threads_;
};

}  // namespace cairn::metrics

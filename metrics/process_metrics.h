// ProcessMetrics: the standard process_* series of Prometheus clients, read from /proc/self at
// scrape time (Linux):
//
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds, process_start_time_seconds
//
// and cairn_unexpected_exceptions_total (server/unexpected.h), the exceptions that
// escaped a spawned coroutine or an I/O thread's loop.
//
// A file that cannot be read leaves its series out of that scrape.
//
// Thread-safety: Collect() may be called from any thread; it reads procfs (no disk).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace cairn::metrics {

class ProcessMetrics final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace cairn::metrics

#include "metrics/offload_metrics.h"

#include "metrics/families.h"

namespace cairn::metrics {

std::vector<prometheus::MetricFamily> OffloadMetrics::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  out.push_back(single("cairn_offload_queue_depth",
                       "Blocking tasks waiting for a thread of the offload pool.",
                       MetricType::Gauge, static_cast<double>(pool_.queued())));
  out.push_back(single("cairn_offload_running", "Blocking tasks running on the offload pool.",
                       MetricType::Gauge, static_cast<double>(pool_.running())));
  out.push_back(single("cairn_offload_threads", "Threads of the offload pool.", MetricType::Gauge,
                       static_cast<double>(threads_)));
  return out;
}

}  // namespace cairn::metrics

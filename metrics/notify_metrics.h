// NotifyMetrics: the notification endpoints' figures, by endpoint (label `endpoint`: its name,
// or its URL when it has none), read from notify::EndpointStats at scrape time:
//
//   cairn_notify_events_published_total   events queued for the endpoint
//   cairn_notify_events_delivered_total   events it answered 2xx to
//   cairn_notify_events_dropped_total     events dropped: queue full, or refused with a 4xx
//   cairn_notify_failures_total           failed delivery attempts (each retried)
//   cairn_notify_events_pending           gauge: events queued or being sent now
//
// Thread-safety: Collect() may be called from any thread; it reads atomics only.
#pragma once

#include "notify/notifier.h"

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace cairn::metrics {

class NotifyMetrics final : public prometheus::Collectable {
 public:
  // `notifier` must outlive this.
  explicit NotifyMetrics(const notify::Notifier& notifier) : notifier_(notifier) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const notify::Notifier& notifier_;
};

}  // namespace cairn::metrics

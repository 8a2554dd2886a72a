#include "metrics/notify_metrics.h"

#include "metrics/families.h"

namespace cairn::metrics {

std::vector<prometheus::MetricFamily> NotifyMetrics::Collect() const {
  using prometheus::MetricType;
  struct Series {
    const char* name;
    const char* help;
    MetricType type;
    const std::atomic<uint64_t> notify::EndpointStats::*field;
  };
  static constexpr Series kSeries[] = {
      {"cairn_notify_events_published_total", "Notification events queued for an endpoint.",
       MetricType::Counter, &notify::EndpointStats::published},
      {"cairn_notify_events_delivered_total", "Notification events an endpoint answered 2xx to.",
       MetricType::Counter, &notify::EndpointStats::delivered},
      {"cairn_notify_events_dropped_total",
       "Notification events dropped (queue full, or refused with a 4xx).", MetricType::Counter,
       &notify::EndpointStats::dropped},
      {"cairn_notify_failures_total", "Failed notification delivery attempts (each retried).",
       MetricType::Counter, &notify::EndpointStats::failures},
      {"cairn_notify_events_pending", "Notification events queued or being sent now.",
       MetricType::Gauge, &notify::EndpointStats::pending},
  };
  const auto endpoints = notifier_.figures();
  std::vector<prometheus::MetricFamily> out;
  for (const Series& s : kSeries) {
    auto f = family(s.name, s.help, s.type);
    for (const auto& e : endpoints) {
      add_sample(f, static_cast<double>((e.stats.*s.field).load(std::memory_order_relaxed)),
                 {{"endpoint", e.name}});
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace cairn::metrics

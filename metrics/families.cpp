#include "metrics/families.h"

namespace cairn::metrics {

prometheus::MetricFamily family(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void add_sample(prometheus::MetricFamily& f, double value, Labels labels) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  if (f.type == prometheus::MetricType::Counter)
    m.counter.value = value;
  else if (f.type == prometheus::MetricType::Gauge)
    m.gauge.value = value;
  else
    m.untyped.value = value;
  f.metric.push_back(std::move(m));
}

prometheus::MetricFamily single(std::string name, std::string help, prometheus::MetricType type,
                                double value) {
  auto f = family(std::move(name), std::move(help), type);
  add_sample(f, value);
  return f;
}

}  // namespace cairn::metrics

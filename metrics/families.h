// Helpers for collectors that build their series at scrape time (prometheus::Collectable):
// a family of one type, and samples added to it with their labels.
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>

#include <string>
#include <vector>

namespace cairn::metrics {

using Labels = std::vector<prometheus::ClientMetric::Label>;

// An empty family. `name` must follow the naming rules (counters end in _total).
prometheus::MetricFamily family(std::string name, std::string help, prometheus::MetricType type);

// Adds one sample to a counter or gauge family (its type says which value is set).
void add_sample(prometheus::MetricFamily& f, double value, Labels labels = {});

// A family holding one sample without labels: the usual case.
prometheus::MetricFamily single(std::string name, std::string help, prometheus::MetricType type,
                                double value);

}  // namespace cairn::metrics

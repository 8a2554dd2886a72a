#include "metrics/metrics.h"

#include "metrics/cache_metrics.h"
#include "metrics/gc_metrics.h"
#include "metrics/notify_metrics.h"
#include "metrics/offload_metrics.h"
#include "metrics/process_metrics.h"
#include "metrics/storage_metrics.h"

#include <prometheus/text_serializer.h>

namespace cairn::metrics {

Metrics::Metrics(Storage& storage, const server::Offloader& offload, size_t offload_threads,
                 proxy::Cache* cache, const notify::Notifier* notifier, MetricsOptions options) {
  // Upload bodies are what arrives on the upload session routes (POST, PATCH, PUT).
  http_ = std::make_unique<HttpMetrics>(registry_, [](std::string_view route) {
    return route.find("/blobs/uploads/") != std::string_view::npos;
  });
  metadata_ = std::make_unique<MetadataMetrics>(registry_, storage.db());
  collectables_.push_back(
      std::make_shared<StorageMetrics>(storage, options.scan_interval, options.max_namespaces));
  collectables_.push_back(std::make_shared<GcMetrics>(storage.gc()));
  collectables_.push_back(std::make_shared<OffloadMetrics>(offload, offload_threads));
  if (cache != nullptr)
    collectables_.push_back(std::make_shared<CacheMetrics>(*cache, options.scan_interval));
  if (notifier != nullptr)
    collectables_.push_back(std::make_shared<NotifyMetrics>(*notifier));
  collectables_.push_back(std::make_shared<ProcessMetrics>());
}

Metrics::~Metrics() = default;

std::string Metrics::render() const {
  std::vector<prometheus::MetricFamily> families = registry_.Collect();
  for (const auto& c : collectables_) {
    auto more = c->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace cairn::metrics

#include "metrics/http_metrics.h"

#include <mutex>
#include <string>

namespace cairn::metrics {
namespace {

constexpr std::array<std::string_view, 7> kMethods = {"GET",   "HEAD",   "PUT",    "POST",
                                                      "PATCH", "DELETE", "OPTIONS"};
constexpr std::array<std::string_view, 6> kCodeLabels = {"1xx", "2xx", "3xx",
                                                         "4xx", "5xx", "other"};

size_t code_index(unsigned status) {
  return status >= 100 && status < 600 ? status / 100 - 1 : 5;
}

// From a millisecond to a minute: registry requests range from a HEAD answered from memory to
// a multi-gigabyte layer.
const prometheus::Histogram::BucketBoundaries& duration_buckets() {
  static const prometheus::Histogram::BucketBoundaries b = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return b;
}

}  // namespace

HttpMetrics::HttpMetrics(prometheus::Registry& registry,
                         std::function<bool(std::string_view)> is_ingest)
    : is_ingest_(std::move(is_ingest)),
      requests_(prometheus::BuildCounter()
                    .Name("cairn_http_requests_total")
                    .Help("HTTP requests answered, by route pattern, method and status class.")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("cairn_http_request_duration_seconds")
                    .Help("Time from a request's header read to its response written.")
                    .Register(registry)),
      received_(prometheus::BuildCounter()
                    .Name("cairn_http_request_body_bytes_total")
                    .Help("Request body bytes read, by route pattern and method.")
                    .Register(registry)),
      sent_(prometheus::BuildCounter()
                .Name("cairn_http_response_bytes_total")
                .Help("Response bytes written (header and body), by route pattern and method.")
                .Register(registry)),
      connections_(prometheus::BuildGauge()
                       .Name("cairn_http_open_connections")
                       .Help("Client connections open now.")
                       .Register(registry)
                       .Add({})),
      ingest_bytes_(prometheus::BuildCounter()
                        .Name("cairn_ingest_bytes_total")
                        .Help("Upload body bytes received (blob upload routes).")
                        .Register(registry)
                        .Add({})) {}

std::string_view HttpMetrics::method_label(std::string_view method) {
  for (std::string_view m : kMethods) {
    if (m == method)
      return m;
  }
  return "other";
}

std::string_view HttpMetrics::code_label(unsigned status) {
  return kCodeLabels[code_index(status)];
}

void HttpMetrics::on_request(const server::RequestRecord& r) {
  const size_t code = code_index(r.status);
  prometheus::Counter* requests = nullptr;
  Series& s = series(r.route, method_label(r.method), code, requests);
  requests->Increment();
  s.duration->Observe(std::chrono::duration<double>(r.duration).count());
  s.received->Increment(static_cast<double>(r.bytes_in));
  s.sent->Increment(static_cast<double>(r.bytes_out));
  if (s.ingest)
    ingest_bytes_.Increment(static_cast<double>(r.bytes_in));
}

HttpMetrics::Series& HttpMetrics::series(std::string_view route, std::string_view method,
                                         size_t code, prometheus::Counter*& requests) {
  const Key key{route.empty() ? nullptr : route.data(), method};
  {
    std::shared_lock lock(mu_);
    if (auto it = series_.find(key); it != series_.end() && it->second.requests[code]) {
      requests = it->second.requests[code];
      return it->second;
    }
  }
  std::unique_lock lock(mu_);
  auto [it, fresh] = series_.try_emplace(key);
  Series& s = it->second;
  const std::string route_label = route.empty() ? "none" : std::string(route);
  const std::string method_text(method);
  if (fresh) {
    const prometheus::Labels labels{{"route", route_label}, {"method", method_text}};
    s.duration = &duration_.Add(labels, duration_buckets());
    s.received = &received_.Add(labels);
    s.sent = &sent_.Add(labels);
    s.ingest = !route.empty() && is_ingest_ && is_ingest_(route);
  }
  if (!s.requests[code]) {
    s.requests[code] = &requests_.Add({{"route", route_label},
                                       {"method", method_text},
                                       {"code", std::string(kCodeLabels[code])}});
  }
  requests = s.requests[code];
  return s;
}

void HttpMetrics::on_connection_opened() {
  connections_.Increment();
}

void HttpMetrics::on_connection_closed() {
  connections_.Decrement();
}

}  // namespace cairn::metrics

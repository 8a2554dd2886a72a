// HttpMetrics: the series of the HTTP traffic, fed by the server through
// server::RequestObserver (so server/ includes no metrics library):
//
//   cairn_http_requests_total{route,method,code}             counter  code: "2xx".."5xx"
//   cairn_http_request_duration_seconds{route,method}         histogram
//   cairn_http_request_body_bytes_total{route,method}         counter  request bytes read
//   cairn_http_response_bytes_total{route,method}             counter  response bytes written
//   cairn_http_open_connections                               gauge
//   cairn_ingest_bytes_total                                  counter  body bytes of upload routes
//
// Labels are bounded: `route` is the route table's pattern ("none" when no route matched,
// never the raw path), `method` one of the HTTP methods the table uses or "other", `code` the
// status class. Series appear on first use.
//
// Thread-safety: on_request() and the connection calls may run on every I/O thread at once;
// a request whose series exist takes a shared lock only (and Prometheus' atomic updates).
#pragma once

#include "server/request_observer.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <functional>
#include <map>
#include <shared_mutex>
#include <string_view>
#include <utility>

namespace cairn::metrics {

class HttpMetrics final : public server::RequestObserver {
 public:
  // Registers the families in `registry`, which must outlive this. `is_ingest(route)` says
  // whether a route's request body is upload data (counted in cairn_ingest_bytes_total).
  HttpMetrics(prometheus::Registry& registry, std::function<bool(std::string_view)> is_ingest);

  void on_request(const server::RequestRecord& r) override;
  void on_connection_opened() override;
  void on_connection_closed() override;

  // The label values used for a method and a status: exposed for tests.
  static std::string_view method_label(std::string_view method);
  static std::string_view code_label(unsigned status);

 private:
  static constexpr size_t kCodes = 6;  // 1xx..5xx, other
  struct Series {
    prometheus::Histogram* duration = nullptr;
    prometheus::Counter* received = nullptr;
    prometheus::Counter* sent = nullptr;
    bool ingest = false;
    std::array<prometheus::Counter*, kCodes> requests{};  // created on first use
  };
  // (the route's pattern storage — stable while the router lives — or null, method label)
  using Key = std::pair<const char*, std::string_view>;

  Series& series(std::string_view route, std::string_view method, size_t code,
                 prometheus::Counter*& requests);

  std::function<bool(std::string_view)> is_ingest_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Family<prometheus::Counter>& sent_;
  prometheus::Gauge& connections_;
  prometheus::Counter& ingest_bytes_;

  std::shared_mutex mu_;
  std::map<Key, Series> series_;  // node-based: a Series never moves
};

}  // namespace cairn::metrics

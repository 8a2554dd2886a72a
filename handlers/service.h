// Service: one cairn instance minus the socket — the storage of a data root, the offload pool,
// the upload sessions, the API over them and its route table. main() and the integration tests
// build the same Service and hand its router to an HttpServer.
#pragma once

#include "handlers/api.h"
#include "handlers/auth.h"
#include "handlers/upload_limits.h"
#include "handlers/upload_sessions.h"
#include "metrics/metrics.h"
#include "notify/notifier.h"
#include "proxy/cache.h"
#include "server/offload.h"
#include "server/router.h"
#include "storage/fsck/runner.h"
#include "storage/storage.h"

#include <filesystem>
#include <memory>

namespace cairn::handlers {

struct ServiceOptions {
  std::filesystem::path root;
  StorageOptions storage;
  ApiOptions api;
  size_t offload_threads = 4;
  // Where storage calls run (async_storage/async_storage.h): point reads on the I/O threads by
  // default.
  AsyncStorageOptions async_storage;
  bool start_gc_scheduler = true;  // collect on the scheduler's triggers (tests may not)
  proxy::CacheOptions cache;       // no upstreams: no pull-through cache
  std::shared_ptr<Auth> auth;      // null: auth off (anyone may do anything)
  // Checks on request (/_admin/fsck) and the background scrub (on when scrub_interval > 0);
  // its grace is the GC's.
  fsck::RunnerOptions fsck;
  // Notification endpoints (notify/notifier.h); none: no events are made.
  notify::NotifierOptions notifications;
  // GET /metrics and the per-request series (metrics/metrics.h).
  metrics::MetricsOptions metrics;
};

class Service {
 public:
  // Opens the storage under options.root and builds the routes. Errors: those of
  // Storage::open and Notifier::create.
  static Result<std::unique_ptr<Service>> open(ServiceOptions options);
  ~Service();

  server::Router& router() noexcept { return router_; }

  // The shutdown order, after the HTTP server's run() returned: stop(), then destroy the server
  // (its sessions still suspended are destroyed with its io_context, and what they hold, e.g. an
  // upload's writer, is released while the storage is open), then the Service. stop() ends the
  // offload pool (its threads and its queued tasks hold executors of the io_context: the tasks
  // are destroyed here, the coroutines awaiting them with the io_context) and closes the idle
  // upstream connections of the cache and the notifier (their sockets belong to the io_context).
  void stop();
  Storage& storage() noexcept { return *storage_; }
  Api& api() noexcept { return *api_; }
  // The pool storage calls run on, for the other front ends over this storage (grpc_api/).
  server::Offloader& offload() noexcept { return *offload_; }
  proxy::Cache* cache() noexcept { return cache_.get(); }
  fsck::Runner& fsck() noexcept { return *fsck_; }
  notify::Notifier* notifier() noexcept { return notifier_.get(); }
  // The observer to give the HTTP server (ServerOptions::observer): null when metrics are off.
  server::RequestObserver* request_observer() noexcept {
    return metrics_ ? &metrics_->requests() : nullptr;
  }

 private:
  Service() = default;

  std::unique_ptr<Storage> storage_;
  std::unique_ptr<proxy::Cache> cache_;         // after the pool: its tasks use it
  std::unique_ptr<notify::Notifier> notifier_;  // after the pool: its tasks publish
  std::unique_ptr<server::Offloader> offload_;
  std::unique_ptr<AsyncStorage> async_;  // over storage_ and offload_
  std::unique_ptr<UploadSessions> uploads_;
  std::unique_ptr<UploadLimits> upload_limits_;
  std::shared_ptr<Auth> auth_;
  std::unique_ptr<fsck::Runner> fsck_;         // stopped before the storage goes
  std::unique_ptr<metrics::Metrics> metrics_;  // destroyed once nothing writes metadata
  std::unique_ptr<Api> api_;
  server::Router router_;
};

}  // namespace cairn::handlers

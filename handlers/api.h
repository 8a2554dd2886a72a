// Api: what every handler is given — the storage layer (through its one way in from a
// coroutine, AsyncStorage), the offload pool, the live upload sessions and the API's limits.
// Built once by the server's owner (main, or a test) and captured by the route table; handlers
// hold no other state.
#pragma once

#include "async_storage/async_storage.h"
#include "server/offload.h"

#include <chrono>
#include <cstddef>

namespace cairn::proxy {
class Cache;
}
namespace cairn::fsck {
class Runner;
}
namespace cairn::notify {
class Notifier;
}

namespace cairn::metrics {
class Metrics;
}

namespace cairn::handlers {

class UploadLimits;
class UploadSessions;
class Auth;

struct ApiOptions {
  // The largest manifest a PUT may send (larger: 413 BODY_TOO_LARGE).
  size_t max_manifest_bytes = 4 << 20;
  // The size of each piece of an upload body read from the socket and written to disk.
  size_t upload_piece_bytes = 1 << 20;
  // The largest JSON body an extension endpoint accepts.
  size_t max_json_bytes = 1 << 20;
  // The most entries one listing answers (tags, catalog, _content, leases); a client's larger
  // ?n= is clamped to it, and the Link header leads to the next page.
  size_t max_page = 1000;
  // With authentication on, the most repositories one catalog page visits (skipping those the
  // caller may not list) before it answers what it found, with a Link resuming after them.
  size_t max_catalog_visits = 10'000;
  // The most entries (manifests) an index or manifest list may have.
  size_t max_index_entries = 10'000;
  // How long one request's storage scan (a filtered listing) may run before it is cut off with
  // 503: a filter that matches nothing must not walk a huge namespace for ever.
  std::chrono::milliseconds scan_deadline{10'000};
  // Upload sessions (ingests) open at once per repository and in all (0: unlimited); past
  // either a new one is refused with 429 TOOMANYREQUESTS.
  size_t max_uploads_per_repository = 1000;
  size_t max_uploads = 10'000;
};

struct Api {
  // Every storage call of a handler: it says what kind of work the call is, and AsyncStorage
  // decides where it runs (async_storage/async_storage.h).
  AsyncStorage& storage;
  // Blocking work that is not storage (bcrypt, waking the fsck runner).
  server::Offloader& offload;
  UploadSessions& uploads;
  UploadLimits& upload_limits;
  ApiOptions options;
  proxy::Cache* cache = nullptr;  // the pull-through cache; null when no upstream is configured
  Auth* auth = nullptr;           // authentication and access policy; null when auth is off
  fsck::Runner* fsck = nullptr;   // consistency checks and the scrub (handlers/fsck.h)
  notify::Notifier* notifier = nullptr;  // notification endpoints; null when none is configured
  metrics::Metrics* metrics = nullptr;   // GET /metrics (handlers/metrics.h); null: metrics off
  bool metrics_admin_only = false;       // GET /metrics needs Access::admin
  // Keep an upload's writer open between its requests (UploadSessions). Off when the blobs are
  // in an object store other replicas share: a writer parked here would not see the bytes
  // another replica added to its ingest, so each request reopens the ingest from the store.
  bool park_writers = true;
};

}  // namespace cairn::handlers

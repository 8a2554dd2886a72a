// Api: what every handler is given — the storage layer, the offload pool, the live upload
// sessions and the API's limits. Built once by the server's owner (main, or a test) and
// captured by the route table; handlers hold no other state.
#pragma once

#include "server/offload.h"
#include "storage/storage.h"

#include <chrono>
#include <cstddef>

namespace cairn::proxy {
class Cache;
}

namespace cairn::handlers {

class UploadSessions;
class Auth;

struct ApiOptions {
  // The largest manifest a PUT may send (larger: 413 SIZE_INVALID).
  size_t max_manifest_bytes = 4 << 20;
  // The size of each piece of an upload body read from the socket and written to disk.
  size_t upload_piece_bytes = 1 << 20;
  // The largest JSON body an extension endpoint accepts.
  size_t max_json_bytes = 1 << 20;
};

struct Api {
  Storage& storage;
  server::Offloader& offload;
  UploadSessions& uploads;
  ApiOptions options;
  proxy::Cache* cache = nullptr;  // the pull-through cache; null when no upstream is configured
  Auth* auth = nullptr;           // authentication and access policy; null when auth is off
};

}  // namespace cairn::handlers

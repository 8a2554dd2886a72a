// proxy::Cache: the pull-through cache — the upstreams and their clients, where a request goes,
// manifests through the cache (proxy/manifest_fetch.h), which tags were revalidated when, when
// each cached item was last pulled, the blob fetches in flight (proxy/blob_fetch.h), the figures
// of GET /_admin/cache, and eviction to a byte budget.
//
// Namespaces. What upstream H serves as repository R is cached in the namespace
// "<prefix(H)>/<R>", prefix(H) being H with ':' replaced by '_' ("docker.io/library/alpine",
// "127.0.0.1_5001/team/app"), so cached content is an ordinary namespace: ranges, labels, leases
// and GC work on it unchanged. Those namespaces are the cache's: clients cannot push into them.
//
// Eviction (budget > 0). After content is cached, when the cache namespaces hold more than the
// budget, the least recently pulled entries go first: an entry is a manifest with the blobs that
// only it refers to (an image), or a blob no manifest refers to. Blobs and manifests that a lease
// of their namespace holds, or labelled containerd.io/gc.root, are never evicted; evicting removes
// records of cache namespaces only, and the GC run that follows deletes a file only when no
// namespace records it, so pushed content is never touched (nor counted against the budget).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include "async_storage/async_storage.h"
#include "proxy/blob_fetch.h"
#include "proxy/manifest_fetch.h"
#include "storage/storage.h"
#include "upstream/client.h"

#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::proxy {

struct CacheOptions {
  std::vector<upstream::Endpoint> upstreams;
  std::string default_upstream;  // host of one of them, or empty
  uint64_t max_bytes = 0;        // 0: unlimited
  upstream::ClientOptions client;
};

// The counters of one upstream (GET /_admin/cache, the cairn_cache_* series). Lock-free: add()
// and get() may be called from any thread.
class UpstreamStats {
 public:
  enum class Counter : uint8_t {
    hits,            // requests answered from the cache
    misses,          // requests that fetched from the upstream
    upstream_bytes,  // body bytes fetched from the upstream
    coalesced,       // clients that joined a blob fetch in flight
    revalidations,   // tags checked with the upstream (HEAD)
    stale,           // cached manifests served because the upstream failed
    errors,          // upstream failures answered to clients
    evictions,       // entries evicted
    fills,           // blobs and manifests stored in the cache
  };
  static constexpr size_t kCounters = 9;

  void add(Counter c, uint64_t n = 1) noexcept {
    v_[static_cast<size_t>(c)].fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t get(Counter c) const noexcept {
    return v_[static_cast<size_t>(c)].load(std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<uint64_t>, kCounters> v_{};
};

struct Upstream {
  upstream::Endpoint endpoint;
  std::string prefix;                        // first component of its cache namespaces
  std::shared_ptr<upstream::Client> client;  // shared with the fetches it serves
  UpstreamStats stats;
};

// Where a request for a repository goes.
struct Target {
  Upstream* upstream = nullptr;
  std::string remote;        // the repository on the upstream ("library/alpine")
  std::string ns;            // the cache namespace ("docker.io/library/alpine")
  bool by_ns_param = false;  // chosen by ?ns= (the answer then carries OCI-Namespace)
};

class Cache {
 public:
  // `storage` for the methods that block (they run off the I/O threads: used_bytes(),
  // evict_to_budget(), figures()); `async` for what a coroutine asks of it.
  Cache(Storage& storage, AsyncStorage& async, CacheOptions options);
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  const CacheOptions& options() const noexcept { return options_; }

  // The upstream for repository `name` (already validated), in this order: ?ns= naming an
  // upstream (an ns naming none means a local repository); a first component naming one
  // ("docker.io/library/alpine"); the default upstream when `has_local_content()` says the
  // repository has none. nullopt: a local repository.
  std::optional<Target> route(std::string_view name, const std::optional<std::string>& ns_param,
                              const std::function<bool()>& has_local_content);

  // Whether `name` lies in a cache namespace.
  bool is_cache_namespace(std::string_view name) const;

  // Tag revalidation: whether tag `tag` of target's namespace was checked with the upstream less
  // than its revalidation interval ago, and recording that it just was.
  bool fresh(const Target& t, std::string_view tag) const;
  void validated(const Target& t, std::string_view tag);

  // Records that `digest` of namespace `ns` was just pulled (the LRU order of eviction).
  void touch(std::string_view ns, const content::Digest& digest);
  // `digest`, held in t.ns, answers a client: counts a hit and touches it.
  void served(const Target& t, const content::Digest& digest);

  // The manifest to answer query `q` of target `t` with (proxy/manifest_fetch.h; defined in
  // manifest_fetch.cpp): the one held, or one fetched from the upstream and stored in t.ns.
  // Storing it is an AsyncStorage::write.
  boost::asio::awaitable<ManifestOutcome> manifest(const Target& t, ManifestQuery q);

  // The size of blob `digest` as the upstream answers HEAD (a cold blob's HEAD): unknown for 404,
  // upstream for another status or no Content-Length (counted as an error).
  boost::asio::awaitable<Fetched<uint64_t>> upstream_blob_size(const Target& t,
                                                               const content::Digest& digest);

  // The fetch of blob `digest` for `t` in flight (counted as coalesced), or a new one started
  // on `executor` (counted as a miss).
  std::shared_ptr<BlobFetch> fetch(const Target& t, const content::Digest& digest,
                                   const boost::asio::any_io_executor& executor);

  // Bytes of content recorded in cache namespaces (each digest once). Blocks (walks records).
  Result<uint64_t> used_bytes();
  // Evicts until the cache is within its budget, then collects garbage. Blocks: run it off the
  // I/O threads. Returns the number of entries evicted. Concurrent calls run one at a time.
  Result<size_t> evict_to_budget();
  // Runs evict_to_budget() on the offload pool when a budget is set, without waiting for it.
  void schedule_eviction();

  // Closes the idle connections of every upstream's client (their sockets belong to the
  // server's io_context: at shutdown, before it goes).
  void close_idle_connections();

  // The figures of GET /_admin/cache. Blocks (used_bytes()).
  nlohmann::json figures();

  // The upstreams, in configuration order, with their counters (read them, e.g. for metrics).
  // Fixed at construction.
  const std::vector<std::unique_ptr<Upstream>>& upstreams() const noexcept { return upstreams_; }

 private:
  friend class BlobFetch;
  void finished(const std::string& key, const BlobFetch* fetch);
  Timestamp last_pulled(std::string_view ns, const content::Digest& d, Timestamp fallback) const;

  Storage& storage_;
  AsyncStorage& async_;
  CacheOptions options_;
  std::vector<std::unique_ptr<Upstream>> upstreams_;
  Upstream* default_ = nullptr;

  mutable std::mutex mu_;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> validated_;
  std::map<std::string, Timestamp, std::less<>> pulled_;
  std::map<std::string, std::shared_ptr<BlobFetch>, std::less<>> fetches_;

  std::mutex evict_mu_;
  std::atomic<bool> eviction_pending_{false};
};

}  // namespace cairn::proxy

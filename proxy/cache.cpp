#include "proxy/cache.h"

#include "storage/gc/collector.h"
#include "storage/metadata/paging.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace cairn::proxy {

using content::Digest;

namespace {

std::string prefix_of(std::string_view host) {
  std::string p(host);
  std::replace(p.begin(), p.end(), ':', '_');
  return p;
}

// Docker Hub names official images without "library/"; its registry wants it.
std::string remote_name(const Upstream& up, std::string_view name) {
  if (up.endpoint.host == "docker.io" && name.find('/') == std::string_view::npos)
    return "library/" + std::string(name);
  return std::string(name);
}

std::string key_of(std::string_view ns, std::string_view item) {
  std::string k(ns);
  k.push_back('\0');
  k.append(item);
  return k;
}

}  // namespace

Cache::Cache(Storage& storage, AsyncStorage& async, CacheOptions options)
    : storage_(storage), async_(async), options_(std::move(options)) {
  for (const auto& ep : options_.upstreams) {
    auto up = std::make_unique<Upstream>();
    up->endpoint = ep;
    up->prefix = prefix_of(ep.host);
    up->client = std::make_shared<upstream::Client>(ep, options_.client);
    if (ep.host == options_.default_upstream)
      default_ = up.get();
    upstreams_.push_back(std::move(up));
  }
}

Cache::~Cache() = default;

std::optional<Target> Cache::route(std::string_view name,
                                   const std::optional<std::string>& ns_param,
                                   const std::function<bool()>& has_local_content) {
  auto target = [&](Upstream& up, std::string_view repo, bool by_ns) {
    Target t;
    t.upstream = &up;
    t.remote = remote_name(up, repo);
    t.ns = up.prefix + "/" + t.remote;
    t.by_ns_param = by_ns;
    return t;
  };
  if (ns_param) {
    for (auto& up : upstreams_) {
      if (up->endpoint.host == *ns_param)
        return target(*up, name, true);
    }
    return std::nullopt;  // meant for a registry we do not mirror: local content only
  }
  const size_t slash = name.find('/');
  if (slash != std::string_view::npos) {
    const std::string_view first = name.substr(0, slash);
    for (auto& up : upstreams_) {
      if (up->prefix == first)
        return target(*up, name.substr(slash + 1), false);
    }
  }
  if (default_ && !has_local_content())
    return target(*default_, name, false);
  return std::nullopt;
}

bool Cache::is_cache_namespace(std::string_view name) const {
  const std::string_view first = name.substr(0, name.find('/'));
  if (first.size() == name.size())
    return false;
  return std::any_of(upstreams_.begin(), upstreams_.end(),
                     [&](const auto& up) { return up->prefix == first; });
}

bool Cache::fresh(const Target& t, std::string_view tag) const {
  std::lock_guard lock(mu_);
  auto it = validated_.find(key_of(t.ns, tag));
  return it != validated_.end() &&
         std::chrono::steady_clock::now() - it->second < t.upstream->endpoint.revalidate;
}

void Cache::validated(const Target& t, std::string_view tag) {
  std::lock_guard lock(mu_);
  validated_[key_of(t.ns, tag)] = std::chrono::steady_clock::now();
}

void Cache::touch(std::string_view ns, const Digest& digest) {
  const Timestamp now = storage_.clock().now();
  std::lock_guard lock(mu_);
  pulled_[key_of(ns, digest.str())] = now;
}

void Cache::served(const Target& t, const Digest& digest) {
  t.upstream->stats.add(UpstreamStats::Counter::hits);
  touch(t.ns, digest);
}

Timestamp Cache::last_pulled(std::string_view ns, const Digest& d, Timestamp fallback) const {
  std::lock_guard lock(mu_);
  auto it = pulled_.find(key_of(ns, d.str()));
  return it == pulled_.end() ? fallback : it->second;
}

std::shared_ptr<BlobFetch> Cache::fetch(const Target& t, const Digest& digest,
                                        const boost::asio::any_io_executor& executor) {
  const std::string key = key_of(t.ns, digest.str());
  std::shared_ptr<BlobFetch> f;
  {
    std::lock_guard lock(mu_);
    if (auto it = fetches_.find(key); it != fetches_.end()) {
      t.upstream->stats.add(UpstreamStats::Counter::coalesced);
      return it->second;
    }
    BlobFetch::Context ctx{async_, t.upstream->client, t.upstream->stats,
                           [this] { schedule_eviction(); }, nullptr};
    f = std::make_shared<BlobFetch>(std::move(ctx), t.remote, t.ns, digest);
    // The map holds the fetch while it runs; it removes itself when it ends.
    BlobFetch* raw = f.get();
    f->set_on_finished([this, key, raw] { finished(key, raw); });
    fetches_.emplace(key, f);
  }
  t.upstream->stats.add(UpstreamStats::Counter::misses);
  f->start(executor);
  return f;
}

boost::asio::awaitable<Fetched<uint64_t>> Cache::upstream_blob_size(const Target& t,
                                                                    const Digest& digest) {
  const std::string& host = t.upstream->endpoint.host;
  auto failed = [&](std::string what) {
    t.upstream->stats.add(UpstreamStats::Counter::errors);
    return FetchFailure{FetchFailure::Kind::upstream, "upstream " + host + ": " + what};
  };
  const std::string path = "/v2/" + t.remote + "/blobs/" + digest.str();
  auto head = co_await t.upstream->client->send("HEAD", path, {}, t.remote);
  if (!head)
    co_return failed(head.error().detail);
  if ((*head)->status == 404)
    co_return FetchFailure{FetchFailure::Kind::unknown,
                           "upstream " + host + " has no " + digest.str()};
  if ((*head)->status != 200 || !(*head)->content_length)
    co_return failed("answered " + std::to_string((*head)->status) + " to HEAD");
  co_return *(*head)->content_length;
}

void Cache::close_idle_connections() {
  for (auto& up : upstreams_)
    up->client->close_idle();
}

void Cache::finished(const std::string& key, const BlobFetch* fetch) {
  std::shared_ptr<BlobFetch> last;  // released outside the lock
  std::lock_guard lock(mu_);
  if (auto it = fetches_.find(key); it != fetches_.end() && it->second.get() == fetch) {
    last = std::move(it->second);
    fetches_.erase(it);
  }
}

namespace {

// The cache namespaces of the database: those whose first component is an upstream's prefix.
Result<std::vector<std::string>> cache_namespaces(Storage& storage, const Cache& cache) {
  std::vector<std::string> out;
  std::string last;
  for (;;) {
    auto page = storage.namespaces().list(last, 1000);
    if (!page)
      return page.error();
    for (auto& ns : page->names) {
      if (cache.is_cache_namespace(ns))
        out.push_back(ns);
    }
    if (!page->more || page->names.empty())
      break;
    last = page->names.back();
  }
  return out;
}

}  // namespace

Result<uint64_t> Cache::used_bytes() {
  auto spaces = cache_namespaces(storage_, *this);
  if (!spaces)
    return spaces.error();
  std::unordered_set<std::string> seen;
  uint64_t used = 0;
  for (const auto& ns : *spaces) {
    auto r = storage_.content().walk(metadata::Scope{ns, {}},
                                     [&](const content::Info& info) {
                                       if (seen.insert(info.digest.str()).second)
                                         used += static_cast<uint64_t>(info.size);
                                       return true;
                                     },
                                     {});
    if (!r)
      return r.error();
  }
  return used;
}

namespace {

// One unit of eviction: a manifest with the blobs only it refers to, or a lone blob.
struct Entry {
  std::string ns;
  Upstream* upstream = nullptr;
  std::optional<Digest> manifest;
  std::vector<Digest> blobs;  // blob records it would remove (not the manifest's own bytes)
  Timestamp last{};
  uint64_t bytes = 0;
};

}  // namespace

Result<size_t> Cache::evict_to_budget() {
  if (options_.max_bytes == 0)
    return size_t{0};
  std::lock_guard evicting(evict_mu_);
  auto used = used_bytes();
  if (!used)
    return used.error();
  if (*used <= options_.max_bytes)
    return size_t{0};
  auto spaces = cache_namespaces(storage_, *this);
  if (!spaces)
    return spaces.error();

  const Timestamp now = storage_.clock().now();
  std::vector<Entry> entries;
  for (const auto& ns : *spaces) {
    Upstream* up = nullptr;
    for (auto& u : upstreams_) {
      if (ns.starts_with(u->prefix + "/"))
        up = u.get();
    }
    // What leases or gc.root labels hold is never evicted (the collector's root rule, without
    // its grace: an old-enough fill is what eviction is for).
    std::set<std::string> pinned;
    auto leases = storage_.leases().list(ns);
    if (!leases)
      return leases.error();
    for (const auto& lease : *leases) {
      if (!gc::lease_live(lease.expire_at, now))
        continue;
      auto res = storage_.leases().list_resources(ns, lease.id);
      if (!res)
        return res.error();
      for (const auto& r : *res) {
        if (r.kind == metadata::ResourceKind::content)
          pinned.insert(r.id);
      }
    }
    std::map<std::string, content::Info> blobs;
    auto walked = storage_.content().walk(
        metadata::Scope{ns, {}},
        [&](const content::Info& info) {
          if (gc::is_root(info.labels, info.created_at, now, std::chrono::nanoseconds(0)))
            pinned.insert(info.digest.str());
          blobs.emplace(info.digest.str(), info);
          return true;
        },
        {});
    if (!walked)
      return walked.error();
    auto manifests = storage_.manifests().list(ns);
    if (!manifests)
      return manifests.error();
    std::map<std::string, int> refs;  // blob → manifests referring to it
    for (const auto& [d, rec] : *manifests) {
      refs[d.str()]++;
      for (const auto& c : rec.children)
        refs[c.digest.str()]++;
    }
    auto stamp = [&](const std::string& d) {
      auto it = blobs.find(d);
      Timestamp fallback = it == blobs.end() ? Timestamp{} : it->second.updated_at;
      auto digest = Digest::parse(d);
      return digest ? last_pulled(ns, *digest, fallback) : fallback;
    };
    for (const auto& [d, rec] : *manifests) {
      if (pinned.contains(d.str()))
        continue;
      Entry e{ns, up, d, {}, stamp(d.str()), static_cast<uint64_t>(rec.size)};
      for (const auto& c : rec.children) {
        const std::string cd = c.digest.str();
        auto it = blobs.find(cd);
        if (it == blobs.end() || refs[cd] != 1 || pinned.contains(cd))
          continue;
        e.blobs.push_back(c.digest);
        e.bytes += static_cast<uint64_t>(it->second.size);
        e.last = std::max(e.last, stamp(cd));
      }
      entries.push_back(std::move(e));
    }
    for (const auto& [d, info] : blobs) {
      if (refs.contains(d) || pinned.contains(d))
        continue;
      entries.push_back(
          Entry{ns, up, std::nullopt, {info.digest}, stamp(d), static_cast<uint64_t>(info.size)});
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.last < b.last; });

  size_t evicted = 0;
  uint64_t left = *used;
  for (const auto& e : entries) {
    if (left <= options_.max_bytes)
      break;
    for (const auto& d : e.blobs) {
      auto r = storage_.content().remove(metadata::Scope{e.ns, {}}, d);
      if (!r && r.error() != Errc::not_found)
        return r.error();
    }
    if (e.manifest) {
      auto r = storage_.manifests().remove(e.ns, *e.manifest);
      if (!r && r.error() != Errc::not_found)
        return r.error();
    }
    {
      std::lock_guard lock(mu_);  // forget when they were pulled: they are gone
      for (const auto& d : e.blobs)
        pulled_.erase(key_of(e.ns, d.str()));
      if (e.manifest)
        pulled_.erase(key_of(e.ns, e.manifest->str()));
    }
    left = e.bytes >= left ? 0 : left - e.bytes;
    ++evicted;
    if (e.upstream)
      e.upstream->stats.add(UpstreamStats::Counter::evictions);
  }
  if (evicted > 0) {
    // The files go with the GC, which deletes only what no namespace records.
    if (auto r = storage_.collector().collect(); !r)
      return r.error();
  }
  return evicted;
}

void Cache::schedule_eviction() {
  if (options_.max_bytes == 0 || eviction_pending_.exchange(true))
    return;
  async_.post([this] {
    eviction_pending_ = false;
    (void)evict_to_budget();
  });
}

nlohmann::json Cache::figures() {
  nlohmann::json ups = nlohmann::json::array();
  size_t in_flight = 0;
  {
    std::lock_guard lock(mu_);
    in_flight = fetches_.size();
  }
  uint64_t total_evictions = 0;
  for (const auto& up : upstreams_) {
    const auto& s = up->stats;
    total_evictions += s.get(UpstreamStats::Counter::evictions);
    ups.push_back({{"host", up->endpoint.host},
                   {"url", up->endpoint.url},
                   {"namespace_prefix", up->prefix},
                   {"default", up.get() == default_},
                   {"hits", s.get(UpstreamStats::Counter::hits)},
                   {"misses", s.get(UpstreamStats::Counter::misses)},
                   {"upstream_bytes", s.get(UpstreamStats::Counter::upstream_bytes)},
                   {"coalesced_waiters", s.get(UpstreamStats::Counter::coalesced)},
                   {"revalidations", s.get(UpstreamStats::Counter::revalidations)},
                   {"stale_served", s.get(UpstreamStats::Counter::stale)},
                   {"errors", s.get(UpstreamStats::Counter::errors)},
                   {"evictions", s.get(UpstreamStats::Counter::evictions)}});
  }
  // Per upstream bytes: each cache namespace's records, each digest once per upstream.
  auto spaces = cache_namespaces(storage_, *this);
  uint64_t used_total = 0;
  std::unordered_set<std::string> seen_all;
  if (spaces) {
    for (size_t i = 0; i < upstreams_.size(); ++i) {
      std::unordered_set<std::string> seen;
      uint64_t used = 0;
      for (const auto& ns : *spaces) {
        if (!ns.starts_with(upstreams_[i]->prefix + "/"))
          continue;
        (void)storage_.content().walk(metadata::Scope{ns, {}},
                                      [&](const content::Info& info) {
                                        const std::string d = info.digest.str();
                                        if (seen.insert(d).second)
                                          used += static_cast<uint64_t>(info.size);
                                        if (seen_all.insert(d).second)
                                          used_total += static_cast<uint64_t>(info.size);
                                        return true;
                                      },
                                      {});
      }
      ups[i]["bytes_used"] = used;
    }
  }
  return {{"upstreams", ups},
          {"bytes_used", used_total},
          {"max_bytes", options_.max_bytes},
          {"fetches_in_flight", in_flight},
          {"evictions", total_evictions}};
}

}  // namespace cairn::proxy

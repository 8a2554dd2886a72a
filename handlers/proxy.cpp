#include "handlers/proxy.h"

#include "handlers/blobs.h"
#include "handlers/errors.h"

#include <boost/asio/this_coro.hpp>

namespace cairn::handlers {

using server::Request;
using server::Response;

namespace {

// What a client may take, forwarded upstream: every Accept header it sent, merged (podman
// sends six); when it names no manifest type (none, or "*/*" as curl sends), every type we
// store — upstreams answer only the types a client names.
std::string accept_of(const Request& req) {
  constexpr std::string_view kTypes[] = {kOciManifest, kOciIndex, kDockerManifest,
                                         kDockerManifestList};
  std::string merged;
  bool names_one = false;
  for (auto v : req.header_values("accept")) {
    if (v.empty())
      continue;
    if (!merged.empty())
      merged += ", ";
    merged += v;
    for (auto type : kTypes)
      names_one = names_one || v.find(type) != std::string_view::npos;
  }
  if (!names_one) {
    for (auto type : kTypes) {
      if (!merged.empty())
        merged += ", ";
      merged += type;
    }
  }
  return merged;
}

std::string_view media_type_of(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ')
    content_type.remove_suffix(1);
  return content_type;
}

// UPSTREAM_FAILED: the upstream could not give what was asked (the message says why).
OciError upstream_error(const proxy::Target& t, std::string_view what) {
  t.upstream->stats.add(proxy::UpstreamStats::Counter::errors);
  return OciError(ErrorCode::upstream_failed,
                  "upstream " + t.upstream->endpoint.host + ": " + std::string(what));
}

// The upstream's answer says it is down for now: serve what is cached instead.
bool unavailable(const Result<std::unique_ptr<upstream::Reply>>& r) {
  return !r || (*r)->status >= 500 || (*r)->status == 429;
}

Response stale(Response cached, const proxy::Target& t) {
  t.upstream->stats.add(proxy::UpstreamStats::Counter::stale);
  cached.set("warning", "110 - \"Response is Stale\"");
  return cached;
}

boost::asio::awaitable<Answer> manifest_through(Api& api, Request& req, const proxy::Target& t,
                                                const Reference& ref) {
  proxy::Cache& cache = *api.cache;
  proxy::UpstreamStats& stats = t.upstream->stats;
  upstream::Client& client = *t.upstream->client;
  const std::string* tag = std::get_if<std::string>(&ref);

  const std::string accept = accept_of(req);
  Answer local = cached_manifest(api, req, t.ns, ref);
  std::optional<Response> cached;
  // A cached manifest of a type this client does not take (it named others) is not an answer
  // for it: the upstream is asked for one it does take, as if nothing were cached. Any error
  // reading it (unknown, or the store failing) asks the upstream too.
  if (local && accept.find(media_type_of(local->header("content-type"))) != std::string::npos) {
    cached = std::move(*local);
  }
  auto hit = [&]() {
    stats.add(proxy::UpstreamStats::Counter::hits);
    if (auto d = content::Digest::parse(cached->header("docker-content-digest")))
      cache.touch(t.ns, *d);
    return std::move(*cached);
  };
  if (cached && (!tag || cache.fresh(t, *tag)))
    co_return hit();

  const std::string path =
      "/v2/" + t.remote + "/manifests/" + (tag ? *tag : std::get<content::Digest>(ref).str());
  const upstream::Headers headers{{"accept", accept}};
  if (cached) {
    // A tag cached a while ago: the upstream says whether it still names the same manifest.
    stats.add(proxy::UpstreamStats::Counter::revalidations);
    auto head = co_await client.send("HEAD", path, headers, t.remote);
    if (unavailable(head))
      co_return stale(std::move(*cached), t);
    if ((*head)->status == 200 &&
        (*head)->header("docker-content-digest") == cached->header("docker-content-digest")) {
      cache.validated(t, *tag);
      co_return hit();
    }
  }
  auto got = co_await client.send("GET", path, headers, t.remote);
  if (unavailable(got)) {
    if (cached)
      co_return stale(std::move(*cached), t);
    co_return upstream_error(
        t, got ? "answered " + std::to_string((*got)->status) : got.error().detail);
  }
  upstream::Reply& reply = **got;
  if (reply.status == 404 || reply.status == 401 || reply.status == 403) {
    co_return OciError(ErrorCode::manifest_unknown,
                       "upstream " + t.upstream->endpoint.host + " answered " +
                           std::to_string(reply.status) + " for " + t.remote + ":" +
                           path.substr(path.rfind('/') + 1));
  }
  if (reply.status != 200)
    co_return upstream_error(t, "answered " + std::to_string(reply.status));
  auto body = co_await reply.read_all(api.options.max_manifest_bytes);
  if (!body) {
    if (cached)
      co_return stale(std::move(*cached), t);
    co_return upstream_error(t, body.error().detail);
  }
  const auto* by_digest = std::get_if<content::Digest>(&ref);
  const content::Digest digest =
      content::digest_of(*body, by_digest ? by_digest->algorithm() : content::Algorithm::sha256);
  if (by_digest && digest != *by_digest)
    co_return upstream_error(
        t, "sent a manifest that hashes to " + digest.str() + ", not " + by_digest->str());
  auto parsed = parse_manifest(*body, media_type_of(reply.header("content-type")));
  if (!parsed)
    co_return upstream_error(t, "sent an invalid manifest: " + parsed.error().detail);
  stats.add(proxy::UpstreamStats::Counter::misses);
  stats.add(proxy::UpstreamStats::Counter::upstream_bytes, body->size());
  const metadata::Scope scope{t.ns, {}};
  const auto tags = tag ? std::span<const std::string>(tag, 1) : std::span<const std::string>();
  auto stored = co_await api.offload.run(
      [&] { return record_manifest(api, scope, digest, *body, *parsed, tags); });
  if (!stored)
    co_return from_error(stored.error(), Resource::manifest);
  stats.add(proxy::UpstreamStats::Counter::fills);
  if (tag)
    cache.validated(t, *tag);
  cache.touch(t.ns, digest);
  cache.schedule_eviction();
  co_return cached_manifest(api, req, t.ns, Reference(digest));
}

// The answer from the store when the cache namespace has the blob (or an error reading it);
// nullopt when it does not.
std::optional<Answer> blob_from_store(Api& api, const Request& req, const proxy::Target& t,
                                      const content::Digest& digest) {
  Answer res = stored_blob(api, req, {t.ns, {}}, digest);
  if (!res && res.error().is_unknown())
    return std::nullopt;
  if (res) {
    t.upstream->stats.add(proxy::UpstreamStats::Counter::hits);
    api.cache->touch(t.ns, digest);
  }
  return res;
}

// A blob on its way: answered from the fetch's ingest as it grows.
Answer follow(const Request& req, const std::shared_ptr<proxy::BlobFetch>& fetch, uint64_t total) {
  server::FileRange file;
  file.fd = fetch->fd();
  file.length = total;
  file.owner = fetch;
  file.feed = fetch;
  return serve_file(req, std::move(file), fetch->digest(), "application/octet-stream");
}

boost::asio::awaitable<Answer> blob_through(Api& api, Request& req, const proxy::Target& t,
                                            const content::Digest& digest) {
  auto stored = blob_from_store(api, req, t, digest);
  if (stored)
    co_return std::move(*stored);
  // The shared store may hold it already (pushed, or cached for another repository).
  const metadata::Scope scope{t.ns, {}};
  auto mounted =
      co_await api.offload.run([&] { return api.storage.content().mount(scope, digest); });
  if (mounted) {
    stored = blob_from_store(api, req, t, digest);
    if (stored)
      co_return std::move(*stored);
  }
  const std::string path = "/v2/" + t.remote + "/blobs/" + digest.str();
  if (req.method == "HEAD") {
    auto head = co_await t.upstream->client->send("HEAD", path, {}, t.remote);
    if (!head)
      co_return upstream_error(t, head.error().detail);
    if ((*head)->status == 404)
      co_return OciError(ErrorCode::blob_unknown,
                         "upstream " + t.upstream->endpoint.host + " has no " + digest.str());
    if ((*head)->status != 200 || !(*head)->content_length)
      co_return upstream_error(t, "answered " + std::to_string((*head)->status) + " to HEAD");
    co_return blob_head(digest, *(*head)->content_length);
  }
  bool joined = false;
  const auto executor = co_await boost::asio::this_coro::executor;
  auto fetch = api.cache->fetch(t, digest, executor, joined);
  t.upstream->stats.add(joined ? proxy::UpstreamStats::Counter::coalesced
                               : proxy::UpstreamStats::Counter::misses);
  auto progress = co_await fetch->wait_started();
  switch (progress.state) {
    case proxy::BlobFetch::State::done: {
      stored = blob_from_store(api, req, t, digest);
      if (stored)
        co_return std::move(*stored);
      co_return OciError(ErrorCode::unknown, "the fetched blob vanished");
    }
    case proxy::BlobFetch::State::failed:
      switch (progress.failure) {
        case proxy::BlobFetch::Failure::unknown:
          co_return OciError(ErrorCode::blob_unknown, progress.error);
        case proxy::BlobFetch::Failure::storage:
          // A full disk: the one table's answer (507, Retry-After). Anything else: the cache
          // cannot store it now, retry.
          if (progress.storage_error == Errc::no_space)
            co_return from_error(fail(Errc::no_space, progress.error), Resource::blob);
          co_return OciError(ErrorCode::unavailable, progress.error);
        default:
          co_return OciError(ErrorCode::upstream_failed, progress.error);
      }
    default:
      break;
  }
  api.cache->touch(t.ns, digest);
  co_return follow(req, fetch, progress.total);
}

Answer tagged(Answer res, const proxy::Target& t) {
  if (!t.by_ns_param)
    return res;
  const std::string& host = t.upstream->endpoint.host;
  if (!res)
    return std::move(res).error().with_header("oci-namespace", host);
  res->set("oci-namespace", host);
  return res;
}

}  // namespace

std::optional<proxy::Target> proxy_target(Api& api, const Request& req, const std::string& name) {
  if (!api.cache)
    return std::nullopt;
  return api.cache->route(name, req.query_value("ns"), [&] {
    auto exists = api.storage.namespaces().exists(name);
    return !exists || *exists;
  });
}

boost::asio::awaitable<Answer> proxied_manifest(Api& api, Request& req, const proxy::Target& target,
                                                const Reference& ref) {
  co_return tagged(co_await manifest_through(api, req, target, ref), target);
}

boost::asio::awaitable<Answer> proxied_blob(Api& api, Request& req, const proxy::Target& target,
                                            const content::Digest& digest) {
  co_return tagged(co_await blob_through(api, req, target, digest), target);
}

boost::asio::awaitable<Answer> cache_figures(Api& api, Request&) {
  if (!api.cache)
    co_return OciError(ErrorCode::not_found, "no upstreams are configured: there is no cache");
  auto figures = co_await api.offload.run([&] { return api.cache->figures().dump(); });
  Response res;
  res.set("content-type", "application/json");
  res.body = std::move(figures);
  co_return res;
}

}  // namespace cairn::handlers

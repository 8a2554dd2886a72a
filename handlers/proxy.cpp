#include "handlers/proxy.h"

#include "handlers/blobs.h"
#include "handlers/errors.h"
#include "oci/manifest_parser.h"

#include <boost/asio/this_coro.hpp>

namespace cairn::handlers {

using server::Request;
using server::Response;

namespace {

// What a client may take, forwarded upstream: every Accept header it sent, merged (podman
// sends six); when it names no manifest type (none, or "*/*" as curl sends), every type we
// store — upstreams answer only the types a client names.
std::string accept_of(const Request& req) {
  constexpr std::string_view kTypes[] = {oci::kOciManifest, oci::kOciIndex, oci::kDockerManifest,
                                         oci::kDockerManifestList};
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

// A failure of the cache to fetch from its upstream: MANIFEST_UNKNOWN or BLOB_UNKNOWN when the
// upstream lacks it, else UPSTREAM_FAILED, or the store's error.
OciError fetch_error(const proxy::FetchFailure& f, Resource resource) {
  switch (f.kind) {
    case proxy::FetchFailure::Kind::unknown:
      return OciError(
          resource == Resource::blob ? ErrorCode::blob_unknown : ErrorCode::manifest_unknown,
          f.detail);
    case proxy::FetchFailure::Kind::storage:
      return from_error(fail(f.storage_error, f.detail), resource);
    default:
      return OciError(ErrorCode::upstream_failed, f.detail);
  }
}

// The manifest through the cache (proxy::Cache::manifest): this side reads what the cache
// namespace holds and renders the outcome.
boost::asio::awaitable<Answer> manifest_through(Api& api, Request& req, const proxy::Target& t,
                                                const Reference& ref) {
  // What the cache namespace holds, answered as it would be. Any error reading it (unknown, or
  // the store failing) leaves nothing held: the upstream is asked.
  std::optional<Response> local;
  proxy::ManifestQuery query{ref, accept_of(req), std::nullopt, api.options.max_manifest_bytes};
  co_await api.storage.lookup([&](Storage& s) {
    if (auto found = find_manifest(s, t.ns, ref)) {
      auto& [digest, record] = *found;
      if (Answer held = manifest_answer(s, api.offload, req, t.ns, digest, record)) {
        local = std::move(*held);
        query.held = proxy::HeldManifest{digest, record.media_type};
      }
    }
  });
  auto outcome = co_await api.cache->manifest(t, std::move(query));
  if (!outcome)
    co_return fetch_error(outcome.error(), Resource::manifest);
  switch (outcome->source) {
    case proxy::ManifestServed::Source::fetched:
      co_return co_await api.storage.lookup([&](Storage& s) {
        return cached_manifest(s, api.offload, req, t.ns, Reference(outcome->digest));
      });
    case proxy::ManifestServed::Source::stale:
      local->set("warning", "110 - \"Response is Stale\"");
      co_return std::move(*local);
    default:
      co_return std::move(*local);
  }
}

// The answer from the store when the cache namespace has the blob (or an error reading it);
// nullopt when it does not.
boost::asio::awaitable<std::optional<Answer>> blob_from_store(Api& api, const Request& req,
                                                              const proxy::Target& t,
                                                              const content::Digest& digest) {
  Answer res = co_await api.storage.lookup([&](Storage& s) {
    return stored_blob(s, api.offload, req, {t.ns, {}}, digest);
  });
  if (!res && res.error().is_unknown())
    co_return std::nullopt;
  if (res)
    api.cache->served(t, digest);
  co_return res;
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
  auto stored = co_await blob_from_store(api, req, t, digest);
  if (stored)
    co_return std::move(*stored);
  // The shared store may hold it already (pushed, or cached for another repository).
  const metadata::Scope scope{t.ns, {}};
  auto mounted =
      co_await api.storage.write([&](Storage& s) { return s.content().mount(scope, digest); });
  if (mounted) {
    stored = co_await blob_from_store(api, req, t, digest);
    if (stored)
      co_return std::move(*stored);
  }
  if (req.method == "HEAD") {
    auto size = co_await api.cache->upstream_blob_size(t, digest);
    if (!size)
      co_return fetch_error(size.error(), Resource::blob);
    co_return blob_head(digest, *size);
  }
  const auto executor = co_await boost::asio::this_coro::executor;
  auto fetch = api.cache->fetch(t, digest, executor);
  auto progress = co_await fetch->wait_started();
  switch (progress.state) {
    case proxy::BlobFetch::State::done: {
      stored = co_await blob_from_store(api, req, t, digest);
      if (stored)
        co_return std::move(*stored);
      co_return OciError(ErrorCode::unknown, "the fetched blob vanished");
    }
    case proxy::BlobFetch::State::failed:
      // Storing the fill failed for another reason than a full disk (507, Retry-After): the
      // cache cannot store it now, retry.
      if (progress.failure.kind == proxy::FetchFailure::Kind::storage &&
          progress.failure.storage_error != Errc::no_space)
        co_return OciError(ErrorCode::unavailable, progress.failure.detail);
      co_return fetch_error(progress.failure, Resource::blob);
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

boost::asio::awaitable<std::optional<proxy::Target>> proxy_target(Api& api, const Request& req,
                                                                  const std::string& name) {
  if (!api.cache)
    co_return std::nullopt;
  co_return co_await api.storage.lookup([&](Storage& s) {
    return api.cache->route(name, req.query_value("ns"), [&] {
      auto exists = s.namespaces().exists(name);
      return !exists || *exists;
    });
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
  // The figures walk the cache namespaces' records.
  auto figures = co_await api.storage.scan([&] { return api.cache->figures().dump(); });
  Response res;
  res.set("content-type", "application/json");
  res.body = std::move(figures);
  co_return res;
}

}  // namespace cairn::handlers

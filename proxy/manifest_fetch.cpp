// Cache::manifest (proxy/manifest_fetch.h): a manifest through the cache.
#include "proxy/manifest_fetch.h"

#include "oci/manifest_parser.h"
#include "oci/record_manifest.h"
#include "proxy/cache.h"
#include "upstream/client.h"

#include <span>

namespace cairn::proxy {

namespace {

using Source = ManifestServed::Source;
using Kind = FetchFailure::Kind;

// The upstream's answer says it is down for now: serve what is cached instead.
bool unavailable(const Result<std::unique_ptr<upstream::Reply>>& r) {
  return !r || (*r)->status >= 500 || (*r)->status == 429;
}

}  // namespace

boost::asio::awaitable<ManifestOutcome> Cache::manifest(const Target& t, ManifestQuery q) {
  UpstreamStats& stats = t.upstream->stats;
  upstream::Client& client = *t.upstream->client;
  const std::string* tag = std::get_if<std::string>(&q.ref);
  const auto* by_digest = std::get_if<content::Digest>(&q.ref);

  // A held manifest of a type this client does not take (it named others) is not an answer for
  // it: the upstream is asked for one it does take, as if nothing were cached.
  std::optional<HeldManifest> cached;
  if (q.held && q.accept.find(q.held->media_type) != std::string::npos)
    cached = std::move(q.held);
  auto hit = [&](Source source) {
    served(t, cached->digest);
    return ManifestServed{source, cached->digest};
  };
  auto stale = [&]() {
    stats.add(UpstreamStats::Counter::stale);
    return ManifestServed{Source::stale, cached->digest};
  };
  // The upstream failed to give what was asked (the detail says why): counted as an error.
  auto upstream_failed = [&](std::string_view what) {
    stats.add(UpstreamStats::Counter::errors);
    return FetchFailure{Kind::upstream,
                        "upstream " + t.upstream->endpoint.host + ": " + std::string(what)};
  };
  if (cached && (!tag || fresh(t, *tag)))
    co_return hit(Source::cache);

  const std::string reference = tag ? *tag : by_digest->str();
  const std::string path = "/v2/" + t.remote + "/manifests/" + reference;
  const upstream::Headers headers{{"accept", q.accept}};
  if (cached) {
    // A tag cached a while ago: the upstream says whether it still names the same manifest.
    stats.add(UpstreamStats::Counter::revalidations);
    auto head = co_await client.send("HEAD", path, headers, t.remote);
    if (unavailable(head))
      co_return stale();
    if ((*head)->status == 200 &&
        (*head)->header("docker-content-digest") == cached->digest.str()) {
      validated(t, *tag);
      co_return hit(Source::revalidated);
    }
  }
  auto got = co_await client.send("GET", path, headers, t.remote);
  if (unavailable(got)) {
    if (cached)
      co_return stale();
    co_return upstream_failed(got ? "answered " + std::to_string((*got)->status)
                                  : got.error().detail);
  }
  upstream::Reply& reply = **got;
  if (reply.status == 404 || reply.status == 401 || reply.status == 403) {
    co_return FetchFailure{Kind::unknown, "upstream " + t.upstream->endpoint.host + " answered " +
                                              std::to_string(reply.status) + " for " + t.remote +
                                              ":" + reference};
  }
  if (reply.status != 200)
    co_return upstream_failed("answered " + std::to_string(reply.status));
  auto body = co_await reply.read_all(q.max_bytes);
  if (!body) {
    if (cached)
      co_return stale();
    co_return upstream_failed(body.error().detail);
  }
  const content::Digest digest =
      content::digest_of(*body, by_digest ? by_digest->algorithm() : content::Algorithm::sha256);
  if (by_digest && digest != *by_digest) {
    co_return upstream_failed("sent a manifest that hashes to " + digest.str() + ", not " +
                              by_digest->str());
  }
  auto parsed = oci::parse_manifest(*body, reply.header("content-type"));
  if (!parsed)
    co_return upstream_failed("sent an invalid manifest: " + parsed.error().detail);
  stats.add(UpstreamStats::Counter::misses);
  stats.add(UpstreamStats::Counter::upstream_bytes, body->size());
  const metadata::Scope scope{t.ns, {}};
  const auto tags = tag ? std::span<const std::string>(tag, 1) : std::span<const std::string>();
  auto stored = co_await async_.write(
      [&](Storage& s) { return oci::record_manifest(s, scope, digest, *body, *parsed, tags); });
  if (!stored)
    co_return FetchFailure{Kind::storage, stored.error().detail, stored.error().code};
  stats.add(UpstreamStats::Counter::fills);
  if (tag)
    validated(t, *tag);
  touch(t.ns, digest);
  schedule_eviction();
  co_return ManifestServed{Source::fetched, digest};
}

}  // namespace cairn::proxy

#include "handlers/params.h"

#include "handlers/errors.h"
#include "proxy/cache.h"
#include "storage/metadata/names.h"
#include "upstream/url.h"

#include <algorithm>
#include <charconv>

namespace cairn::handlers {

Checked<std::string> repository(const server::Request& req) {
  std::string name(req.param("name"));
  if (auto ok = metadata::validate_repository_name(name); !ok) {
    return OciError(ErrorCode::name_invalid, ok.error().detail);
  }
  return name;
}

Checked<BlobTarget> blob_target(const server::Request& req) {
  auto name = repository(req);
  if (!name)
    return name.error();
  auto digest = digest_param(req, "digest");
  if (!digest)
    return digest.error();
  return BlobTarget{std::move(*name), std::move(*digest)};
}

Checked<content::Digest> digest_param(const server::Request& req, std::string_view param) {
  auto d = content::Digest::parse(req.param(param));
  if (!d)
    return OciError(ErrorCode::digest_invalid, d.error().detail);
  return *d;
}

Checked<std::optional<content::Digest>> digest_query(const server::Request& req,
                                                     std::string_view key) {
  auto v = req.query_value(key);
  if (!v)
    return std::optional<content::Digest>();
  auto d = content::Digest::parse(*v);
  if (!d)
    return OciError(ErrorCode::digest_invalid, d.error().detail);
  return std::optional<content::Digest>(*d);
}

boost::asio::awaitable<Checked<metadata::Scope>> scope_of(Api& api, const server::Request& req,
                                                          const std::string& name) {
  if (api.cache && api.cache->is_cache_namespace(name)) {
    co_return OciError(ErrorCode::unsupported,
                       name + " is a namespace of the pull-through cache: it cannot be written to");
  }
  metadata::Scope scope{name, {}};
  std::string_view lease = req.header(kLeaseHeader);
  if (lease.empty())
    co_return scope;
  if (auto ok = metadata::validate_lease_id(lease); !ok) {
    co_return OciError(ErrorCode::lease_invalid, ok.error().detail);
  }
  auto found = co_await api.storage.lookup([&](Storage& s) { return s.leases().get(name, lease); });
  if (!found) {
    if (found.error() == Errc::not_found) {
      co_return OciError(ErrorCode::lease_unknown,
                         "no lease " + std::string(lease) + " in " + name);
    }
    co_return from_error(found.error(), Resource::lease);
  }
  const Timestamp now = api.storage.peek([](Storage& s) { return s.clock().now(); });
  if (found->expire_at && *found->expire_at <= now) {
    co_return OciError(ErrorCode::lease_unknown, "lease " + std::string(lease) + " has expired");
  }
  scope.lease = std::string(lease);
  co_return scope;
}

Checked<Paging> paging(const server::Request& req, size_t max_page) {
  Paging p;
  p.n = max_page;
  if (auto n = req.query_value("n")) {
    const bool digits = !n->empty() && n->find_first_not_of("0123456789") == std::string::npos;
    if (!digits)
      return OciError(ErrorCode::pagination_number_invalid, "n must be a non-negative number");
    size_t value = 0;
    auto [ptr, ec] = std::from_chars(n->data(), n->data() + n->size(), value);
    p.n = ec == std::errc() ? std::min(value, max_page) : max_page;  // too large: clamped
  }
  if (auto last = req.query_value("last"))
    p.last = *last;
  return p;
}

std::string query_escape(std::string_view in) {
  return upstream::url_encode(in, ":");  // digests stay readable in Link headers
}

std::string next_link(std::string_view path, size_t n, std::string_view last,
                      std::string_view extra) {
  std::string query = "n=" + std::to_string(n) + "&last=" + query_escape(last);
  if (!extra.empty())
    query += "&" + std::string(extra);
  return "<" + std::string(path) + "?" + query + ">; rel=\"next\"";
}

}  // namespace cairn::handlers

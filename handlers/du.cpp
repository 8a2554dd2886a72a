#include "handlers/du.h"

#include "handlers/errors.h"
#include "handlers/json_views.h"
#include "proxy/cache.h"
#include "storage/usage.h"

namespace cairn::handlers {
namespace {

nlohmann::json count_json(const UsageCount& c) {
  return {{"count", c.count}, {"bytes", c.bytes}};
}

}  // namespace

nlohmann::json usage_json(const Usage& u) {
  nlohmann::json namespaces = nlohmann::json::array();
  for (const NamespaceUsage& n : u.namespaces) {
    namespaces.push_back({{"name", n.name},
                          {"kind", n.cache ? "cache" : "pushed"},
                          {"blobs", count_json(n.blobs)},
                          {"unique", count_json(n.unique)},
                          {"shared", count_json(n.shared)},
                          {"manifests", n.manifests},
                          {"tags", n.tags},
                          {"ingests", count_json(n.ingests)}});
  }
  return {{"namespaces", std::move(namespaces)},
          {"totals",
           {{"all", count_json(u.all)},
            {"pushed", count_json(u.pushed)},
            {"cache", count_json(u.cache)},
            {"shared", count_json(u.shared)},
            {"referencedBytes", u.referenced_bytes},
            {"files", count_json(u.files)},
            {"ingests", count_json(u.ingests)}}}};
}

boost::asio::awaitable<Answer> disk_usage(Api& api, server::Request&) {
  UsageOptions options;
  if (api.cache != nullptr) {
    proxy::Cache* cache = api.cache;
    options.is_cache = [cache](std::string_view ns) { return cache->is_cache_namespace(ns); };
  }
  auto usage = co_await api.storage.scan([&](Storage& s) { return compute_usage(s, options); });
  if (!usage)
    co_return from_error(usage.error(), Resource::other);
  co_return json_response(usage_json(*usage));
}

}  // namespace cairn::handlers

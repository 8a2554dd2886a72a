#include "handlers/quota.h"

#include "handlers/errors.h"
#include "handlers/json_views.h"
#include "handlers/params.h"

namespace cairn::handlers {

bool has_quota(Api& api, std::string_view ns) {
  return api.storage.peek([&](Storage& s) { return s.quotas().policy().rule_for(ns) != nullptr; });
}

Result<void> admit_quota(Storage& storage, const metadata::Scope& scope, int64_t total,
                         const std::optional<content::Digest>& digest) {
  bool held = false;
  if (digest) {
    auto exists = storage.content().exists(scope, *digest);
    if (!exists)
      return exists.error();
    held = *exists;
  }
  return storage.quotas().admit(scope.ns, total, held);
}

boost::asio::awaitable<Answer> get_quota(Api& api, server::Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  // The first question about a namespace scans its blob records (Usage::bytes).
  auto st = co_await api.storage.scan([&](Storage& s) { return s.quotas().status(*name); });
  if (!st)
    co_return from_error(st.error(), Resource::repository);
  nlohmann::json j = {
      {"repository", *name}, {"usedBytes", st->used}, {"limitBytes", nullptr}, {"rule", nullptr}};
  if (st->limit) {
    j["limitBytes"] = *st->limit;
    j["rule"] = st->rule;
  }
  co_return json_response(j);
}

}  // namespace cairn::handlers

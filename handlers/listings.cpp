#include "handlers/listings.h"

#include "handlers/auth.h"
#include "handlers/errors.h"
#include "handlers/params.h"
#include "storage/metadata/names.h"

#include <nlohmann/json.hpp>

namespace cairn::handlers {

using server::Request;
using server::Response;

namespace {

using Lister = std::function<Result<metadata::NamePage>(std::string_view last, size_t n)>;

// Runs one paged listing (`list` is called with n > 0 only: never storage's kNoLimit) and renders
// it as {<extra>..., <key>: [names]} with a Link header.
Answer page(const Paging& paging, std::string_view path, std::string_view key, nlohmann::json body,
            const Lister& list) {
  metadata::NamePage names;
  if (paging.n > 0) {
    auto listed = list(paging.last, paging.n);
    if (!listed)
      return from_error(listed.error(), Resource::repository);
    names = std::move(*listed);
  }
  body[std::string(key)] = names.names;
  Response res;
  res.body = body.dump();
  res.set("content-type", "application/json");
  if (names.more && !names.names.empty())
    res.set("link", next_link(path, paging.n, names.names.back()));
  return res;
}

}  // namespace

boost::asio::awaitable<Answer> list_tags(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto paging_ = paging(req, api.options.max_page);
  if (!paging_)
    co_return paging_.error();
  if (!paging_->last.empty() && !metadata::is_valid_tag(paging_->last))
    co_return OciError(ErrorCode::tag_invalid, "last is not a valid tag: " + paging_->last);
  auto exists = api.storage.namespaces().exists(*name);
  if (!exists)
    co_return from_error(exists.error(), Resource::repository);
  if (!*exists)
    co_return OciError(ErrorCode::name_unknown, "repository " + *name + " is not known");
  co_return page(
      *paging_, "/v2/" + *name + "/tags/list", "tags", {{"name", *name}},
      [&](std::string_view last, size_t n) { return api.storage.tags().list(*name, last, n); });
}

boost::asio::awaitable<Answer> list_repositories(Api& api, Request& req) {
  auto paging_ = paging(req, api.options.max_page);
  if (!paging_)
    co_return paging_.error();
  if (!paging_->last.empty() && !metadata::is_valid_repository_name(paging_->last)) {
    co_return OciError(ErrorCode::name_invalid,
                       "last is not a valid repository name: " + paging_->last);
  }
  // Only namespaces holding content (a bare upload or a lease makes no repository) and, with
  // authentication on, only those the caller may pull (handlers/auth.h), n of them per page.
  constexpr auto kHolding = metadata::NamespaceStore::Holding::content;
  co_return page(*paging_, "/v2/_catalog", "repositories", nlohmann::json::object(),
                 [&](std::string_view last, size_t n) -> Result<metadata::NamePage> {
                   if (api.auth == nullptr)
                     return api.storage.namespaces().list(last, n, kHolding);
                   metadata::NamePage out;
                   std::string after(last);
                   while (true) {
                     auto listed = api.storage.namespaces().list(after, n, kHolding);
                     if (!listed)
                       return listed.error();
                     for (auto& repo : listed->names) {
                       if (out.names.size() < n && may_list(api, req, repo))
                         out.names.push_back(repo);
                     }
                     const bool full = out.names.size() >= n;
                     out.more = listed->more || full;
                     if (!listed->more || listed->names.empty() || full)
                       return out;
                     after = listed->names.back();
                   }
                 });
}

}  // namespace cairn::handlers

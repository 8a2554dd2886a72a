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
  const std::string resume =
      !names.resume.empty() ? names.resume : (names.names.empty() ? "" : names.names.back());
  if (names.more && !resume.empty())
    res.set("link", next_link(path, paging.n, resume));
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
  // LevelDB reads that grow with the data.
  co_return co_await api.storage.scan([&](Storage& s) -> Answer {
    auto exists = s.namespaces().exists(*name);
    if (!exists)
      return from_error(exists.error(), Resource::repository);
    if (!*exists)
      return OciError(ErrorCode::name_unknown, "repository " + *name + " is not known");
    return page(*paging_, "/v2/" + *name + "/tags/list", "tags", {{"name", *name}},
                [&](std::string_view last, size_t n) { return s.tags().list(*name, last, n); });
  });
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
  // With authentication on, the namespaces the caller may not see are skipped, visiting up to
  // max_catalog_visits of them per page: a caller who may see few of many still gets an answer
  // promptly (perhaps short, with a Link that resumes after the last name visited).
  auto lister = [&](Storage& s, std::string_view last, size_t n) -> Result<metadata::NamePage> {
    if (api.auth == nullptr)
      return s.namespaces().list(last, n, kHolding);
    metadata::NamePage out;
    std::string after(last);
    size_t visited = 0;
    while (true) {
      auto listed = s.namespaces().list(after, n, kHolding);
      if (!listed)
        return listed.error();
      for (auto& repo : listed->names) {
        if (out.names.size() < n && may_list(api, req, repo))
          out.names.push_back(repo);
      }
      visited += listed->names.size();
      const bool full = out.names.size() >= n;
      out.more = listed->more || full;
      if (!listed->more || listed->names.empty() || full)
        return out;
      after = listed->names.back();
      if (visited >= api.options.max_catalog_visits) {
        out.resume = after;
        return out;
      }
    }
  };
  // LevelDB reads that grow with the data.
  co_return co_await api.storage.scan([&](Storage& s) -> Answer {
    return page(*paging_, "/v2/_catalog", "repositories", nlohmann::json::object(),
                [&](std::string_view last, size_t n) { return lister(s, last, n); });
  });
}

}  // namespace cairn::handlers

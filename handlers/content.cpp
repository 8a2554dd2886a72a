#include "handlers/content.h"

#include "handlers/errors.h"
#include "handlers/json_views.h"
#include "handlers/params.h"
#include "handlers/upload_sessions.h"
#include "storage/content/local_store.h"

namespace cairn::handlers {

using server::Request;
using server::Response;

namespace {

// ?fieldpaths=labels.a,labels.b (also repeated) as a list; empty when absent.
std::vector<std::string> fieldpaths_of(const Request& req) {
  std::vector<std::string> out;
  for (const std::string& v : req.query_values("fieldpaths")) {
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      std::string part = v.substr(start, comma == std::string::npos ? comma : comma - start);
      if (!part.empty())
        out.push_back(std::move(part));
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
  }
  return out;
}

Checked<std::string> ingest_ref(const Request& req) {
  std::string ref(req.param("ref"));
  if (!content::validate_ref(ref))
    return OciError(ErrorCode::blob_upload_unknown, "no such ingest");
  return ref;
}

}  // namespace

boost::asio::awaitable<Answer> list_blob_infos(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto paging_ = paging(req, api.options.max_page);
  if (!paging_)
    co_return paging_.error();
  std::vector<std::string> filters = req.query_values("filter");
  nlohmann::json blobs = nlohmann::json::array();
  std::string last_visited;  // in digest order: where the next page starts
  bool more = false;
  // A filter that matches little makes the walk visit many records for each it lists: the walk
  // stops at the deadline, and the page it has is answered with a Link that resumes after the
  // last record visited, so a huge namespace never holds a pool thread for long.
  const auto deadline = std::chrono::steady_clock::now() + api.options.scan_deadline;
  auto walked = co_await api.storage.scan([&](Storage& s) {
    return s.content().walk(
        {*name, {}},
        [&](const content::Info& info) {
          if (!paging_->last.empty() && info.digest.str() <= paging_->last)
            return true;
          if (blobs.size() >= paging_->n || std::chrono::steady_clock::now() > deadline) {
            more = true;
            return false;
          }
          blobs.push_back(info_json(info));
          last_visited = info.digest.str();
          return true;
        },
        filters);
  });
  if (!walked)
    co_return from_error(walked.error(), Resource::other);
  Response res = json_response({{"blobs", std::move(blobs)}});
  if (more && !last_visited.empty())
    res.set("link", next_link("/v2/" + *name + "/_content/blobs", paging_->n, last_visited));
  co_return res;
}

boost::asio::awaitable<Answer> get_blob_info(Api& api, Request& req) {
  auto blob = blob_target(req);
  if (!blob)
    co_return blob.error();
  auto info = co_await api.storage.lookup(
      [&](Storage& s) { return s.content().info(blob->scope(), blob->digest); });
  if (!info)
    co_return from_error(info.error(), Resource::blob);
  co_return json_response(info_json(*info));
}

boost::asio::awaitable<Answer> patch_blob_info(Api& api, Request& req) {
  auto blob = blob_target(req);
  if (!blob)
    co_return blob.error();
  auto body = co_await json_body(api, req);
  if (!body)
    co_return body.error();
  auto labels = labels_of(*body);
  if (!labels)
    co_return labels.error();
  content::Info update;
  update.digest = blob->digest;
  update.labels = std::move(*labels);
  std::vector<std::string> paths = fieldpaths_of(req);
  auto info = co_await api.storage.write(
      [&](Storage& s) { return s.content().update(blob->scope(), update, paths); });
  if (!info)
    co_return from_error(info.error(), Resource::blob);
  co_return json_response(info_json(*info));
}

boost::asio::awaitable<Answer> list_ingests(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto paging_ = paging(req, api.options.max_page);
  if (!paging_)
    co_return paging_.error();
  metadata::Scope scope{*name, {}};
  nlohmann::json ingests = nlohmann::json::array();
  std::string last_listed;
  bool more = false;
  // In ref order; the upload limit per repository bounds how many there are to read.
  auto listed = co_await api.storage.scan([&](Storage& s) -> Result<void> {
    auto all = s.content().list_statuses(scope);
    if (!all)
      return all.error();
    for (const auto& st : *all) {
      if (!paging_->last.empty() && st.ref <= paging_->last)
        continue;
      if (ingests.size() >= paging_->n) {
        more = true;
        break;
      }
      auto expiry = s.content().ingest_expiry(scope, st.ref);
      ingests.push_back(status_json(st, expiry ? *expiry : std::nullopt));
      last_listed = st.ref;
    }
    return {};
  });
  if (!listed)
    co_return from_error(listed.error(), Resource::ingest);
  Response res = json_response({{"ingests", std::move(ingests)}});
  if (more && !last_listed.empty())
    res.set("link", next_link("/v2/" + *name + "/_content/ingests", paging_->n, last_listed));
  co_return res;
}

boost::asio::awaitable<Answer> get_ingest(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto ref = ingest_ref(req);
  if (!ref)
    co_return ref.error();
  metadata::Scope scope{*name, {}};
  std::optional<Timestamp> expiry;
  // The backend's status reads the ingest's files and removes a broken one: a write.
  auto st = co_await api.storage.write([&](Storage& s) -> Result<content::Status> {
    auto found = s.content().status(scope, *ref);
    if (found) {
      if (auto e = s.content().ingest_expiry(scope, *ref))
        expiry = *e;
    }
    return found;
  });
  if (!st)
    co_return from_error(st.error(), Resource::ingest);
  co_return json_response(status_json(*st, expiry));
}

boost::asio::awaitable<Answer> get_namespace_labels(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto labels =
      co_await api.storage.lookup([&](Storage& s) { return s.namespaces().labels(*name); });
  if (!labels)
    co_return from_error(labels.error(), Resource::repository);
  co_return json_response({{"labels", *labels}});
}

boost::asio::awaitable<Answer> patch_namespace_labels(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto body = co_await json_body(api, req);
  if (!body)
    co_return body.error();
  auto labels = labels_of(*body);
  if (!labels)
    co_return labels.error();
  std::vector<std::string> paths = fieldpaths_of(req);
  auto updated = co_await api.storage.write(
      [&](Storage& s) { return s.namespaces().update_labels(*name, *labels, paths); });
  // The name was checked above, so invalid_argument is about the labels or a field path: not
  // NAME_INVALID (Resource::repository), but what a blob's PATCH answers for the same fault.
  if (!updated)
    co_return from_error(updated.error(), Resource::other);
  co_return json_response({{"labels", *updated}});
}

}  // namespace cairn::handlers

#include "handlers/referrers.h"

#include "handlers/errors.h"
#include "handlers/params.h"
#include "oci/manifest_parser.h"
#include "storage/metadata/manifests.h"

#include <nlohmann/json.hpp>

namespace cairn::handlers {

boost::asio::awaitable<Answer> list_referrers(Api& api, server::Request& req) {
  auto subject = blob_target(req);  // the repository and the subject's digest
  if (!subject)
    co_return subject.error();
  std::optional<std::string> artifact_type = req.query_value("artifactType");
  // Paged like the listings (?n=, ?last=: the digest the previous page ended after), so that a
  // subject with many referrers answers in bounded pages, with a Link to the next.
  auto paging_ = paging(req, api.options.max_page);
  if (!paging_)
    co_return paging_.error();
  if (!paging_->last.empty() && !content::Digest::parse(paging_->last))
    co_return OciError(ErrorCode::digest_invalid, "last is not a digest");
  metadata::ManifestStore::ReferrerPage found;
  if (paging_->n > 0) {
    auto listed = co_await api.storage.scan([&](Storage& s) {
      return s.manifests().referrers(
          subject->name, subject->digest,
          artifact_type ? std::optional<std::string_view>(*artifact_type) : std::nullopt,
          paging_->last, paging_->n);
    });
    if (!listed)
      co_return from_error(listed.error(), Resource::manifest);
    found = std::move(*listed);
  }

  nlohmann::json manifests = nlohmann::json::array();
  for (const auto& d : found.descriptors) {
    nlohmann::json entry = {
        {"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
    if (!d.artifact_type.empty())
      entry["artifactType"] = d.artifact_type;
    if (!d.annotations.empty())
      entry["annotations"] = d.annotations;
    manifests.push_back(std::move(entry));
  }
  nlohmann::json index = {
      {"schemaVersion", 2}, {"mediaType", oci::kOciIndex}, {"manifests", std::move(manifests)}};
  server::Response res;
  res.body = index.dump();
  res.set("content-type", oci::kOciIndex);
  if (artifact_type)
    res.set("oci-filters-applied", "artifactType");
  if (found.next) {
    res.set("link", next_link("/v2/" + subject->name + "/referrers/" + subject->digest.str(),
                              paging_->n, *found.next,
                              artifact_type ? "artifactType=" + query_escape(*artifact_type)
                                            : std::string()));
  }
  co_return res;
}

}  // namespace cairn::handlers

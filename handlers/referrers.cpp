#include "handlers/referrers.h"

#include "handlers/errors.h"
#include "handlers/manifest_parser.h"
#include "handlers/params.h"

#include <nlohmann/json.hpp>

namespace cairn::handlers {

boost::asio::awaitable<Answer> list_referrers(Api& api, server::Request& req) {
  auto subject = blob_target(req);  // the repository and the subject's digest
  if (!subject)
    co_return subject.error();
  std::optional<std::string> artifact_type = req.query_value("artifactType");
  auto found = api.storage.manifests().referrers(
      subject->name, subject->digest,
      artifact_type ? std::optional<std::string_view>(*artifact_type) : std::nullopt);
  if (!found)
    co_return from_error(found.error(), Resource::manifest);

  nlohmann::json manifests = nlohmann::json::array();
  for (const auto& d : *found) {
    nlohmann::json entry = {
        {"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
    if (!d.artifact_type.empty())
      entry["artifactType"] = d.artifact_type;
    if (!d.annotations.empty())
      entry["annotations"] = d.annotations;
    manifests.push_back(std::move(entry));
  }
  nlohmann::json index = {
      {"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", std::move(manifests)}};
  server::Response res;
  res.body = index.dump();
  res.set("content-type", kOciIndex);
  if (artifact_type)
    res.set("oci-filters-applied", "artifactType");
  co_return res;
}

}  // namespace cairn::handlers

#include "app/blob_backend.h"

#include "s3/bucket.h"

#include <cstdlib>
#include <stdexcept>

namespace cairn::app {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

}  // namespace

Result<std::shared_ptr<content::Bucket>> open_blob_bucket(const Config& config) {
  if (config.blobs.empty())
    return std::shared_ptr<content::Bucket>();
  auto location =
      s3::parse_location(config.blobs, env_or("AWS_ACCESS_KEY_ID", config.s3_access_key),
                         env_or("AWS_SECRET_ACCESS_KEY", config.s3_secret_key));
  if (!location)
    return location.error();
  const std::string name = location->bucket;
  std::shared_ptr<s3::Bucket> bucket;
  try {
    bucket = std::make_shared<s3::Bucket>(std::move(*location));
  } catch (const std::invalid_argument& e) {
    return fail(Errc::invalid_argument, "--blobs: " + std::string(e.what()));
  }
  auto probe = bucket->list("blobs/", [](const content::ObjectEntry&) { return false; });
  if (!probe) {
    return fail(probe.error().code, "--blobs: bucket " + name + ": " + probe.error().detail);
  }
  return std::shared_ptr<content::Bucket>(std::move(bucket));
}

}  // namespace cairn::app

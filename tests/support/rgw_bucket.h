// A bucket of its own on the binary's shared RGW (rgw.h), as storage's Bucket (s3/bucket.h).
#pragma once

#include "s3/bucket.h"
#include "tests/support/rgw.h"

#include <memory>
#include <stdexcept>
#include <string>

namespace cairn::testing {

inline constexpr size_t kMiB = 1024 * 1024;  // S3 multipart parts are 5 MiB at least

// Creates a fresh bucket on RgwServer::shared() and opens it with keys under `prefix`.
inline std::shared_ptr<s3::Bucket> fresh_rgw_bucket(std::string prefix) {
  RgwServer& rgw = RgwServer::shared();
  s3::BucketLocation l;
  l.config.endpoint = rgw.endpoint();
  l.config.region = RgwServer::region();
  l.config.credentials = {RgwServer::access_key(), RgwServer::secret_key()};
  l.bucket = rgw.fresh_bucket();
  l.prefix = std::move(prefix);
  auto bucket = std::make_shared<s3::Bucket>(std::move(l));
  if (auto created = bucket->create(); !created)
    throw std::runtime_error("create bucket: " + created.error().detail);
  return bucket;
}

}  // namespace cairn::testing

// Where the server's blobs live: the tree under --root (no bucket), or the S3 bucket --blobs
// names, opened and checked at start-up.
#pragma once

#include "app/config.h"
#include "storage/common/result.h"
#include "storage/content/bucket.h"

#include <memory>

namespace cairn::app {

// The bucket of `config.blobs`, or null when it is empty. Credentials: the environment's
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, else config.s3_access_key and s3_secret_key.
// One listing call proves the endpoint answers, the credentials are taken and the bucket
// exists. Errors: invalid_argument (the URI, no credentials), not_found (no such bucket),
// denied, unavailable (no answer).
Result<std::shared_ptr<content::Bucket>> open_blob_bucket(const Config& config);

}  // namespace cairn::app

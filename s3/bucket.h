// s3::Bucket: content::Bucket (storage/content/bucket.h) over one S3 bucket and key prefix, for
// the BucketStore behind `--blobs s3://BUCKET[/PREFIX]?endpoint=…&region=…`.
//
// The storage layer is synchronous and has no Asio; the S3 client (client.h) is a coroutine
// client. This adapter owns an io_context with one thread of its own that runs every S3 call:
// a storage call (on the offload pool) posts its coroutine there and blocks until it finishes.
// Bodies stream through that thread in the caller's pieces, so a download is never held whole
// and waits for its reader (back-pressure reaches S3 through TCP).
//
// Keys: "<prefix>/<key>" when a prefix is set, else "<key>".
#pragma once

#include "s3/client.h"
#include "storage/content/bucket.h"

#include <memory>
#include <string>
#include <string_view>

namespace cairn::s3 {

// Where the blobs go, parsed from `--blobs`.
struct BucketLocation {
  Config config;       // endpoint, region, credentials
  std::string bucket;  // the bucket's name
  std::string prefix;  // "" or a key prefix without leading or trailing '/'
};

// Parses "s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT&region=R"; credentials are taken from
// `access_key` and `secret_key` (the environment's AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, or the config file). Errors: invalid_argument, saying what is wrong.
Result<BucketLocation> parse_location(std::string_view uri, std::string access_key,
                                      std::string secret_key);

class Bucket final : public content::Bucket {
 public:
  // Starts the adapter's thread. Throws std::invalid_argument for a malformed endpoint.
  explicit Bucket(BucketLocation location);
  ~Bucket() override;
  Bucket(const Bucket&) = delete;
  Bucket& operator=(const Bucket&) = delete;

  // Creates the bucket when it does not exist (start-up, tests). Errors: the client's.
  Result<void> create();

  Result<void> put(std::string_view key, std::string body) override;
  Result<uint64_t> size(std::string_view key) override;
  Result<std::unique_ptr<content::ObjectStream>> get(std::string_view key, uint64_t offset,
                                                     std::optional<uint64_t> length) override;
  Result<void> remove(std::string_view key) override;
  Result<void> copy(std::string_view from, std::string_view to) override;
  Result<void> list(std::string_view prefix,
                    const std::function<bool(const content::ObjectEntry&)>& fn) override;
  Result<std::string> start_multipart(std::string_view key) override;
  Result<std::string> put_part(std::string_view key, std::string_view upload_id, int number,
                               std::string body) override;
  Result<void> complete_multipart(std::string_view key, std::string_view upload_id,
                                  std::vector<content::UploadedPart> parts) override;
  Result<void> abort_multipart(std::string_view key, std::string_view upload_id) override;
  std::optional<std::string> presign_get(std::string_view key,
                                         std::chrono::seconds expires) const override;

  struct Impl;

 private:
  std::string full_key(std::string_view key) const;
  std::shared_ptr<Impl> impl_;
};

}  // namespace cairn::s3

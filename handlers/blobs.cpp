#include "handlers/blobs.h"

#include "handlers/errors.h"
#include "handlers/params.h"
#include "handlers/proxy.h"
#include "handlers/range.h"

namespace cairn::handlers {

using server::Request;
using server::Response;

namespace {

constexpr std::string_view kOctetStream = "application/octet-stream";

Response described(unsigned status, const content::Digest& digest, std::string_view type) {
  Response res;
  res.status = status;
  res.set("docker-content-digest", digest.str());
  res.set("content-type", type);
  res.set("accept-ranges", "bytes");
  return res;
}

}  // namespace

Answer serve_file(const Request& req, server::FileRange whole, const content::Digest& digest,
                  std::string_view content_type) {
  const uint64_t size = whole.length;
  RangeRequest range = parse_range(req.header("range"), size);
  if (range.outcome == RangeOutcome::unsatisfiable) {
    return OciError(ErrorCode::range_invalid)
        .with_header("content-range", "bytes */" + std::to_string(size));
  }
  const bool partial = range.outcome == RangeOutcome::satisfiable;
  Response res = described(partial ? 206 : 200, digest, content_type);
  if (partial) {
    whole.offset += range.range.first;
    whole.length = range.range.length();
    res.set("content-range", "bytes " + std::to_string(range.range.first) + "-" +
                                 std::to_string(range.range.last) + "/" + std::to_string(size));
  }
  res.file = std::move(whole);
  return res;
}

namespace {

// Content without a descriptor, read on the offload pool one piece at a time.
class PooledReader final : public server::RangeSource {
 public:
  PooledReader(server::Offloader& pool, std::shared_ptr<content::ReaderAt> reader)
      : pool_(pool), reader_(std::move(reader)) {}

  boost::asio::awaitable<std::pair<boost::system::error_code, size_t>> read_at(
      std::span<std::byte> buf, uint64_t offset) override {
    // Named, not a temporary inside co_await (see Offloader::run on GCC 12).
    auto task = pool_.run([&] { return reader_->read_at(buf, static_cast<int64_t>(offset)); });
    auto n = co_await std::move(task);
    if (!n)
      co_return std::pair{make_error_code(boost::system::errc::io_error), size_t{0}};
    co_return std::pair{boost::system::error_code{}, *n};
  }

 private:
  server::Offloader& pool_;
  std::shared_ptr<content::ReaderAt> reader_;
};

}  // namespace

Answer serve_content(server::Offloader& pool, const Request& req,
                     std::shared_ptr<content::ReaderAt> reader, const content::Digest& digest,
                     std::string_view content_type) {
  server::FileRange file;
  file.fd = reader->native_handle();
  file.length = static_cast<uint64_t>(reader->size());
  if (file.fd < 0)
    file.source = std::make_shared<PooledReader>(pool, reader);
  file.owner = std::move(reader);
  return serve_file(req, std::move(file), digest, content_type);
}

Response blob_head(const content::Digest& digest, uint64_t size) {
  Response res = described(200, digest, kOctetStream);
  res.content_length = size;
  return res;
}

Answer stored_blob(Storage& storage, server::Offloader& pool, const Request& req,
                   const metadata::Scope& scope, const content::Digest& digest) {
  if (req.method == "HEAD") {
    auto info = storage.content().info(scope, digest);
    if (!info)
      return from_error(info.error(), Resource::blob);
    return blob_head(digest, static_cast<uint64_t>(info->size));
  }
  if (auto url = storage.blob_redirect(digest)) {
    // --s3-redirect: the client reads the bytes from the object store itself (as Distribution's
    // s3 driver has them do); the blob must be this repository's first.
    auto info = storage.content().info(scope, digest);
    if (!info)
      return from_error(info.error(), Resource::blob);
    server::Response res;
    res.status = 307;
    res.set("location", *url);
    res.set("docker-content-digest", digest.str());
    return res;
  }
  auto reader = storage.content().reader(scope, digest);
  if (!reader)
    return from_error(reader.error(), Resource::blob);
  return serve_content(pool, req, std::shared_ptr<content::ReaderAt>(std::move(*reader)), digest,
                       kOctetStream);
}

boost::asio::awaitable<Answer> get_blob(Api& api, Request& req) {
  auto blob = blob_target(req);
  if (!blob)
    co_return blob.error();
  if (auto target = co_await proxy_target(api, req, blob->name))
    co_return co_await proxied_blob(api, req, *target, blob->digest);
  co_return co_await api.storage.lookup(
      [&](Storage& s) { return stored_blob(s, api.offload, req, blob->scope(), blob->digest); });
}

boost::asio::awaitable<Answer> delete_blob(Api& api, Request& req) {
  auto blob = blob_target(req);
  if (!blob)
    co_return blob.error();
  auto removed = co_await api.storage.write(
      [&](Storage& s) { return s.content().remove(blob->scope(), blob->digest); });
  if (!removed)
    co_return from_error(removed.error(), Resource::blob);
  Response res;
  res.status = 202;
  co_return res;
}

}  // namespace cairn::handlers

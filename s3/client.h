// s3::Client: an asynchronous S3 client (C++20 coroutines) for one endpoint, path-style
// (`http://HOST:PORT/BUCKET/KEY`), every request signed with SigV4 (s3/sigv4.h) and its
// payload hash sent in x-amz-content-sha256. Written against Ceph RGW 16.2 and the S3 API
// reference; the blob backend of issue 13 sits on it.
//
// Transport: upstream::Client's pool of keep-alive connections, its deadlines (connect, each read
// and write step) and its bound on open connections, through its send_direct (no registry auth,
// no redirects). HTTPS endpoints work as they do for upstreams.
//
// Bodies: a PUT's body is in memory (PutObject and UploadPart refuse more than
// Config::max_body_bytes); GetObject streams (ObjectReader::read_some, piece by piece, never the
// whole object); every answer read whole (error XML, listings, multipart answers) is read with a
// bound (kMaxErrorBytes, kMaxXmlBytes) and a longer one is an error.
//
// Errors (Result<T>, storage/common/result.h), from the status and the S3 error XML's Code:
//   not_found            404: NoSuchKey, NoSuchBucket, NoSuchUpload
//   denied               403: SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied,
//                        RequestTimeTooSkewed, an expired presigned request...
//   no_space             QuotaExceeded, EntityTooLarge
//   already_exists       BucketAlreadyExists, BucketAlreadyOwnedByYou (other 409s, e.g.
//                        BucketNotEmpty: failed_precondition)
//   failed_precondition  412 PreconditionFailed
//   range_invalid        416 InvalidRange
//   digest_mismatch      BadDigest, XAmzContentSHA256Mismatch
//   invalid_argument     other 4xx (EntityTooSmall, InvalidPart, InvalidPartOrder,
//                        MissingContentLength...), a body over max_body_bytes
//   unavailable          5xx (InternalError, SlowDown, ServiceUnavailable), no connection,
//                        a timeout, a connection that broke
//   io                   an answer that does not parse, or too long
// The detail reads "S3 <Code>: <Message> (<METHOD> /<bucket>/<key>, HTTP <status>)"; it never
// holds a credential.
//
// Thread-safety: a Client is shared by every coroutine; its calls run on the awaiting
// coroutine's executor. An ObjectReader is used by one coroutine at a time and must not outlive
// its Client. Idle connections hold sockets of the io_context that opened them: destroy the
// Client (or call close_idle()) before that io_context.
#pragma once

#include "s3/sigv4.h"
#include "storage/common/result.h"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::upstream {
class Client;
class Reply;
}  // namespace cairn::upstream

namespace cairn::s3 {

inline constexpr size_t kMaxErrorBytes = 64 * 1024;      // an error answer's body
inline constexpr size_t kMaxXmlBytes = 8 * 1024 * 1024;  // a listing or multipart answer

struct Config {
  std::string endpoint;  // "http://127.0.0.1:7480" (scheme, host, port; no path)
  std::string region = "us-east-1";
  Credentials credentials;
  size_t max_connections = 16;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds io_timeout{30'000};  // each read or write step
  size_t max_body_bytes = 64 * 1024 * 1024;      // PutObject and UploadPart bodies
};

// What HeadObject (and GetObject) tell of an object.
struct ObjectInfo {
  uint64_t size = 0;          // the whole object's
  std::string etag;           // quoted, as S3 sends it: "\"md5\"" or "\"md5-N\"" (multipart)
  std::string last_modified;  // the HTTP date
  std::string content_type;
};

// A byte range of an object: `length` bytes from `offset`, or to the end when absent.
struct ByteRange {
  uint64_t offset = 0;
  std::optional<uint64_t> length;
};

// One object of a listing.
struct ListedObject {
  std::string key;
  uint64_t size = 0;
  std::string etag;
  std::string last_modified;  // ISO 8601
};

// One page of ListObjectsV2.
struct ListPage {
  std::vector<ListedObject> objects;  // in key order
  bool truncated = false;             // more follow: ask again with next_token
  std::string next_token;             // the NextContinuationToken
};

// A part of a multipart upload, for CompleteMultipartUpload.
struct Part {
  int number = 0;    // 1..10000
  std::string etag;  // what UploadPart returned
};

// The body of a GetObject answer, streamed from its connection.
class ObjectReader {
 public:
  ObjectReader(std::unique_ptr<upstream::Reply> reply, ObjectInfo info, uint64_t offset,
               uint64_t length);
  ~ObjectReader();
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  const ObjectInfo& info() const { return info_; }  // size: the whole object's
  uint64_t offset() const { return offset_; }       // where this body starts in the object
  uint64_t length() const { return length_; }       // the body's length

  // Reads the next piece of the body into `buf` (at most buf.size() bytes, what has arrived);
  // 0 at its end. Errors: unavailable (the connection broke or timed out, or the body ended
  // before its length).
  boost::asio::awaitable<Result<size_t>> read_some(std::span<std::byte> buf);

 private:
  std::unique_ptr<upstream::Reply> reply_;
  ObjectInfo info_;
  uint64_t offset_;
  uint64_t length_;
};

class Client {
 public:
  // Throws std::invalid_argument when config.endpoint is malformed (start-up).
  explicit Client(Config config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Config& config() const { return config_; }

  // Closes the idle connections, and from now on every connection given back. Thread-safe.
  void close_idle();

  // CreateBucket (for tests and setup). An existing bucket of ours is success on RGW.
  boost::asio::awaitable<Result<void>> create_bucket(std::string bucket);

  // PutObject: stores `body` as `key`, returns its ETag. `body_sha256`, when given, is the
  // body's SHA-256 in lowercase hex, signed as its payload hash (a caller that hashed the body
  // on another thread spares the I/O thread the work); else it is computed here. S3 checks it.
  // Errors: invalid_argument (the body is over max_body_bytes, body_sha256 is not 64 hex
  // digits), digest_mismatch (body_sha256 is not the body's), the table above.
  boost::asio::awaitable<Result<std::string>> put_object(std::string bucket, std::string key,
                                                         std::string body,
                                                         std::string body_sha256 = {});

  // GetObject of `range` (the whole object when absent): the body streams from the answer.
  // Errors: not_found, range_invalid (the range starts past the end), the table above.
  boost::asio::awaitable<Result<std::unique_ptr<ObjectReader>>> get_object(
      std::string bucket, std::string key, std::optional<ByteRange> range = std::nullopt);

  // HeadObject. Errors: not_found (HEAD answers have no body: a 404 is not_found whatever
  // is missing, the bucket or the key), the table above.
  boost::asio::awaitable<Result<ObjectInfo>> head_object(std::string bucket, std::string key);

  // DeleteObject. Deleting a missing key succeeds (S3's rule).
  boost::asio::awaitable<Result<void>> delete_object(std::string bucket, std::string key);

  // ListObjectsV2: the keys starting with `prefix`, after the page `token` names (empty: the
  // first page), at most `max_keys` (1..1000).
  boost::asio::awaitable<Result<ListPage>> list_objects(std::string bucket, std::string prefix,
                                                        std::string token = {},
                                                        int max_keys = 1000);

  // CopyObject: `src_key` of `src_bucket` copied to `key` of `bucket` on the server side;
  // returns the copy's ETag, quoted (RGW 16.2 sends it bare; every ETag here is quoted). Errors:
  // not_found (the source), the table above.
  boost::asio::awaitable<Result<std::string>> copy_object(std::string src_bucket,
                                                          std::string src_key, std::string bucket,
                                                          std::string key);

  // CreateMultipartUpload: returns the upload id.
  boost::asio::awaitable<Result<std::string>> create_multipart_upload(std::string bucket,
                                                                      std::string key);
  // UploadPart `number` (1..10000) of upload `upload_id`: returns the part's ETag. Parts but
  // the last must be 5 MiB or more (checked at completion). `body_sha256` as for put_object.
  // Errors: not_found (no such upload), invalid_argument (body over max_body_bytes, a malformed
  // body_sha256), digest_mismatch, the table above.
  boost::asio::awaitable<Result<std::string>> upload_part(std::string bucket, std::string key,
                                                          std::string upload_id, int number,
                                                          std::string body,
                                                          std::string body_sha256 = {});
  // CompleteMultipartUpload with `parts` in ascending number. The object's ETag comes from
  // head_object: RGW 16.2 answers an empty one here. Errors: not_found (no such upload),
  // invalid_argument (EntityTooSmall, InvalidPart, InvalidPartOrder), the table above; S3 may
  // answer 200 with an error in the body, which is that error.
  boost::asio::awaitable<Result<void>> complete_multipart_upload(std::string bucket,
                                                                 std::string key,
                                                                 std::string upload_id,
                                                                 std::vector<Part> parts);
  // AbortMultipartUpload: drops the upload and its parts. Errors: not_found (no such upload).
  boost::asio::awaitable<Result<void>> abort_multipart_upload(std::string bucket, std::string key,
                                                              std::string upload_id);

  // A presigned GET URL of `key`, valid `expires` (1 s to 7 days) from `now`: anyone holding it
  // may GET the object (with a Range if they like) without credentials. No I/O.
  std::string presign_get(
      std::string_view bucket, std::string_view key, std::chrono::seconds expires,
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

 private:
  struct Call;
  // Signs and sends `call` with `body` (its SHA-256 computed when `body_sha256` is empty);
  // a non-2xx answer is its error.
  boost::asio::awaitable<Result<std::unique_ptr<upstream::Reply>>> send(
      const Call& call, std::string body, std::string body_sha256 = {});
  boost::asio::awaitable<Result<std::string>> read_xml_body(upstream::Reply& reply,
                                                            const Call& call);

  Config config_;
  std::unique_ptr<upstream::Client> http_;
};

// The error of an S3 answer with `status` and error XML `body` (may be empty, as for HEAD) to
// `what` ("GET /bucket/key"): the table above. Exposed for its tests.
Error error_from_answer(unsigned status, std::string_view body, std::string_view what);

// The object's path as signed and sent: "/bucket/key" (not yet encoded).
std::string object_path(std::string_view bucket, std::string_view key);

}  // namespace cairn::s3

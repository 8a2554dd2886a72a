// The S3 client: each call builds one request (path, query, headers), signs it, sends it through
// upstream::Client::send_direct and reads the answer: its headers, a bounded XML body, or (GET)
// a streamed body. The query is sent in its canonical form and the path in its canonical
// encoding, so the bytes the signature covers are the bytes sent.
#include "s3/client.h"

#include "s3/xml.h"
#include "upstream/client.h"

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

namespace cairn::s3 {

namespace asio = boost::asio;

struct Client::Call {
  std::string method;
  std::string bucket;
  std::string key;  // empty for a bucket request
  Params query;
  Params headers;          // beyond host, x-amz-date, x-amz-content-sha256 (names lowercase)
  bool on_bucket = false;  // a request on the bucket itself (CreateBucket, ListObjectsV2)

  std::string what() const { return method + " " + object_path(bucket, key); }
};

namespace {

struct CodeRule {
  std::string_view code;
  Errc errc;
};

// S3 error codes whose meaning is more precise than their HTTP status.
constexpr CodeRule kCodeRules[] = {
    {"NoSuchKey", Errc::not_found},
    {"NoSuchBucket", Errc::not_found},
    {"NoSuchUpload", Errc::not_found},
    {"BucketAlreadyExists", Errc::already_exists},
    {"BucketAlreadyOwnedByYou", Errc::already_exists},
    {"QuotaExceeded", Errc::no_space},
    {"EntityTooLarge", Errc::no_space},
    {"PreconditionFailed", Errc::failed_precondition},
    {"InvalidRange", Errc::range_invalid},
    {"BadDigest", Errc::digest_mismatch},
    {"XAmzContentSHA256Mismatch", Errc::digest_mismatch},
    {"InternalError", Errc::unavailable},
    {"SlowDown", Errc::unavailable},
    {"ServiceUnavailable", Errc::unavailable},
};

Errc errc_of_status(unsigned status) {
  if (status == 404)
    return Errc::not_found;
  if (status == 401 || status == 403)
    return Errc::denied;
  if (status == 409)
    return Errc::failed_precondition;
  if (status == 412)
    return Errc::failed_precondition;
  if (status == 416)
    return Errc::range_invalid;
  if (status >= 500)
    return Errc::unavailable;
  if (status >= 400)
    return Errc::invalid_argument;
  return Errc::io;  // an error where success was expected (e.g. 200 with an Error body)
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    return std::nullopt;
  return v;
}

// "bytes FIRST-LAST/TOTAL" -> {first, last, total}.
struct ContentRange {
  uint64_t first = 0, last = 0, total = 0;
};
std::optional<ContentRange> parse_content_range(std::string_view v) {
  if (!v.starts_with("bytes "))
    return std::nullopt;
  v.remove_prefix(6);
  auto dash = v.find('-');
  auto slash = v.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash)
    return std::nullopt;
  auto first = parse_u64(v.substr(0, dash));
  auto last = parse_u64(v.substr(dash + 1, slash - dash - 1));
  auto total = parse_u64(v.substr(slash + 1));
  if (!first || !last || !total || *last < *first)
    return std::nullopt;
  return ContentRange{*first, *last, *total};
}

// An ETag in its quoted form: RGW 16.2 answers CopyObject's without the quotes AWS sends (and
// every other answer has), so ETags from different calls compare equal.
std::string quoted(std::string_view etag) {
  if (etag.empty() || (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"'))
    return std::string(etag);
  return "\"" + std::string(etag) + "\"";
}

ObjectInfo info_of(const upstream::Reply& reply) {
  ObjectInfo info;
  info.size = reply.content_length.value_or(0);
  info.etag = quoted(reply.header("etag"));
  info.last_modified = std::string(reply.header("last-modified"));
  info.content_type = std::string(reply.header("content-type"));
  return info;
}

// Reads and drops what is left of a small body so the connection can serve another request
// (a longer one is left: the reply then closes its connection).
asio::awaitable<void> discard(upstream::Reply& reply) {
  if (reply.content_length && *reply.content_length > kMaxErrorBytes)
    co_return;
  std::array<std::byte, 16 * 1024> sink;
  size_t total = 0;
  while (total <= kMaxErrorBytes) {
    auto [ec, n] = co_await reply.read_some(sink);
    if (ec || n == 0)
      co_return;
    total += n;
  }
}

bool success(unsigned status) {
  return status >= 200 && status < 300;
}

}  // namespace

std::string object_path(std::string_view bucket, std::string_view key) {
  std::string p = "/";
  p += bucket;
  if (!key.empty()) {
    p += '/';
    p += key;
  }
  return p;
}

Error error_from_answer(unsigned status, std::string_view body, std::string_view what) {
  std::string code, message;
  if (!body.empty()) {
    if (auto doc = parse_xml(body); doc && doc->name == "Error") {
      code = doc->child_text("Code");
      message = doc->child_text("Message");
    }
  }
  Errc errc = errc_of_status(status);
  for (const auto& rule : kCodeRules) {
    if (rule.code == code) {
      errc = rule.errc;
      break;
    }
  }
  std::string detail = "S3 ";
  detail += code.empty() ? "error" : code;
  if (!message.empty())
    detail += ": " + message;
  detail += " (" + std::string(what) + ", HTTP " + std::to_string(status) + ")";
  return fail(errc, std::move(detail));
}

ObjectReader::ObjectReader(std::unique_ptr<upstream::Reply> reply, ObjectInfo info, uint64_t offset,
                           uint64_t length)
    : reply_(std::move(reply)), info_(std::move(info)), offset_(offset), length_(length) {}

ObjectReader::~ObjectReader() = default;

asio::awaitable<Result<size_t>> ObjectReader::read_some(std::span<std::byte> buf) {
  auto [ec, n] = co_await reply_->read_some(buf);
  if (ec)
    co_return fail(Errc::unavailable,
                   "S3 object body from " + reply_->final_url + ": " + ec.message());
  co_return n;
}

Client::Client(Config config) : config_(std::move(config)) {
  upstream::Endpoint e;
  e.host = config_.endpoint;
  e.url = config_.endpoint;
  upstream::ClientOptions o;
  o.max_connections = config_.max_connections;
  o.connect_timeout = config_.connect_timeout;
  o.io_timeout = config_.io_timeout;
  o.max_redirects = 0;  // send_direct follows none anyway
  http_ = std::make_unique<upstream::Client>(std::move(e), o);
}

Client::~Client() = default;

void Client::close_idle() {
  http_->close_idle();
}

asio::awaitable<Result<std::unique_ptr<upstream::Reply>>> Client::send(const Call& call,
                                                                       std::string body,
                                                                       std::string body_sha256) {
  // An empty key would turn an object request into one on the bucket (PUT: CreateBucket), a
  // '/' in a bucket name into one on another bucket.
  if (call.bucket.empty() || call.bucket.find('/') != std::string::npos)
    co_return fail(Errc::invalid_argument, "S3 " + call.what() + ": bad bucket name");
  if (call.key.empty() != call.on_bucket)
    co_return fail(Errc::invalid_argument, "S3 " + call.what() + ": an object request needs a key");
  const std::string stamp = amz_date(std::chrono::system_clock::now());
  Request r;
  r.method = call.method;
  r.path = object_path(call.bucket, call.key);
  r.query = call.query;
  if (!body_sha256.empty()) {
    const bool hex64 =
        body_sha256.size() == 64 && std::all_of(body_sha256.begin(), body_sha256.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        });
    if (!hex64)
      co_return fail(Errc::invalid_argument,
                     "S3 " + call.what() + ": the body's SHA-256 is not 64 lowercase hex digits");
    r.payload_hash = std::move(body_sha256);
  } else {
    r.payload_hash = body.empty() ? std::string(kEmptyPayloadSha256) : sha256_hex(body);
  }
  r.headers = {{"host", http_->host_header()},
               {"x-amz-date", stamp},
               {"x-amz-content-sha256", r.payload_hash}};
  r.headers.insert(r.headers.end(), call.headers.begin(), call.headers.end());

  upstream::Headers headers = {
      {"x-amz-date", stamp},
      {"x-amz-content-sha256", r.payload_hash},
      {"authorization", authorization(r, config_.credentials, config_.region, stamp)}};
  headers.insert(headers.end(), call.headers.begin(), call.headers.end());
  std::string target = canonical_uri(r.path);
  if (!r.query.empty())
    target += "?" + canonical_query(r.query);
  auto got = co_await http_->send_direct(call.method, std::move(target), std::move(headers),
                                         std::move(body));
  if (!got)
    co_return fail(Errc::unavailable, "S3 " + call.what() + ": " + got.error().detail);
  auto& reply = **got;
  if (!success(reply.status)) {
    std::string text;
    if (call.method != "HEAD") {
      if (auto b = co_await reply.read_all(kMaxErrorBytes))
        text = std::move(*b);
    }
    co_return error_from_answer(reply.status, text, call.what());
  }
  co_return std::move(*got);
}

asio::awaitable<Result<std::string>> Client::read_xml_body(upstream::Reply& reply,
                                                           const Call& call) {
  if (reply.content_length && *reply.content_length > kMaxXmlBytes)
    co_return fail(Errc::io, "S3 answer to " + call.what() + " is " +
                                 std::to_string(*reply.content_length) + " bytes, more than " +
                                 std::to_string(kMaxXmlBytes));
  auto body = co_await reply.read_all(kMaxXmlBytes);
  if (!body) {
    const Errc errc = body.error().code == Errc::invalid_argument ? Errc::io : Errc::unavailable;
    co_return fail(errc, "S3 answer to " + call.what() + ": " + body.error().detail);
  }
  co_return std::move(*body);
}

namespace {

// The XML answer `body` of a successful call, whose root must be `root`: S3 answers some
// failures (CompleteMultipartUpload, CopyObject) with 200 and an Error document.
Result<XmlElement> expect_xml(const std::string& body, std::string_view root, unsigned status,
                              std::string_view what) {
  auto doc = parse_xml(body);
  if (!doc)
    return fail(Errc::io, "S3 answer to " + std::string(what) + ": " + doc.error().detail);
  if (doc->name == "Error")
    return error_from_answer(status, body, what);
  if (doc->name != root)
    return fail(Errc::io, "S3 answer to " + std::string(what) + " is a " + doc->name + ", not a " +
                              std::string(root));
  return doc;
}

}  // namespace

asio::awaitable<Result<void>> Client::create_bucket(std::string bucket) {
  Call call{"PUT", std::move(bucket), {}, {}, {}, true};
  auto got = co_await send(call, {});
  if (!got) {
    if (got.error().detail.starts_with("S3 BucketAlreadyOwnedByYou"))
      co_return Result<void>();
    co_return got.error();
  }
  co_await discard(**got);
  co_return Result<void>();
}

asio::awaitable<Result<std::string>> Client::put_object(std::string bucket, std::string key,
                                                        std::string body, std::string body_sha256) {
  Call call{"PUT", std::move(bucket), std::move(key), {}, {}};
  if (body.size() > config_.max_body_bytes)
    co_return fail(Errc::invalid_argument, "S3 " + call.what() + ": body of " +
                                               std::to_string(body.size()) +
                                               " bytes is over the client's bound of " +
                                               std::to_string(config_.max_body_bytes));
  auto got = co_await send(call, std::move(body), std::move(body_sha256));
  if (!got)
    co_return got.error();
  std::string etag = quoted((*got)->header("etag"));
  co_await discard(**got);
  co_return etag;
}

asio::awaitable<Result<std::unique_ptr<ObjectReader>>> Client::get_object(
    std::string bucket, std::string key, std::optional<ByteRange> range) {
  Call call{"GET", std::move(bucket), std::move(key), {}, {}};
  if (range) {
    std::string v = "bytes=" + std::to_string(range->offset) + "-";
    if (range->length) {
      if (*range->length == 0)
        co_return fail(Errc::range_invalid, "S3 " + call.what() + ": an empty range");
      v += std::to_string(range->offset + *range->length - 1);
    }
    call.headers.emplace_back("range", std::move(v));
  }
  auto got = co_await send(call, {});
  if (!got)
    co_return got.error();
  std::unique_ptr<upstream::Reply> reply = std::move(*got);
  ObjectInfo info = info_of(*reply);
  uint64_t offset = 0;
  const uint64_t length = reply->content_length.value_or(0);
  if (reply->status == 206) {
    auto cr = parse_content_range(reply->header("content-range"));
    if (!cr || cr->last - cr->first + 1 != length)
      co_return fail(Errc::io, "S3 answer to " + call.what() + " has a bad Content-Range '" +
                                   std::string(reply->header("content-range")) + "'");
    offset = cr->first;
    info.size = cr->total;
  } else if (range && range->offset > 0) {
    co_return fail(Errc::io, "S3 answered " + call.what() + " with " +
                                 std::to_string(reply->status) + ", not 206, to a range");
  }
  co_return std::make_unique<ObjectReader>(std::move(reply), std::move(info), offset, length);
}

asio::awaitable<Result<ObjectInfo>> Client::head_object(std::string bucket, std::string key) {
  Call call{"HEAD", std::move(bucket), std::move(key), {}, {}};
  auto got = co_await send(call, {});
  if (!got)
    co_return got.error();
  co_return info_of(**got);
}

asio::awaitable<Result<void>> Client::delete_object(std::string bucket, std::string key) {
  Call call{"DELETE", std::move(bucket), std::move(key), {}, {}};
  auto got = co_await send(call, {});
  if (!got)
    co_return got.error();
  co_await discard(**got);
  co_return Result<void>();
}

asio::awaitable<Result<ListPage>> Client::list_objects(std::string bucket, std::string prefix,
                                                       std::string token, int max_keys) {
  Call call{"GET", std::move(bucket), {}, {{"list-type", "2"}}, {}, true};
  call.query.emplace_back("max-keys", std::to_string(std::clamp(max_keys, 1, 1000)));
  if (!prefix.empty())
    call.query.emplace_back("prefix", std::move(prefix));
  if (!token.empty())
    call.query.emplace_back("continuation-token", std::move(token));
  auto got = co_await send(call, {});
  if (!got)
    co_return got.error();
  auto body = co_await read_xml_body(**got, call);
  if (!body)
    co_return body.error();
  auto doc = expect_xml(*body, "ListBucketResult", (*got)->status, call.what());
  if (!doc)
    co_return doc.error();
  ListPage page;
  for (const XmlElement* c : doc->children_named("Contents")) {
    ListedObject o;
    o.key = c->child_text("Key");
    auto size = parse_u64(c->child_text("Size"));
    if (o.key.empty() || !size)
      co_return fail(Errc::io, "S3 answer to " + call.what() +
                                   " lists an object without a key "
                                   "or size");
    o.size = *size;
    o.etag = quoted(c->child_text("ETag"));
    o.last_modified = c->child_text("LastModified");
    page.objects.push_back(std::move(o));
  }
  page.truncated = doc->child_text("IsTruncated") == "true";
  page.next_token = doc->child_text("NextContinuationToken");
  if (page.truncated && page.next_token.empty())
    co_return fail(Errc::io,
                   "S3 answer to " + call.what() + " is truncated without a NextContinuationToken");
  co_return page;
}

asio::awaitable<Result<std::string>> Client::copy_object(std::string src_bucket,
                                                         std::string src_key, std::string bucket,
                                                         std::string key) {
  Call call{"PUT", std::move(bucket), std::move(key), {}, {}};
  call.headers.emplace_back("x-amz-copy-source",
                            uri_encode(object_path(src_bucket, src_key), true));
  auto got = co_await send(call, {});
  if (!got)
    co_return got.error();
  auto body = co_await read_xml_body(**got, call);
  if (!body)
    co_return body.error();
  auto doc = expect_xml(*body, "CopyObjectResult", (*got)->status, call.what());
  if (!doc)
    co_return doc.error();
  co_return quoted(doc->child_text("ETag"));
}

asio::awaitable<Result<std::string>> Client::create_multipart_upload(std::string bucket,
                                                                     std::string key) {
  Call call{"POST", std::move(bucket), std::move(key), {{"uploads", ""}}, {}};
  auto got = co_await send(call, {});
  if (!got)
    co_return got.error();
  auto body = co_await read_xml_body(**got, call);
  if (!body)
    co_return body.error();
  auto doc = expect_xml(*body, "InitiateMultipartUploadResult", (*got)->status, call.what());
  if (!doc)
    co_return doc.error();
  std::string id = doc->child_text("UploadId");
  if (id.empty())
    co_return fail(Errc::io, "S3 answer to " + call.what() + " has no UploadId");
  co_return id;
}

asio::awaitable<Result<std::string>> Client::upload_part(std::string bucket, std::string key,
                                                         std::string upload_id, int number,
                                                         std::string body,
                                                         std::string body_sha256) {
  Call call{"PUT",
            std::move(bucket),
            std::move(key),
            {{"partNumber", std::to_string(number)}, {"uploadId", std::move(upload_id)}},
            {}};
  if (number < 1 || number > 10000)
    co_return fail(Errc::invalid_argument, "S3 " + call.what() + ": part number " +
                                               std::to_string(number) + " is outside 1..10000");
  if (body.size() > config_.max_body_bytes)
    co_return fail(Errc::invalid_argument, "S3 " + call.what() + ": part of " +
                                               std::to_string(body.size()) +
                                               " bytes is over the client's bound of " +
                                               std::to_string(config_.max_body_bytes));
  auto got = co_await send(call, std::move(body), std::move(body_sha256));
  if (!got)
    co_return got.error();
  std::string etag = quoted((*got)->header("etag"));
  co_await discard(**got);
  if (etag.empty())
    co_return fail(Errc::io, "S3 answer to " + call.what() + " has no ETag");
  co_return etag;
}

asio::awaitable<Result<void>> Client::complete_multipart_upload(std::string bucket, std::string key,
                                                                std::string upload_id,
                                                                std::vector<Part> parts) {
  Call call{"POST", std::move(bucket), std::move(key), {{"uploadId", std::move(upload_id)}}, {}};
  std::string xml = "<CompleteMultipartUpload>";
  for (const auto& p : parts) {
    xml += "<Part><PartNumber>" + std::to_string(p.number) + "</PartNumber><ETag>" +
           xml_escape(p.etag) + "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  call.headers.emplace_back("content-type", "application/xml");
  auto got = co_await send(call, std::move(xml));
  if (!got)
    co_return got.error();
  auto body = co_await read_xml_body(**got, call);
  if (!body)
    co_return body.error();
  auto doc = expect_xml(*body, "CompleteMultipartUploadResult", (*got)->status, call.what());
  if (!doc)
    co_return doc.error();
  co_return Result<void>();
}

asio::awaitable<Result<void>> Client::abort_multipart_upload(std::string bucket, std::string key,
                                                             std::string upload_id) {
  Call call{"DELETE", std::move(bucket), std::move(key), {{"uploadId", std::move(upload_id)}}, {}};
  auto got = co_await send(call, {});
  if (!got)
    co_return got.error();
  co_await discard(**got);
  co_return Result<void>();
}

std::string Client::presign_get(std::string_view bucket, std::string_view key,
                                std::chrono::seconds expires,
                                std::chrono::system_clock::time_point now) const {
  const std::string path = object_path(bucket, key);
  const auto seconds = static_cast<uint32_t>(std::clamp<int64_t>(expires.count(), 1, 604800));
  std::string base = config_.endpoint;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return base + canonical_uri(path) + "?" +
         presign_query("GET", path, {}, http_->host_header(), config_.credentials, config_.region,
                       amz_date(now), seconds);
}

}  // namespace cairn::s3

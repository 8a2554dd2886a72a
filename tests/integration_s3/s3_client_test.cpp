// s3::Client against a real Ceph RGW (tests/support/rgw.h, started once for this binary; ctest
// runs the binary whole). Each test works in a bucket of its own.
#include "s3/client.h"
#include "tests/support/ports.h"
#include "tests/support/rgw.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

#include <openssl/evp.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace cairn::testing {
namespace {

namespace asio = boost::asio;
using s3::ByteRange;
using s3::Client;
using s3::ObjectReader;

constexpr size_t kMiB = 1024 * 1024;

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (auto& c : out)
    c = static_cast<char>(gen());
  return out;
}

// The ETag S3 gives an object stored whole: its MD5 in hex, quoted.
std::string md5_etag(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned i = 0; i < len; ++i) {
    out += kDigits[md[i] >> 4];
    out += kDigits[md[i] & 15];
  }
  return out + "\"";
}

// Reads a body to its end in pieces of at most `piece` bytes; counts the reads that gave bytes
// and the largest one.
struct Drained {
  std::string body;
  size_t reads = 0;
  size_t largest = 0;
};
asio::awaitable<Result<Drained>> drain(ObjectReader& reader, size_t piece) {
  Drained d;
  std::vector<std::byte> buf(piece);
  for (;;) {
    auto n = co_await reader.read_some(buf);
    if (!n)
      co_return n.error();
    if (*n == 0)
      co_return d;
    ++d.reads;
    d.largest = std::max(d.largest, *n);
    d.body.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
}

s3::Config config_for(const RgwServer& rgw) {
  s3::Config c;
  c.endpoint = rgw.endpoint();
  c.region = RgwServer::region();
  c.credentials = {RgwServer::access_key(), RgwServer::secret_key()};
  return c;
}

class S3Client : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = run(client_->create_bucket(bucket_));
    ASSERT_TRUE(made) << made.error().detail;
  }
  void TearDown() override { client_->close_idle(); }

  // Runs `op` to its end on this test's io_context.
  template <class T>
  T run(asio::awaitable<T> op) {
    io_.restart();
    auto f = asio::co_spawn(io_, std::move(op), asio::use_future);
    io_.run();
    return f.get();
  }

  // The whole object `key` of `bucket`, read in 64 KiB pieces.
  std::string get_all(const std::string& bucket, const std::string& key) {
    auto reader = run(client_->get_object(bucket, key));
    EXPECT_TRUE(reader) << reader.error().detail;
    if (!reader)
      return {};
    auto d = run(drain(**reader, 64 * 1024));
    EXPECT_TRUE(d) << d.error().detail;
    return d ? d->body : std::string();
  }

  void put(const std::string& key, const std::string& body) {
    auto r = run(client_->put_object(bucket_, key, body));
    ASSERT_TRUE(r) << r.error().detail;
  }

  asio::io_context io_;  // before the clients: their idle sockets belong to it
  RgwServer& rgw_ = RgwServer::shared();
  std::unique_ptr<Client> client_ = std::make_unique<Client>(config_for(rgw_));
  std::string bucket_ = rgw_.fresh_bucket();
};

TEST_F(S3Client, PutGetHeadDelete) {
  const std::string body = random_bytes(100'000, 1);
  auto etag = run(client_->put_object(bucket_, "blob", body));
  ASSERT_TRUE(etag) << etag.error().detail;
  EXPECT_EQ(*etag, md5_etag(body));

  auto head = run(client_->head_object(bucket_, "blob"));
  ASSERT_TRUE(head) << head.error().detail;
  EXPECT_EQ(head->size, body.size());
  EXPECT_EQ(head->etag, md5_etag(body));
  EXPECT_FALSE(head->last_modified.empty());

  EXPECT_EQ(get_all(bucket_, "blob"), body);

  auto del = run(client_->delete_object(bucket_, "blob"));
  ASSERT_TRUE(del) << del.error().detail;
  auto gone = run(client_->head_object(bucket_, "blob"));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::not_found) << gone.error().detail;
  // S3 deletes are idempotent.
  EXPECT_TRUE(run(client_->delete_object(bucket_, "blob")));
}

TEST_F(S3Client, ThePayloadHashIsSignedAndCheckedByTheServer) {
  const std::string body = random_bytes(70'000, 20);
  // The caller's hash, when right, is the one signed.
  auto put = run(client_->put_object(bucket_, "hashed", body, s3::sha256_hex(body)));
  ASSERT_TRUE(put) << put.error().detail;
  EXPECT_EQ(get_all(bucket_, "hashed"), body);
  // A hash of other bytes: RGW refuses the body (XAmzContentSHA256Mismatch).
  auto wrong = run(client_->put_object(bucket_, "mismatch", body, s3::sha256_hex("other")));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::digest_mismatch) << wrong.error().detail;
  EXPECT_FALSE(run(client_->head_object(bucket_, "mismatch")));
  auto id = run(client_->create_multipart_upload(bucket_, "mp"));
  ASSERT_TRUE(id);
  auto part = run(client_->upload_part(bucket_, "mp", *id, 1, body, s3::sha256_hex("other")));
  ASSERT_FALSE(part);
  EXPECT_EQ(part.error().code, Errc::digest_mismatch) << part.error().detail;
  EXPECT_TRUE(run(client_->abort_multipart_upload(bucket_, "mp", *id)));
  // Not a hash at all: refused before sending.
  auto malformed = run(client_->put_object(bucket_, "bad", body, "XYZ"));
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, Errc::invalid_argument) << malformed.error().detail;
}

TEST_F(S3Client, KeysWithReservedCharactersAreSignedAndStoredAsGiven) {
  // Spaces, +, =, &, %, *, ~, parentheses and UTF-8: the canonical URI must encode each the way
  // RGW decodes it, or the signature fails.
  const std::vector<std::string> keys = {"dir/sub/a b+c=d&e~f(1)*.txt", "dir/100%",
                                         "dir/caf\xc3\xa9;x,y", "dir/!'@$"};
  for (size_t i = 0; i < keys.size(); ++i)
    put(keys[i], "value " + std::to_string(i));
  for (size_t i = 0; i < keys.size(); ++i)
    EXPECT_EQ(get_all(bucket_, keys[i]), "value " + std::to_string(i)) << keys[i];
  auto page = run(client_->list_objects(bucket_, "dir/"));
  ASSERT_TRUE(page) << page.error().detail;
  std::vector<std::string> listed;
  for (const auto& o : page->objects)
    listed.push_back(o.key);
  std::vector<std::string> want = keys;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(listed, want);
}

TEST_F(S3Client, RangeGetStreamsTheSlicePieceByPiece) {
  const std::string body = random_bytes(3 * kMiB, 2);
  put("big", body);

  auto reader = run(client_->get_object(bucket_, "big", ByteRange{1000, 2 * kMiB}));
  ASSERT_TRUE(reader) << reader.error().detail;
  EXPECT_EQ((*reader)->info().size, body.size());  // from Content-Range: the whole object
  EXPECT_EQ((*reader)->offset(), 1000u);
  EXPECT_EQ((*reader)->length(), 2 * kMiB);
  auto d = run(drain(**reader, 16 * 1024));
  ASSERT_TRUE(d) << d.error().detail;
  EXPECT_TRUE(d->body == body.substr(1000, 2 * kMiB));
  // Streamed: 2 MiB came in at least 128 reads of at most the 16 KiB asked for.
  EXPECT_GE(d->reads, 128u);
  EXPECT_LE(d->largest, 16u * 1024);

  auto tail = run(client_->get_object(bucket_, "big", ByteRange{body.size() - 10, std::nullopt}));
  ASSERT_TRUE(tail) << tail.error().detail;
  auto t = run(drain(**tail, 4096));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->body, body.substr(body.size() - 10));

  auto past = run(client_->get_object(bucket_, "big", ByteRange{body.size() + 1, 5}));
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().code, Errc::range_invalid) << past.error().detail;
}

TEST_F(S3Client, AReaderDroppedHalfwayLeavesTheClientUsable) {
  const std::string body = random_bytes(2 * kMiB, 3);
  put("half", body);
  {
    auto reader = run(client_->get_object(bucket_, "half"));
    ASSERT_TRUE(reader);
    std::vector<std::byte> buf(1000);
    auto n = run((*reader)->read_some(buf));
    ASSERT_TRUE(n);
    EXPECT_GT(*n, 0u);
  }  // its connection closes
  EXPECT_EQ(get_all(bucket_, "half"), body);
}

TEST_F(S3Client, MissingKeysAndBucketsAreNotFound) {
  auto get = run(client_->get_object(bucket_, "nothing"));
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().code, Errc::not_found);
  EXPECT_NE(get.error().detail.find("NoSuchKey"), std::string::npos) << get.error().detail;

  auto head = run(client_->head_object(bucket_, "nothing"));
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().code, Errc::not_found);

  auto bucket = run(client_->get_object("no-such-bucket-here", "k"));
  ASSERT_FALSE(bucket);
  EXPECT_EQ(bucket.error().code, Errc::not_found);
  EXPECT_NE(bucket.error().detail.find("NoSuchBucket"), std::string::npos) << bucket.error().detail;

  auto list = run(client_->list_objects("no-such-bucket-here", ""));
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().code, Errc::not_found);
}

TEST_F(S3Client, ListPaginatesWithContinuationTokens) {
  for (int i = 0; i < 7; ++i)
    put("p/k" + std::to_string(i), std::string(static_cast<size_t>(i) + 1, 'x'));
  put("q/other", "y");

  std::vector<std::string> keys;
  std::vector<size_t> page_sizes;
  std::string token;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = run(client_->list_objects(bucket_, "p/", token, 3));
    ASSERT_TRUE(page) << page.error().detail;
    page_sizes.push_back(page->objects.size());
    for (const auto& o : page->objects) {
      keys.push_back(o.key);
      EXPECT_EQ(o.size, static_cast<uint64_t>(o.key.back() - '0') + 1) << o.key;
      EXPECT_FALSE(o.etag.empty());
    }
    if (!page->truncated)
      break;
    EXPECT_FALSE(page->next_token.empty());
    token = page->next_token;
  }
  EXPECT_EQ(page_sizes, (std::vector<size_t>{3, 3, 1}));
  EXPECT_EQ(keys,
            (std::vector<std::string>{"p/k0", "p/k1", "p/k2", "p/k3", "p/k4", "p/k5", "p/k6"}));

  auto all = run(client_->list_objects(bucket_, ""));
  ASSERT_TRUE(all);
  EXPECT_EQ(all->objects.size(), 8u);
  EXPECT_FALSE(all->truncated);
}

TEST_F(S3Client, CopyObjectWithinAndAcrossBuckets) {
  const std::string body = random_bytes(300'000, 4);
  put("src key", body);
  auto etag = run(client_->copy_object(bucket_, "src key", bucket_, "dst/copy"));
  ASSERT_TRUE(etag) << etag.error().detail;
  EXPECT_EQ(*etag, md5_etag(body));
  EXPECT_EQ(get_all(bucket_, "dst/copy"), body);

  const std::string other = rgw_.fresh_bucket();
  ASSERT_TRUE(run(client_->create_bucket(other)));
  ASSERT_TRUE(run(client_->copy_object(bucket_, "src key", other, "elsewhere")));
  EXPECT_EQ(get_all(other, "elsewhere"), body);

  auto missing = run(client_->copy_object(bucket_, "no such source", bucket_, "x"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found) << missing.error().detail;
}

TEST_F(S3Client, MultipartUploadAssemblesThePartsInOrder) {
  const std::vector<std::string> parts = {random_bytes(5 * kMiB, 5), random_bytes(5 * kMiB, 6),
                                          random_bytes(kMiB + 123, 7)};
  auto id = run(client_->create_multipart_upload(bucket_, "assembled"));
  ASSERT_TRUE(id) << id.error().detail;
  std::vector<s3::Part> done;
  // Uploaded out of order: the part numbers place them.
  for (int n : {2, 1, 3}) {
    auto etag = run(client_->upload_part(bucket_, "assembled", *id, n, parts[n - 1]));
    ASSERT_TRUE(etag) << etag.error().detail;
    EXPECT_EQ(*etag, md5_etag(parts[n - 1]));
    done.push_back({n, *etag});
  }
  std::sort(done.begin(), done.end(), [](auto& a, auto& b) { return a.number < b.number; });
  // Not visible before completion.
  EXPECT_FALSE(run(client_->head_object(bucket_, "assembled")));

  auto complete = run(client_->complete_multipart_upload(bucket_, "assembled", *id, done));
  ASSERT_TRUE(complete) << complete.error().detail;

  auto head = run(client_->head_object(bucket_, "assembled"));
  ASSERT_TRUE(head) << head.error().detail;
  EXPECT_EQ(head->size, parts[0].size() + parts[1].size() + parts[2].size());
  EXPECT_TRUE(head->etag.ends_with("-3\"")) << head->etag;  // the multipart ETag: md5-N
  EXPECT_TRUE(get_all(bucket_, "assembled") == parts[0] + parts[1] + parts[2]);
}

TEST_F(S3Client, MultipartPartsUnderFiveMiBButTheLastAreRefused) {
  auto id = run(client_->create_multipart_upload(bucket_, "small"));
  ASSERT_TRUE(id) << id.error().detail;
  std::vector<s3::Part> done;
  for (int n : {1, 2}) {
    auto etag = run(client_->upload_part(bucket_, "small", *id, n, random_bytes(kMiB, 8 + n)));
    ASSERT_TRUE(etag) << etag.error().detail;
    done.push_back({n, *etag});
  }
  auto complete = run(client_->complete_multipart_upload(bucket_, "small", *id, done));
  ASSERT_FALSE(complete);
  EXPECT_EQ(complete.error().code, Errc::invalid_argument) << complete.error().detail;
  EXPECT_NE(complete.error().detail.find("EntityTooSmall"), std::string::npos)
      << complete.error().detail;
  EXPECT_TRUE(run(client_->abort_multipart_upload(bucket_, "small", *id)));
}

TEST_F(S3Client, AbortDropsTheUpload) {
  auto id = run(client_->create_multipart_upload(bucket_, "aborted"));
  ASSERT_TRUE(id) << id.error().detail;
  auto etag = run(client_->upload_part(bucket_, "aborted", *id, 1, random_bytes(kMiB, 11)));
  ASSERT_TRUE(etag) << etag.error().detail;
  auto abort = run(client_->abort_multipart_upload(bucket_, "aborted", *id));
  ASSERT_TRUE(abort) << abort.error().detail;

  auto part = run(client_->upload_part(bucket_, "aborted", *id, 2, "more"));
  ASSERT_FALSE(part);
  EXPECT_EQ(part.error().code, Errc::not_found) << part.error().detail;
  // Completing it fails; RGW 16.2 answers 500 InternalError ("This multipart completion is
  // already in progress") where AWS answers NoSuchUpload, so only the failure is asserted.
  auto complete = run(client_->complete_multipart_upload(bucket_, "aborted", *id, {{1, *etag}}));
  EXPECT_FALSE(complete);
  EXPECT_FALSE(run(client_->head_object(bucket_, "aborted")));
  auto again = run(client_->abort_multipart_upload(bucket_, "aborted", *id));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::not_found) << again.error().detail;
  auto list = run(client_->list_objects(bucket_, ""));
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->objects.empty());
}

TEST_F(S3Client, AnUnknownUploadIdIsNotFound) {
  auto part = run(client_->upload_part(bucket_, "k", "2~no-such-upload", 1, "x"));
  ASSERT_FALSE(part);
  EXPECT_EQ(part.error().code, Errc::not_found) << part.error().detail;
  EXPECT_NE(part.error().detail.find("NoSuchUpload"), std::string::npos) << part.error().detail;
  auto abort = run(client_->abort_multipart_upload(bucket_, "k", "2~no-such-upload"));
  ASSERT_FALSE(abort);
  EXPECT_EQ(abort.error().code, Errc::not_found) << abort.error().detail;
  // RGW 16.2 answers CompleteMultipartUpload of an unknown upload with 500 InternalError ("This
  // multipart completion is already in progress"), not NoSuchUpload: a caller that retries
  // `unavailable` must bound its retries of a completion.
  auto complete =
      run(client_->complete_multipart_upload(bucket_, "k", "2~no-such-upload", {{1, "\"x\""}}));
  ASSERT_FALSE(complete);
  EXPECT_EQ(complete.error().code, Errc::unavailable) << complete.error().detail;
  EXPECT_FALSE(run(client_->head_object(bucket_, "k")));
}

// Puts `body` as `key`, reads it back whole; the body read, or the error's detail.
asio::awaitable<std::string> put_then_get(Client& c, std::string bucket, std::string key,
                                          std::string body) {
  auto put = co_await c.put_object(bucket, key, body);
  if (!put)
    co_return "put: " + put.error().detail;
  auto reader = co_await c.get_object(bucket, key);
  if (!reader)
    co_return "get: " + reader.error().detail;
  auto d = co_await drain(**reader, 32 * 1024);
  if (!d)
    co_return "read: " + d.error().detail;
  co_return d->body;
}

TEST_F(S3Client, TwelveConcurrentCallsOnTwoThreadsThroughThreeConnections) {
  s3::Config c = config_for(rgw_);
  c.max_connections = 3;
  Client pooled(c);
  constexpr int kCalls = 12;
  std::vector<std::string> bodies, got(kCalls);
  for (int i = 0; i < kCalls; ++i)
    bodies.push_back(random_bytes(200'000 + static_cast<size_t>(i), 100 + i));
  io_.restart();
  for (int i = 0; i < kCalls; ++i) {
    asio::co_spawn(io_, put_then_get(pooled, bucket_, "c/" + std::to_string(i), bodies[i]),
                   [&got, i](std::exception_ptr e, std::string r) {
                     got[i] = e ? "exception" : std::move(r);
                   });
  }
  std::thread other([&] { io_.run(); });
  io_.run();
  other.join();
  for (int i = 0; i < kCalls; ++i)
    EXPECT_TRUE(got[i] == bodies[i]) << i << ": " << got[i].substr(0, 200);
  pooled.close_idle();
}

// Fetches `url` with curl; returns the status and puts the body in `body`.
int curl_get(const std::string& url, std::string* body) {
  TempDir scratch;
  const std::string file = (scratch.path() / "body").string();
  std::string code;
  run_command({"curl", "-s", "-o", file, "-w", "%{http_code}", url}, &code, scratch.path());
  std::ifstream in(file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  *body = ss.str();
  return code.empty() ? -1 : std::stoi(code);
}

TEST_F(S3Client, PresignedGetUrlWorksWithoutCredentialsUntilItExpires) {
  const std::string body = random_bytes(50'000, 12);
  put("shared/file name", body);

  const std::string url =
      client_->presign_get(bucket_, "shared/file name", std::chrono::minutes(5));
  ASSERT_TRUE(url.starts_with(rgw_.endpoint() + "/" + bucket_ + "/shared/file%20name?")) << url;
  std::string got;
  EXPECT_EQ(curl_get(url, &got), 200) << got;
  EXPECT_TRUE(got == body);

  // Another key under the same signature is refused.
  std::string other = url;
  other.replace(other.find("file%20name"), 11, "file%20nam3");
  EXPECT_EQ(curl_get(other, &got), 403) << got;

  // Signed two hours ago for one minute: expired.
  const std::string old =
      client_->presign_get(bucket_, "shared/file name", std::chrono::seconds(60),
                           std::chrono::system_clock::now() - std::chrono::hours(2));
  EXPECT_EQ(curl_get(old, &got), 403) << got;
}

TEST_F(S3Client, AWrongSecretIsASignatureError) {
  s3::Config c = config_for(rgw_);
  c.credentials.secret_key = "not-the-secret";
  Client wrong(c);
  auto put = run(wrong.put_object(bucket_, "k", "v"));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, Errc::denied);
  EXPECT_NE(put.error().detail.find("SignatureDoesNotMatch"), std::string::npos)
      << put.error().detail;
  auto head = run(wrong.head_object(bucket_, "k"));  // a HEAD answer has no body to name it
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().code, Errc::denied) << head.error().detail;
  wrong.close_idle();
  // Nothing was stored.
  EXPECT_FALSE(run(client_->head_object(bucket_, "k")));
}

TEST_F(S3Client, AnUnknownAccessKeyIsDenied) {
  s3::Config c = config_for(rgw_);
  c.credentials.access_key = "NOSUCHACCESSKEY00000";
  Client wrong(c);
  auto get = run(wrong.get_object(bucket_, "k"));
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().code, Errc::denied);
  EXPECT_NE(get.error().detail.find("InvalidAccessKeyId"), std::string::npos) << get.error().detail;
  wrong.close_idle();
}

TEST_F(S3Client, NoServerIsUnavailable) {
  s3::Config c = config_for(rgw_);
  c.endpoint = "http://127.0.0.1:" + std::to_string(pick_free_port());
  Client nowhere(c);
  auto put = run(nowhere.put_object("b", "k", "v"));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, Errc::unavailable) << put.error().detail;
}

TEST_F(S3Client, EmptyKeysAndSlashedBucketsAreRefusedBeforeSending) {
  // PUT /bucket with a body would be a CreateBucket; "/b/x" a request on bucket b.
  auto put = run(client_->put_object(bucket_, "", "body"));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, Errc::invalid_argument) << put.error().detail;
  auto get = run(client_->get_object(bucket_ + "/x", "k"));
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().code, Errc::invalid_argument) << get.error().detail;
  auto list = run(client_->list_objects("", ""));
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().code, Errc::invalid_argument) << list.error().detail;
}

TEST_F(S3Client, BodiesOverTheBoundAreRefusedBeforeSending) {
  s3::Config c = config_for(rgw_);
  c.max_body_bytes = 1024;
  Client bounded(c);
  auto put = run(bounded.put_object(bucket_, "big", std::string(1025, 'x')));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, Errc::invalid_argument) << put.error().detail;
  EXPECT_TRUE(run(bounded.put_object(bucket_, "small", std::string(1024, 'x'))));
  bounded.close_idle();
  EXPECT_FALSE(run(client_->head_object(bucket_, "big")));
}

// The harness itself: tools/rgw.sh never wipes or stops in a directory it did not make.
TEST(RgwScript, RefusesADirectoryItDidNotMake) {
  TempDir dir;
  const std::string script = std::string(CAIRN_SOURCE_DIR) + "/tools/rgw.sh";
  std::ofstream(dir.path() / "precious") << "keep me";
  EXPECT_EQ(run_command({"bash", script, "start", dir.path().string()}), 1);
  EXPECT_EQ(run_command({"bash", script, "stop", dir.path().string()}), 1);
  std::ifstream in(dir.path() / "precious");
  std::string kept;
  std::getline(in, kept);
  EXPECT_EQ(kept, "keep me");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "ceph.conf"));
  EXPECT_EQ(run_command({"bash", script, "start"}), 2);  // usage
}

}  // namespace
}  // namespace cairn::testing

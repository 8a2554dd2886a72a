// content::BucketStore over s3::Bucket against a real Ceph RGW (tests/support/rgw.h, started once
// for this binary): the shared content store suite, then what only an object store does
// (multipart parts, resuming from a saved hash state, the copy of an upload whose digest came
// late, the spool followers read).
#include "storage/content/bucket_store.h"
#include "s3/bucket.h"
#include "tests/support/rgw_bucket.h"
#include "tests/unit/storage/content/store_suite.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

namespace cairn::testing {
namespace {

constexpr size_t kPart = content::kMinPartSize;

class BucketHarness {
 public:
  BucketHarness(std::filesystem::path spool, size_t part_size = kPart)
      : spool_(std::move(spool)), part_size_(part_size), bucket_(fresh_rgw_bucket("blobs-root")) {
    std::filesystem::create_directories(spool_);
    reopen();
  }

  content::BucketStore& store() { return *store_; }
  ManualClock& clock() { return clock_; }
  s3::Bucket& bucket() { return *bucket_; }
  void reopen() {
    store_.reset();
    content::BucketStoreOptions opts;
    opts.clock = &clock_;
    opts.part_size = part_size_;
    opts.spool_dir = spool_;
    store_ = content::BucketStore::open(bucket_, opts).value();
  }

 private:
  std::filesystem::path spool_;
  size_t part_size_;
  ManualClock clock_;
  std::shared_ptr<s3::Bucket> bucket_;
  std::unique_ptr<content::BucketStore> store_;
};

struct BucketFactory {
  static std::unique_ptr<BucketHarness> make(const std::filesystem::path& dir) {
    return std::make_unique<BucketHarness>(dir / "spool");
  }
};

}  // namespace

using BucketFactories = ::testing::Types<BucketFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Bucket, StoreSuite, BucketFactories);

namespace {

using content::WriterOptions;

class BucketStoreTest : public ::testing::Test {
 protected:
  BucketStoreTest() : h_(dir_.path() / "spool") {}
  content::BucketStore& store() { return h_.store(); }

  // The object keys under the store's prefix that start with `prefix`.
  std::vector<std::string> keys(std::string_view prefix) {
    std::vector<std::string> out;
    auto r = h_.bucket().list(prefix, [&](const content::ObjectEntry& e) {
      out.push_back(e.key);
      return true;
    });
    EXPECT_TRUE(r) << r.error().detail;
    return out;
  }

  TempDir dir_;
  BucketHarness h_;
};

// A blob of several parts whose digest is known up front completes where it belongs; the
// ingest leaves nothing behind.
TEST_F(BucketStoreTest, MultipartBlobWithItsDigestKnown) {
  const std::string data = payload(2 * kPart + 12345, 7);
  const Digest d = digest(data);
  auto w = store().writer(WriterOptions{"known", static_cast<int64_t>(data.size()), d});
  CAIRN_ASSERT_OK(w);
  // In uneven pieces, so parts are cut across writes.
  for (size_t at = 0; at < data.size(); at += 1'000'003)
    CAIRN_ASSERT_OK((*w)->write(std::string_view(data).substr(at, 1'000'003)));
  CAIRN_ASSERT_OK((*w)->commit(static_cast<int64_t>(data.size()), d));
  auto back = read_all(store(), d);
  CAIRN_ASSERT_OK(back);
  EXPECT_TRUE(*back == data);
  EXPECT_EQ(keys("ingests/"), std::vector<std::string>{});
  EXPECT_EQ(keys("blobs/"), std::vector<std::string>{content::BucketStore::blob_key(d)});
}

// Written without a digest, closed after two parts and a tail, resumed by another store object
// (another process, as far as the bucket can tell): hashing continues from the saved state.
TEST_F(BucketStoreTest, ResumesAfterPartsInAnotherProcess) {
  const std::string data = payload(3 * kPart + 777, 9);
  const size_t first = 2 * kPart + 4096;
  {
    auto w = store().writer(WriterOptions{"late-digest", 0, std::nullopt});
    CAIRN_ASSERT_OK(w);
    CAIRN_ASSERT_OK((*w)->write(std::string_view(data).substr(0, first)));
  }
  h_.reopen();
  auto st = store().status("late-digest");
  CAIRN_ASSERT_OK(st);
  EXPECT_EQ(st->offset, static_cast<int64_t>(first));
  auto w = store().writer(WriterOptions{"late-digest", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  EXPECT_EQ((*w)->digest(), digest(std::string_view(data).substr(0, first)));
  CAIRN_ASSERT_OK((*w)->write(std::string_view(data).substr(first)));
  const Digest d = digest(data);
  CAIRN_ASSERT_OK((*w)->commit(static_cast<int64_t>(data.size()), d));
  auto back = read_all(store(), d);
  CAIRN_ASSERT_OK(back);
  EXPECT_TRUE(*back == data);
  // The upload completed to the ingest's data object and was copied into place; both gone.
  EXPECT_EQ(keys("ingests/"), std::vector<std::string>{});
}

// A sha512 digest given only at commit, after parts went out: the completed data is read back
// and hashed; a wrong one ends the ingest (its upload cannot take more bytes).
TEST_F(BucketStoreTest, Sha512AtCommitAfterParts) {
  const std::string data = payload(kPart + 10, 11);
  auto w = store().writer(WriterOptions{"five-twelve", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write(data));
  const Digest d = digest(data, content::Algorithm::sha512);
  CAIRN_ASSERT_OK((*w)->commit(0, d));
  auto back = read_all(store(), d);
  CAIRN_ASSERT_OK(back);
  EXPECT_TRUE(*back == data);

  auto w2 = store().writer(WriterOptions{"five-twelve-bad", 0, std::nullopt});
  CAIRN_ASSERT_OK(w2);
  CAIRN_ASSERT_OK((*w2)->write(data));
  CAIRN_ASSERT_ERR((*w2)->commit(0, digest("other", content::Algorithm::sha512)),
                   Errc::digest_mismatch);
  CAIRN_ASSERT_ERR(store().status("five-twelve-bad"), Errc::not_found);
  EXPECT_EQ(keys("ingests/"), std::vector<std::string>{});
}

// An ingest started for one digest never completes under another: bytes that do not match it
// are refused and stay an ingest.
TEST_F(BucketStoreTest, WrongBytesForTheDigestKnownUpFront) {
  const std::string data = payload(kPart + 99, 13);
  const Digest promised = digest("something else");
  auto w = store().writer(WriterOptions{"liar", 0, promised});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write(data));
  CAIRN_ASSERT_ERR((*w)->commit(0, std::nullopt), Errc::digest_mismatch);
  CAIRN_ASSERT_ERR((*w)->commit(0, promised), Errc::digest_mismatch);
  CAIRN_ASSERT_ERR(store().info(digest(data)), Errc::not_found);
  CAIRN_ASSERT_ERR(store().info(promised), Errc::not_found);
  w->reset();
  CAIRN_ASSERT_OK(store().abort("liar"));
  EXPECT_EQ(keys("ingests/"), std::vector<std::string>{});
}

// A follower of a keep_pages writer reads each byte as it is written, parts and all.
TEST_F(BucketStoreTest, FollowersReadTheSpoolAcrossParts) {
  const std::string data = payload(kPart + 5000, 15);
  WriterOptions opts{"fill", static_cast<int64_t>(data.size()), digest(data)};
  opts.keep_pages = true;
  auto w = store().writer(opts);
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write(std::string_view(data).substr(0, kPart + 1)));
  auto r = (*w)->reader();
  CAIRN_ASSERT_OK(r);
  EXPECT_EQ((*r)->size(), static_cast<int64_t>(kPart + 1));
  CAIRN_ASSERT_OK((*w)->write(std::string_view(data).substr(kPart + 1)));
  CAIRN_ASSERT_OK((*w)->commit(static_cast<int64_t>(data.size()), digest(data)));
  std::string got(data.size(), '\0');
  ASSERT_EQ(::pread((*r)->native_handle(), got.data(), got.size(), 0),
            static_cast<ssize_t>(data.size()));
  EXPECT_TRUE(got == data);
  // Without keep_pages there is nothing to follow.
  auto plain = store().writer(WriterOptions{"plain", 0, std::nullopt});
  CAIRN_ASSERT_OK(plain);
  CAIRN_ASSERT_ERR((*plain)->reader(), Errc::failed_precondition);
}

// Reads anywhere in a blob: each read is a GET of its range.
TEST_F(BucketStoreTest, RandomReads) {
  const std::string data = payload(300'000, 17);
  auto d = put(store(), "random", data);
  CAIRN_ASSERT_OK(d);
  auto r = store().reader(*d);
  CAIRN_ASSERT_OK(r);
  EXPECT_EQ((*r)->native_handle(), -1);
  std::vector<std::byte> buf(1000);
  for (int64_t off : {int64_t{299'500}, int64_t{0}, int64_t{1000}, int64_t{150'000}}) {
    auto n = (*r)->read_at(buf, off);
    CAIRN_ASSERT_OK(n);
    const size_t want = std::min<size_t>(1000, data.size() - off);
    ASSERT_EQ(*n, want);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n), data.substr(off, want));
  }
  auto n = (*r)->read_at(buf, 300'000);
  CAIRN_ASSERT_OK(n);
  EXPECT_EQ(*n, 0u);
}

// 40 readers open at once, each read from in turn, more than the bucket has connections (16):
// at most held_streams (8) of them keep a GET open between reads, so none waits for another's
// connection for good. (When every reader kept its GET, the 17th read stopped: the test would
// hang, so a watchdog ends the process, failed, instead.)
TEST_F(BucketStoreTest, ReadersHoldNoConnectionBetweenReads) {
  const std::string data = payload(200'000, 23);
  auto d = put(store(), "many", data);
  CAIRN_ASSERT_OK(d);
  std::vector<std::unique_ptr<content::ReaderAt>> readers;
  for (int i = 0; i < 40; ++i) {
    auto r = store().reader(*d);
    CAIRN_ASSERT_OK(r);
    readers.push_back(std::move(*r));
  }
  std::promise<void> finished;
  std::thread watchdog([f = finished.get_future()]() mutable {
    if (f.wait_for(std::chrono::seconds(60)) == std::future_status::timeout) {
      std::fprintf(stderr, "ReadersHoldNoConnectionBetweenReads: reads stalled for 60 s\n");
      std::exit(1);  // not abort: exit runs ~RgwServer, which stops the shared RGW
    }
  });
  [&] {  // (a lambda: its ASSERTs leave it, not the test, so the watchdog is always told)
    std::vector<std::byte> buf(1000);
    // Going on (8 readers hold a GET, the others read each range alone), a jump, going on.
    for (int64_t off : {0, 1000, 2000, 3000, 100'000, 101'000, 102'000}) {
      for (auto& r : readers) {
        auto n = r->read_at(buf, off);
        CAIRN_ASSERT_OK(n);
        ASSERT_EQ(*n, buf.size());
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n),
                  data.substr(off, buf.size()));
      }
    }
  }();
  finished.set_value();
  watchdog.join();
}

// Counts the GETs of the bucket under a store; the rest passes through.
class CountingBucket final : public content::Bucket {
 public:
  explicit CountingBucket(std::shared_ptr<content::Bucket> b) : b_(std::move(b)) {}
  int gets = 0;
  Result<void> put(std::string_view k, std::string body) override {
    return b_->put(k, std::move(body));
  }
  Result<uint64_t> size(std::string_view k) override { return b_->size(k); }
  Result<std::unique_ptr<content::ObjectStream>> get(std::string_view k, uint64_t offset,
                                                     std::optional<uint64_t> length) override {
    ++gets;
    return b_->get(k, offset, length);
  }
  Result<void> remove(std::string_view k) override { return b_->remove(k); }
  Result<void> copy(std::string_view from, std::string_view to) override {
    return b_->copy(from, to);
  }
  Result<void> list(std::string_view prefix,
                    const std::function<bool(const content::ObjectEntry&)>& fn) override {
    return b_->list(prefix, fn);
  }
  Result<std::string> start_multipart(std::string_view k) override {
    return b_->start_multipart(k);
  }
  Result<std::string> put_part(std::string_view k, std::string_view id, int n,
                               std::string body) override {
    return b_->put_part(k, id, n, std::move(body));
  }
  Result<void> complete_multipart(std::string_view k, std::string_view id,
                                  std::vector<content::UploadedPart> parts) override {
    return b_->complete_multipart(k, id, std::move(parts));
  }
  Result<void> abort_multipart(std::string_view k, std::string_view id) override {
    return b_->abort_multipart(k, id);
  }

 private:
  std::shared_ptr<content::Bucket> b_;
};

// A reader read front to back (a pull) makes two GETs: its first piece, then the rest held
// open; with no held streams allowed, one GET a piece. Both read the same bytes.
TEST_F(BucketStoreTest, APullIsOneGetForTheRest) {
  auto shared = fresh_rgw_bucket("pull");
  for (int held : {8, 0}) {
    const std::string data = payload(100'000, 29 + held);
    auto counting = std::make_shared<CountingBucket>(shared);
    content::BucketStoreOptions o;
    o.held_streams = held;
    auto s = content::BucketStore::open(counting, o);
    CAIRN_ASSERT_OK(s);
    auto d = put(**s, "pull", data);
    CAIRN_ASSERT_OK(d);
    auto r = (*s)->reader(*d);
    CAIRN_ASSERT_OK(r);
    const int before = counting->gets;
    std::string got;
    std::vector<std::byte> buf(10'000);
    for (int64_t off = 0; off < 100'000; off += 10'000) {
      auto n = (*r)->read_at(buf, off);
      CAIRN_ASSERT_OK(n);
      got.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    EXPECT_EQ(got, data) << held;
    EXPECT_EQ(counting->gets - before, held > 0 ? 2 : 10) << held;
  }
  content::BucketStoreOptions bad;
  bad.held_streams = -1;
  CAIRN_ASSERT_ERR(content::BucketStore::open(shared, bad), Errc::invalid_argument);
}

// A state record that is not one (or names another ref) is started over, not trusted.
TEST_F(BucketStoreTest, CorruptStateStartsOver) {
  auto w = store().writer(WriterOptions{"broken", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write("hello"));
  w->reset();
  const auto state = keys("ingests/");
  ASSERT_EQ(state.size(), 2u);  // state and tail
  CAIRN_ASSERT_OK(
      h_.bucket().put(state.back().ends_with("state") ? state.back() : state.front(), "{not json"));
  CAIRN_ASSERT_ERR(store().status("broken"), Errc::not_found);
  auto again = store().writer(WriterOptions{"broken", 0, std::nullopt});
  CAIRN_ASSERT_OK(again);
  EXPECT_EQ((*again)->status()->offset, 0);
  CAIRN_ASSERT_OK((*again)->write("fresh"));
  CAIRN_ASSERT_OK((*again)->commit(5, digest("fresh")));
}

TEST(S3BucketLocation, Parses) {
  auto l = s3::parse_location(
      "s3://my-bucket/some/prefix/?endpoint=http://127.0.0.1:7480&region=eu", "ak", "sk");
  ASSERT_TRUE(l) << l.error().detail;
  EXPECT_EQ(l->bucket, "my-bucket");
  EXPECT_EQ(l->prefix, "some/prefix");
  EXPECT_EQ(l->config.endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(l->config.region, "eu");
  EXPECT_EQ(l->config.credentials.access_key, "ak");
  for (const char* bad :
       {"http://b/x", "s3://B?endpoint=http://h:1", "s3://bucket", "s3://bucket?endpoint=ftp://h",
        "s3://bucket?endpoint=http://h&x=1", "s3://bucket//p?endpoint=http://h"}) {
    auto r = s3::parse_location(bad, "ak", "sk");
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_FALSE(s3::parse_location("s3://bucket?endpoint=http://h:1", "", ""));
}

}  // namespace
}  // namespace cairn::testing

#include "storage/content/bucket_store.h"

#include "storage/common/json.h"
#include "storage/content/file_util.h"
#include "storage/content/filter.h"
#include "storage/content/labels.h"
#include "storage/content/local_reader.h"
#include "storage/content/local_store.h"
#include "storage/content/ref_locks.h"
#include "storage/content/resumable_hasher.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

namespace cairn::content {
namespace fu = file_util;
namespace {

constexpr std::string_view kBlobsPrefix = "blobs/";
constexpr std::string_view kIngestsPrefix = "ingests/";
constexpr std::string_view kStateName = "state";
// A state record lists at most 10000 parts: far below this.
constexpr size_t kMaxStateBytes = 4 * 1024 * 1024;
constexpr size_t kMaxParts = 10000;
// Re-reading a completed data object to hash it with another algorithm.
constexpr size_t kRehashPiece = 1024 * 1024;

std::string ingest_key(std::string_view ref) {
  return std::string(digest_of(ref).hex());
}
std::string ingest_object(std::string_view key, std::string_view name) {
  std::string out(kIngestsPrefix);
  out += key;
  out += '/';
  out += name;
  return out;
}

// The persisted part of an ingest (the state record of bucket_store.h).
struct IngestState {
  std::string ref;
  int64_t total = 0;
  std::optional<Digest> expected;
  Timestamp started_at{};
  Timestamp updated_at{};
  std::string upload_key;  // what the multipart upload completes to
  std::string upload_id;   // empty until the first part
  std::vector<UploadedPart> parts;
  uint64_t part_bytes = 0;
  Algorithm alg = Algorithm::sha256;
  std::string hash;  // the hash state after part_bytes bytes; empty when 0
  uint64_t tail = 0;
  // Set just before the upload is completed: the digest being committed. A record found with
  // it is a commit that stopped half way: its upload is gone, so the ingest cannot resume.
  std::string committing;
};

std::string to_text(const IngestState& s) {
  nlohmann::json parts = nlohmann::json::array();
  for (const UploadedPart& p : s.parts)
    parts.push_back({{"n", p.number}, {"etag", p.etag}});
  nlohmann::json j = {{"ref", s.ref},
                      {"total", s.total},
                      {"started_at", to_unix_nanos(s.started_at)},
                      {"updated_at", to_unix_nanos(s.updated_at)},
                      {"upload_key", s.upload_key},
                      {"upload_id", s.upload_id},
                      {"parts", std::move(parts)},
                      {"part_bytes", s.part_bytes},
                      {"alg", algorithm_name(s.alg)},
                      {"hash", s.hash},
                      {"tail", s.tail},
                      {"committing", s.committing}};
  if (s.expected)
    j["expected"] = s.expected->str();
  return j.dump();
}

// Parses a state record; nullopt when it is not one (a corrupt record).
std::optional<IngestState> from_text(std::string_view text) {
  auto j = parse_json(text);
  if (j.is_discarded() || !j.is_object())
    return std::nullopt;
  try {
    IngestState s;
    s.ref = j.at("ref").get<std::string>();
    s.total = j.at("total").get<int64_t>();
    s.started_at = from_unix_nanos(j.at("started_at").get<int64_t>());
    s.updated_at = from_unix_nanos(j.at("updated_at").get<int64_t>());
    s.upload_key = j.at("upload_key").get<std::string>();
    s.upload_id = j.at("upload_id").get<std::string>();
    for (const auto& p : j.at("parts"))
      s.parts.push_back({p.at("n").get<int>(), p.at("etag").get<std::string>()});
    s.part_bytes = j.at("part_bytes").get<uint64_t>();
    const auto alg = j.at("alg").get<std::string>();
    if (alg != "sha256" && alg != "sha512")
      return std::nullopt;
    s.alg = alg == "sha256" ? Algorithm::sha256 : Algorithm::sha512;
    s.hash = j.at("hash").get<std::string>();
    s.tail = j.at("tail").get<uint64_t>();
    s.committing = j.at("committing").get<std::string>();
    if (auto e = j.find("expected"); e != j.end()) {
      auto d = Digest::parse(e->get<std::string>());
      if (!d)
        return std::nullopt;
      s.expected = std::move(*d);
    }
    if (s.total < 0 || s.parts.size() > kMaxParts)
      return std::nullopt;
    return s;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

// Reads a whole (small) object, refusing one over `max` bytes.
Result<std::string> read_object(Bucket& bucket, std::string_view key, uint64_t offset,
                                std::optional<uint64_t> length, size_t max) {
  auto stream = bucket.get(key, offset, length);
  if (!stream)
    return stream.error();
  std::string out;
  std::vector<std::byte> buf(64 * 1024);
  for (;;) {
    auto n = (*stream)->read(buf);
    if (!n)
      return n.error();
    if (*n == 0)
      return out;
    if (out.size() + *n > max)
      return fail(Errc::io, "object " + std::string(key) + " is larger than expected");
    out.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
}

Status status_of(const IngestState& s) {
  return Status{s.ref,        static_cast<int64_t>(s.part_bytes + s.tail),
                s.total,      s.expected,
                s.started_at, s.updated_at};
}

// Reads committed content. A read that goes on where the last one ended (a pull, read front to
// back) opens one GET for the rest of the object and keeps it for the reads after, as long as
// fewer than BucketStoreOptions::held_streams readers of the store hold one; every other read
// is one GET of exactly its range, read to its end, so it holds no connection between reads.
// Why the bound: a held GET keeps its connection while its caller waits for the offload pool,
// and the pool's threads wait in get() for a connection. When every connection was held that
// way, nothing moved again (64 KiB range GETs from 32 clients stopped a --blobs server; found by
// bench/run-side-by-side.sh BACKEND=s3). With fewer held than there are connections, the rest
// are only ever held by a running pool task, which gives them back.
class BucketReader final : public ReaderAt {
 public:
  BucketReader(std::shared_ptr<Bucket> bucket, std::shared_ptr<std::atomic<int>> streams,
               std::string key, int64_t size)
      : bucket_(std::move(bucket)),
        streams_(std::move(streams)),
        key_(std::move(key)),
        size_(size) {}
  ~BucketReader() override { drop(); }

  Result<size_t> read_at(std::span<std::byte> buf, int64_t offset) override {
    if (offset < 0)
      return fail(Errc::range_invalid, "negative read offset");
    if (offset >= size_ || buf.empty())
      return size_t{0};
    const size_t want = static_cast<size_t>(std::min<int64_t>(size_ - offset, buf.size()));
    const bool goes_on = offset == at_ && offset > 0;
    at_ = -1;
    if (stream_ && !goes_on)
      drop();
    if (!stream_ && goes_on && take_slot()) {
      auto s = bucket_->get(key_, static_cast<uint64_t>(offset), std::nullopt);
      if (s)
        stream_ = std::move(*s);
      else
        give_slot();
    }
    if (stream_) {
      auto n = fill(*stream_, buf.first(want));
      if (n && *n == want) {
        at_ = offset + static_cast<int64_t>(want);
        if (at_ == size_)
          drop();  // read to its end: the connection is free again
        return n;
      }
      drop();  // broke (or stalled, timed out) between reads: this read asks again on its own
    }
    auto s = bucket_->get(key_, static_cast<uint64_t>(offset), want);
    if (!s)
      return s.error();
    auto n = fill(**s, buf.first(want));
    if (n)
      at_ = offset + static_cast<int64_t>(*n);
    return n;
  }
  int64_t size() const override { return size_; }
  int native_handle() const override { return -1; }

 private:
  // Reads exactly buf.size() bytes from `s`.
  Result<size_t> fill(ObjectStream& s, std::span<std::byte> buf) {
    size_t got = 0;
    while (got < buf.size()) {
      auto n = s.read(buf.subspan(got));
      if (!n)
        return n.error();
      if (*n == 0)
        return fail(Errc::io, "object " + key_ + " ended early");
      got += *n;
    }
    return got;
  }
  bool take_slot() {
    if (streams_->fetch_sub(1) > 0)
      return true;
    streams_->fetch_add(1);
    return false;
  }
  void give_slot() { streams_->fetch_add(1); }
  void drop() {
    if (!stream_)
      return;
    stream_.reset();
    give_slot();
  }

  std::shared_ptr<Bucket> bucket_;
  std::shared_ptr<std::atomic<int>> streams_;  // free held-stream slots of the store
  std::string key_;
  int64_t size_;
  std::unique_ptr<ObjectStream> stream_;  // held: positioned at at_
  int64_t at_ = -1;                       // where the last read ended; -1: it failed
};

}  // namespace

struct BucketStore::Core {
  Core(std::shared_ptr<Bucket> b, BucketStoreOptions o)
      : bucket(std::move(b)), options(std::move(o)), clock(*options.clock) {}

  struct Meta {
    Labels labels;
    Timestamp created_at{};
    Timestamp updated_at{};
  };

  // The ingest record of `key`: nullopt when there is none, or it is not usable (corrupt, of
  // another ref, a commit that stopped half way); `usable` tells which.
  struct Loaded {
    std::optional<IngestState> state;
    bool present = false;  // a record exists (usable or not)
  };
  Result<Loaded> load(std::string_view key, std::string_view ref) {
    auto text =
        read_object(*bucket, ingest_object(key, kStateName), 0, std::nullopt, kMaxStateBytes);
    if (!text) {
      if (text.error() == Errc::not_found)
        return Loaded{};
      return text.error();
    }
    Loaded out;
    out.present = true;
    auto s = from_text(*text);
    if (s && s->ref == ref && s->committing.empty())
      out.state = std::move(s);
    return out;
  }

  Result<void> save(std::string_view key, const IngestState& s) {
    return bucket->put(ingest_object(key, kStateName), to_text(s));
  }

  // Removes an ingest's objects, the state last (so a failure leaves a record that says what
  // is left). `s` may be null (a corrupt record).
  Result<void> remove_ingest(std::string_view key, const IngestState* s) {
    if (s && !s->upload_id.empty()) {
      auto r = bucket->abort_multipart(s->upload_key, s->upload_id);
      if (!r && r.error() != Errc::not_found)
        return r;
    }
    for (std::string_view name : {"tail", "data"}) {
      if (auto r = bucket->remove(ingest_object(key, name)); !r)
        return r;
    }
    return bucket->remove(ingest_object(key, kStateName));
  }

  Status with_live(std::string_view key, Status st) {
    if (auto live = ref_locks.live(key)) {
      st.offset = live->offset.load();
      st.updated_at = from_unix_nanos(live->updated_nanos.load());
    }
    return st;
  }

  Result<Info> info_of(const Digest& digest) {
    auto size = bucket->size(BucketStore::blob_key(digest));
    if (!size) {
      if (size.error() == Errc::not_found)
        return fail(Errc::not_found, "content " + digest.str() + " not found");
      return size.error();
    }
    Info info;
    info.digest = digest;
    info.size = static_cast<int64_t>(*size);
    std::lock_guard lock(meta_mu);
    if (auto it = meta.find(digest); it != meta.end()) {
      info.labels = it->second.labels;
      info.created_at = it->second.created_at;
      info.updated_at = it->second.updated_at;
    }
    return info;
  }

  bool exists(const Digest& digest) {
    return bucket->size(BucketStore::blob_key(digest)).has_value();
  }

  const std::shared_ptr<Bucket> bucket;
  const BucketStoreOptions options;
  const Clock& clock;
  // Free slots for readers that keep a GET open between reads (options.held_streams of them).
  const std::shared_ptr<std::atomic<int>> streams =
      std::make_shared<std::atomic<int>>(options.held_streams);
  RefLocks ref_locks;  // keyed by ingest_key(ref)
  std::mutex meta_mu;
  std::map<Digest, Meta> meta;  // guarded by meta_mu
};

namespace {

class BucketWriter final : public Writer {
 public:
  BucketWriter(std::shared_ptr<BucketStore::Core> core, RefLocks::Guard guard, std::string key,
               IngestState state, ResumableHasher at_parts, std::string tail, fu::UniqueFd spool)
      : core_(std::move(core)),
        guard_(std::move(guard)),
        key_(std::move(key)),
        s_(std::move(state)),
        at_parts_(std::move(at_parts)),
        running_(at_parts_),
        buffer_(std::move(tail)),
        spool_(std::move(spool)) {
    running_.update(buffer_);
    publish();
  }

  ~BucketWriter() override {
    // Closing without commit keeps what was written, as sync() does. Best effort: what fails
    // is lost, and the record still describes what was kept before.
    if (!committed_)
      (void)sync();
  }

  // The bytes in memory become the tail object, then the record names it (in that order: the
  // record never names a tail that is not there), so any process resumes here.
  Result<void> sync() override {
    if (committed_ || !dirty_)
      return {};
    if (!buffer_.empty()) {
      if (auto r = core_->bucket->put(ingest_object(key_, "tail"), buffer_); !r)
        return r;
    }
    s_.tail = buffer_.size();
    if (auto r = core_->save(key_, s_); !r)
      return r;
    dirty_ = false;
    return {};
  }

  Result<void> write(std::span<const std::byte> data) override {
    if (committed_)
      return fail(Errc::failed_precondition, "writer already committed");
    if (spool_) {
      if (auto r = fu::write_all(posix_file_system(), spool_.get(), data, "write spool"); !r)
        return r;
    }
    const size_t part = core_->options.part_size;
    while (!data.empty()) {
      if (buffer_.size() >= part) {
        if (auto r = upload_part(); !r)
          return r;
      }
      const size_t take = std::min(part - buffer_.size(), data.size());
      buffer_.append(reinterpret_cast<const char*>(data.data()), take);
      running_.update(data.first(take));
      data = data.subspan(take);
      dirty_ = true;
      touch();
    }
    if (buffer_.size() >= part)
      return upload_part();
    return {};
  }

  Digest digest() const override { return running_.digest(); }

  Result<std::unique_ptr<ReaderAt>> reader() const override {
    if (committed_)
      return fail(Errc::failed_precondition, "writer already committed");
    if (!spool_)
      return fail(Errc::failed_precondition,
                  "an ingest in an object store is readable only while a keep_pages writer "
                  "that started it spools it");
    const int fd = ::fcntl(spool_.get(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
      return io_error("dup spool");
    return std::unique_ptr<ReaderAt>(
        std::make_unique<LocalReader>(posix_file_system(), fu::UniqueFd(fd), offset()));
  }

  Result<Status> status() const override {
    Status st = status_of(s_);
    st.offset = offset();
    return st;
  }

  Result<void> truncate(int64_t size) override {
    if (committed_)
      return fail(Errc::failed_precondition, "writer already committed");
    if (size < 0 || size > offset()) {
      return fail(Errc::range_invalid, "truncate to " + std::to_string(size) + " outside 0.." +
                                           std::to_string(offset()));
    }
    if (size == 0 && !s_.upload_id.empty()) {
      auto r = core_->bucket->abort_multipart(s_.upload_key, s_.upload_id);
      if (!r && r.error() != Errc::not_found)
        return r;
      s_.upload_id.clear();
      s_.parts.clear();
      s_.part_bytes = 0;
      s_.hash.clear();
      at_parts_ = ResumableHasher(s_.alg);
    }
    if (static_cast<uint64_t>(size) < s_.part_bytes)
      return fail(Errc::failed_precondition, "bytes already uploaded can only be cut to 0");
    buffer_.resize(static_cast<size_t>(size - static_cast<int64_t>(s_.part_bytes)));
    running_ = at_parts_;
    running_.update(buffer_);
    if (spool_ && ::ftruncate(spool_.get(), size) != 0)
      spool_.reset();  // followers lose the spool; the ingest itself is intact
    s_.tail = 0;
    dirty_ = true;
    touch();
    return core_->save(key_, s_);
  }

  Result<void> commit(int64_t size, const std::optional<Digest>& expected,
                      const Labels& labels) override {
    if (committed_)
      return fail(Errc::failed_precondition, "writer already committed");
    if (auto r = validate_labels(labels); !r)
      return r;
    if (size < 0)
      return fail(Errc::invalid_argument, "negative commit size");
    if (size > 0 && size != offset()) {
      return fail(Errc::size_mismatch,
                  "expected " + std::to_string(size) + " bytes, have " + std::to_string(offset()));
    }
    Bucket& bucket = *core_->bucket;
    const bool rehash = expected && expected->algorithm() != running_.algorithm();
    if (rehash && !s_.parts.empty())
      return commit_rehashed(*expected, labels);
    Digest actual;
    if (rehash) {
      ResumableHasher h(expected->algorithm());
      h.update(buffer_);
      actual = h.digest();
    } else {
      actual = running_.digest();
    }
    if (expected && actual != *expected)
      return fail(Errc::digest_mismatch, "expected " + expected->str() + ", got " + actual.str());
    const std::string blob = BucketStore::blob_key(actual);
    if (core_->exists(actual))
      return finish_existing(actual);
    if (s_.parts.empty()) {
      // Never uploaded a part: one PutObject makes the blob appear whole and durable.
      if (auto r = bucket.put(blob, buffer_); !r)
        return r;
    } else {
      // An upload started for another digest's key must not complete there.
      if (s_.upload_key != blob && s_.upload_key != ingest_object(key_, "data")) {
        return fail(Errc::digest_mismatch,
                    "got " + actual.str() + ", but the ingest was started for " +
                        (s_.expected ? s_.expected->str() : std::string("another digest")));
      }
      if (auto r = complete(actual); !r)
        return r;
      if (s_.upload_key != blob) {
        if (auto r = bucket.copy(s_.upload_key, blob); !r)
          return r;
      }
    }
    return finish(actual, labels);
  }

 private:
  int64_t offset() const { return static_cast<int64_t>(s_.part_bytes + buffer_.size()); }

  void touch() {
    s_.updated_at = core_->clock.now();
    publish();
  }
  void publish() {
    guard_->live().offset.store(offset());
    guard_->live().updated_nanos.store(to_unix_nanos(s_.updated_at));
  }

  // Uploads the buffer as the next part, then records it (and the hash state at its end).
  Result<void> upload_part() {
    Bucket& bucket = *core_->bucket;
    if (s_.parts.size() + 1 >= kMaxParts)
      return fail(Errc::no_space, "the ingest reached the most parts an upload may have");
    if (s_.upload_id.empty()) {
      auto id = bucket.start_multipart(s_.upload_key);
      if (!id)
        return id.error();
      s_.upload_id = std::move(*id);
    }
    const int number = static_cast<int>(s_.parts.size()) + 1;
    const size_t n = std::min(buffer_.size(), core_->options.part_size);
    auto etag = bucket.put_part(s_.upload_key, s_.upload_id, number, buffer_.substr(0, n));
    if (!etag)
      return etag.error();  // the bytes stay buffered: a later write or close retries
    at_parts_.update(std::string_view(buffer_).substr(0, n));
    buffer_.erase(0, n);
    s_.parts.push_back({number, std::move(*etag)});
    s_.part_bytes += n;
    s_.hash = at_parts_.save();
    s_.tail = 0;
    return core_->save(key_, s_);
  }

  // Uploads what is buffered as the last part and completes the upload. The record says the
  // commit started first: the upload is gone once completed.
  Result<void> complete(const Digest& digest) {
    Bucket& bucket = *core_->bucket;
    if (!buffer_.empty()) {
      if (auto r = upload_part(); !r)
        return r;
    }
    s_.committing = digest.str();
    if (auto r = core_->save(key_, s_); !r)
      return r;
    auto done = bucket.complete_multipart(s_.upload_key, s_.upload_id, s_.parts);
    if (!done) {
      s_.committing.clear();
      (void)core_->save(key_, s_);
      return done;
    }
    return {};
  }

  // Commit with a digest of another algorithm than the running one, after parts went out:
  // completes the data object, hashes it as it reads it back, and copies it into place.
  Result<void> commit_rehashed(const Digest& expected, const Labels& labels) {
    Bucket& bucket = *core_->bucket;
    if (s_.upload_key != ingest_object(key_, "data"))
      return fail(Errc::digest_mismatch, "the ingest was started for another digest");
    if (auto r = complete(expected); !r)
      return r;
    ResumableHasher h(expected.algorithm());
    auto stream = bucket.get(s_.upload_key, 0, std::nullopt);
    if (!stream)
      return stream.error();
    std::vector<std::byte> buf(kRehashPiece);
    for (;;) {
      auto n = (*stream)->read(buf);
      if (!n)
        return n.error();
      if (*n == 0)
        break;
      h.update(std::span<const std::byte>(buf.data(), *n));
    }
    const Digest actual = h.digest();
    if (actual != expected) {
      // The completed upload cannot take more bytes: the ingest ends here.
      abandon();
      return fail(Errc::digest_mismatch,
                  "expected " + expected.str() + ", got " + actual.str() + "; the ingest is gone");
    }
    if (core_->exists(actual))
      return finish_existing(actual);
    if (auto r = bucket.copy(s_.upload_key, BucketStore::blob_key(actual)); !r)
      return r;
    return finish(actual, labels);
  }

  Result<void> finish(const Digest& digest, const Labels& labels) {
    const Timestamp now = core_->clock.now();
    {
      std::lock_guard lock(core_->meta_mu);
      core_->meta[digest] = BucketStore::Core::Meta{labels, now, now};
    }
    s_.upload_id.clear();  // completed: nothing to abort
    abandon();
    return {};
  }

  Result<void> finish_existing(const Digest& digest) {
    abandon();
    return fail(Errc::already_exists, "content " + digest.str() + " already exists");
  }

  // Ends the writer and removes its ingest. A failed removal leaves a record that later
  // writers of the ref start over from (or GC removes), so it is not the commit's error.
  void abandon() {
    committed_ = true;
    (void)core_->remove_ingest(key_, &s_);
    guard_.reset();
  }

  std::shared_ptr<BucketStore::Core> core_;
  std::optional<RefLocks::Guard> guard_;
  std::string key_;
  IngestState s_;
  ResumableHasher at_parts_;  // over the part_bytes uploaded
  ResumableHasher running_;   // over everything written
  std::string buffer_;        // the bytes after part_bytes
  fu::UniqueFd spool_;
  bool committed_ = false;
  bool dirty_ = false;  // the buffer or the offset changed since the record was written
};

}  // namespace

BucketStore::BucketStore(std::shared_ptr<Core> core) : core_(std::move(core)) {}
BucketStore::~BucketStore() = default;

std::string BucketStore::blob_key(const Digest& digest) {
  std::string out(kBlobsPrefix);
  out += algorithm_name(digest.algorithm());
  out += '/';
  out += digest.hex();
  return out;
}

Result<std::unique_ptr<BucketStore>> BucketStore::open(std::shared_ptr<Bucket> bucket,
                                                       BucketStoreOptions options) {
  if (options.part_size < kMinPartSize) {
    return fail(Errc::invalid_argument,
                "part size below " + std::to_string(kMinPartSize) + " bytes");
  }
  if (options.held_streams < 0)
    return fail(Errc::invalid_argument, "held_streams below 0");
  if (options.clock == nullptr)
    options.clock = &SystemClock::instance();
  return std::unique_ptr<BucketStore>(
      new BucketStore(std::make_shared<Core>(std::move(bucket), std::move(options))));
}

Result<std::unique_ptr<ReaderAt>> BucketStore::reader(const Digest& digest) {
  auto info = core_->info_of(digest);
  if (!info)
    return info.error();
  return std::unique_ptr<ReaderAt>(
      std::make_unique<BucketReader>(core_->bucket, core_->streams, blob_key(digest), info->size));
}

Result<Info> BucketStore::info(const Digest& digest) {
  return core_->info_of(digest);
}

Result<Info> BucketStore::update(const Info& info, std::span<const std::string> fieldpaths) {
  auto current = core_->info_of(info.digest);
  if (!current)
    return current.error();
  std::lock_guard lock(core_->meta_mu);
  auto& entry = core_->meta[info.digest];
  auto next = apply_label_update(entry.labels, info.labels, fieldpaths);
  if (!next)
    return next.error();
  const Timestamp now = core_->clock.now();
  entry.labels = *next;
  entry.updated_at = now;
  current->labels = std::move(*next);
  current->updated_at = now;
  return current;
}

Result<void> BucketStore::walk(const WalkFn& fn, std::span<const std::string> filters) {
  auto filter = Filter::parse(filters);
  if (!filter)
    return filter.error();
  // Keys list in byte order, "blobs/sha256/…" before "blobs/sha512/…": digest order.
  std::vector<Info> found;
  auto listed = core_->bucket->list(kBlobsPrefix, [&](const ObjectEntry& e) {
    std::string_view rest = std::string_view(e.key).substr(kBlobsPrefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos)
      return true;
    auto d = Digest::parse(std::string(rest.substr(0, slash)) + ":" +
                           std::string(rest.substr(slash + 1)));
    if (!d)
      return true;  // not content: a stray object
    Info info;
    info.digest = std::move(*d);
    info.size = static_cast<int64_t>(e.size);
    found.push_back(std::move(info));
    return true;
  });
  if (!listed)
    return listed;
  for (Info& info : found) {
    {
      std::lock_guard lock(core_->meta_mu);
      if (auto it = core_->meta.find(info.digest); it != core_->meta.end()) {
        info.labels = it->second.labels;
        info.created_at = it->second.created_at;
        info.updated_at = it->second.updated_at;
      }
    }
    if (filter->match(info) && !fn(info))
      break;
  }
  return {};
}

Result<void> BucketStore::remove(const Digest& digest) {
  if (!core_->bucket->size(blob_key(digest))) {
    return fail(Errc::not_found, "content " + digest.str() + " not found");
  }
  if (auto r = core_->bucket->remove(blob_key(digest)); !r)
    return r;
  std::lock_guard lock(core_->meta_mu);
  core_->meta.erase(digest);
  return {};
}

Result<Status> BucketStore::status(std::string_view ref) {
  if (auto r = validate_ref(ref); !r)
    return r.error();
  const std::string key = ingest_key(ref);
  auto loaded = core_->load(key, ref);
  if (!loaded)
    return loaded.error();
  if (!loaded->state)
    return fail(Errc::not_found, "no such ingest");
  return core_->with_live(key, status_of(*loaded->state));
}

Result<std::vector<Status>> BucketStore::list_statuses() {
  std::vector<std::string> keys;
  auto listed = core_->bucket->list(kIngestsPrefix, [&](const ObjectEntry& e) {
    std::string_view rest = std::string_view(e.key).substr(kIngestsPrefix.size());
    const auto slash = rest.find('/');
    if (slash != std::string_view::npos && rest.substr(slash + 1) == kStateName)
      keys.emplace_back(rest.substr(0, slash));
    return true;
  });
  if (!listed)
    return listed.error();
  std::vector<Status> out;
  for (const std::string& key : keys) {
    auto text = read_object(*core_->bucket, ingest_object(key, kStateName), 0, std::nullopt,
                            kMaxStateBytes);
    if (!text) {
      if (text.error() == Errc::not_found)
        continue;  // committed or aborted meanwhile
      return text.error();
    }
    // A half-committed record is listed too (GC aborts it once it expires); a corrupt one,
    // which names no ref, is not.
    auto s = from_text(*text);
    if (!s || ingest_key(s->ref) != key)
      continue;
    out.push_back(core_->with_live(key, status_of(*s)));
  }
  std::sort(out.begin(), out.end(), [](const Status& a, const Status& b) { return a.ref < b.ref; });
  return out;
}

Result<void> BucketStore::abort(std::string_view ref) {
  if (auto r = validate_ref(ref); !r)
    return r.error();
  const std::string key = ingest_key(ref);
  auto guard = core_->ref_locks.acquire(key, std::chrono::milliseconds(0));
  if (!guard)
    return fail(Errc::unavailable, "ingest " + std::string(ref) + " has a live writer");
  auto loaded = core_->load(key, ref);
  if (!loaded)
    return loaded.error();
  if (!loaded->present)
    return fail(Errc::not_found, "no such ingest");
  if (auto r = core_->remove_ingest(key, loaded->state ? &*loaded->state : nullptr); !r)
    return r;
  if (!loaded->state)
    return fail(Errc::not_found, "no such ingest");
  return {};
}

Result<std::unique_ptr<Writer>> BucketStore::writer(const WriterOptions& opts) {
  if (auto r = validate_ref(opts.ref); !r)
    return r.error();
  if (opts.total < 0)
    return fail(Errc::invalid_argument, "negative total size");
  if (opts.expected && core_->exists(*opts.expected))
    return fail(Errc::already_exists, "content " + opts.expected->str() + " already exists");
  const std::string key = ingest_key(opts.ref);
  auto guard =
      core_->ref_locks.acquire(key, opts.lock_wait.value_or(core_->options.writer_lock_wait));
  if (!guard)
    return fail(Errc::unavailable, "ingest " + opts.ref + " is held by another writer");

  auto loaded = core_->load(key, opts.ref);
  if (!loaded)
    return loaded.error();
  std::optional<ResumableHasher> at_parts;
  std::string tail;
  IngestState s;
  bool fresh = true;
  if (loaded->state) {
    s = std::move(*loaded->state);
    if (s.part_bytes == 0) {
      at_parts.emplace(s.alg);
    } else if (auto h = ResumableHasher::restore(s.alg, s.hash, s.part_bytes)) {
      at_parts.emplace(std::move(*h));
    }
    if (s.tail > 0 && at_parts) {
      auto t = read_object(*core_->bucket, ingest_object(key, "tail"), 0, s.tail,
                           core_->options.part_size);
      if (t && t->size() == s.tail)
        tail = std::move(*t);
      else
        at_parts.reset();  // the tail is gone or short: the record cannot be trusted
    }
    fresh = !at_parts.has_value();
  }
  if (loaded->present && fresh) {
    // Corrupt, of another ref, half committed, or its tail lost: start over.
    if (auto r = core_->remove_ingest(key, loaded->state ? &s : nullptr); !r)
      return r.error();
  }
  if (fresh) {
    const Timestamp now = core_->clock.now();
    s = IngestState{};
    s.ref = opts.ref;
    s.total = opts.total;
    s.expected = opts.expected;
    s.started_at = s.updated_at = now;
    s.alg = opts.expected ? opts.expected->algorithm() : Algorithm::sha256;
    // With its digest known the upload completes where the blob belongs: no copy at commit.
    s.upload_key = opts.expected ? blob_key(*opts.expected) : ingest_object(key, "data");
    at_parts.emplace(s.alg);
    if (auto r = core_->save(key, s); !r)
      return r.error();
  } else {
    if (auto r = check_reopen(opts, s.total, s.expected); !r)
      return r.error();
    if ((opts.total > 0 && s.total == 0) || (opts.expected && !s.expected)) {
      if (opts.total > 0)
        s.total = opts.total;
      if (opts.expected)
        s.expected = opts.expected;
      if (auto r = core_->save(key, s); !r)
        return r.error();
    }
  }
  fu::UniqueFd spool;
  if (opts.keep_pages && !core_->options.spool_dir.empty() && s.part_bytes == 0 && tail.empty()) {
    const int fd =
        ::open(core_->options.spool_dir.c_str(), O_TMPFILE | O_RDWR | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
      return io_error("create spool file");
    spool = fu::UniqueFd(fd);
  }
  return std::unique_ptr<Writer>(std::make_unique<BucketWriter>(core_, std::move(*guard), key,
                                                                std::move(s), std::move(*at_parts),
                                                                std::move(tail), std::move(spool)));
}

}  // namespace cairn::content

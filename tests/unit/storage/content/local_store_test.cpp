// LocalStore behaviour beyond the shared StoreSuite: ref validation, the on-disk layout, the
// per-ref writer lock, concurrency, stale and corrupt ingests, lazy records, writeback.
#include "storage/content/local_store.h"

#include "tests/support/page_cache.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tmpfs.h"
#include "tests/unit/storage/content/store_suite.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace cairn::content {
namespace {

using cairn::testing::TempDir;
using cairn::testing::store_suite::payload;
using cairn::testing::store_suite::put;
using cairn::testing::store_suite::read_all;
namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The entries of `dir`, without the spare ingest directories a commit keeps for reuse.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.path().filename().string().starts_with(".tmp-spare-"))
      out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---- validate_ref ----

struct RefCase {
  std::string name;
  std::string ref;
  bool ok;
};

class RefValidation : public ::testing::TestWithParam<RefCase> {};

TEST_P(RefValidation, Case) {
  const RefCase& c = GetParam();
  auto r = validate_ref(c.ref);
  EXPECT_EQ(r.has_value(), c.ok) << (r ? "" : r.error().detail);
  if (!c.ok) {
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RefValidation,
    ::testing::Values(RefCase{"simple", "upload-1", true},
                      RefCase{"slashes", "repo/name/uuid", true},
                      RefCase{"digest_like", "library/alpine@sha256:abc", true},
                      RefCase{"dots_inside", "a..b/.c/d.", true},
                      RefCase{"max_size", std::string(kMaxRefSize, 'r'), true},
                      RefCase{"empty", "", false}, RefCase{"dotdot_prefix", "../x", false},
                      RefCase{"absolute", "/abs", false}, RefCase{"dotdot_inside", "a/../b", false},
                      RefCase{"dot_inside", "a/./b", false}, RefCase{"dot", ".", false},
                      RefCase{"dotdot", "..", false}, RefCase{"dotdot_suffix", "a/..", false},
                      RefCase{"space", "with space", false},
                      RefCase{"nul", std::string("nul\0x", 5), false},
                      RefCase{"tab", "a\tb", false}, RefCase{"newline", "a\nb", false},
                      RefCase{"del", "a\x7f", false}, RefCase{"non_ascii", "caf\xc3\xa9", false},
                      RefCase{"too_long", std::string(kMaxRefSize + 1, 'r'), false},
                      RefCase{"way_too_long", std::string(2000, 'r'), false}),
    [](const ::testing::TestParamInfo<RefCase>& info) { return info.param.name; });

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open(LocalStoreOptions opts = {}) {
    store_.reset();
    opts.clock = &clock_;
    store_ = LocalStore::open(root(), std::move(opts)).value();
  }
  fs::path root() const { return dir_.path() / "content"; }
  fs::path ingest_dir(std::string_view ref) const {
    return root() / "ingest" / std::string(digest_of(ref).hex());
  }

  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<LocalStore> store_;
};

TEST_F(LocalStoreTest, BadRefsNeverTouchTheDisk) {
  for (std::string ref : {std::string("../x"), std::string("/abs"), std::string("a/../b"),
                          std::string("nul\0x", 5), std::string(2000, 'r'), std::string()}) {
    CAIRN_ASSERT_ERR(store_->writer(WriterOptions{ref, 0, std::nullopt}), Errc::invalid_argument);
    CAIRN_ASSERT_ERR(store_->status(ref), Errc::invalid_argument);
    CAIRN_ASSERT_ERR(store_->abort(ref), Errc::invalid_argument);
  }
  EXPECT_TRUE(names_in(root() / "ingest").empty());
  EXPECT_EQ(names_in(root()), (std::vector<std::string>{"blobs", "ingest"}));
}

TEST_F(LocalStoreTest, CommittedIngestDirectoriesAreReusedNotFreed) {
  const std::string data = "recycled";
  const Digest d = digest_of(data);
  CAIRN_ASSERT_OK(put(*store_, "first", data));
  // The committed ingest stays as one spare directory, without data, total or expected.
  std::vector<std::string> spares;
  for (const auto& e : fs::directory_iterator(root() / "ingest"))
    spares.push_back(e.path().filename().string());
  ASSERT_EQ(spares.size(), 1u);
  EXPECT_TRUE(spares[0].starts_with(".tmp-spare-")) << spares[0];
  const fs::path spare = root() / "ingest" / spares[0];
  EXPECT_EQ(names_in(spare), (std::vector<std::string>{"ref", "startedat", "updatedat"}));
  struct stat before {};
  ASSERT_EQ(::stat((spare / "ref").c_str(), &before), 0);

  // The next ingest is that directory, its record files rewritten in place (same inodes).
  auto w = store_->writer(WriterOptions{"second", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  EXPECT_TRUE(names_in(root() / "ingest") ==
              std::vector<std::string>{ingest_dir("second").filename().string()});
  struct stat after {};
  ASSERT_EQ(::stat((ingest_dir("second") / "ref").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(slurp(ingest_dir("second") / "ref"), "second");
  EXPECT_EQ(names_in(ingest_dir("second")),
            (std::vector<std::string>{"data", "ref", "startedat", "updatedat"}));
  auto st = store_->status("second");
  CAIRN_ASSERT_OK(st);
  EXPECT_EQ(st->offset, 0);
  EXPECT_EQ(st->total, 0);
  EXPECT_FALSE(st->expected.has_value());
  w->reset();
  // Spares are never listed as ingests, and a new store removes them.
  CAIRN_ASSERT_OK(store_->list_statuses());
  EXPECT_EQ(store_->list_statuses()->size(), 1u);
  EXPECT_TRUE(store_->exists(d));
  open();
  for (const auto& e : fs::directory_iterator(root() / "ingest"))
    EXPECT_FALSE(e.path().filename().string().starts_with(".tmp-")) << e.path();
}

TEST_F(LocalStoreTest, LayoutMatchesTheTree) {
  EXPECT_EQ(names_in(root() / "blobs"), (std::vector<std::string>{"sha256", "sha512"}));
  const std::string data = "layout";
  const Digest d = digest_of(data);
  const int64_t t0 = to_unix_nanos(clock_.now());
  auto w = store_->writer(WriterOptions{"repo/upload", 6, d});
  CAIRN_ASSERT_OK(w);
  const fs::path ingest = ingest_dir("repo/upload");
  EXPECT_EQ(names_in(root() / "ingest"), std::vector<std::string>{ingest.filename().string()});
  EXPECT_EQ(names_in(ingest), (std::vector<std::string>{"data", "expected", "ref", "startedat",
                                                        "total", "updatedat"}));
  EXPECT_EQ(slurp(ingest / "ref"), "repo/upload");
  EXPECT_EQ(slurp(ingest / "startedat"), std::to_string(t0));
  EXPECT_EQ(slurp(ingest / "updatedat"), std::to_string(t0));
  EXPECT_EQ(slurp(ingest / "total"), "6");
  EXPECT_EQ(slurp(ingest / "expected"), d.str());
  CAIRN_ASSERT_OK((*w)->write(data));
  EXPECT_EQ(slurp(ingest / "data"), data);

  clock_.advance(std::chrono::seconds(10));
  CAIRN_ASSERT_OK((*w)->commit(6, d));
  const fs::path blob = root() / "blobs" / "sha256" / std::string(d.hex());
  EXPECT_EQ(slurp(blob), data);
  struct stat st {};
  ASSERT_EQ(::stat(blob.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444u);
  EXPECT_EQ(static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
            to_unix_nanos(clock_.now()));
  EXPECT_TRUE(names_in(root() / "ingest").empty());
  EXPECT_TRUE(store_->exists(d));
  EXPECT_FALSE(store_->exists(digest_of("other")));

  auto d512 = put(*store_, "x", "five", {}, Algorithm::sha512);
  CAIRN_ASSERT_OK(d512);
  EXPECT_TRUE(fs::exists(root() / "blobs" / "sha512" / std::string(d512->hex())));
}

TEST_F(LocalStoreTest, SecondWriterOnARefIsUnavailable) {
  LocalStoreOptions opts;
  opts.writer_lock_wait = std::chrono::milliseconds(10);
  open(opts);
  auto first = store_->writer(WriterOptions{"busy", 0, std::nullopt});
  CAIRN_ASSERT_OK(first);
  CAIRN_ASSERT_ERR(store_->writer(WriterOptions{"busy", 0, std::nullopt}), Errc::unavailable);
  CAIRN_ASSERT_ERR(store_->abort("busy"), Errc::unavailable);
  // Other refs are unaffected.
  CAIRN_ASSERT_OK(store_->writer(WriterOptions{"free", 0, std::nullopt}));
  first->reset();
  CAIRN_ASSERT_OK(store_->writer(WriterOptions{"busy", 0, std::nullopt}));
}

TEST_F(LocalStoreTest, WaitingWriterGetsTheRefWhenReleased) {
  LocalStoreOptions opts;
  opts.writer_lock_wait = std::chrono::minutes(1);  // bounded; released long before
  open(opts);
  auto first = store_->writer(WriterOptions{"handoff", 0, std::nullopt});
  CAIRN_ASSERT_OK(first);
  CAIRN_ASSERT_OK((*first)->write("one"));
  std::atomic<bool> started{false};
  Result<std::unique_ptr<Writer>> second = fail(Errc::internal);
  std::thread t([&] {
    started = true;
    second = store_->writer(WriterOptions{"handoff", 0, std::nullopt});
  });
  while (!started)
    std::this_thread::yield();
  first->reset();
  t.join();
  CAIRN_ASSERT_OK(second);
  EXPECT_EQ((*second)->status()->offset, 3);
}

TEST_F(LocalStoreTest, AWritersLockWaitOverridesTheStoresDefault) {
  LocalStoreOptions opts;
  opts.writer_lock_wait = std::chrono::milliseconds(10);
  open(opts);
  auto first = store_->writer(WriterOptions{"long", 0, std::nullopt});
  CAIRN_ASSERT_OK(first);
  std::atomic<bool> started{false};
  Result<std::unique_ptr<Writer>> second = fail(Errc::internal);
  std::thread t([&] {
    WriterOptions patient{"long", 0, std::nullopt};
    patient.lock_wait = std::chrono::minutes(1);  // bounded; released long before
    started = true;
    second = store_->writer(patient);
  });
  while (!started)
    std::this_thread::yield();
  // Well past the store's 10 ms: the patient writer is still waiting.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  first->reset();
  t.join();
  CAIRN_ASSERT_OK(second);
  // And one that waits less than the store's default gives up sooner.
  WriterOptions impatient{"long", 0, std::nullopt};
  impatient.lock_wait = std::chrono::milliseconds(0);
  CAIRN_ASSERT_ERR(store_->writer(impatient), Errc::unavailable);
}

TEST_F(LocalStoreTest, ConcurrentWritersOfTheSameContent) {
  const std::string data = payload(1 << 20, 9);
  const Digest d = digest_of(data);
  constexpr int kThreads = 8;
  std::vector<Result<Digest>> results(kThreads, fail(Errc::internal));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      // No expected digest at open, so every writer gets as far as commit.
      auto w = store_->writer(WriterOptions{"same-" + std::to_string(i), 0, std::nullopt});
      if (!w) {
        results[i] = w.error();
        return;
      }
      for (size_t off = 0; off < data.size(); off += 65536) {
        if (auto r = (*w)->write(std::string_view(data).substr(off, 65536)); !r) {
          results[i] = r.error();
          return;
        }
      }
      auto r = (*w)->commit(static_cast<int64_t>(data.size()), d);
      results[i] = r ? Result<Digest>(d) : Result<Digest>(r.error());
    });
  }
  for (auto& t : threads)
    t.join();
  int committed = 0;
  for (const auto& r : results) {
    if (r) {
      ++committed;
    } else {
      EXPECT_EQ(r.error().code, Errc::already_exists) << r.error().detail;
    }
  }
  EXPECT_GE(committed, 1);
  EXPECT_EQ(names_in(root() / "blobs" / "sha256"), std::vector<std::string>{std::string(d.hex())});
  EXPECT_TRUE(names_in(root() / "ingest").empty());
  auto back = read_all(*store_, d);
  CAIRN_ASSERT_OK(back);
  EXPECT_TRUE(*back == data);
}

TEST_F(LocalStoreTest, ConcurrentWritersOfDifferentContent) {
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 10; ++j) {
        std::string data = payload(10'000 + i * 100 + j, i * 100 + j + 1);
        if (put(*store_, "t" + std::to_string(i) + "/" + std::to_string(j), data))
          ++ok;
        (void)store_->list_statuses();
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok.load(), kThreads * 10);
  EXPECT_EQ(names_in(root() / "blobs" / "sha256").size(), size_t{kThreads * 10});
  EXPECT_TRUE(names_in(root() / "ingest").empty());
}

TEST_F(LocalStoreTest, StaleIngestIsCleaned) {
  // As a commit that crashed after its rename leaves it: the directory without `data`.
  for (std::string ref : {"stale-a", "stale-b", "stale-c"}) {
    auto w = store_->writer(WriterOptions{ref, 0, std::nullopt});
    CAIRN_ASSERT_OK(w);
    CAIRN_ASSERT_OK((*w)->write("bytes"));
    w->reset();
    fs::remove(ingest_dir(ref) / "data");
  }
  CAIRN_ASSERT_ERR(store_->status("stale-a"), Errc::not_found);
  EXPECT_FALSE(fs::exists(ingest_dir("stale-a")));
  auto list = store_->list_statuses();
  CAIRN_ASSERT_OK(list);
  EXPECT_TRUE(list->empty());
  EXPECT_FALSE(fs::exists(ingest_dir("stale-b")));
  EXPECT_FALSE(fs::exists(ingest_dir("stale-c")));

  auto w = store_->writer(WriterOptions{"stale-d", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write("bytes"));
  w->reset();
  fs::remove(ingest_dir("stale-d") / "data");
  w = store_->writer(WriterOptions{"stale-d", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  EXPECT_EQ((*w)->status()->offset, 0);
  w->reset();
  fs::remove(ingest_dir("stale-d") / "data");
  CAIRN_ASSERT_ERR(store_->abort("stale-d"), Errc::not_found);
  EXPECT_FALSE(fs::exists(ingest_dir("stale-d")));
}

TEST_F(LocalStoreTest, CorruptIngestStartsOver) {
  auto w = store_->writer(WriterOptions{"corrupt", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write("bytes"));
  w->reset();
  std::ofstream(ingest_dir("corrupt") / "ref", std::ios::trunc);  // as after a crash
  auto list = store_->list_statuses();
  CAIRN_ASSERT_OK(list);
  EXPECT_TRUE(list->empty());
  EXPECT_FALSE(fs::exists(ingest_dir("corrupt")));

  w = store_->writer(WriterOptions{"corrupt2", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write("bytes"));
  w->reset();
  std::ofstream(ingest_dir("corrupt2") / "startedat", std::ios::trunc) << "garbage";
  w = store_->writer(WriterOptions{"corrupt2", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  EXPECT_EQ((*w)->status()->offset, 0);
}

TEST_F(LocalStoreTest, HalfBuiltIngestsAreRemovedAtOpen) {
  fs::create_directories(root() / "ingest" / ".tmp-0123");
  std::ofstream(root() / "ingest" / ".tmp-0123" / "ref") << "x";
  open();
  EXPECT_TRUE(names_in(root() / "ingest").empty());
}

TEST_F(LocalStoreTest, ContradictingExpectedOnResume) {
  {
    auto w = store_->writer(WriterOptions{"exp", 0, digest_of("a")});
    CAIRN_ASSERT_OK(w);
  }
  CAIRN_ASSERT_ERR(store_->writer(WriterOptions{"exp", 0, digest_of("b")}), Errc::invalid_argument);
  CAIRN_ASSERT_OK(store_->writer(WriterOptions{"exp", 0, digest_of("a")}));
}

TEST_F(LocalStoreTest, ResumeRecordsTotalAndExpectedLearnedLater) {
  {
    auto w = store_->writer(WriterOptions{"learn", 0, std::nullopt});
    CAIRN_ASSERT_OK(w);
    CAIRN_ASSERT_OK((*w)->write("ab"));
  }
  const Digest d = digest_of("abc", Algorithm::sha512);
  {
    auto w = store_->writer(WriterOptions{"learn", 3, d});
    CAIRN_ASSERT_OK(w);
    EXPECT_EQ((*w)->digest(), digest_of("ab", Algorithm::sha512));
  }
  EXPECT_EQ(slurp(ingest_dir("learn") / "total"), "3");
  EXPECT_EQ(slurp(ingest_dir("learn") / "expected"), d.str());
  auto st = store_->status("learn");
  CAIRN_ASSERT_OK(st);
  EXPECT_EQ(st->total, 3);
}

TEST_F(LocalStoreTest, UpdatedAtIsPersistedLazily) {
  const fs::path file = ingest_dir("lazy") / "updatedat";
  const int64_t t0 = to_unix_nanos(clock_.now());
  auto w = store_->writer(WriterOptions{"lazy", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  clock_.advance(std::chrono::milliseconds(400));
  CAIRN_ASSERT_OK((*w)->write("a"));
  EXPECT_EQ(slurp(file), std::to_string(t0));  // not rewritten yet
  const Timestamp t1 = clock_.now();
  EXPECT_EQ((*w)->status()->updated_at, t1);
  auto st = store_->status("lazy");  // the live writer's view
  CAIRN_ASSERT_OK(st);
  EXPECT_EQ(st->updated_at, t1);
  EXPECT_EQ(st->offset, 1);

  clock_.advance(std::chrono::seconds(1));
  CAIRN_ASSERT_OK((*w)->write("b"));
  EXPECT_EQ(slurp(file), std::to_string(to_unix_nanos(clock_.now())));
  clock_.advance(std::chrono::milliseconds(10));
  CAIRN_ASSERT_OK((*w)->write("c"));
  const int64_t last = to_unix_nanos(clock_.now());
  EXPECT_NE(slurp(file), std::to_string(last));
  w->reset();  // closing persists it
  EXPECT_EQ(slurp(file), std::to_string(last));
}

TEST_F(LocalStoreTest, WritebackAndPageDropping) {
  LocalStoreOptions opts;
  opts.writeback_interval = 4096;
  opts.keep_written_bytes = 0;
  open(opts);
  const std::string data = payload(200'000, 5);
  auto w = store_->writer(WriterOptions{"wb", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  for (size_t off = 0; off < data.size(); off += 1000) {
    CAIRN_ASSERT_OK((*w)->write(std::string_view(data).substr(off, 1000)));
  }
  CAIRN_ASSERT_OK((*w)->truncate(150'000));
  CAIRN_ASSERT_OK((*w)->write(std::string_view(data).substr(150'000)));
  const Digest d = digest_of(data);
  CAIRN_ASSERT_OK((*w)->commit(200'000, d));
  auto back = read_all(*store_, d);
  CAIRN_ASSERT_OK(back);
  EXPECT_TRUE(*back == data);
}

TEST_F(LocalStoreTest, CommitStagesRunInOrder) {
  std::vector<std::string> stages;
  LocalStoreOptions opts;
  opts.fault_hook = [&](std::string_view s) { stages.emplace_back(s); };
  open(opts);
  CAIRN_ASSERT_OK(put(*store_, "stages", "x"));
  EXPECT_EQ(stages,
            (std::vector<std::string>{"verified", "synced", "renamed", "dir_synced", "done"}));
  stages.clear();
  auto w = store_->writer(WriterOptions{"stages2", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write("x"));
  CAIRN_ASSERT_ERR((*w)->commit(1, std::nullopt), Errc::already_exists);
  EXPECT_EQ(stages, std::vector<std::string>{"verified"});  // found before any fsync
}

TEST_F(LocalStoreTest, WriterOutlivesStore) {
  auto w = store_->writer(WriterOptions{"orphan", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  store_.reset();
  CAIRN_ASSERT_OK((*w)->write("still here"));
  CAIRN_ASSERT_OK((*w)->commit(10, digest_of("still here")));
  w->reset();
  open();
  CAIRN_ASSERT_OK(store_->info(digest_of("still here")));
}

TEST_F(LocalStoreTest, ReaderSurvivesRemoveAndExposesItsFd) {
  auto d = put(*store_, "r", "readable");
  CAIRN_ASSERT_OK(d);
  auto r = store_->reader(*d);
  CAIRN_ASSERT_OK(r);
  EXPECT_GE((*r)->native_handle(), 0);
  CAIRN_ASSERT_OK(store_->remove(*d));
  std::vector<std::byte> buf(8);
  auto n = (*r)->read_at(buf, 0);
  CAIRN_ASSERT_OK(n);
  EXPECT_EQ(*n, 8u);
}

TEST_F(LocalStoreTest, WalkIgnoresStrayFiles) {
  auto d = put(*store_, "w", "walk");
  CAIRN_ASSERT_OK(d);
  std::ofstream(root() / "blobs" / "sha256" / "not-a-digest") << "x";
  std::ofstream(root() / "blobs" / "sha256" / std::string(64, 'A')) << "x";
  std::vector<Digest> seen;
  CAIRN_ASSERT_OK(store_->walk(
      [&](const Info& info) {
        seen.push_back(info.digest);
        return true;
      },
      {}));
  EXPECT_EQ(seen, std::vector<Digest>{*d});
}

TEST_F(LocalStoreTest, LabelsAreInMemoryOnly) {
  auto d = put(*store_, "l", "labelled", Labels{{"k", "v"}});
  CAIRN_ASSERT_OK(d);
  open();
  auto info = store_->info(*d);
  CAIRN_ASSERT_OK(info);
  EXPECT_TRUE(info->labels.empty());
  EXPECT_EQ(info->updated_at, info->created_at);
}

// ---- hashing on another thread (LocalStore::set_off_thread) ----

// Takes the jobs a store offers: runs each in the call that offers it (the hashing is done
// before the write starts), on a thread of its own at once, or keeps it to run late, after the
// write that offered it has returned (the writer has then hashed the piece itself, and the late
// run must do nothing).
class JobRunner {
 public:
  enum class Mode { in_call, at_once, late };
  explicit JobRunner(Mode mode) : mode_(mode) {}
  ~JobRunner() {
    run_late();
    for (auto& t : threads_)
      t.join();
  }
  OffThread off_thread() {
    return [this](std::function<void()> job) {
      std::lock_guard lock(mu_);
      ++offered_;
      if (mode_ == Mode::in_call)
        job();
      else if (mode_ == Mode::at_once)
        threads_.emplace_back(std::move(job));
      else
        kept_.push_back(std::move(job));
    };
  }
  size_t offered() {
    std::lock_guard lock(mu_);
    return offered_;
  }
  void run_late() {
    std::vector<std::function<void()>> jobs;
    {
      std::lock_guard lock(mu_);
      jobs.swap(kept_);
    }
    for (auto& job : jobs)
      job();
  }

 private:
  const Mode mode_;
  std::mutex mu_;
  size_t offered_ = 0;
  std::vector<std::thread> threads_;
  std::vector<std::function<void()>> kept_;
};

class OffThreadHashing : public LocalStoreTest,
                         public ::testing::WithParamInterface<JobRunner::Mode> {};

TEST_P(OffThreadHashing, LargePiecesHashedElsewhereGiveTheDigestOfTheBytes) {
  JobRunner runner(GetParam());
  store_->set_off_thread(runner.off_thread());
  const std::string data = payload(3 * (512 << 10) + 1000, 11);
  auto w = store_->writer(WriterOptions{"offthread", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  for (size_t off = 0; off < data.size(); off += 512 << 10) {
    CAIRN_ASSERT_OK((*w)->write(std::string_view(data).substr(off, 512 << 10)));
    runner.run_late();  // claimed already: touches neither the piece nor the writer
  }
  EXPECT_EQ(runner.offered(), 3u);  // the last piece (1000 bytes) is hashed in place
  EXPECT_EQ((*w)->digest(), digest_of(data));
  CAIRN_ASSERT_OK((*w)->commit(static_cast<int64_t>(data.size()), digest_of(data)));
  auto back = read_all(*store_, digest_of(data));
  CAIRN_ASSERT_OK(back);
  EXPECT_TRUE(*back == data);

  store_->set_off_thread(nullptr);  // cleared: nothing more is offered
  auto w2 = store_->writer(WriterOptions{"inplace", 0, std::nullopt});
  CAIRN_ASSERT_OK(w2);
  CAIRN_ASSERT_OK((*w2)->write(std::string_view(data).substr(0, 512 << 10)));
  EXPECT_EQ(runner.offered(), 3u);
  EXPECT_EQ((*w2)->digest(), digest_of(std::string_view(data).substr(0, 512 << 10)));
}

INSTANTIATE_TEST_SUITE_P(Modes, OffThreadHashing,
                         ::testing::Values(JobRunner::Mode::in_call, JobRunner::Mode::at_once,
                                           JobRunner::Mode::late),
                         [](const auto& info) {
                           switch (info.param) {
                             case JobRunner::Mode::in_call:
                               return "InCall";
                             case JobRunner::Mode::at_once:
                               return "AtOnce";
                             default:
                               return "Late";
                           }
                         });

TEST(LocalStoreOffThread, AWriteThatFailsLeavesTheDigestOfWhatLanded) {
  cairn::testing::Tmpfs disk(2 << 20);
  if (!disk.mounted())
    GTEST_SKIP() << disk.why();
  auto store = LocalStore::open(disk / "content");
  CAIRN_ASSERT_OK(store);
  JobRunner runner(JobRunner::Mode::in_call);
  (*store)->set_off_thread(runner.off_thread());
  const std::string first = payload(512 << 10, 12);
  const std::string too_big = payload(4 << 20, 13);
  auto w = (*store)->writer(WriterOptions{"full", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write(first));
  CAIRN_ASSERT_ERR((*w)->write(too_big), Errc::no_space);
  EXPECT_EQ(runner.offered(), 2u);  // the failed piece was offered too; its hashing undone
  EXPECT_EQ((*w)->digest(), digest_of(first));
  CAIRN_ASSERT_OK((*w)->commit(static_cast<int64_t>(first.size()), digest_of(first)));
}

// ---- the pages kept of what was written (LocalStoreOptions::keep_written_bytes) ----

TEST_F(LocalStoreTest, WritersKeepTheNewestPagesWithinTheBudget) {
  if (!cairn::testing::dropping_works(dir_.path()))
    GTEST_SKIP() << "the temp dir is on tmpfs: its pages cannot be dropped";
  constexpr int64_t kMiB = 1 << 20;
  LocalStoreOptions opts;
  opts.writeback_interval = 256 << 10;
  opts.keep_written_bytes = kMiB;
  open(opts);
  auto push = [&](const std::string& data, const std::string& ref) {
    auto w = store_->writer(WriterOptions{ref, 0, std::nullopt});
    CAIRN_ASSERT_OK(w);
    for (size_t off = 0; off < data.size(); off += 64 << 10)
      CAIRN_ASSERT_OK((*w)->write(std::string_view(data).substr(off, 64 << 10)));
    CAIRN_ASSERT_OK((*w)->commit(static_cast<int64_t>(data.size()), digest_of(data)));
  };
  auto blob = [&](const std::string& data) {
    return root() / "blobs" / "sha256" / std::string(digest_of(data).hex());
  };
  using cairn::testing::resident_fraction;

  // 4 MiB: what lies more than the budget behind the writer is dropped while it writes; the
  // last MiB stays for a pull right after the push.
  const std::string big = payload(4 * kMiB, 14);
  push(big, "big");
  EXPECT_LT(resident_fraction(blob(big), 0, 3 * kMiB), 0.1);
  EXPECT_GT(resident_fraction(blob(big), 3 * kMiB, kMiB), 0.9);

  // Half a MiB more: the oldest half MiB kept goes.
  const std::string small = payload(kMiB / 2, 15);
  push(small, "small");
  EXPECT_GT(resident_fraction(blob(small), 0, kMiB / 2), 0.9);
  EXPECT_LT(resident_fraction(blob(big), 0, 3 * kMiB + kMiB / 2), 0.1);
  EXPECT_GT(resident_fraction(blob(big), 3 * kMiB + kMiB / 2, kMiB / 2), 0.9);
}

}  // namespace
}  // namespace cairn::content

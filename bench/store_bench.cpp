// Storage benchmarks (Google Benchmark). Each section benchmarks one layer on a fresh temp
// directory under $TMPDIR; put the directory on the disk you want to measure.
//
//   ./cairn-store-bench                       everything
//   ./cairn-store-bench --benchmark_filter=Content
//   ./cairn-store-bench --benchmark_filter=Gc
#include "storage/content/digest.h"
#include "storage/content/local_store.h"
#include "storage/gc/collector.h"
#include "storage/metadata/content_store.h"
#include "storage/metadata/db.h"
#include "storage/metadata/keys.h"
#include "storage/metadata/records.h"
#include "tests/support/temp_dir.h"

#include <benchmark/benchmark.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cairn::bench {
namespace {

constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kGiB = 1024 * kMiB;

// A deterministic, incompressible-looking 1 MiB block.
const std::string& block() {
  static const std::string b = [] {
    std::string s(kMiB, '\0');
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (char& c : s) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x);
    }
    return s;
  }();
  return b;
}

// ============================================================================================
// Content: LocalStore
// ============================================================================================

// The digest of `blocks` copies of block(), computed once per size outside the timed region.
content::Digest content_digest(int64_t blocks) {
  content::Hasher h;
  for (int64_t i = 0; i < blocks; ++i)
    h.update(block());
  return h.digest();
}

// Ingest + commit of 1 GiB in 1 MiB writes: hashing, write(2), writeback, fsync and the rename
// into the blob tree are all inside the timing. Arg 0: writeback_interval in MiB (0 = off);
// arg 1: the pages kept of what was written, in MiB (LocalStoreOptions::keep_written_bytes; 0
// drops each range once the next is started).
void BM_ContentIngestCommit1GiB(benchmark::State& state) {
  const int64_t blocks = kGiB / kMiB;
  const content::Digest digest = content_digest(blocks);
  testing::TempDir dir;
  content::LocalStoreOptions opts;
  opts.writeback_interval = state.range(0) * kMiB;
  opts.keep_written_bytes = state.range(1) * kMiB;
  auto store = content::LocalStore::open(dir.path() / "content", opts);
  if (!store) {
    state.SkipWithError(store.error().detail.c_str());
    return;
  }
  int run = 0;
  for (auto _ : state) {
    auto w =
        (*store)->writer(content::WriterOptions{"bench-" + std::to_string(run++), kGiB, digest});
    if (!w) {
      state.SkipWithError(w.error().detail.c_str());
      return;
    }
    for (int64_t i = 0; i < blocks; ++i) {
      if (auto r = (*w)->write(block()); !r) {
        state.SkipWithError(r.error().detail.c_str());
        return;
      }
    }
    if (auto r = (*w)->commit(kGiB, digest); !r) {
      state.SkipWithError(r.error().detail.c_str());
      return;
    }
    state.PauseTiming();
    w->reset();
    (void)(*store)->remove(digest);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * kGiB);
}
BENCHMARK(BM_ContentIngestCommit1GiB)
    ->ArgNames({"writeback_mib", "keep_mib"})
    ->Args({8, 0})
    ->Args({8, 1024})
    ->Args({0, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// The hashing alone (SHA-256 over 1 GiB in 1 MiB updates): the ceiling for an ingest.
void BM_ContentSha256_1GiB(benchmark::State& state) {
  for (auto _ : state) {
    content::Hasher h;
    for (int64_t i = 0; i < kGiB / kMiB; ++i)
      h.update(block());
    benchmark::DoNotOptimize(h.digest());
  }
  state.SetBytesProcessed(state.iterations() * kGiB);
}
BENCHMARK(BM_ContentSha256_1GiB)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// Reading a committed 64 MiB blob back through ReaderAt in 1 MiB pread calls (page cache warm).
void BM_ContentRead64MiB(benchmark::State& state) {
  const int64_t blocks = 64;
  const content::Digest digest = content_digest(blocks);
  testing::TempDir dir;
  auto store = content::LocalStore::open(dir.path() / "content").value();
  {
    auto w = store->writer(content::WriterOptions{"read", 0, digest}).value();
    for (int64_t i = 0; i < blocks; ++i)
      (void)w->write(block());
    (void)w->commit(blocks * kMiB, digest);
  }
  std::vector<std::byte> buf(kMiB);
  for (auto _ : state) {
    auto r = store->reader(digest).value();
    for (int64_t off = 0; off < r->size(); off += kMiB) {
      benchmark::DoNotOptimize(r->read_at(buf, off));
    }
  }
  state.SetBytesProcessed(state.iterations() * blocks * kMiB);
}
BENCHMARK(BM_ContentRead64MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

// ============================================================================================
// Metadata: blob records in LevelDB (metadata::Database, metadata::ContentStore)
// ============================================================================================

constexpr int kMetadataRecords = 100'000;

// One database with kMetadataRecords blob records in namespace "bench/records", built once
// (outside any timing) and shared by the metadata benchmarks, plus a LocalStore backend.
struct MetadataEnv {
  testing::TempDir dir;
  std::unique_ptr<content::LocalStore> backend;
  std::unique_ptr<metadata::Database> db;
  std::unique_ptr<metadata::ContentStore> store;
  std::vector<content::Digest> digests;
  std::atomic<int64_t> next_put{0};

  MetadataEnv() {
    backend = content::LocalStore::open(dir / "content").value();
    metadata::DatabaseOptions relaxed;
    relaxed.sync_writes = false;  // the figures below are of the database, not of fsync
    db = metadata::Database::open(dir / "meta", relaxed).value();
    store = std::make_unique<metadata::ContentStore>(*db, *backend);
    digests.reserve(kMetadataRecords);
    for (int i = 0; i < kMetadataRecords; ++i) {
      digests.push_back(content::digest_of("record " + std::to_string(i)));
    }
    const Timestamp now = SystemClock::instance().now();
    const std::string value = metadata::encode(
        metadata::BlobRecord{4096, now, now, {{"containerd.io/uncompressed", "sha256:x"}}, {}});
    for (int i = 0; i < kMetadataRecords;) {
      auto update = db->begin({});
      for (int j = 0; j < 1000 && i < kMetadataRecords; ++j, ++i) {
        update.put(metadata::keys::blob("bench/records", digests[i].str()), value);
      }
      update.commit().value();
    }
  }

  static MetadataEnv& get() {
    static MetadataEnv env;
    return env;
  }
};

// Creating one blob record as a commit does: stripe-locked read of the key, then a one-key
// batch (no fsync: `--durability relaxed`). Threads share LevelDB's group commit.
void BM_MetadataBlobRecordPut(benchmark::State& state) {
  MetadataEnv& env = MetadataEnv::get();
  const Timestamp now = SystemClock::instance().now();
  const std::string value = metadata::encode(metadata::BlobRecord{4096, now, now, {}, {}});
  for (auto _ : state) {
    const int64_t n = env.next_put.fetch_add(1);
    const std::string key =
        metadata::keys::blob("bench/puts", env.digests[n % kMetadataRecords].str() +
                                               std::to_string(n / kMetadataRecords));
    auto update = env.db->begin({key});
    auto existing = update.get(key);
    benchmark::DoNotOptimize(existing);
    update.put(key, value);
    if (!update.commit())
      state.SkipWithError("commit failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetadataBlobRecordPut)->Threads(1)->Threads(4)->UseRealTime();

// Durable one-key batches (`--durability strict`), two ways of sharing the fsync among
// concurrent writers, on one fresh database each:
//  - BM_MetadataDurablePut: metadata::Database with sync_writes, i.e. LevelDB's own group
//    commit (writers queue; the one at the front writes every queued batch with one fsync);
//  - BM_MetadataCommitQueuePut: a commit queue of our own in front of a raw LevelDB, the
//    leader appending every waiting batch into one WriteBatch written with sync.
// The figure to read is items/s against the thread count: with grouping it grows with threads
// although each fsync costs the same.
struct DurableEnv {
  testing::TempDir dir;
  std::unique_ptr<metadata::Database> db;
  std::unique_ptr<leveldb::DB> raw;
  std::atomic<int64_t> next{0};

  // The hand-rolled commit queue.
  struct Waiter {
    leveldb::WriteBatch* batch = nullptr;
    bool done = false;
    leveldb::Status status;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Waiter*> queue;

  DurableEnv() {
    db = metadata::Database::open(dir / "group").value();  // sync_writes defaults to true
    leveldb::Options o;
    o.create_if_missing = true;
    leveldb::DB* p = nullptr;
    if (!leveldb::DB::Open(o, (dir / "queue").string(), &p).ok())
      std::abort();
    raw.reset(p);
  }

  leveldb::Status queued_write(leveldb::WriteBatch* batch) {
    Waiter w;
    w.batch = batch;
    std::unique_lock lock(mu);
    queue.push_back(&w);
    cv.wait(lock, [&] { return w.done || queue.front() == &w; });
    if (w.done)
      return w.status;
    // Leader: take everyone queued so far, write them with one fsync.
    std::vector<Waiter*> group(queue.begin(), queue.end());
    lock.unlock();
    leveldb::WriteBatch merged;
    for (Waiter* g : group)
      merged.Append(*g->batch);
    leveldb::WriteOptions wo;
    wo.sync = true;
    leveldb::Status st = raw->Write(wo, &merged);
    lock.lock();
    for (Waiter* g : group) {
      queue.pop_front();
      g->status = st;
      g->done = true;
    }
    cv.notify_all();
    return st;
  }

  static DurableEnv& get() {
    static DurableEnv env;
    return env;
  }
};

void BM_MetadataDurablePut(benchmark::State& state) {
  DurableEnv& env = DurableEnv::get();
  const Timestamp now = SystemClock::instance().now();
  const std::string value = metadata::encode(metadata::BlobRecord{4096, now, now, {}, {}});
  for (auto _ : state) {
    const std::string key =
        metadata::keys::blob("bench/durable", "sha256:" + std::to_string(env.next.fetch_add(1)));
    auto update = env.db->begin({key});
    update.put(key, value);
    if (!update.commit())
      state.SkipWithError("commit failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetadataDurablePut)->Threads(1)->Threads(8)->Threads(32)->UseRealTime();

void BM_MetadataCommitQueuePut(benchmark::State& state) {
  DurableEnv& env = DurableEnv::get();
  const Timestamp now = SystemClock::instance().now();
  const std::string value = metadata::encode(metadata::BlobRecord{4096, now, now, {}, {}});
  for (auto _ : state) {
    const std::string key =
        metadata::keys::blob("bench/queue", "sha256:" + std::to_string(env.next.fetch_add(1)));
    leveldb::WriteBatch batch;
    batch.Put(key, value);
    if (!env.queued_write(&batch).ok())
      state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetadataCommitQueuePut)->Threads(1)->Threads(8)->Threads(32)->UseRealTime();

// ContentStore::info on a random one of kMetadataRecords records: get + JSON decode.
void BM_MetadataBlobInfo(benchmark::State& state) {
  MetadataEnv& env = MetadataEnv::get();
  const metadata::Scope scope{"bench/records", ""};
  uint64_t x = 0x2545F4914F6CDD1Dull + static_cast<uint64_t>(state.thread_index());
  for (auto _ : state) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    auto info = env.store->info(scope, env.digests[x % kMetadataRecords]);
    if (!info)
      state.SkipWithError("info failed");
    benchmark::DoNotOptimize(info);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetadataBlobInfo)->Threads(1)->Threads(4)->UseRealTime();

// ContentStore::walk over all kMetadataRecords records of a namespace, unfiltered and with a
// label filter that matches none (every record decoded and tested).
void BM_MetadataWalk100k(benchmark::State& state) {
  MetadataEnv& env = MetadataEnv::get();
  const metadata::Scope scope{"bench/records", ""};
  std::vector<std::string> filters;
  if (state.range(0) == 1)
    filters.push_back("labels.nomatch==x");
  int64_t seen = 0;
  for (auto _ : state) {
    auto r = env.store->walk(
        scope, [&](const content::Info&) { return ++seen, true; }, filters);
    if (!r)
      state.SkipWithError("walk failed");
  }
  state.SetItemsProcessed(state.iterations() * kMetadataRecords);
  state.counters["visited"] = static_cast<double>(seen) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_MetadataWalk100k)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// ============================================================================================
// GC: storage/gc Collector over 100k blob records
// ============================================================================================

constexpr int kGcNamespaces = 10;
constexpr int kGcManifestsPerNs = 100;
constexpr int kGcLayersPerManifest = 99;  // + the manifest's own blob: 100 records each
constexpr int kGcRecords = kGcNamespaces * kGcManifestsPerNs * (kGcLayersPerManifest + 1);

// A database and backend for one GC benchmark run: kGcRecords blob records, two hours old, in
// kGcNamespaces namespaces of kGcManifestsPerNs manifests with kGcLayersPerManifest layers each.
// `dead_pct` percent of the manifests have no manifest record (deleted), so their blobs are
// garbage. Records only: the blob tree holds no files (see BM_GcOrphanFiles for those).
struct GcEnv {
  testing::TempDir dir;
  std::unique_ptr<content::LocalStore> backend;
  std::unique_ptr<metadata::Database> db;
  std::unique_ptr<metadata::ContentStore> store;

  explicit GcEnv(int dead_pct) {
    backend = content::LocalStore::open(dir / "content").value();
    db = metadata::Database::open(dir / "meta").value();
    store = std::make_unique<metadata::ContentStore>(*db, *backend);
    const Timestamp old = SystemClock::instance().now() - std::chrono::hours(2);
    const std::string blob_value = metadata::encode(
        metadata::BlobRecord{4096, old, old, {{"containerd.io/uncompressed", "sha256:x"}}, {}});
    int seq = 0;
    for (int n = 0; n < kGcNamespaces; ++n) {
      const std::string ns = "bench/gc-" + std::to_string(n);
      for (int m = 0; m < kGcManifestsPerNs; ++m) {
        auto update = db->begin({});
        metadata::ManifestRecord rec;
        rec.size = 1024;
        rec.created_at = old;
        for (int l = 0; l < kGcLayersPerManifest; ++l) {
          const content::Digest d = content::digest_of("gc layer " + std::to_string(seq++));
          update.put(metadata::keys::blob(ns, d.str()), blob_value);
          rec.children.push_back({metadata::ChildKind::layer, d});
        }
        const content::Digest md = content::digest_of("gc manifest " + std::to_string(seq++));
        update.put(metadata::keys::blob(ns, md.str()), blob_value);
        if (m * 100 >= dead_pct * kGcManifestsPerNs)
          update.put(metadata::keys::manifest(ns, md.str()), metadata::encode(rec));
        update.commit().value();
      }
    }
  }
};

// One collection over kGcRecords records. Arg: percent of them that are garbage (0: a pure
// mark; 50: the sweep deletes 50k records in one batch). Counters: mark_ms (phase 1, nothing
// held), paused_ms (writers held: re-mark + the one sweep batch), marked, removed.
void BM_GcRecords100k(benchmark::State& state) {
  const int dead_pct = static_cast<int>(state.range(0));
  std::unique_ptr<GcEnv> env;
  double mark_ms = 0, paused_ms = 0, marked = 0, removed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    env.reset();
    env = std::make_unique<GcEnv>(dead_pct);
    gc::Collector collector(*env->db, *env->store, *env->backend);
    state.ResumeTiming();
    auto stats = collector.collect();
    if (!stats) {
      state.SkipWithError(stats.error().detail.c_str());
      return;
    }
    mark_ms += std::chrono::duration<double, std::milli>(stats->mark_time).count();
    paused_ms += std::chrono::duration<double, std::milli>(stats->paused).count();
    marked += static_cast<double>(stats->marked);
    removed += static_cast<double>(stats->removed_blobs);
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["mark_ms"] = mark_ms / n;
  state.counters["paused_ms"] = paused_ms / n;
  state.counters["marked"] = marked / n;
  state.counters["removed"] = removed / n;
  state.SetItemsProcessed(state.iterations() * kGcRecords);
}
BENCHMARK(BM_GcRecords100k)
    ->ArgName("dead_pct")
    ->Arg(0)
    ->Arg(50)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// The same 100k-record collection (half garbage) while 4 threads commit blob records (as
// ContentStore does: stripe-locked read, one-key batch). Arg: commits per second per writer
// (0: as fast as they can. On 2 shared cores, 4 writers at >= 10k/s each outpace the re-mark:
// the run falls back to marking under wlock, over a database they grew by millions of records
// meanwhile, so that measures the machine, not GC).
// Counters: paused_ms (writers held), max_commit_ms (the slowest commit while GC ran: what a
// client feels), writes_during, under_lock (1 when the journal overflowed and the run marked
// under wlock).
void BM_GcRecords100kWithWriters(benchmark::State& state) {
  const int64_t rate = state.range(0);
  std::unique_ptr<GcEnv> env;
  double paused_ms = 0, max_commit_ms = 0, writes = 0, under_lock = 0;
  for (auto _ : state) {
    state.PauseTiming();
    env.reset();
    env = std::make_unique<GcEnv>(50);
    gc::Collector collector(*env->db, *env->store, *env->backend);
    std::atomic<bool> stop{false};
    std::atomic<bool> measuring{false};
    std::atomic<int64_t> written{0};
    std::atomic<int64_t> worst_ns{0};
    std::vector<std::thread> writers;
    const Timestamp now = SystemClock::instance().now();
    const std::string value = metadata::encode(metadata::BlobRecord{4096, now, now, {}, {}});
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&, t] {
        const auto period =
            rate > 0 ? std::chrono::nanoseconds(1'000'000'000 / rate) : std::chrono::nanoseconds(0);
        auto next = std::chrono::steady_clock::now();
        for (int64_t i = 0; !stop.load(); ++i) {
          if (rate > 0) {
            next += period;
            std::this_thread::sleep_until(next);
          }
          const std::string key = metadata::keys::blob(
              "bench/gc-" + std::to_string(t),
              content::digest_of("w" + std::to_string(t) + "-" + std::to_string(i)).str());
          const auto start = std::chrono::steady_clock::now();
          auto update = env->db->begin({key});
          update.put(key, value);
          if (update.commit())
            written.fetch_add(1);
          const int64_t took = (std::chrono::steady_clock::now() - start).count();
          if (measuring.load()) {
            int64_t prev = worst_ns.load();
            while (took > prev && !worst_ns.compare_exchange_weak(prev, took)) {
            }
          }
        }
      });
    }
    state.ResumeTiming();
    measuring = true;
    const int64_t before = written.load();
    auto stats = collector.collect();
    const int64_t after = written.load();
    measuring = false;
    state.PauseTiming();
    stop = true;
    for (auto& w : writers)
      w.join();
    state.ResumeTiming();
    if (!stats) {
      state.SkipWithError(stats.error().detail.c_str());
      return;
    }
    paused_ms += std::chrono::duration<double, std::milli>(stats->paused).count();
    max_commit_ms = std::max(max_commit_ms, static_cast<double>(worst_ns.load()) / 1e6);
    writes += static_cast<double>(after - before);
    under_lock += stats->marked_under_lock ? 1 : 0;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["paused_ms"] = paused_ms / n;
  state.counters["max_commit_ms"] = max_commit_ms;
  state.counters["writes_during"] = writes / n;
  state.counters["under_lock"] = under_lock / n;
}
BENCHMARK(BM_GcRecords100kWithWriters)
    ->ArgName("commits_per_s_per_writer")
    ->Arg(2000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// Deleting orphan blob files (committed to the backend, never recorded: a crash between the
// rename and the metadata batch): the walk of the blob tree plus one unlink per file under
// ContentStore::lock_exclusive() in chunks. Arg: the number of files.
void BM_GcOrphanFiles(benchmark::State& state) {
  const int64_t files = state.range(0);
  double removed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    testing::TempDir dir;
    content::LocalStoreOptions lo;
    lo.writeback_interval = 0;
    auto backend = content::LocalStore::open(dir / "content", lo).value();
    auto db = metadata::Database::open(dir / "meta").value();
    metadata::ContentStore store(*db, *backend);
    for (int64_t i = 0; i < files; ++i) {
      const std::string bytes = "orphan " + std::to_string(i);
      const content::Digest d = content::digest_of(bytes);
      auto w = backend->writer(content::WriterOptions{"o" + std::to_string(i), 0, d}).value();
      (void)w->write(bytes);
      (void)w->commit(static_cast<int64_t>(bytes.size()), d);
    }
    gc::Collector collector(*db, store, *backend);
    state.ResumeTiming();
    auto stats = collector.collect();
    if (!stats) {
      state.SkipWithError(stats.error().detail.c_str());
      return;
    }
    removed += static_cast<double>(stats->removed_files);
  }
  state.counters["removed_files"] = removed / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations() * files);
}
BENCHMARK(BM_GcOrphanFiles)->Arg(2000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

}  // namespace
}  // namespace cairn::bench

BENCHMARK_MAIN();

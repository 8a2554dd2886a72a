// Storage benchmarks (Google Benchmark). Each section benchmarks one layer on a fresh temp
// directory under $TMPDIR; put the directory on the disk you want to measure.
//
//   ./cairn-store-bench                       everything
//   ./cairn-store-bench --benchmark_filter=Content
#include "storage/content/digest.h"
#include "storage/content/local_store.h"
#include "storage/metadata/content_store.h"
#include "storage/metadata/db.h"
#include "storage/metadata/keys.h"
#include "storage/metadata/records.h"
#include "tests/support/temp_dir.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
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
// arg 1: drop written pages from the page cache.
void BM_ContentIngestCommit1GiB(benchmark::State& state) {
  const int64_t blocks = kGiB / kMiB;
  const content::Digest digest = content_digest(blocks);
  testing::TempDir dir;
  content::LocalStoreOptions opts;
  opts.writeback_interval = state.range(0) * kMiB;
  opts.drop_written_pages = state.range(1) != 0;
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
    ->ArgNames({"writeback_mib", "drop_pages"})
    ->Args({8, 1})
    ->Args({8, 0})
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
    db = metadata::Database::open(dir / "meta").value();
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
// batch (no fsync: sync_writes is off by default). Threads share LevelDB's group commit.
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

}  // namespace
}  // namespace cairn::bench

BENCHMARK_MAIN();

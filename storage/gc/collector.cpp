#include "storage/gc/collector.h"

#include "storage/metadata/keys.h"
#include "storage/metadata/leases.h"
#include "storage/metadata/records.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace cairn::gc {

namespace {

namespace keys = metadata::keys;
using keys::KeyKind;
using metadata::Database;
using SteadyClock = std::chrono::steady_clock;

// Mark levels: a flat mark keeps a blob without following its edges (a flat lease's pin).
enum Mark : uint8_t { kUnmarked = 0, kFlat = 1, kFull = 2 };

using BlobFiles = std::vector<std::pair<content::Digest, int64_t>>;

// Every blob file in `backend`, with its size; reports "listing" to `progress`.
Result<BlobFiles> blob_files(content::Store& backend, const ProgressFn& progress) {
  BlobFiles files;
  auto walked = backend.walk(
      [&](const content::Info& info) {
        files.emplace_back(info.digest, info.size);
        if (progress)
          progress({"listing", static_cast<int64_t>(files.size()), -1});
        return true;
      },
      {});
  if (!walked)
    return walked.error();
  return files;
}

bool is_ref_label(std::string_view key) {
  return key.starts_with(kRefContentLabel) &&
         (key.size() == kRefContentLabel.size() || key[kRefContentLabel.size()] == '.');
}

// The digests a blob's gc.ref labels name; values that are not digests are no edge.
std::vector<std::string> label_refs(const content::Labels& labels) {
  std::vector<std::string> out;
  for (const auto& [k, v] : labels) {
    if (!is_ref_label(k))
      continue;
    if (auto d = content::Digest::parse(v))
      out.push_back(d->str());
  }
  return out;
}

bool has_label(const content::Labels& labels, std::string_view key) {
  return labels.find(key) != labels.end();
}

// The marks of one namespace, kept from phase 1 for the re-marks (phases 2 and 3).
struct NsMarks {
  std::unordered_map<std::string, uint8_t> marks;  // digest → Mark

  uint8_t get(const std::string& d) const {
    auto it = marks.find(d);
    return it == marks.end() ? uint8_t{kUnmarked} : it->second;
  }
};

struct DeadBlob {
  std::string ns;
  std::string digest;
};
struct DeadIngest {
  std::string ns;
  std::string ref;
  std::string backend_ref;
  std::string lease;
};
struct DeadLease {
  std::string ns;
  std::string id;
};

// Everything phase 1 learns, for the later phases.
struct Marked {
  std::unordered_map<std::string, NsMarks> namespaces;
  std::unordered_map<std::string, uint32_t> recorded;  // digest → namespaces recording it
  std::vector<DeadBlob> blobs;
  std::vector<DeadIngest> ingests;
  std::vector<DeadLease> leases;
  size_t scanned_blobs = 0;
  size_t scanned_keys = 0;  // every key of the schema the snapshot held
};

// Phase 1 for one namespace: collects its records while the scan passes over them, then marks.
class NamespaceMarker {
 public:
  NamespaceMarker(std::string ns, Timestamp now, std::chrono::nanoseconds grace)
      : ns_(std::move(ns)), now_(now), grace_(grace) {}

  const std::string& ns() const { return ns_; }

  Result<void> add(const keys::ParsedKey& key, std::string_view value) {
    switch (key.kind) {
      case KeyKind::blob: {
        auto rec = metadata::decode_blob(value);
        if (!rec)
          return rec.error();
        Blob& b = blobs_[key.name];
        b.refs = label_refs(rec->labels);
        b.root = is_root(rec->labels, rec->created_at, now_, grace_);
        return {};
      }
      case KeyKind::ingest: {
        auto rec = metadata::decode_ingest(value);
        if (!rec)
          return rec.error();
        ingests_.emplace(key.name, std::move(*rec));
        return {};
      }
      case KeyKind::lease: {
        auto rec = metadata::decode_lease(value);
        if (!rec)
          return rec.error();
        Lease& l = leases_[key.name];
        l.exists = true;
        l.live = lease_live(rec->expire_at, now_);
        l.flat = has_label(rec->labels, kFlatLabel);
        return {};
      }
      case KeyKind::lease_blob:
        leases_[key.name].blobs.push_back(key.child);
        return {};
      case KeyKind::lease_ingest:
        leases_[key.name].ingests.push_back(key.child);
        return {};
      case KeyKind::manifest: {
        auto rec = metadata::decode_manifest(value);
        if (!rec)
          return rec.error();
        std::vector<std::string>& children = manifests_[key.name];
        for (const auto& c : rec->children)
          children.push_back(c.digest.str());
        return {};
      }
      case KeyKind::tag: {
        auto rec = metadata::decode_tag(value);
        if (!rec)
          return rec.error();
        tag_targets_.push_back(rec->target.digest.str());
        return {};
      }
      default:
        return {};  // labels, referrers: no part of the graph
    }
  }

  // Marks from the roots and hands the results to `out`.
  void finish(Marked& out) {
    NsMarks& m = out.namespaces[ns_];
    std::vector<std::string> work;
    auto mark = [&](const std::string& d, uint8_t level) {
      uint8_t& cur = m.marks[d];
      if (cur >= level)
        return;
      cur = level;
      if (level == kFull)
        work.push_back(d);
    };
    for (const std::string& t : tag_targets_)
      mark(t, kFull);
    for (const auto& [d, children] : manifests_)
      mark(d, kFull);
    for (const auto& [d, b] : blobs_) {
      if (b.root)
        mark(d, kFull);
    }
    std::unordered_set<std::string> held_ingests;
    for (const auto& [id, l] : leases_) {
      if (!l.exists || !l.live)
        continue;
      for (const std::string& d : l.blobs)
        mark(d, l.flat ? kFlat : kFull);
      held_ingests.insert(l.ingests.begin(), l.ingests.end());
    }
    while (!work.empty()) {
      std::string d = std::move(work.back());
      work.pop_back();
      if (auto it = manifests_.find(d); it != manifests_.end()) {
        for (const std::string& c : it->second)
          mark(c, kFull);
      }
      if (auto it = blobs_.find(d); it != blobs_.end()) {
        for (const std::string& r : it->second.refs)
          mark(r, kFull);
      }
    }

    out.scanned_blobs += blobs_.size();
    for (const auto& [d, b] : blobs_) {
      ++out.recorded[d];
      if (m.get(d) == kUnmarked)
        out.blobs.push_back({ns_, d});
    }
    for (const auto& [ref, rec] : ingests_) {
      const bool unexpired = rec.expire_at && *rec.expire_at > now_;
      if (!unexpired && !held_ingests.contains(ref))
        out.ingests.push_back({ns_, ref, rec.backend_ref, rec.lease});
    }
    for (const auto& [id, l] : leases_) {
      if (l.exists && !l.live)
        out.leases.push_back({ns_, id});
    }
  }

 private:
  struct Blob {
    std::vector<std::string> refs;
    bool root = false;
  };
  struct Lease {
    bool exists = false;  // resources may outlive a record only through a bug; ignore them
    bool live = false;
    bool flat = false;
    std::vector<std::string> blobs;
    std::vector<std::string> ingests;
  };

  std::string ns_;
  Timestamp now_;
  std::chrono::nanoseconds grace_;
  std::unordered_map<std::string, Blob> blobs_;
  std::map<std::string, metadata::IngestRecord> ingests_;
  std::map<std::string, Lease> leases_;
  std::unordered_map<std::string, std::vector<std::string>> manifests_;
  std::vector<std::string> tag_targets_;
};

// Phase 1: one iterator over the whole schema, namespace after namespace.
Result<void> mark_snapshot(const Database& db, Timestamp now, std::chrono::nanoseconds grace,
                           Marked& out) {
  const std::string prefix = keys::schema_prefix();
  auto it = db.cursor();
  std::optional<NamespaceMarker> current;
  for (it->seek(prefix); it->valid(); it->next()) {
    std::string_view key = it->key();
    if (!key.starts_with(prefix))
      break;
    ++out.scanned_keys;
    auto parsed = keys::parse(key);
    if (!parsed)
      continue;  // not a key of this schema: no part of the graph
    if (!current || current->ns() != parsed->ns) {
      if (current)
        current->finish(out);
      current.emplace(parsed->ns, now, grace);
    }
    if (auto r = current->add(*parsed, it->value()); !r) {
      return fail(r.error().code, "gc mark: " + r.error().detail);
    }
  }
  if (auto st = it->status(); !st)
    return fail(st.error().code, "gc mark: " + st.error().detail);
  if (current)
    current->finish(out);
  return {};
}

// The re-mark of phases 2 and 3: from the keys journaled since phase 1 began, over the current
// state (moving in phase 2, still in phase 3 under wlock).
class Remarker {
 public:
  Remarker(const Database& db, Timestamp now, std::chrono::nanoseconds grace, Marked& marked)
      : db_(db), now_(now), grace_(grace), marked_(marked) {}

  Result<void> seed(const keys::ParsedKey& k) {
    switch (k.kind) {
      case KeyKind::tag: {
        auto v = db_.get(keys::tag(k.ns, k.name));
        if (!v)
          return v.error();
        if (!v->has_value())
          return {};
        auto rec = metadata::decode_tag(**v);
        if (!rec)
          return rec.error();
        return mark(k.ns, rec->target.digest.str(), kFull, false);
      }
      case KeyKind::manifest:
        return mark(k.ns, k.name, kFull, /*expand=*/true);
      case KeyKind::blob: {
        auto v = db_.get(keys::blob(k.ns, k.name));
        if (!v)
          return v.error();
        if (!v->has_value())
          return {};
        auto rec = metadata::decode_blob(**v);
        if (!rec)
          return rec.error();
        const bool root = is_root(rec->labels, rec->created_at, now_, grace_);
        // A full mark from phase 1 was expanded with the old labels: expand again.
        const bool was_full = marked_.namespaces[k.ns].get(k.name) == kFull;
        if (root || was_full)
          return mark(k.ns, k.name, kFull, /*expand=*/true);
        return {};
      }
      case KeyKind::lease: {
        auto lease = live_lease(k.ns, k.name);
        if (!lease)
          return lease.error();
        if (!*lease)
          return {};
        const bool flat = **lease;
        std::vector<keys::ParsedKey> resources;
        auto r = db_.scan(keys::lease_resources_prefix(k.ns, k.name), {},
                          [&](std::string_view key, std::string_view) {
                            if (auto p = keys::parse(key))
                              resources.push_back(std::move(*p));
                            return true;
                          });
        if (!r)
          return r;
        for (const auto& p : resources) {
          if (auto s = resource(p, flat); !s)
            return s;
        }
        return {};
      }
      case KeyKind::lease_blob:
      case KeyKind::lease_ingest: {
        auto lease = live_lease(k.ns, k.name);
        if (!lease)
          return lease.error();
        if (!*lease)
          return {};
        return resource(k, **lease);
      }
      default:
        return {};
    }
  }

  // Follows edges from everything newly marked full, reading the current records.
  Result<void> drain() {
    while (!work_.empty()) {
      auto [ns, d] = std::move(work_.back());
      work_.pop_back();
      auto blob = db_.get(keys::blob(ns, d));
      if (!blob)
        return blob.error();
      if (blob->has_value()) {
        auto rec = metadata::decode_blob(**blob);
        if (!rec)
          return rec.error();
        for (const std::string& r : label_refs(rec->labels)) {
          if (auto m = mark(ns, r, kFull, false); !m)
            return m;
        }
      }
      auto manifest = db_.get(keys::manifest(ns, d));
      if (!manifest)
        return manifest.error();
      if (manifest->has_value()) {
        auto rec = metadata::decode_manifest(**manifest);
        if (!rec)
          return rec.error();
        for (const auto& c : rec->children) {
          if (auto m = mark(ns, c.digest.str(), kFull, false); !m)
            return m;
        }
      }
    }
    return {};
  }

  bool ingest_held(const std::string& ns, const std::string& ref) const {
    return held_ingests_.contains(std::make_pair(ns, ref));
  }

 private:
  Result<void> mark(const std::string& ns, const std::string& d, uint8_t level, bool expand) {
    uint8_t& cur = marked_.namespaces[ns].marks[d];
    if (cur < level) {
      cur = level;
      expand = expand || level == kFull;
    }
    if (expand && cur == kFull)
      work_.emplace_back(ns, d);
    return {};
  }

  Result<void> resource(const keys::ParsedKey& k, bool flat) {
    if (k.kind == KeyKind::lease_blob)
      return mark(k.ns, k.child, flat ? kFlat : kFull, false);
    if (k.kind == KeyKind::lease_ingest)
      held_ingests_.emplace(k.ns, k.child);
    return {};
  }

  // Whether lease `id` exists and is unexpired: std::nullopt when not live, else its flatness.
  Result<std::optional<bool>> live_lease(const std::string& ns, const std::string& id) {
    auto v = db_.get(keys::lease(ns, id));
    if (!v)
      return v.error();
    if (!v->has_value())
      return std::optional<bool>();
    auto rec = metadata::decode_lease(**v);
    if (!rec)
      return rec.error();
    if (!lease_live(rec->expire_at, now_))
      return std::optional<bool>();
    return std::optional<bool>(has_label(rec->labels, kFlatLabel));
  }

  struct PairHash {
    size_t operator()(const std::pair<std::string, std::string>& p) const noexcept {
      return std::hash<std::string>{}(p.first) * 31 + std::hash<std::string>{}(p.second);
    }
  };

  const Database& db_;
  Timestamp now_;
  std::chrono::nanoseconds grace_;
  Marked& marked_;
  std::vector<std::pair<std::string, std::string>> work_;
  std::unordered_set<std::pair<std::string, std::string>, PairHash> held_ingests_;
};

// Stops the journal however collect() leaves.
struct JournalGuard {
  Database& db;
  ~JournalGuard() { db.stop_journal(); }
};

// A catch-up round that saw no more changes than this is the last.
constexpr size_t kCatchUpEnough = 256;

std::chrono::nanoseconds since(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - start);
}

}  // namespace

Collector::Collector(metadata::Database& db, metadata::ContentStore& content,
                     content::Store& backend, GcOptions options)
    : db_(db), content_(content), backend_(backend), options_(options) {
  if (options_.delete_chunk == 0)
    options_.delete_chunk = 1;
}

Result<GcStats> Collector::collect() {
  std::lock_guard lock(run_mutex_);
  // One collection at a time in the fleet too (replicas over one PostgreSQL database): a second
  // replica's waits, then marks what the first left.
  auto one_at_a_time = db_.engine().hold("gc run", /*exclusive=*/true);
  if (!one_at_a_time)
    return one_at_a_time.error();
  auto stats = collect_locked(/*hold_writers=*/false);
  if (!stats && stats.error().code == Errc::unavailable) {
    // Writers changed more than the journal holds, or more than the catch-up can re-mark, while
    // we marked: mark under wlock this once, as containerd always does, so a write storm holds
    // writers for one bounded mark rather than starving collection or growing the pause.
    stats = collect_locked(/*hold_writers=*/true);
  }
  return stats;
}

Result<GcStats> Collector::preview() {
  std::lock_guard lock(run_mutex_);
  const auto t0 = SteadyClock::now();
  GcStats stats;
  const Timestamp now = db_.clock().now();
  stats.started_at = now;
  stats.dry_run = true;
  auto files = blob_files(backend_, options_.on_progress);
  if (!files)
    return files.error();
  Marked marked;
  if (auto r = mark_snapshot(db_, now, options_.grace, marked); !r)
    return r.error();
  stats.mark_time = since(t0);
  for (const DeadBlob& b : marked.blobs) {
    --marked.recorded[b.digest];
    ++stats.removed_blobs;
  }
  stats.removed_ingests = marked.ingests.size();
  stats.removed_leases = marked.leases.size();
  stats.marked = marked.scanned_blobs - stats.removed_blobs;
  for (const auto& [digest, size] : *files) {
    auto it = marked.recorded.find(digest.str());
    if (it == marked.recorded.end() || it->second == 0) {
      ++stats.removed_files;
      stats.removed_bytes += size;
    }
  }
  stats.duration = since(t0);
  return stats;
}

Result<GcStats> Collector::collect_locked(bool hold_writers) {
  const auto t0 = SteadyClock::now();
  GcStats stats;
  const Timestamp now = db_.clock().now();
  stats.started_at = now;
  stats.marked_under_lock = hold_writers;

  // --- phase 1: mark over a snapshot, holding nothing (or wlock, when told to) ---
  auto locked = db_.lock_exclusive();
  if (!locked)
    return locked.error();
  metadata::FleetLock::Held held = std::move(*locked);
  if (auto r = db_.start_journal(held); !r)
    return r.error();
  if (!hold_writers)
    held.unlock();
  JournalGuard journal_guard{db_};

  // Blob files first: any file committed later is not a candidate anyway.
  auto files = blob_files(backend_, options_.on_progress);
  if (!files)
    return files.error();

  Marked marked;
  if (auto r = mark_snapshot(db_, now, options_.grace, marked); !r)
    return r.error();
  stats.mark_time = since(t0);
  if (options_.after_mark)
    options_.after_mark();

  // --- phase 2, catch-up: re-mark from the journal while writers run, until little is left ---
  // Marks only grow, and a key changed again after it was re-marked is journaled again, so
  // re-marking over the live state here is as sound as under wlock; it only shrinks what phase 3
  // must re-mark while writers wait.
  std::vector<DeadIngest> dead_ingests;
  std::unordered_set<std::string> changed;    // every key journaled since phase 1 began
  std::unordered_set<std::string> recreated;  // digests of the blob keys among them
  bool dirty_while_marking = false;
  Remarker remark(db_, now, options_.grace, marked);
  auto absorb = [&](Database::Journal journal) -> Result<size_t> {
    if (journal.overflowed) {
      return fail(Errc::unavailable,
                  "gc: too many metadata changes while marking; nothing was collected, retry");
    }
    dirty_while_marking = dirty_while_marking || journal.dirty;
    // Each key once per round, but again in a later round: its value may have changed again.
    std::unordered_set<std::string> round(journal.keys.begin(), journal.keys.end());
    for (const std::string& key : round) {
      auto parsed = keys::parse(key);
      if (!parsed)
        continue;
      if (parsed->kind == KeyKind::blob)
        recreated.insert(parsed->name);
      if (auto r = remark.seed(*parsed); !r)
        return fail(r.error().code, "gc re-mark: " + r.error().detail);
    }
    if (auto r = remark.drain(); !r)
      return fail(r.error().code, "gc re-mark: " + r.error().detail);
    changed.merge(round);
    return journal.keys.size();
  };
  size_t previous = SIZE_MAX;
  for (int i = 0; !hold_writers && i < options_.catch_up_rounds; ++i) {
    auto n = absorb(db_.take_journal());
    if (!n)
      return n.error();
    // Few changes left, or writers outpace the re-mark (the rounds no longer shrink): waiting
    // longer would only grow what phase 3 must re-mark.
    if (*n <= kCatchUpEnough || *n >= previous) {
      // Re-marking a key reads about three records; past a quarter of the database, marking it
      // all again under wlock holds writers for less (and for a time bounded by its size).
      if (*n > std::max(kCatchUpEnough, marked.scanned_keys / 4)) {
        return fail(Errc::unavailable,
                    "gc: writers outpace the re-mark; marking under the lock instead");
      }
      break;
    }
    previous = *n;
  }

  // --- phase 3: re-mark the last changes, sweep the metadata in one batch, writers held ---
  {
    const auto t_lock = hold_writers ? t0 : SteadyClock::now();
    metadata::FleetLock::Held wlock;
    if (hold_writers) {
      wlock = std::move(held);
    } else {
      auto relocked = db_.lock_exclusive();
      if (!relocked)
        return relocked.error();
      wlock = std::move(*relocked);
    }
    if (auto n = absorb(db_.take_journal()); !n)
      return n.error();

    std::vector<std::string> batch;
    for (const DeadBlob& b : marked.blobs) {
      std::string key = keys::blob(b.ns, b.digest);
      if (changed.contains(key) || marked.namespaces[b.ns].get(b.digest) != kUnmarked)
        continue;
      batch.push_back(std::move(key));
      --marked.recorded[b.digest];
      ++stats.removed_blobs;
    }
    for (DeadIngest& i : marked.ingests) {
      std::string key = keys::ingest(i.ns, i.ref);
      if (changed.contains(key) || remark.ingest_held(i.ns, i.ref))
        continue;
      batch.push_back(std::move(key));
      if (!i.lease.empty())
        batch.push_back(keys::lease_ingest(i.ns, i.lease, i.ref));
      dead_ingests.push_back(std::move(i));
    }
    stats.removed_ingests = dead_ingests.size();
    for (const DeadLease& l : marked.leases) {
      std::string key = keys::lease(l.ns, l.id);
      if (changed.contains(key))
        continue;
      batch.push_back(std::move(key));
      auto r = db_.scan(keys::lease_resources_prefix(l.ns, l.id), {},
                        [&](std::string_view k, std::string_view) {
                          batch.emplace_back(k);
                          return true;
                        });
      if (!r)
        return r.error();
      ++stats.removed_leases;
    }
    if (auto r = db_.remove_exclusive(wlock, batch); !r)
      return r.error();
    if (stats.removed_blobs > 0 && content_.usage())
      content_.usage()->forget_all();  // byte totals are recomputed from the records left
    // A reference removed while marking may have left garbage this run could not see.
    if (!dirty_while_marking)
      db_.clear_dirty();
    stats.paused = since(t_lock);
  }
  stats.marked = marked.scanned_blobs - stats.removed_blobs;
  marked.namespaces.clear();

  // --- phase 4: the backend, after the records (a crash leaves files, never dangling records) ---
  for (const DeadIngest& i : dead_ingests) {
    // unavailable: a writer still holds it; not_found: already gone. Either way the orphan sweep
    // below (or the next run's) finishes the job.
    (void)backend_.abort(i.backend_ref);
  }

  std::vector<std::pair<content::Digest, int64_t>> candidates;
  for (auto& f : *files) {
    auto it = marked.recorded.find(f.first.str());
    if (it == marked.recorded.end() || it->second == 0)
      candidates.push_back(std::move(f));
  }
  files->clear();
  int64_t candidate_bytes = 0;
  for (const auto& c : candidates)
    candidate_bytes += c.second;
  int64_t bytes_done = 0;  // removed, or skipped as recorded again
  const auto report_removing = [&] {
    if (options_.on_progress)
      options_.on_progress({"removing", bytes_done, candidate_bytes});
  };
  report_removing();
  for (size_t start = 0; start < candidates.size(); start += options_.delete_chunk) {
    // No commit or shared-policy check runs while this is held, and every blob record created
    // since phase 1 began is in the journal by now.
    auto content_lock = content_.lock_exclusive();
    if (!content_lock)
      return content_lock.error();
    Database::Journal journal = db_.take_journal();
    if (journal.overflowed)
      break;  // cannot tell what was recorded meanwhile: keep every file this run
    for (const std::string& key : journal.keys) {
      auto parsed = keys::parse(key);
      if (parsed && parsed->kind == KeyKind::blob)
        recreated.insert(std::move(parsed->name));
    }
    const size_t end = std::min(candidates.size(), start + options_.delete_chunk);
    for (size_t i = start; i < end; ++i) {
      const auto& [digest, size] = candidates[i];
      bytes_done += size;
      if (recreated.contains(digest.str()))
        continue;
      auto r = backend_.remove(digest);
      if (!r) {
        if (r.error().code == Errc::not_found)
          continue;
        return r.error();
      }
      ++stats.removed_files;
      stats.removed_bytes += size;
      report_removing();
    }
  }
  report_removing();

  // Backend ingests nobody records: a crash, or an abort that met a live writer. The record is
  // written before the backend ingest is opened (ContentStore::writer), so listing first and
  // then reading records never takes a new upload for an orphan.
  auto statuses = backend_.list_statuses();
  if (!statuses)
    return statuses.error();
  for (const content::Status& st : *statuses) {
    if (now - st.updated_at < options_.grace)
      continue;
    const size_t at = st.ref.find('@');
    if (at != std::string::npos) {
      auto rec = db_.get(keys::ingest(std::string_view(st.ref).substr(0, at),
                                      std::string_view(st.ref).substr(at + 1)));
      if (!rec)
        return rec.error();
      if (rec->has_value())
        continue;
    }
    if (backend_.abort(st.ref))
      ++stats.removed_backend_ingests;
  }

  stats.duration = since(t0);
  return stats;
}

bool is_root(const content::Labels& labels, Timestamp created_at, Timestamp now,
             std::chrono::nanoseconds grace) {
  return has_label(labels, kRootLabel) || (grace.count() > 0 && now - created_at < grace);
}

}  // namespace cairn::gc

#include "storage/fsck/checker.h"

#include "storage/content/file_util.h"
#include "storage/fsck/rate_limiter.h"
#include "storage/gc/collector.h"
#include "storage/metadata/keys.h"
#include "storage/metadata/records.h"
#include "storage/metadata/rfc3339.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

// One Run carries what each phase learns to the next (records → files → ingests → explain →
// repair), which is why one file holds them all (past the usual ~600 lines); split it by phase,
// with Run in a private header, if it grows further.
namespace cairn::fsck {
namespace {

namespace keys = metadata::keys;
using content::Digest;
using keys::KeyKind;

// Orphan candidates confirmed (or removed) per hold of ContentStore::lock_exclusive().
constexpr size_t kConfirmChunk = 256;

// A key made printable: its 0x00 separators become '/'.
std::string printable_key(std::string_view key) {
  std::string out(key);
  std::replace(out.begin(), out.end(), '\0', '/');
  return out;
}

// What one namespace records, as the snapshot passes over it.
struct NsRecords {
  std::unordered_set<std::string> blobs;
  std::map<std::string, std::vector<metadata::ManifestChild>> manifests;
  std::vector<std::pair<std::string, std::string>> tags;  // tag, target digest
  std::map<std::string, metadata::IngestRecord> ingests;
  struct Lease {
    bool exists = false;
    bool live = false;
    std::unordered_set<std::string> ingests;
  };
  std::map<std::string, Lease> leases;
};

// Something that still names a blob: "<ns> manifest <digest>" and the like.
struct Need {
  std::string ns;
  std::string what;  // "manifest", "tag", "lease", "gc.root"
  std::string name;

  std::string str() const { return name.empty() ? ns + " " + what : ns + " " + what + " " + name; }
  friend auto operator<=>(const Need&, const Need&) = default;
};

// The namespaces the database holds now (one seek per namespace).
Result<std::vector<std::string>> current_namespaces(const metadata::Database& db) {
  std::vector<std::string> out;
  const std::string prefix = keys::schema_prefix();
  auto it = db.cursor();
  it->seek(prefix);
  while (it->valid()) {
    std::string_view key = it->key();
    if (!key.starts_with(prefix))
      break;
    auto ns = keys::namespace_of(key);
    if (!ns)
      break;
    out.emplace_back(*ns);
    it->seek(keys::namespace_end(out.back()));
  }
  if (auto st = it->status(); !st)
    return fail(st.error().code, "fsck: list namespaces: " + st.error().detail);
  return out;
}

// The namespaces among `namespaces` that record blob `digest` now.
Result<std::vector<std::string>> recorded_in(const metadata::Database& db,
                                             const std::vector<std::string>& namespaces,
                                             const std::string& digest) {
  std::vector<std::string> out;
  for (const std::string& ns : namespaces) {
    auto v = db.get(keys::blob(ns, digest));
    if (!v)
      return v.error();
    if (v->has_value())
      out.push_back(ns);
  }
  return out;
}

class Run {
 public:
  // `storage` keeps its blobs in the filesystem tree (check() makes sure).
  Run(Storage& storage, const CheckOptions& options)
      : s_(storage), blobs_(*storage.local_blobs()), opts_(options), now_(storage.clock().now()) {
    report_.repair = options.repair;
    report_.started_at = now_;
  }

  Result<Report> go() {
    if (auto r = scan_records(); !r)
      return failed(r.error());
    auto early_ingests = blobs_.scan_ingests();
    if (!early_ingests)
      return failed(early_ingests.error());
    if (auto r = check_files(); !r)
      return failed(r.error());
    if (stopped())
      return finish(Report::State::cancelled);
    if (auto r = check_ingests(*early_ingests); !r)
      return failed(r.error());
    if (auto r = explain(); !r)
      return failed(r.error());
    if (opts_.repair) {
      if (auto r = repair(); !r)
        return failed(r.error());
    }
    return finish(stopped() ? Report::State::cancelled : Report::State::done);
  }

 private:
  bool stopped() const { return opts_.stop.stop_requested(); }

  Result<Report> finish(Report::State state) {
    report_.state = state;
    report_.finished_at = s_.clock().now();
    return std::move(report_);
  }

  Error failed(Error e) {
    e.detail = "fsck: " + e.detail;
    return e;
  }

  void add(Finding f) {
    if (opts_.on_finding)
      opts_.on_finding(f);
    report_.findings.push_back(std::move(f));
  }

  void progress() {
    if (opts_.on_progress)
      opts_.on_progress(report_.progress);
  }

  // --- records, over one snapshot ---

  Result<void> scan_records() {
    const std::string prefix = keys::schema_prefix();
    auto it = s_.db().cursor();
    std::string current;
    NsRecords recs;
    bool any = false;
    for (it->seek(prefix); it->valid(); it->next()) {
      std::string_view key = it->key();
      if (!key.starts_with(prefix))
        break;
      std::string_view value = it->value();
      auto parsed = keys::parse(key);
      if (!parsed) {
        add({FindingKind::bad_record,
             {},
             {},
             {},
             printable_key(key),
             "a key this schema does not define",
             {},
             {},
             false});
        continue;
      }
      if (!any || parsed->ns != current) {
        if (any)
          finish_namespace(current, recs);
        current = parsed->ns;
        recs = NsRecords{};
        any = true;
      }
      add_record(*parsed, key, value, recs);
    }
    if (auto st = it->status(); !st)
      return fail(st.error().code, "scan records: " + st.error().detail);
    if (any)
      finish_namespace(current, recs);
    return {};
  }

  void bad_record(const keys::ParsedKey& k, std::string_view key, const Error& e) {
    Finding f{FindingKind::bad_record, {}, k.ns, {}, printable_key(key), e.detail, {}, {}, false};
    add(std::move(f));
  }

  void add_record(const keys::ParsedKey& k, std::string_view key, std::string_view value,
                  NsRecords& recs) {
    switch (k.kind) {
      case KeyKind::blob: {
        if (auto rec = metadata::decode_blob(value); !rec)
          return bad_record(k, key, rec.error());
        recs.blobs.insert(k.name);
        recorded_[k.name].push_back(k.ns);
        ++report_.counts.blob_records;
        return;
      }
      case KeyKind::manifest: {
        auto rec = metadata::decode_manifest(value);
        if (!rec)
          return bad_record(k, key, rec.error());
        recs.manifests.emplace(k.name, std::move(rec->children));
        ++report_.counts.manifests;
        return;
      }
      case KeyKind::tag: {
        auto rec = metadata::decode_tag(value);
        if (!rec)
          return bad_record(k, key, rec.error());
        recs.tags.emplace_back(k.name, rec->target.digest.str());
        ++report_.counts.tags;
        return;
      }
      case KeyKind::ingest: {
        auto rec = metadata::decode_ingest(value);
        if (!rec)
          return bad_record(k, key, rec.error());
        recs.ingests.emplace(k.name, std::move(*rec));
        ++report_.counts.ingests;
        return;
      }
      case KeyKind::lease: {
        auto rec = metadata::decode_lease(value);
        if (!rec)
          return bad_record(k, key, rec.error());
        auto& l = recs.leases[k.name];
        l.exists = true;
        l.live = !rec->expire_at || *rec->expire_at > now_;
        ++report_.counts.leases;
        return;
      }
      case KeyKind::lease_ingest:
        recs.leases[k.name].ingests.insert(k.child);
        return;
      case KeyKind::namespace_labels:
        if (auto rec = metadata::decode_namespace(value); !rec)
          return bad_record(k, key, rec.error());
        return;
      case KeyKind::referrer:
        if (auto rec = metadata::decode_descriptor(value); !rec)
          return bad_record(k, key, rec.error());
        return;
      default:
        return;  // lease blobs: values are empty
    }
  }

  void finish_namespace(const std::string& ns, NsRecords& recs) {
    ++report_.counts.namespaces;
    for (const auto& [m, children] : recs.manifests) {
      if (!recs.blobs.contains(m)) {
        add({FindingKind::manifest_blob_missing,
             m,
             ns,
             {},
             m,
             "the manifest's own bytes are not recorded in the repository",
             {},
             {},
             false});
      }
      for (const auto& c : children) {
        // A subject may name a manifest that was never pushed (OCI 1.1); every other child
        // was required when the manifest was put.
        if (c.kind == metadata::ChildKind::subject || recs.blobs.contains(c.digest.str()))
          continue;
        add({FindingKind::manifest_blob_missing,
             c.digest.str(),
             ns,
             {},
             m,
             std::string(metadata::child_kind_name(c.kind)) + " " + c.digest.str() +
                 " is not recorded in the repository",
             {},
             {},
             false});
      }
    }
    for (const auto& [tag, target] : recs.tags) {
      if (!recs.manifests.contains(target)) {
        add({FindingKind::dangling_tag,
             target,
             ns,
             {},
             tag,
             "the tag's manifest is not recorded in the repository",
             {},
             {},
             false});
      }
    }
    for (auto& [ref, rec] : recs.ingests) {
      bool held = false;
      if (!rec.lease.empty()) {
        auto it = recs.leases.find(rec.lease);
        held = it != recs.leases.end() && it->second.exists && it->second.live &&
               it->second.ingests.contains(ref);
      }
      if (!held && rec.expire_at && *rec.expire_at <= now_) {
        add({FindingKind::stale_ingest,
             {},
             ns,
             {},
             ref,
             "the upload expired at " + metadata::format_rfc3339(*rec.expire_at),
             {},
             {},
             false});
        expired_.emplace(ns, ref);
      }
      ingest_records_.emplace(rec.backend_ref, std::make_pair(ns, ref));
    }
  }

  // --- files ---

  // Sleeps for `d` unless the check is stopped first.
  void pause(std::chrono::nanoseconds d) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    cv.wait_for(lock, opts_.stop, d, [] { return false; });
  }

  // Hashes the blob; std::nullopt when it went away meanwhile, else the digest of its bytes.
  Result<std::optional<Digest>> hash(const Digest& d, RateLimiter& limiter,
                                     std::vector<std::byte>& buf) {
    auto reader = blobs_.reader(d);
    if (!reader) {
      if (reader.error() == Errc::not_found)
        return std::optional<Digest>();
      return reader.error();
    }
    content::Hasher hasher(d.algorithm());
    int64_t offset = 0;
    for (;;) {
      if (stopped())
        return std::optional<Digest>();
      auto n = (*reader)->read_at(buf, offset);
      if (!n)
        return n.error();
      if (*n == 0)
        break;
      hasher.update(std::span<const std::byte>(buf.data(), *n));
      offset += static_cast<int64_t>(*n);
      report_.progress.bytes_hashed += static_cast<int64_t>(*n);
      progress();
      if (auto wait = limiter.consume(static_cast<int64_t>(*n)); wait.count() > 0)
        pause(wait);
    }
    return std::optional<Digest>(hasher.digest());
  }

  Result<void> check_files() {
    std::vector<content::Info> files;
    auto r = blobs_.walk(
        [&](const content::Info& info) {
          files.push_back(info);
          return true;
        },
        {});
    if (!r)
      return r;
    report_.counts.files = files.size();
    report_.progress.blobs_total = files.size();
    for (const auto& f : files)
      report_.progress.bytes_total += f.size;
    progress();

    // Under a rate, read a quarter second's worth at a time (and run ahead by no more), so the
    // scrub's reads stay smooth at any rate.
    size_t piece = std::max<size_t>(opts_.buffer_bytes, 4096);
    if (opts_.rate > 0)
      piece = std::clamp<size_t>(static_cast<size_t>(opts_.rate / 4), 4096, piece);
    RateLimiter limiter(opts_.rate, static_cast<int64_t>(piece));
    std::vector<std::byte> buf(piece);
    std::unordered_set<std::string> present;
    std::vector<content::Info> unrecorded;
    for (const content::Info& f : files) {
      if (stopped())
        return {};
      present.insert(f.digest.str());
      auto rec = recorded_.find(f.digest.str());
      if (opts_.hash) {
        auto got = hash(f.digest, limiter, buf);
        if (!got)
          return got.error();
        if (*got && **got != f.digest) {
          Finding finding{FindingKind::corrupt,
                          f.digest.str(),
                          {},
                          {},
                          {},
                          "its " + std::to_string(f.size) + " bytes hash to " + (*got)->str(),
                          {},
                          {},
                          false};
          if (rec != recorded_.end())
            finding.namespaces = rec->second;
          corrupt_.push_back(f.digest);
          add(std::move(finding));
        }
      }
      ++report_.progress.blobs_hashed;
      progress();
      if (rec == recorded_.end() &&
          (corrupt_.empty() || corrupt_.back() != f.digest)) {  // corrupt says enough
        if (now_ - f.created_at < opts_.grace)
          ++report_.counts.young_files;
        else
          unrecorded.push_back(f);
      }
    }
    if (stopped())
      return {};

    // Orphans: confirmed against every namespace's current records, with commits held.
    for (size_t start = 0; start < unrecorded.size(); start += kConfirmChunk) {
      auto lock = s_.content().lock_exclusive();
      if (!lock)
        return lock.error();
      auto namespaces = current_namespaces(s_.db());
      if (!namespaces)
        return namespaces.error();
      const size_t end = std::min(unrecorded.size(), start + kConfirmChunk);
      for (size_t i = start; i < end; ++i) {
        const content::Info& f = unrecorded[i];
        auto in = recorded_in(s_.db(), *namespaces, f.digest.str());
        if (!in)
          return in.error();
        if (!in->empty() || !blobs_.exists(f.digest))
          continue;
        orphans_.push_back(f.digest);
        add({FindingKind::orphan,
             f.digest.str(),
             {},
             {},
             {},
             std::to_string(f.size) + " bytes no repository records, committed " +
                 metadata::format_rfc3339(f.created_at),
             {},
             {},
             false});
      }
    }

    // Missing: records whose file was not listed, confirmed with commits and GC sweeps held.
    for (const auto& [digest, namespaces] : recorded_) {
      if (present.contains(digest))
        continue;
      auto d = Digest::parse(digest);
      if (!d)
        continue;  // a record under a key that is no digest: decode would have said
      auto lock = s_.content().lock_exclusive();
      if (!lock)
        return lock.error();
      if (blobs_.exists(*d))
        continue;  // committed after the listing
      auto in = recorded_in(s_.db(), namespaces, digest);
      if (!in)
        return in.error();
      for (const std::string& ns : *in) {
        missing_.emplace_back(ns, *d);
        add({FindingKind::missing,
             digest,
             ns,
             {},
             {},
             "the repository records the blob but its file is gone",
             {},
             {},
             false});
      }
    }
    return {};
  }

  // --- ingests ---

  Result<void> check_ingests(const std::vector<content::LocalStore::IngestDir>& early) {
    using State = content::LocalStore::IngestDir::State;
    auto dirs = blobs_.scan_ingests();
    if (!dirs)
      return dirs.error();
    // A commit leaves its directory without data for an instant: broken only if seen twice.
    std::unordered_set<std::string> broken_before;
    for (const auto& d : early) {
      if (d.state != State::ok)
        broken_before.insert(d.key);
    }
    std::unordered_set<std::string> backend_refs;
    for (const auto& d : *dirs) {
      ++report_.counts.ingests;
      if (d.state != State::ok) {
        if (!broken_before.contains(d.key))
          continue;
        broken_ingests_.push_back(d.key);
        add({FindingKind::stale_ingest,
             {},
             {},
             {},
             d.status.ref.empty() ? d.key : d.status.ref,
             d.state == State::stale ? "an upload directory whose data is gone (a commit cut short)"
                                     : "an upload directory whose record files are unreadable",
             {},
             {},
             false});
        continue;
      }
      backend_refs.insert(d.status.ref);
      if (ingest_records_.contains(d.status.ref) || now_ - d.status.updated_at < opts_.grace)
        continue;
      const std::string& bref = d.status.ref;
      const size_t at = bref.find('@');
      if (at != std::string::npos) {
        auto rec = s_.db().get(keys::ingest(std::string_view(bref).substr(0, at),
                                            std::string_view(bref).substr(at + 1)));
        if (!rec)
          return rec.error();
        if (rec->has_value())
          continue;  // recorded since the snapshot
      }
      unrecorded_ingests_.push_back(bref);
      add({FindingKind::stale_ingest,
           {},
           at == std::string::npos ? "" : bref.substr(0, at),
           {},
           at == std::string::npos ? bref : bref.substr(at + 1),
           "upload data no record names, idle since " +
               metadata::format_rfc3339(d.status.updated_at),
           {},
           {},
           false});
    }
    for (const auto& [bref, where] : ingest_records_) {
      const auto& [ns, ref] = where;
      if (backend_refs.contains(bref) || expired_.contains(where))
        continue;
      // Confirm: still recorded, still without data (an upload opens its data after its record).
      auto rec = s_.db().get(keys::ingest(ns, ref));
      if (!rec)
        return rec.error();
      if (!rec->has_value())
        continue;
      auto st = blobs_.status(bref);
      if (st || st.error().code != Errc::not_found)
        continue;
      dataless_.emplace_back(ns, ref);
      add({FindingKind::stale_ingest,
           {},
           ns,
           {},
           ref,
           "an upload record whose data is gone",
           {},
           {},
           false});
    }
    return {};
  }

  // --- what still needs each blob found corrupt, missing or orphan ---

  Result<void> explain() {
    std::unordered_set<std::string> wanted;
    for (const Finding& f : report_.findings) {
      if (f.kind == FindingKind::corrupt || f.kind == FindingKind::missing ||
          f.kind == FindingKind::orphan)
        wanted.insert(f.digest);
    }
    if (wanted.empty())
      return {};
    const std::string prefix = keys::schema_prefix();
    auto it = s_.db().cursor();
    auto need = [&](const std::string& digest, Need n) {
      if (wanted.contains(digest))
        needs_[digest].insert(std::move(n));
    };
    for (it->seek(prefix); it->valid(); it->next()) {
      std::string_view key = it->key();
      if (!key.starts_with(prefix))
        break;
      std::string_view value = it->value();
      auto k = keys::parse(key);
      if (!k)
        continue;
      switch (k->kind) {
        case KeyKind::manifest: {
          need(k->name, {k->ns, "manifest", k->name});
          if (auto rec = metadata::decode_manifest(value)) {
            for (const auto& c : rec->children) {
              if (c.kind != metadata::ChildKind::subject)
                need(c.digest.str(), {k->ns, "manifest", k->name});
            }
          }
          break;
        }
        case KeyKind::tag:
          if (auto rec = metadata::decode_tag(value))
            need(rec->target.digest.str(), {k->ns, "tag", k->name});
          break;
        case KeyKind::lease_blob:
          need(k->child, {k->ns, "lease", k->name});
          break;
        case KeyKind::blob:
          if (wanted.contains(k->name)) {
            auto rec = metadata::decode_blob(value);
            if (rec && rec->labels.contains(gc::kRootLabel))
              need(k->name, {k->ns, "gc.root", {}});
          }
          break;
        default:
          break;
      }
    }
    if (auto st = it->status(); !st)
      return fail(st.error().code, "explain: " + st.error().detail);
    for (Finding& f : report_.findings) {
      if (f.kind != FindingKind::corrupt && f.kind != FindingKind::missing &&
          f.kind != FindingKind::orphan)
        continue;
      auto n = needs_.find(f.digest);
      if (n == needs_.end())
        continue;
      for (const Need& x : n->second) {
        // A missing blob is needed only within its own namespace.
        if (f.kind == FindingKind::missing && x.ns != f.ns)
          continue;
        f.needed_by.push_back(x.str());
      }
    }
    return {};
  }

  // --- repairs ---

  Finding* finding_for(FindingKind kind, std::string_view digest, std::string_view ns,
                       std::string_view name = {}) {
    for (Finding& f : report_.findings) {
      if (f.kind == kind && f.digest == digest && f.ns == ns && (name.empty() || f.name == name))
        return &f;
    }
    return nullptr;
  }

  void done(Finding* f, std::string action, bool repaired) {
    if (f == nullptr)
      return;
    f->action = std::move(action);
    f->repaired = repaired;
    if (repaired)
      ++report_.counts.repaired;
  }

  // After the records of `digest` in `namespaces` were dropped: the manifests there that need
  // it now miss it. Reported, never deleted.
  void report_broken_manifests(const std::string& digest,
                               const std::vector<std::string>& namespaces, std::string_view why) {
    auto n = needs_.find(digest);
    if (n == needs_.end())
      return;
    for (const Need& x : n->second) {
      if (x.what != "manifest" ||
          std::find(namespaces.begin(), namespaces.end(), x.ns) == namespaces.end())
        continue;
      if (finding_for(FindingKind::manifest_blob_missing, digest, x.ns, x.name) != nullptr)
        continue;
      Finding f{FindingKind::manifest_blob_missing,
                digest,
                x.ns,
                {},
                x.name,
                "needs " + digest + ", " + std::string(why),
                {},
                "none: reported only",
                false};
      add(std::move(f));
    }
  }

  Result<void> drop_records(const std::string& digest, const std::vector<std::string>& namespaces) {
    if (namespaces.empty())
      return {};
    std::vector<std::string> ks;
    for (const std::string& ns : namespaces)
      ks.push_back(keys::blob(ns, digest));
    auto update = s_.db().begin(ks);
    for (const std::string& k : ks)
      update.remove(k);
    update.mark_dirty();
    return update.commit();
  }

  Result<void> quarantine(const Digest& d) {
    Finding* f = finding_for(FindingKind::corrupt, d.str(), {});
    const auto dest = quarantine_path(s_, d, s_.clock().now());
    // The quarantine directories are fsynced into their parents as they are created, so they
    // are durable before anything moves into them.
    if (auto r = content::file_util::create_directories(content::posix_file_system(),
                                                        dest.parent_path());
        !r)
      return r;
    std::vector<std::string> dropped;
    {
      auto lock = s_.content().lock_exclusive();
      if (!lock)
        return lock.error();
      auto moved = blobs_.move_out(d, dest);
      if (!moved) {
        if (moved.error() != Errc::not_found)
          return moved.error();
        done(f, "none: the file went away meanwhile", false);
        return {};
      }
      auto namespaces = current_namespaces(s_.db());
      if (!namespaces)
        return namespaces.error();
      auto in = recorded_in(s_.db(), *namespaces, d.str());
      if (!in)
        return in.error();
      if (auto r = drop_records(d.str(), *in); !r)
        return r;
      dropped = std::move(*in);
    }
    std::string action =
        "quarantined to " + std::filesystem::relative(dest, s_.root()).generic_string();
    if (!dropped.empty()) {
      action += "; its records were dropped in";
      for (const std::string& ns : dropped)
        action += " " + ns;
      action += " so a client can push it again";
    }
    done(f, std::move(action), true);
    report_broken_manifests(d.str(), dropped, "whose corrupt bytes this repair quarantined");
    return {};
  }

  Result<void> drop_missing(const std::string& ns, const Digest& d) {
    Finding* f = finding_for(FindingKind::missing, d.str(), ns);
    {
      auto lock = s_.content().lock_exclusive();
      if (!lock)
        return lock.error();
      if (blobs_.exists(d)) {
        done(f, "none: the file is back", false);
        return {};
      }
      auto in = recorded_in(s_.db(), {ns}, d.str());
      if (!in)
        return in.error();
      if (in->empty()) {
        done(f, "none: the record went away meanwhile", false);
        return {};
      }
      if (auto r = drop_records(d.str(), {ns}); !r)
        return r;
    }
    done(f, "dropped the record so a client can push the blob again", true);
    report_broken_manifests(d.str(), {ns}, "whose record this repair dropped (its file was gone)");
    return {};
  }

  Result<void> remove_orphans() {
    for (size_t start = 0; start < orphans_.size(); start += kConfirmChunk) {
      auto lock = s_.content().lock_exclusive();
      if (!lock)
        return lock.error();
      auto namespaces = current_namespaces(s_.db());
      if (!namespaces)
        return namespaces.error();
      const size_t end = std::min(orphans_.size(), start + kConfirmChunk);
      for (size_t i = start; i < end; ++i) {
        const Digest& d = orphans_[i];
        Finding* f = finding_for(FindingKind::orphan, d.str(), {});
        if (f != nullptr && !f->needed_by.empty()) {
          done(f, "kept: still named by the records in neededBy", false);
          continue;
        }
        auto in = recorded_in(s_.db(), *namespaces, d.str());
        if (!in)
          return in.error();
        if (!in->empty()) {
          done(f, "kept: recorded again meanwhile", false);
          continue;
        }
        auto r = blobs_.remove(d);
        if (!r && r.error() != Errc::not_found)
          return r;
        done(f, "removed the file", true);
      }
    }
    return {};
  }

  Result<void> repair_ingests() {
    auto stale = [&](std::string_view ns, std::string_view name) {
      for (Finding& f : report_.findings) {
        if (f.kind == FindingKind::stale_ingest && f.ns == ns && f.name == name && f.action.empty())
          return &f;
      }
      return static_cast<Finding*>(nullptr);
    };
    auto outcome = [&](Finding* f, const Result<void>& r) -> Result<void> {
      if (r || r.error() == Errc::not_found) {
        done(f, "removed the upload", true);
        return {};
      }
      if (r.error() == Errc::unavailable) {
        done(f, "kept: a writer holds it", false);
        return {};
      }
      return r;
    };
    for (const auto& [ns, ref] : expired_) {
      if (auto r = outcome(stale(ns, ref), s_.content().abort(metadata::Scope{ns, {}}, ref)); !r)
        return r;
    }
    for (const auto& [ns, ref] : dataless_) {
      if (auto r = outcome(stale(ns, ref), s_.content().abort(metadata::Scope{ns, {}}, ref)); !r)
        return r;
    }
    for (const std::string& bref : unrecorded_ingests_) {
      const size_t at = bref.find('@');
      Finding* f = at == std::string::npos ? stale("", bref)
                                           : stale(std::string_view(bref).substr(0, at),
                                                   std::string_view(bref).substr(at + 1));
      if (auto r = outcome(f, blobs_.abort(bref)); !r)
        return r;
    }
    for (const std::string& key : broken_ingests_) {
      Finding* f = nullptr;
      for (Finding& x : report_.findings) {
        if (x.kind == FindingKind::stale_ingest && x.ns.empty() && x.action.empty() &&
            (x.name == key || content::digest_of(x.name).hex() == key)) {
          f = &x;
          break;
        }
      }
      auto removed = blobs_.remove_broken_ingest(key);
      if (!removed)
        return removed.error();
      done(f, *removed ? "removed the upload directory" : "kept: a writer holds it", *removed);
    }
    return {};
  }

  Result<void> repair() {
    for (const Digest& d : corrupt_) {
      if (stopped())
        return {};
      if (auto r = quarantine(d); !r)
        return r;
    }
    for (const auto& [ns, d] : missing_) {
      if (auto r = drop_missing(ns, d); !r)
        return r;
    }
    if (auto r = remove_orphans(); !r)
      return r;
    if (auto r = repair_ingests(); !r)
      return r;
    for (Finding& f : report_.findings) {
      if (f.action.empty())
        f.action = "none: reported only";
    }
    return {};
  }

  Storage& s_;
  content::LocalStore& blobs_;
  const CheckOptions& opts_;
  const Timestamp now_;
  Report report_;

  std::unordered_map<std::string, std::vector<std::string>> recorded_;  // digest → namespaces
  std::map<std::string, std::pair<std::string, std::string>> ingest_records_;  // backend ref →
  std::set<std::pair<std::string, std::string>> expired_;                      // (ns, ref)
  std::vector<Digest> corrupt_;
  std::vector<std::pair<std::string, Digest>> missing_;  // (ns, digest)
  std::vector<Digest> orphans_;
  std::vector<std::string> broken_ingests_;                    // ingest directory keys
  std::vector<std::string> unrecorded_ingests_;                // backend refs
  std::vector<std::pair<std::string, std::string>> dataless_;  // (ns, ref)
  std::unordered_map<std::string, std::set<Need>> needs_;
};

}  // namespace

std::filesystem::path quarantine_path(const Storage& storage, const content::Digest& digest,
                                      Timestamp at) {
  return storage.quarantine_dir() / std::string(content::algorithm_name(digest.algorithm())) /
         (std::string(digest.hex()) + "." + std::to_string(to_unix_nanos(at)));
}

Result<Report> check(Storage& storage, const CheckOptions& options) {
  if (storage.local_blobs() == nullptr) {
    return fail(Errc::failed_precondition,
                "fsck checks the filesystem blob tree; blobs in an object store (--blobs) are "
                "not checked");
  }
  Run run(storage, options);
  return run.go();
}

}  // namespace cairn::fsck

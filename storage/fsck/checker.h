// Checker: a consistency check of one data root (fsck), and its repairs.
//
// It walks what the metadata database records and what the content store holds, and reports
// each disagreement as a Finding (report.h):
//  - records, over one LevelDB snapshot, namespace by namespace: blob records, manifests (their
//    own bytes and every child but the subject must be recorded in the namespace), tags (their
//    target manifest must be recorded), leases, ingest records (expired and not held by a live
//    lease: stale), and any value that does not decode (bad_record);
//  - files: every blob under blobs/ is re-hashed, streaming through a bounded buffer with the
//    content store's Hasher (corrupt when the bytes hash to another digest); a record whose
//    file is gone is missing; a file no namespace records is an orphan, unless it is younger
//    than the grace (then it may be a commit whose record is not written yet: counted as a
//    young file, never reported or removed);
//  - ingests: backend ingest directories that are corrupt, stale (data gone), or that no record
//    names and idle past the grace; records whose backend ingest is gone.
// Every suspected missing or orphan blob is confirmed under ContentStore::lock_exclusive()
// against the current records, so a check may run while the server serves: a commit or a GC
// sweep between the snapshot and the file scan is not reported.
//
// Repair (CheckOptions::repair), after the findings are known and each explained (what still
// needs the blob: manifests, tags, leases and gc.root labels, in every namespace):
//  - corrupt: the file moves to <root>/quarantine/<alg>/<hex>.<unix nanos> (directory fsyncs
//    make the move durable, LocalStore::move_out), then its blob records are dropped in every
//    namespace, all under ContentStore::lock_exclusive(), so a client re-pushes it (or the
//    pull-through cache re-fetches it). Manifests that needed it are kept and reported as
//    manifest_blob_missing. A cut between the move and the records leaves records without a
//    file: the next check reports them missing and repairs them;
//  - missing: the blob record is dropped (a re-push can then succeed; the manifests and leases
//    that needed it are reported, not touched);
//  - orphan: the file is removed unless some record still names the digest (a manifest child,
//    a tag, a lease resource): then it is kept and the finding says why;
//  - stale_ingest: the ingest is aborted (record and bytes), unless a writer holds it;
//  - manifest_blob_missing, dangling_tag, bad_record: reported only.
// Nothing a manifest, tag, lease or gc.root label still needs is deleted without its finding's
// neededBy saying so.
//
// Thread-safety: check() may run on any thread, alongside the server and GC. It blocks for the
// whole run (it reads every blob): run it off the I/O threads.
#pragma once

#include "storage/common/result.h"
#include "storage/fsck/report.h"
#include "storage/storage.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stop_token>

namespace cairn::fsck {

struct CheckOptions {
  bool repair = false;
  // Re-hash blob bytes (off: only records, file presence and ingests are checked).
  bool hash = true;
  // Files and backend ingests younger than this are never orphans (the GC grace).
  std::chrono::nanoseconds grace = std::chrono::hours(1);
  // The most bytes per second re-hashed (0: no limit), for the background scrub.
  int64_t rate = 0;
  // The read buffer.
  size_t buffer_bytes = 1 << 20;
  // Called on the checking thread after each buffer hashed and once per blob; must be quick.
  std::function<void(const Progress&)> on_progress;
  // Called on the checking thread for each finding as it is made (before repairs).
  std::function<void(const Finding&)> on_finding;
  // Stops the check early (the report's state is then cancelled).
  std::stop_token stop;
};

// Checks (and with options.repair, repairs) the data root of `storage`. A report whose state is
// done or cancelled; the findings found so far either way. Errors: io (a scan or read failed:
// nothing more was repaired), internal.
Result<Report> check(Storage& storage, const CheckOptions& options);

// Where a quarantined blob goes: <storage root>/quarantine/<alg>/<hex>.<unix nanos>.
std::filesystem::path quarantine_path(const Storage& storage, const content::Digest& digest,
                                      Timestamp at);

}  // namespace cairn::fsck

// Report: what a consistency check (storage/fsck/checker.h) found, and its JSON shape.
//
// One shape serves `cairn fsck --json`, GET /_admin/fsck and the scrub's log lines:
//
//   Report  {"state", "trigger"?, "repair", "startedAt", "finishedAt"?, "error"?,
//            "progress": {"bytesHashed", "bytesTotal", "blobsHashed", "blobsTotal"},
//            "counts": {"namespaces", "blobRecords", "manifests", "tags", "leases",
//                       "ingests", "files", "youngFiles", "repaired"},
//            "findings": [Finding]}
//   Finding {"kind", "digest"?, "namespace"?, "namespaces"?, "manifest"?, "tag"?, "ref"?,
//            "key"?, "detail", "neededBy"?, "action"?}
// Times are RFC 3339 (UTC, nanoseconds); absent values are omitted.
#pragma once

#include "storage/common/clock.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::fsck {

enum class FindingKind {
  corrupt,                // a blob file whose bytes do not hash to its name
  missing,                // a blob record (namespace) whose file is gone
  orphan,                 // a blob file no namespace records, older than the GC grace
  manifest_blob_missing,  // a manifest whose own bytes or a referenced blob has no record
  dangling_tag,           // a tag whose target manifest has no record
  stale_ingest,           // an expired, corrupt, data-less or unrecorded ingest
  bad_record,             // a metadata value that does not decode
};

// "corrupt", "missing", ... (the JSON "kind").
std::string_view kind_name(FindingKind kind) noexcept;

struct Finding {
  FindingKind kind = FindingKind::corrupt;
  std::string digest;                   // the blob concerned (empty for ingests, tags, records)
  std::string ns;                       // the namespace of a record finding
  std::vector<std::string> namespaces;  // the namespaces that record a corrupt or orphan file
  std::string name;    // manifest (manifest_blob_missing), tag, ingest ref or key, by kind
  std::string detail;  // what was seen
  // What still needs the blob: "<ns> manifest <digest>", "<ns> tag <tag>", "<ns> lease <id>",
  // "<ns> gc.root". Filled for corrupt, missing and orphan findings.
  std::vector<std::string> needed_by;
  std::string action;  // what --repair did, or why it left it; empty when not repairing
  bool repaired = false;
};

struct Progress {
  int64_t bytes_hashed = 0;
  int64_t bytes_total = 0;
  size_t blobs_hashed = 0;
  size_t blobs_total = 0;
};

struct Counts {
  size_t namespaces = 0;
  size_t blob_records = 0;
  size_t manifests = 0;
  size_t tags = 0;
  size_t leases = 0;
  size_t ingests = 0;      // ingest records plus backend ingest directories
  size_t files = 0;        // blob files
  size_t young_files = 0;  // files without a record younger than the grace: maybe a commit in
                           // progress, so neither orphans nor removed
  size_t repaired = 0;
};

struct Report {
  enum class State { running, done, cancelled, failed };
  State state = State::running;
  std::string trigger;  // who started it: "cli", "admin", "scrub" (empty: unsaid)
  bool repair = false;
  Timestamp started_at{};
  std::optional<Timestamp> finished_at;
  std::string error;  // why it failed (state failed)
  Progress progress;
  Counts counts;
  std::vector<Finding> findings;

  // Whether the check finished and found nothing.
  bool clean() const noexcept { return state == State::done && findings.empty(); }
};

std::string_view state_name(Report::State state) noexcept;

nlohmann::json to_json(const Finding& f);
nlohmann::json to_json(const Progress& p);
nlohmann::json to_json(const Report& r);

}  // namespace cairn::fsck

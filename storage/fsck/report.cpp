#include "storage/fsck/report.h"

#include "storage/metadata/rfc3339.h"

namespace cairn::fsck {

std::string_view kind_name(FindingKind kind) noexcept {
  switch (kind) {
    case FindingKind::corrupt:
      return "corrupt";
    case FindingKind::missing:
      return "missing";
    case FindingKind::orphan:
      return "orphan";
    case FindingKind::manifest_blob_missing:
      return "manifest_blob_missing";
    case FindingKind::dangling_tag:
      return "dangling_tag";
    case FindingKind::stale_ingest:
      return "stale_ingest";
    case FindingKind::bad_record:
      return "bad_record";
  }
  return "unknown";
}

std::string_view state_name(Report::State state) noexcept {
  switch (state) {
    case Report::State::running:
      return "running";
    case Report::State::done:
      return "done";
    case Report::State::cancelled:
      return "cancelled";
    case Report::State::failed:
      return "failed";
  }
  return "unknown";
}

nlohmann::json to_json(const Finding& f) {
  nlohmann::json j = {{"kind", kind_name(f.kind)}};
  if (!f.digest.empty())
    j["digest"] = f.digest;
  if (!f.ns.empty())
    j["namespace"] = f.ns;
  if (!f.namespaces.empty())
    j["namespaces"] = f.namespaces;
  if (!f.name.empty()) {
    // The name's role follows from the kind.
    switch (f.kind) {
      case FindingKind::manifest_blob_missing:
        j["manifest"] = f.name;
        break;
      case FindingKind::dangling_tag:
        j["tag"] = f.name;
        break;
      case FindingKind::bad_record:
        j["key"] = f.name;
        break;
      default:
        j["ref"] = f.name;
        break;
    }
  }
  j["detail"] = f.detail;
  if (!f.needed_by.empty())
    j["neededBy"] = f.needed_by;
  if (!f.action.empty()) {
    j["action"] = f.action;
    j["repaired"] = f.repaired;
  }
  return j;
}

nlohmann::json to_json(const Progress& p) {
  return {{"bytesHashed", p.bytes_hashed},
          {"bytesTotal", p.bytes_total},
          {"blobsHashed", p.blobs_hashed},
          {"blobsTotal", p.blobs_total}};
}

nlohmann::json to_json(const Report& r) {
  nlohmann::json j = {{"state", state_name(r.state)}};
  if (!r.trigger.empty())
    j["trigger"] = r.trigger;
  j.update(
      nlohmann::json{{"repair", r.repair}, {"startedAt", metadata::format_rfc3339(r.started_at)}});
  if (r.finished_at)
    j["finishedAt"] = metadata::format_rfc3339(*r.finished_at);
  if (!r.error.empty())
    j["error"] = r.error;
  j["progress"] = to_json(r.progress);
  j["counts"] = {{"namespaces", r.counts.namespaces}, {"blobRecords", r.counts.blob_records},
                 {"manifests", r.counts.manifests},   {"tags", r.counts.tags},
                 {"leases", r.counts.leases},         {"ingests", r.counts.ingests},
                 {"files", r.counts.files},           {"youngFiles", r.counts.young_files},
                 {"repaired", r.counts.repaired}};
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : r.findings)
    findings.push_back(to_json(f));
  j["findings"] = std::move(findings);
  return j;
}

}  // namespace cairn::fsck

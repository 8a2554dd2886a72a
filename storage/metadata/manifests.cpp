#include "storage/metadata/manifests.h"

#include "storage/metadata/keys.h"
#include "storage/metadata/names.h"
#include "storage/metadata/tags.h"

#include <algorithm>

namespace cairn::metadata {

namespace {

Error manifest_not_found(std::string_view ns, const Digest& digest) {
  return fail(Errc::not_found, "manifest " + digest.str() + " in " + std::string(ns));
}

Descriptor referrer_descriptor(const Digest& digest, const ManifestRecord& rec) {
  return Descriptor{digest, rec.media_type, rec.size, rec.artifact_type, rec.annotations};
}

}  // namespace

Result<ManifestRecord> ManifestStore::get(std::string_view ns, const Digest& digest) const {
  if (auto r = validate_repository_name(ns); !r)
    return r.error();
  if (digest.empty())
    return fail(Errc::invalid_argument, "empty digest");
  auto value = db_.get(keys::manifest(ns, digest.str()));
  if (!value)
    return value.error();
  if (!value->has_value())
    return manifest_not_found(ns, digest);
  return decode_manifest(**value);
}

Result<std::vector<std::pair<Digest, ManifestRecord>>> ManifestStore::list(
    std::string_view ns) const {
  if (auto r = validate_repository_name(ns); !r)
    return r.error();
  const std::string prefix = keys::manifest_prefix(ns);
  std::vector<std::pair<Digest, ManifestRecord>> out;
  std::optional<Error> bad;
  auto r = db_.scan(prefix, {}, [&](std::string_view key, std::string_view value) {
    auto digest = Digest::parse(key.substr(prefix.size()));
    auto record = decode_manifest(value);
    if (!digest || !record) {
      bad = Error{Errc::internal, "corrupt manifest record " + std::string(key)};
      return false;
    }
    out.emplace_back(std::move(*digest), std::move(*record));
    return true;
  });
  if (!r)
    return r.error();
  if (bad)
    return *bad;
  return out;
}

Result<ManifestRecord> ManifestStore::put(std::string_view ns, const Digest& digest,
                                          ManifestRecord record,
                                          std::span<const std::string> tags) {
  if (auto r = validate_repository_name(ns); !r)
    return r.error();
  for (const std::string& tag : tags) {
    if (auto r = validate_tag(tag); !r)
      return r.error();
  }
  if (digest.empty())
    return fail(Errc::invalid_argument, "empty digest");
  if (record.size < 0)
    return fail(Errc::invalid_argument, "negative manifest size");
  for (const ManifestChild& c : record.children) {
    if (c.digest.empty())
      return fail(Errc::invalid_argument, "manifest child without digest");
  }
  if (record.subject) {
    const bool listed =
        std::any_of(record.children.begin(), record.children.end(), [&](const ManifestChild& c) {
          return c.kind == ChildKind::subject && c.digest == *record.subject;
        });
    if (!listed)
      record.children.push_back(ManifestChild{ChildKind::subject, *record.subject});
  }
  const std::string key = keys::manifest(ns, digest.str());
  // With tags, the namespace's tag stripe too (see TagStore::put).
  const std::string tag_stripe = keys::tag_prefix(ns);
  auto update = tags.empty() ? db_.begin({key}) : db_.begin({key, tag_stripe});
  auto value = update.get(key);
  if (!value)
    return value.error();
  const Timestamp now = db_.clock().now();
  record.created_at = now;
  if (value->has_value()) {
    auto old = decode_manifest(**value);
    if (!old)
      return old.error();
    record.created_at = old->created_at;
    // Same digest, same bytes: the subject cannot differ, but a stale entry must not survive.
    if (old->subject && old->subject != record.subject) {
      update.remove(keys::referrer(ns, old->subject->str(), digest.str()));
      update.mark_dirty();
    }
  }
  update.put(key, encode(record));
  if (record.subject) {
    update.put(keys::referrer(ns, record.subject->str(), digest.str()),
               encode(referrer_descriptor(digest, record)));
  }
  const Descriptor target{digest, record.media_type, record.size, {}, {}};
  for (const std::string& tag : tags) {
    if (auto r = set_tag(update, ns, tag, target, now); !r)
      return r.error();
  }
  if (auto r = update.commit(); !r)
    return r.error();
  return record;
}

Result<void> ManifestStore::remove(std::string_view ns, const Digest& digest, bool if_untagged) {
  if (auto r = validate_repository_name(ns); !r)
    return r.error();
  if (digest.empty())
    return fail(Errc::invalid_argument, "empty digest");
  const std::string key = keys::manifest(ns, digest.str());
  const std::string blob_key = keys::blob(ns, digest.str());
  // The tag stripe of `ns` (see TagStore::put) keeps tags from moving while we scan them.
  auto update = db_.begin({key, blob_key, keys::tag_prefix(ns)});
  auto value = update.get(key);
  if (!value)
    return value.error();
  if (!value->has_value())
    return manifest_not_found(ns, digest);
  auto rec = decode_manifest(**value);
  if (!rec)
    return rec.error();
  update.remove(key);
  update.remove(blob_key);
  if (rec->subject)
    update.remove(keys::referrer(ns, rec->subject->str(), digest.str()));
  Result<void> scan_result = {};
  auto r = db_.scan(keys::tag_prefix(ns), {}, [&](std::string_view k, std::string_view v) {
    auto tag = decode_tag(v);
    if (!tag) {
      scan_result = tag.error();
      return false;
    }
    if (tag->target.digest == digest) {
      if (if_untagged) {
        scan_result = fail(Errc::failed_precondition, "manifest " + digest.str() + " is tagged");
        return false;
      }
      update.remove(k);
    }
    return true;
  });
  if (!r)
    return r;
  if (!scan_result)
    return scan_result;
  update.mark_dirty();
  auto committed = update.commit();
  if (committed && usage_)
    usage_->forget(ns);  // the manifest's own blob record went with it
  return committed;
}

Result<ManifestStore::ReferrerPage> ManifestStore::referrers(
    std::string_view ns, const Digest& subject, std::optional<std::string_view> artifact_type,
    std::string_view after, size_t n) const {
  if (auto r = validate_repository_name(ns); !r)
    return r.error();
  if (subject.empty())
    return fail(Errc::invalid_argument, "empty subject digest");
  const size_t max_visits = n == kNoLimit ? SIZE_MAX : n * kReferrerScanFactor;
  const std::string start =
      after.empty() ? std::string() : keys::referrer(ns, subject.str(), after);
  ReferrerPage page;
  std::string last_visited;
  size_t visits = 0;
  Result<void> decode_result = {};
  auto r = db_.scan(keys::referrer_prefix(ns, subject.str()), start,
                    [&](std::string_view key, std::string_view v) {
                      if (!start.empty() && key == start)
                        return true;  // the page starts after it
                      const bool full = n != kNoLimit && page.descriptors.size() >= n;
                      if (full || visits >= max_visits) {
                        page.next = last_visited;  // another one follows
                        return false;
                      }
                      auto d = decode_descriptor(v);
                      if (!d) {
                        decode_result = d.error();
                        return false;
                      }
                      ++visits;
                      last_visited = d->digest.str();
                      if (!artifact_type || d->artifact_type == *artifact_type)
                        page.descriptors.push_back(std::move(*d));
                      return true;
                    });
  if (!r)
    return r.error();
  if (!decode_result)
    return decode_result.error();
  return page;
}

}  // namespace cairn::metadata

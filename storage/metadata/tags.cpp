#include "storage/metadata/tags.h"

#include "storage/content/labels.h"
#include "storage/metadata/keys.h"
#include "storage/metadata/names.h"

namespace cairn::metadata {

namespace {

Result<void> validate(std::string_view ns, std::string_view tag) {
  if (auto r = validate_repository_name(ns); !r)
    return r;
  return validate_tag(tag);
}

Error tag_not_found(std::string_view ns, std::string_view tag) {
  return fail(Errc::not_found, "tag " + std::string(tag) + " in " + std::string(ns));
}

}  // namespace

Result<TagRecord> set_tag(Database::Update& update, std::string_view ns, std::string_view tag,
                          const Descriptor& target, Timestamp now) {
  const std::string key = keys::tag(ns, tag);
  auto value = update.get(key);
  if (!value)
    return value.error();
  TagRecord rec;
  if (value->has_value()) {
    auto old = decode_tag(**value);
    if (!old)
      return old.error();
    rec = std::move(*old);
  } else {
    rec.created_at = now;
  }
  if (value->has_value() && rec.target.digest != target.digest)
    update.mark_dirty();  // moved: the old manifest lost a ref (a new tag removes none)
  rec.target = target;
  rec.updated_at = now;
  update.put(key, encode(rec));
  return rec;
}

Result<TagRecord> TagStore::get(std::string_view ns, std::string_view tag) const {
  if (auto r = validate(ns, tag); !r)
    return r.error();
  auto value = db_.get(keys::tag(ns, tag));
  if (!value)
    return value.error();
  if (!value->has_value())
    return tag_not_found(ns, tag);
  return decode_tag(**value);
}

Result<TagRecord> TagStore::put(std::string_view ns, std::string_view tag,
                                const Descriptor& target) {
  if (auto r = validate(ns, tag); !r)
    return r.error();
  if (target.digest.empty())
    return fail(Errc::invalid_argument, "tag target has no digest");
  const std::string manifest_key = keys::manifest(ns, target.digest.str());
  // The namespace's tag stripe: ManifestStore::remove takes it too, so a tag cannot be moved
  // onto (or off) a manifest while that manifest's tags are being removed.
  auto update = db_.begin({keys::tag_prefix(ns), manifest_key});
  auto manifest = update.get(manifest_key);
  if (!manifest)
    return manifest.error();
  if (!manifest->has_value()) {
    return fail(Errc::failed_precondition,
                "manifest " + target.digest.str() + " is not in " + std::string(ns));
  }
  auto rec = set_tag(update, ns, tag, target, db_.clock().now());
  if (!rec)
    return rec.error();
  if (auto r = update.commit(); !r)
    return r.error();
  return rec;
}

Result<TagRecord> TagStore::update_labels(std::string_view ns, std::string_view tag,
                                          const Labels& labels,
                                          std::span<const std::string> fieldpaths) {
  if (auto r = validate(ns, tag); !r)
    return r.error();
  const std::string key = keys::tag(ns, tag);
  auto update = db_.begin({keys::tag_prefix(ns)});
  auto value = update.get(key);
  if (!value)
    return value.error();
  if (!value->has_value())
    return tag_not_found(ns, tag);
  auto rec = decode_tag(**value);
  if (!rec)
    return rec.error();
  auto next = content::apply_label_update(rec->labels, labels, fieldpaths);
  if (!next)
    return next.error();
  rec->labels = std::move(*next);
  rec->updated_at = db_.clock().now();
  update.put(key, encode(*rec));
  if (auto r = update.commit(); !r)
    return r.error();
  return rec;
}

Result<void> TagStore::remove(std::string_view ns, std::string_view tag) {
  if (auto r = validate(ns, tag); !r)
    return r.error();
  const std::string key = keys::tag(ns, tag);
  auto update = db_.begin({keys::tag_prefix(ns)});
  auto value = update.get(key);
  if (!value)
    return value.error();
  if (!value->has_value())
    return tag_not_found(ns, tag);
  update.remove(key);
  update.mark_dirty();
  return update.commit();
}

Result<NamePage> TagStore::list(std::string_view ns, std::string_view last, size_t n) const {
  if (auto r = validate_repository_name(ns); !r)
    return r.error();
  if (!last.empty()) {
    if (auto r = validate_tag(last); !r)
      return r.error();
  }
  const std::string prefix = keys::tag_prefix(ns);
  NamePage page;
  auto r = db_.scan(prefix, last.empty() ? std::string() : keys::successor(keys::tag(ns, last)),
                    [&](std::string_view key, std::string_view) {
                      if (n != kNoLimit && page.names.size() == n) {
                        page.more = true;
                        return false;
                      }
                      page.names.emplace_back(key.substr(prefix.size()));
                      return true;
                    });
  if (!r)
    return r.error();
  return page;
}

}  // namespace cairn::metadata

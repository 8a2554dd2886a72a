#include "storage/metadata/namespaces.h"

#include "storage/content/labels.h"
#include "storage/metadata/keys.h"
#include "storage/metadata/names.h"
#include "storage/metadata/records.h"

namespace cairn::metadata {

namespace {}  // namespace

Result<NamePage> NamespaceStore::list(std::string_view last, size_t n, Holding holding) const {
  if (!last.empty()) {
    if (auto r = validate_repository_name(last); !r)
      return r.error();
  }
  const std::string prefix = keys::schema_prefix();
  NamePage page;
  auto it = db_.cursor();
  // Seek past every key of `last` (and of each namespace listed) rather than visiting them.
  it->seek(last.empty() ? prefix : keys::namespace_end(last));
  while (it->valid()) {
    std::string_view key = it->key();
    if (!key.starts_with(prefix))
      break;
    auto ns = keys::namespace_of(key);
    if (!ns)
      return fail(Errc::internal, "malformed metadata key");
    std::string name(*ns);
    if (holding == Holding::content) {
      auto holds = holds_content(name);
      if (!holds)
        return holds.error();
      if (!*holds) {
        it->seek(keys::namespace_end(name));
        continue;
      }
    }
    if (n != kNoLimit && page.names.size() == n) {
      page.more = true;
      break;
    }
    page.names.push_back(std::move(name));
    it->seek(keys::namespace_end(page.names.back()));
  }
  if (auto st = it->status(); !st)
    return fail(st.error().code, "list namespaces: " + st.error().detail);
  return page;
}

Result<bool> NamespaceStore::exists(std::string_view ns) const {
  if (auto r = validate_repository_name(ns); !r)
    return r.error();
  bool found = false;
  auto r = db_.scan(keys::namespace_prefix(ns), {}, [&](std::string_view, std::string_view) {
    found = true;
    return false;
  });
  if (!r)
    return r.error();
  return found;
}

Result<bool> NamespaceStore::holds_content(std::string_view ns) const {
  if (auto r = validate_repository_name(ns); !r)
    return r.error();
  for (const std::string& prefix :
       {keys::blob_prefix(ns), keys::manifest_prefix(ns), keys::tag_prefix(ns)}) {
    bool found = false;
    auto r = db_.scan(prefix, {}, [&](std::string_view, std::string_view) {
      found = true;
      return false;
    });
    if (!r)
      return r.error();
    if (found)
      return true;
  }
  return false;
}

Result<content::Labels> NamespaceStore::labels(std::string_view ns) const {
  if (auto r = validate_repository_name(ns); !r)
    return r.error();
  auto value = db_.get(keys::namespace_labels(ns));
  if (!value)
    return value.error();
  if (!value->has_value()) {
    auto found = exists(ns);
    if (!found)
      return found.error();
    if (!*found)
      return fail(Errc::not_found, "namespace " + std::string(ns));
    return content::Labels{};
  }
  auto rec = decode_namespace(**value);
  if (!rec)
    return rec.error();
  return std::move(rec->labels);
}

Result<void> NamespaceStore::create(std::string_view ns, const content::Labels& labels) {
  if (auto r = validate_repository_name(ns); !r)
    return r.error();
  if (auto r = content::validate_labels(labels); !r)
    return r.error();
  const std::string key = keys::namespace_labels(ns);
  auto update = db_.begin({key});
  auto found = exists(ns);
  if (!found)
    return found.error();
  if (*found)
    return fail(Errc::already_exists, "namespace " + std::string(ns));
  update.put(key, encode(NamespaceRecord{labels}));
  return update.commit();
}

Result<content::Labels> NamespaceStore::update_labels(std::string_view ns,
                                                      const content::Labels& labels,
                                                      std::span<const std::string> fieldpaths) {
  if (auto r = validate_repository_name(ns); !r)
    return r.error();
  const std::string key = keys::namespace_labels(ns);
  auto update = db_.begin({key});
  auto value = update.get(key);
  if (!value)
    return value.error();
  NamespaceRecord rec;
  if (value->has_value()) {
    auto decoded = decode_namespace(**value);
    if (!decoded)
      return decoded.error();
    rec = std::move(*decoded);
  }
  auto next = content::apply_label_update(rec.labels, labels, fieldpaths);
  if (!next)
    return next.error();
  rec.labels = std::move(*next);
  update.put(key, encode(rec));
  if (auto r = update.commit(); !r)
    return r.error();
  return std::move(rec.labels);
}

Result<void> NamespaceStore::remove(std::string_view ns) {
  if (auto r = validate_repository_name(ns); !r)
    return r.error();
  const std::string key = keys::namespace_labels(ns);
  auto update = db_.begin({key});
  bool has_labels = false;
  bool has_other = false;
  auto r = db_.scan(keys::namespace_prefix(ns), {}, [&](std::string_view k, std::string_view) {
    if (k == key) {
      has_labels = true;
      return true;
    }
    has_other = true;
    return false;
  });
  if (!r)
    return r.error();
  if (has_other) {
    return fail(Errc::failed_precondition, "namespace " + std::string(ns) + " is not empty");
  }
  if (!has_labels)
    return fail(Errc::not_found, "namespace " + std::string(ns));
  update.remove(key);
  update.mark_dirty();
  return update.commit();
}

}  // namespace cairn::metadata

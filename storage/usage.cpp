#include "storage/usage.h"

#include "storage/metadata/keys.h"
#include "storage/metadata/records.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>

namespace cairn {
namespace {

namespace keys = metadata::keys;

// One blob record of the first pass; after folding, one distinct digest.
struct Entry {
  uint64_t hash = 0;
  int64_t size = 0;
  uint32_t count = 0;  // namespaces recording it
  uint8_t sides = 0;   // kPushed | kCache
};
static_assert(sizeof(Entry) == 24);
constexpr uint8_t kPushed = 1;
constexpr uint8_t kCache = 2;

uint64_t hash_of(std::string_view digest) {
  return std::hash<std::string_view>{}(digest);
}

// Walks the namespaces of the database in name order, calling fn(ns, iterator) for each; fn
// may seek the iterator anywhere inside the namespace.
Result<void> each_namespace(
    const metadata::Database& db,
    const std::function<Result<void>(const std::string&, metadata::Cursor&)>& fn) {
  const std::string prefix = keys::schema_prefix();
  auto it = db.cursor();
  it->seek(prefix);
  while (it->valid() && it->key().starts_with(prefix)) {
    auto ns = keys::namespace_of(it->key());
    if (!ns) {
      it->next();
      continue;
    }
    const std::string name(*ns);
    if (auto r = fn(name, *it); !r)
      return r;
    it->seek(keys::namespace_end(name));
  }
  if (auto st = it->status(); !st)
    return fail(st.error().code, "usage: " + st.error().detail);
  return {};
}

// Calls fn(key, value) for each key under `prefix`, seeking there first.
template <class Fn>
Result<void> each_key(metadata::Cursor& it, const std::string& prefix, Fn&& fn) {
  for (it.seek(prefix); it.valid() && it.key().starts_with(prefix); it.next()) {
    if (auto r = fn(it.key(), it.value()); !r)
      return r;
  }
  return {};
}

Result<int64_t> blob_size(std::string_view value) {
  auto rec = metadata::decode_blob(value);
  if (!rec)
    return rec.error();
  return rec->size;
}

}  // namespace

Result<Usage> compute_usage(Storage& storage, const UsageOptions& options) {
  Usage usage;
  const metadata::Database& db = storage.db();
  auto is_cache = [&](std::string_view ns) { return options.is_cache && options.is_cache(ns); };

  // Pass 1: every blob record, by digest hash.
  std::vector<Entry> entries;
  auto first = each_namespace(db, [&](const std::string& ns, metadata::Cursor& it) {
    const uint8_t side = is_cache(ns) ? kCache : kPushed;
    const std::string prefix = keys::blob_prefix(ns);
    return each_key(it, prefix, [&](std::string_view key, std::string_view value) -> Result<void> {
      auto size = blob_size(value);
      if (!size)
        return fail(size.error().code, "usage: " + size.error().detail);
      entries.push_back({hash_of(key.substr(prefix.size())), *size, 1, side});
      return {};
    });
  });
  if (!first)
    return first.error();
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.hash < b.hash; });
  size_t out = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (out > 0 && entries[out - 1].hash == entries[i].hash) {
      ++entries[out - 1].count;
      entries[out - 1].sides |= entries[i].sides;
    } else {
      entries[out++] = entries[i];
    }
  }
  entries.resize(out);
  entries.shrink_to_fit();
  for (const Entry& e : entries) {
    usage.all.add(e.size);
    if (e.sides & kPushed)
      usage.pushed.add(e.size);
    if (e.sides & kCache)
      usage.cache.add(e.size);
    if (e.count > 1)
      usage.shared.add(e.size);
  }
  auto count_of = [&](std::string_view digest) -> uint32_t {
    const uint64_t h = hash_of(digest);
    auto it = std::lower_bound(entries.begin(), entries.end(), h,
                               [](const Entry& e, uint64_t v) { return e.hash < v; });
    // A blob recorded after the first pass read its namespace: unique, as far as we know.
    return it != entries.end() && it->hash == h ? it->count : 1;
  };

  // The backend's ingests: bytes received, by backend ref.
  std::map<std::string, int64_t, std::less<>> received;
  if (options.scan_files) {
    // The tree is scanned as it lies (list_statuses() would clean up broken ingests).
    std::vector<content::Status> ingests;
    if (auto* tree = storage.local_blobs()) {
      auto dirs = tree->scan_ingests();
      if (!dirs)
        return dirs.error();
      for (auto& d : *dirs) {
        if (d.state == content::LocalStore::IngestDir::State::ok)
          ingests.push_back(std::move(d.status));
      }
    } else {
      auto statuses = storage.blobs().list_statuses();
      if (!statuses)
        return statuses.error();
      ingests = std::move(*statuses);
    }
    for (const auto& st : ingests) {
      usage.ingests.add(st.offset);
      received[st.ref] = st.offset;
    }
    auto walked = storage.blobs().walk(
        [&](const content::Info& info) {
          usage.files.add(info.size);
          if (options.on_progress)
            options.on_progress({"listing", static_cast<int64_t>(usage.files.count), -1});
          return true;
        },
        {});
    if (!walked)
      return walked.error();
  }

  // Pass 2: per namespace.
  auto second = each_namespace(db, [&](const std::string& ns, metadata::Cursor& it) {
    NamespaceUsage n;
    n.name = ns;
    n.cache = is_cache(ns);
    const std::string blobs = keys::blob_prefix(ns);
    auto r = each_key(it, blobs, [&](std::string_view key, std::string_view value) -> Result<void> {
      auto size = blob_size(value);
      if (!size)
        return fail(size.error().code, "usage: " + size.error().detail);
      n.blobs.add(*size);
      (count_of(key.substr(blobs.size())) > 1 ? n.shared : n.unique).add(*size);
      return {};
    });
    if (!r)
      return r;
    r = each_key(it, keys::ingest_prefix(ns),
                 [&](std::string_view, std::string_view value) -> Result<void> {
                   auto rec = metadata::decode_ingest(value);
                   if (!rec)
                     return fail(rec.error().code, "usage: " + rec.error().detail);
                   auto got = received.find(rec->backend_ref);
                   n.ingests.add(got == received.end() ? 0 : got->second);
                   return {};
                 });
    if (!r)
      return r;
    auto count = [](int64_t& c) {
      return [&c](std::string_view, std::string_view) -> Result<void> {
        ++c;
        return {};
      };
    };
    if (r = each_key(it, keys::manifest_prefix(ns), count(n.manifests)); !r)
      return r;
    if (r = each_key(it, keys::tag_prefix(ns), count(n.tags)); !r)
      return r;
    usage.referenced_bytes += n.blobs.bytes;
    usage.namespaces.push_back(std::move(n));
    return Result<void>();
  });
  if (!second)
    return second.error();
  return usage;
}

}  // namespace cairn

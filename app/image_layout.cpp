#include "app/image_layout.h"

#include "oci/manifest_parser.h"
#include "oci/record_manifest.h"
#include "storage/content/file_util.h"
#include "storage/content/fs.h"
#include "storage/metadata/names.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>

#include <map>
#include <set>
#include <vector>

namespace cairn::app {
namespace {

// Tells `progress` (when set) 0 of `total` now, then the bytes done so far each time the
// returned function is called with a count just copied.
std::function<void(int64_t)> progress_reporter(const CopyProgress& progress, int64_t total) {
  if (progress)
    progress(0, total);
  return [&progress, total, done = int64_t{0}](int64_t n) mutable {
    done += n;
    if (progress)
      progress(done, total);
  };
}

namespace fs = std::filesystem;
namespace fu = content::file_util;
using content::Digest;
using nlohmann::json;

constexpr size_t kPiece = 1 << 20;          // bytes per read and write of a blob
constexpr size_t kMaxManifest = 16 << 20;   // the largest manifest read whole
constexpr size_t kMaxIndexJson = 64 << 20;  // the largest index.json
constexpr int kMaxDepth = 8;                // indexes of indexes of ...
constexpr std::string_view kLayoutVersion = R"({"imageLayoutVersion":"1.0.0"})";

content::FileSystem& files() {
  return content::posix_file_system();
}

fs::path blob_path(const fs::path& dir, const Digest& d) {
  return dir / "blobs" / std::string(content::algorithm_name(d.algorithm())) / std::string(d.hex());
}

// A blob to copy: its digest and size, and whether it is a manifest (or index).
struct Item {
  Digest digest;
  int64_t size = 0;
  bool manifest = false;
};

// --- export ---

class Exporter {
 public:
  Exporter(Storage& s, std::string ns) : s_(s), ns_(std::move(ns)) {}

  // Lists manifest `d` and what it refers to, children first.
  Result<void> plan(const Digest& d, int depth) {
    if (!seen_.insert(d.str()).second)
      return {};
    if (depth > kMaxDepth)
      return fail(Errc::invalid_argument, "indexes nest deeper than " + std::to_string(kMaxDepth));
    auto rec = s_.manifests().get(ns_, d);
    if (!rec)
      return rec.error();
    for (const auto& c : rec->children) {
      if (c.kind == metadata::ChildKind::subject)
        continue;  // the subject is another image; referrers are exported on their own
      if (c.kind == metadata::ChildKind::manifest) {
        auto child = s_.manifests().get(ns_, c.digest);
        if (child) {
          if (auto r = plan(c.digest, depth + 1); !r)
            return r;
          continue;
        }
        if (child.error() != Errc::not_found)
          return child.error();
        // An index may list a manifest pushed as a plain blob: copy it as one.
      }
      if (!seen_.insert(c.digest.str()).second)
        continue;
      auto r = add(c.digest, false, d);
      if (!r)
        return r;
    }
    return add(d, true, d);
  }

  Result<void> add(const Digest& d, bool manifest, const Digest& parent) {
    auto info = s_.content().info({ns_, {}}, d);
    if (!info) {
      if (info.error() == Errc::not_found)
        return fail(Errc::not_found,
                    d.str() + " (needed by " + parent.str() + ") is not in " + ns_);
      return info.error();
    }
    items_.push_back({d, info->size, manifest});
    return {};
  }

  const std::vector<Item>& items() const { return items_; }

 private:
  Storage& s_;
  std::string ns_;
  std::set<std::string> seen_;
  std::vector<Item> items_;
};

// Copies stored blob `item` of `ns` to the layout (hashing it on the way): temporary file,
// fsync, rename. The caller fsyncs the blob directories afterwards.
Result<void> copy_out(Storage& s, const std::string& ns, const Item& item, const fs::path& target,
                      const std::function<void(int64_t)>& advance) {
  auto reader = s.content().reader({ns, {}}, item.digest);
  if (!reader)
    return reader.error();
  const fs::path tmp = target.parent_path() / ("." + target.filename().string() + ".tmp");
  auto fd = fu::open_file(files(), tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644, "layout blob");
  if (!fd)
    return fd.error();
  content::Hasher hasher(item.digest.algorithm());
  std::vector<std::byte> buf(kPiece);
  int64_t offset = 0;
  for (;;) {
    auto n = (*reader)->read_at(buf, offset);
    if (!n)
      return n.error();
    if (*n == 0)
      break;
    std::span<const std::byte> piece(buf.data(), *n);
    hasher.update(piece);
    if (auto w = fu::write_all(files(), fd->get(), piece, "layout blob"); !w)
      return w.error();
    offset += static_cast<int64_t>(*n);
    advance(static_cast<int64_t>(*n));
  }
  if (offset != item.size || hasher.digest() != item.digest) {
    (void)files().unlink(tmp.c_str());
    return fail(Errc::internal, "the stored blob " + item.digest.str() +
                                    " does not match its digest or size: run cairn fsck");
  }
  // fsync(data) makes the bytes durable before the rename names them; the directory's fsync
  // (after every blob) makes the names durable before index.json refers to them.
  if (auto r = fu::sync_fd(files(), fd->get(), "layout blob"); !r)
    return r.error();
  fd->reset();
  if (files().rename(tmp.c_str(), target.c_str()) != 0)
    return io_error("rename " + tmp.string(), errno);
  return {};
}

// index.json of `dir` (an empty index when missing). Errors: invalid_argument (not an index).
Result<json> read_index(const fs::path& dir, bool missing_ok) {
  auto text = fu::read_small_file(files(), dir / "index.json", kMaxIndexJson);
  if (!text) {
    if (text.error() == Errc::not_found && missing_ok)
      return Result<json>(
          boost::system::in_place_value,
          json{{"schemaVersion", 2}, {"mediaType", oci::kOciIndex}, {"manifests", json::array()}});
    if (text.error() == Errc::not_found)
      return fail(Errc::invalid_argument,
                  dir.string() + " is not an OCI image layout (no index.json)");
    return text.error();
  }
  json index = json::parse(*text, nullptr, false);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
    return fail(Errc::invalid_argument, (dir / "index.json").string() + " is not an OCI index");
  return Result<json>(boost::system::in_place_value, std::move(index));
}

}  // namespace

Result<ImageRef> parse_image_ref(std::string_view text) {
  ImageRef ref;
  std::string_view name = text;
  if (auto at = text.find('@'); at != std::string_view::npos) {
    auto d = Digest::parse(text.substr(at + 1));
    if (!d)
      return d.error();
    ref.digest = *d;
    name = text.substr(0, at);
  } else {
    const auto slash = text.rfind('/');
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
      ref.tag = std::string(text.substr(colon + 1));
      name = text.substr(0, colon);
      if (auto ok = metadata::validate_tag(ref.tag); !ok)
        return ok.error();
    }
  }
  if (auto ok = metadata::validate_repository_name(name); !ok)
    return ok.error();
  ref.name = std::string(name);
  return ref;
}

Result<CopyResult> export_image(Storage& storage, const ImageRef& ref, const fs::path& dir,
                                const CopyProgress& progress) {
  CopyResult result;
  if (ref.digest) {
    auto rec = storage.manifests().get(ref.name, *ref.digest);
    if (!rec) {
      return rec.error() == Errc::not_found
                 ? fail(Errc::not_found, "no manifest " + ref.digest->str() + " in " + ref.name)
                 : rec.error();
    }
    result.digest = *ref.digest;
    result.media_type = rec->media_type;
    result.size = rec->size;
  } else {
    result.tag = ref.tag.empty() ? "latest" : ref.tag;
    auto tag = storage.tags().get(ref.name, result.tag);
    if (!tag) {
      return tag.error() == Errc::not_found
                 ? fail(Errc::not_found, "no tag " + result.tag + " in " + ref.name)
                 : tag.error();
    }
    result.digest = tag->target.digest;
    result.media_type = tag->target.media_type;
    result.size = tag->target.size;
  }

  Exporter exporter(storage, ref.name);
  if (auto r = exporter.plan(result.digest, 0); !r)
    return r.error();
  // What the layout lacks (a file of the right size is taken as the blob: names are digests).
  std::vector<const Item*> todo;
  int64_t total = 0;
  for (const Item& item : exporter.items()) {
    std::error_code ec;
    const auto size = fs::file_size(blob_path(dir, item.digest), ec);
    if (!ec && static_cast<int64_t>(size) == item.size) {
      ++result.present;
      continue;
    }
    todo.push_back(&item);
    total += item.size;
  }
  std::set<fs::path> dirs;
  for (const Item* item : todo)
    dirs.insert(blob_path(dir, item->digest).parent_path());
  for (const fs::path& d : dirs) {
    if (auto r = fu::create_directories(files(), d); !r)
      return r.error();
  }
  const auto advance = progress_reporter(progress, total);
  for (const Item* item : todo) {
    if (auto r = copy_out(storage, ref.name, *item, blob_path(dir, item->digest), advance); !r)
      return r.error();
    ++(item->manifest ? result.manifests : result.blobs);
    result.bytes += item->size;
  }
  for (const fs::path& d : dirs) {
    if (auto r = fu::sync_dir(files(), d); !r)
      return r.error();
  }

  // index.json last, replacing the entry of the same ref name (or, untagged, the same digest).
  auto index = read_index(dir, /*missing_ok=*/true);
  if (!index)
    return index.error();
  json& entries = (*index)["manifests"];
  json kept = json::array();
  for (auto& e : entries) {
    std::string name;
    if (e.contains("annotations") && e["annotations"].is_object() &&
        e["annotations"].contains(kRefNameAnnotation) &&
        e["annotations"][kRefNameAnnotation].is_string())
      name = e["annotations"][kRefNameAnnotation].get<std::string>();
    const bool same = result.tag.empty()
                          ? name.empty() && e.value("digest", "") == result.digest.str()
                          : name == result.tag;
    if (!same)
      kept.push_back(std::move(e));
  }
  json entry = {
      {"mediaType", result.media_type}, {"digest", result.digest.str()}, {"size", result.size}};
  if (!result.tag.empty())
    entry["annotations"] = {{kRefNameAnnotation, result.tag}};
  kept.push_back(std::move(entry));
  entries = std::move(kept);
  if (!fs::exists(dir / "oci-layout")) {
    if (auto r = fu::write_file_atomic(files(), dir / "oci-layout", kLayoutVersion, true); !r)
      return r.error();
  }
  if (auto r = fu::write_file_atomic(files(), dir / "index.json", index->dump(), true); !r)
    return r.error();
  if (auto r = fu::sync_dir(files(), dir); !r)
    return r.error();
  if (progress)
    progress(total, total);
  return result;
}

// --- import ---

namespace {

struct LayoutManifest {
  Digest digest;
  std::string body;
  oci::ParsedManifest parsed;
};

class Importer {
 public:
  explicit Importer(fs::path dir) : dir_(std::move(dir)) {}

  // Reads manifest `d` from the layout, checks it, and lists it after what it refers to.
  Result<void> plan(const Digest& d, std::string_view media_type, int64_t size, int depth) {
    if (!seen_.insert(d.str()).second)
      return {};
    if (depth > kMaxDepth)
      return fail(Errc::invalid_argument, "indexes nest deeper than " + std::to_string(kMaxDepth));
    auto body = fu::read_small_file(files(), blob_path(dir_, d), kMaxManifest);
    if (!body) {
      return body.error() == Errc::not_found
                 ? fail(Errc::not_found, "the layout lacks manifest " + d.str())
                 : body.error();
    }
    if (static_cast<int64_t>(body->size()) != size ||
        content::digest_of(*body, d.algorithm()) != d) {
      return fail(Errc::invalid_argument,
                  "manifest " + d.str() + " in the layout does not match its digest or size");
    }
    auto parsed = oci::parse_manifest(*body, media_type);
    if (!parsed)
      return fail(Errc::invalid_argument, "manifest " + d.str() + ": " + parsed.error().detail);
    std::map<std::string, int64_t> sizes;
    for (const auto& r : parsed->required)
      sizes[r.child.digest.str()] = r.size;
    for (const auto& c : parsed->children) {
      if (c.kind == metadata::ChildKind::subject)
        continue;  // another image: not part of this one
      auto known = sizes.find(c.digest.str());
      if (c.kind == metadata::ChildKind::manifest && known != sizes.end()) {
        if (auto r = plan(c.digest, {}, known->second, depth + 1); !r)
          return r;
        continue;
      }
      if (!seen_.insert(c.digest.str()).second)
        continue;
      if (known == sizes.end()) {
        // Not required (a foreign layer with urls): imported only when the layout has it.
        std::error_code ec;
        const auto file_size = fs::file_size(blob_path(dir_, c.digest), ec);
        if (ec)
          continue;
        blobs_.push_back({c.digest, static_cast<int64_t>(file_size), false});
        continue;
      }
      blobs_.push_back({c.digest, known->second, false});
    }
    manifests_.push_back({d, std::move(*body), std::move(*parsed)});
    return {};
  }

  const std::vector<Item>& blobs() const { return blobs_; }
  std::vector<LayoutManifest>& manifests() { return manifests_; }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  std::set<std::string> seen_;
  std::vector<Item> blobs_;
  std::vector<LayoutManifest> manifests_;  // children before their index
};

// Writes layout blob `item` into scope.ns through a content writer that verifies it. Returns
// whether it was written (false: the repository had it).
Result<bool> import_blob(Storage& s, const metadata::Scope& scope, const Item& item,
                         const fs::path& path, const std::function<void(int64_t)>& advance) {
  auto exists = s.content().exists(scope, item.digest);
  if (!exists)
    return exists.error();
  if (*exists)
    return false;
  auto fd = fu::open_file(files(), path, O_RDONLY, 0, "layout blob");
  if (!fd) {
    return fd.error() == Errc::not_found
               ? fail(Errc::not_found, "the layout lacks blob " + item.digest.str())
               : fd.error();
  }
  const std::string ref = "import-" + std::string(item.digest.hex());
  auto writer = s.content().writer(scope, {ref, item.size, item.digest});
  if (!writer) {
    if (writer.error() == Errc::already_exists)
      return false;  // shared with another repository: recorded without its bytes
    return writer.error();
  }
  if (auto r = (*writer)->truncate(0); !r)
    return r.error();  // a stale attempt's bytes
  std::vector<std::byte> buf(kPiece);
  int64_t offset = 0;
  for (;;) {
    auto n = fu::pread_full(files(), fd->get(), buf, offset, "layout blob");
    if (!n)
      return n.error();
    if (*n == 0)
      break;
    if (auto w = (*writer)->write(std::span<const std::byte>(buf.data(), *n)); !w)
      return w.error();
    offset += static_cast<int64_t>(*n);
    advance(static_cast<int64_t>(*n));
  }
  // Commit verifies size and digest before anything becomes visible (then fsyncs the bytes,
  // the blob directory and the metadata batch, as for a push).
  auto committed = (*writer)->commit(item.size, item.digest);
  if (!committed && committed.error() != Errc::already_exists) {
    const Errc code = committed.error().code;
    if (code == Errc::digest_mismatch || code == Errc::size_mismatch) {
      writer->reset();
      (void)s.content().abort(scope, ref);
      return fail(Errc::invalid_argument,
                  "blob " + item.digest.str() + " in the layout does not match its digest or " +
                      "size (" + committed.error().detail + "): not imported");
    }
    return committed.error();
  }
  return true;
}

// Stores a manifest's bytes as a blob of scope.ns and its record, as a manifest PUT does.
Result<void> import_manifest(Storage& s, const metadata::Scope& scope, const LayoutManifest& m) {
  return oci::record_manifest(s, scope, m.digest, m.body, m.parsed, {});
}

}  // namespace

Result<CopyResult> import_image(Storage& storage, const fs::path& dir, const ImageRef& ref,
                                const CopyProgress& progress) {
  auto layout = fu::read_small_file(files(), dir / "oci-layout", 4096);
  if (!layout) {
    return layout.error() == Errc::not_found
               ? fail(Errc::invalid_argument,
                      dir.string() + " is not an OCI image layout (no oci-layout file)")
               : layout.error();
  }
  json version = json::parse(*layout, nullptr, false);
  if (!version.is_object() || !version.contains("imageLayoutVersion"))
    return fail(Errc::invalid_argument,
                (dir / "oci-layout").string() + " has no imageLayoutVersion");
  auto index = read_index(dir, /*missing_ok=*/false);
  if (!index)
    return index.error();

  // The entry: by digest, else by ref name, else the only one.
  struct Entry {
    Digest digest;
    std::string media_type;
    int64_t size = 0;
    std::string name;
  };
  std::vector<Entry> entries;
  for (const auto& e : (*index)["manifests"]) {
    if (!e.is_object() || !e.contains("digest") || !e["digest"].is_string() ||
        !e.contains("size") || !e["size"].is_number_integer())
      return fail(Errc::invalid_argument, "index.json has an entry without digest or size");
    auto d = Digest::parse(e["digest"].get<std::string>());
    if (!d)
      return fail(Errc::invalid_argument, "index.json: " + d.error().detail);
    Entry entry{*d, e.value("mediaType", ""), e["size"].get<int64_t>(), {}};
    if (e.contains("annotations") && e["annotations"].is_object())
      entry.name = e["annotations"].value(std::string(kRefNameAnnotation), "");
    entries.push_back(std::move(entry));
  }
  const Entry* chosen = nullptr;
  std::string names;
  for (const Entry& e : entries) {
    names += (names.empty() ? "" : ", ") + (e.name.empty() ? e.digest.str() : e.name);
    if (ref.digest ? e.digest == *ref.digest : (!ref.tag.empty() && e.name == ref.tag))
      chosen = &e;
  }
  if (chosen == nullptr && !ref.digest && entries.size() == 1)
    chosen = &entries.front();
  if (chosen == nullptr) {
    return fail(Errc::invalid_argument,
                entries.empty() ? "index.json lists no image"
                                : "say which image of the layout to import (" + names + ")");
  }
  CopyResult result;
  result.digest = chosen->digest;
  result.size = chosen->size;
  if (!ref.digest) {
    result.tag = ref.tag;
    if (result.tag.empty())
      result.tag =
          !chosen->name.empty() && metadata::validate_tag(chosen->name) ? chosen->name : "latest";
  }

  Importer importer(dir);
  if (auto r = importer.plan(chosen->digest, chosen->media_type, chosen->size, 0); !r)
    return r.error();
  result.media_type = importer.manifests().back().parsed.media_type;
  int64_t total = 0;
  for (const Item& b : importer.blobs())
    total += b.size;
  const auto advance = progress_reporter(progress, total);

  const metadata::Scope scope{ref.name, {}};
  for (const Item& b : importer.blobs()) {
    auto wrote = import_blob(storage, scope, b, blob_path(dir, b.digest), advance);
    if (!wrote)
      return wrote.error();
    if (*wrote) {
      ++result.blobs;
      result.bytes += b.size;
    } else {
      ++result.present;
      advance(b.size);
    }
  }
  for (const LayoutManifest& m : importer.manifests()) {
    if (auto r = import_manifest(storage, scope, m); !r)
      return r.error();
    ++result.manifests;
  }
  if (!result.tag.empty()) {
    metadata::Descriptor target{result.digest, result.media_type, result.size, {}, {}};
    if (auto r = storage.tags().put(ref.name, result.tag, target); !r)
      return r.error();
  }
  if (progress)
    progress(total, total);
  return result;
}

}  // namespace cairn::app

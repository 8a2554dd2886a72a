#include "storage/metadata/content_store.h"

#include "storage/content/filter.h"
#include "storage/content/labels.h"
#include "storage/content/local_store.h"
#include "storage/metadata/keys.h"
#include "storage/metadata/names.h"
#include "storage/metadata/records.h"

#include <algorithm>
#include <mutex>

namespace cairn::metadata {

namespace {

Result<void> validate_scope(const Scope& scope) {
  if (auto r = validate_repository_name(scope.ns); !r)
    return r;
  if (!scope.lease.empty())
    return validate_lease_id(scope.lease);
  return {};
}

Error blob_not_found(const Scope& scope, const Digest& digest) {
  return fail(Errc::not_found, "blob " + digest.str() + " in " + scope.ns);
}

Error ingest_not_found(const Scope& scope, std::string_view ref) {
  return fail(Errc::not_found, "ingest " + std::string(ref.substr(0, 128)) + " in " + scope.ns);
}

content::Info to_info(const Digest& digest, BlobRecord rec) {
  return content::Info{digest, rec.size, rec.created_at, rec.updated_at, std::move(rec.labels)};
}

// The lease must exist for a write that names it.
Result<void> check_lease(Database& db, const Scope& scope) {
  if (scope.lease.empty())
    return {};
  auto v = db.get(keys::lease(scope.ns, scope.lease));
  if (!v)
    return v.error();
  if (!v->has_value()) {
    return fail(Errc::not_found, "lease " + scope.lease + " in " + scope.ns);
  }
  return {};
}

Result<IngestRecord> read_ingest(const Database& db, const Scope& scope, std::string_view ref) {
  auto v = db.get(keys::ingest(scope.ns, ref));
  if (!v)
    return v.error();
  if (!v->has_value())
    return ingest_not_found(scope, ref);
  return decode_ingest(**v);
}

}  // namespace

// The Writer handed to clients: bytes go to the backend writer; commit records the blob here.
class ContentStore::NamespacedWriter final : public content::Writer {
 public:
  NamespacedWriter(ContentStore& store, Scope scope, std::string ref,
                   std::optional<Digest> expected, std::unique_ptr<content::Writer> backend)
      : store_(store),
        scope_(std::move(scope)),
        ref_(std::move(ref)),
        expected_(std::move(expected)),
        backend_(std::move(backend)) {}

  Result<void> write(std::span<const std::byte> data) override { return backend_->write(data); }
  Digest digest() const override { return backend_->digest(); }
  Result<std::unique_ptr<content::ReaderAt>> reader() const override { return backend_->reader(); }

  Result<content::Status> status() const override {
    auto st = backend_->status();
    if (!st)
      return st;
    st->ref = ref_;
    if (expected_)
      st->expected = expected_;
    return st;
  }

  Result<void> truncate(int64_t size) override { return backend_->truncate(size); }
  Result<void> sync() override { return backend_->sync(); }

  Result<void> commit(int64_t size, const std::optional<Digest>& expected,
                      const content::Labels& labels) override {
    if (committed_)
      return fail(Errc::failed_precondition, "ingest already committed");
    if (auto r = content::validate_labels(labels); !r)
      return r;
    auto st = backend_->status();
    if (!st)
      return st.error();
    auto content_lock = store_.content_lock_.lock_shared();
    if (!content_lock)
      return content_lock.error();
    auto r = backend_->commit(size, expected, {});
    // already_exists from the backend: another namespace (or an earlier crash) committed the same
    // bytes; ours were verified all the same, and the backend keeps one copy.
    if (!r && r.error().code != Errc::already_exists)
      return r;
    committed_ = true;
    // The backend verified `expected` (re-hashing with its algorithm when it differs from the
    // writer's); without one, the running digest names the bytes.
    const Digest actual = expected ? *expected : backend_->digest();
    auto rec = store_.record_blob(scope_, actual, st->offset, labels, ref_);
    if (!rec)
      return rec.error();
    return {};
  }

 private:
  ContentStore& store_;
  Scope scope_;
  std::string ref_;
  std::optional<Digest> expected_;
  std::unique_ptr<content::Writer> backend_;
  bool committed_ = false;
};

ContentStore::ContentStore(Database& db, content::Store& backend, ContentStoreOptions options)
    : db_(db), backend_(backend), options_(options), content_lock_(db.engine(), "content") {}

std::string ContentStore::backend_ref(std::string_view ns, std::string_view ref) {
  std::string out;
  out.reserve(ns.size() + 1 + ref.size());
  out.append(ns);
  out.push_back('@');
  out.append(ref);
  return out;
}

Result<std::unique_ptr<content::ReaderAt>> ContentStore::reader(const Scope& scope,
                                                                const Digest& digest) {
  auto found = exists(scope, digest);
  if (!found)
    return found.error();
  if (!*found)
    return blob_not_found(scope, digest);
  return backend_.reader(digest);
}

Result<content::Info> ContentStore::info(const Scope& scope, const Digest& digest) {
  if (auto r = validate_scope(scope); !r)
    return r.error();
  auto v = db_.get(keys::blob(scope.ns, digest.str()));
  if (!v)
    return v.error();
  if (!v->has_value())
    return blob_not_found(scope, digest);
  auto rec = decode_blob(**v);
  if (!rec)
    return rec.error();
  return to_info(digest, std::move(*rec));
}

Result<bool> ContentStore::exists(const Scope& scope, const Digest& digest) {
  if (auto r = validate_scope(scope); !r)
    return r.error();
  auto v = db_.get(keys::blob(scope.ns, digest.str()));
  if (!v)
    return v.error();
  return v->has_value();
}

Result<content::Info> ContentStore::update(const Scope& scope, const content::Info& info,
                                           std::span<const std::string> fieldpaths) {
  if (auto r = validate_scope(scope); !r)
    return r.error();
  const std::string key = keys::blob(scope.ns, info.digest.str());
  auto update = db_.begin({key});
  auto v = update.get(key);
  if (!v)
    return v.error();
  if (!v->has_value())
    return blob_not_found(scope, info.digest);
  auto rec = decode_blob(**v);
  if (!rec)
    return rec.error();
  auto labels = content::apply_label_update(rec->labels, info.labels, fieldpaths);
  if (!labels)
    return labels.error();
  rec->labels = std::move(*labels);
  rec->updated_at = db_.clock().now();
  update.put(key, encode(*rec));
  if (auto r = update.commit(); !r)
    return r.error();
  return to_info(info.digest, std::move(*rec));
}

Result<void> ContentStore::walk(const Scope& scope, const content::WalkFn& fn,
                                std::span<const std::string> filters) {
  if (auto r = validate_scope(scope); !r)
    return r;
  auto filter = content::Filter::parse(filters);
  if (!filter)
    return filter.error();
  const std::string prefix = keys::blob_prefix(scope.ns);
  Result<void> inner = {};
  auto r = db_.scan(prefix, {}, [&](std::string_view key, std::string_view value) {
    auto digest = Digest::parse(key.substr(prefix.size()));
    if (!digest) {
      inner = fail(Errc::internal, "malformed blob key");
      return false;
    }
    auto rec = decode_blob(value);
    if (!rec) {
      inner = rec.error();
      return false;
    }
    content::Info info = to_info(*digest, std::move(*rec));
    if (!filter->match(info))
      return true;
    return fn(info);
  });
  if (!r)
    return r;
  return inner;
}

Result<void> ContentStore::remove(const Scope& scope, const Digest& digest) {
  if (auto r = validate_scope(scope); !r)
    return r;
  const std::string key = keys::blob(scope.ns, digest.str());
  auto update = db_.begin({key});
  auto v = update.get(key);
  if (!v)
    return v.error();
  if (!v->has_value())
    return blob_not_found(scope, digest);
  update.remove(key);
  update.mark_dirty();
  auto committed = update.commit();
  if (committed && options_.usage)
    options_.usage->forget(scope.ns);
  return committed;
}

Result<content::Info> ContentStore::record_blob(const Scope& scope, const Digest& digest,
                                                int64_t size, const content::Labels& labels,
                                                std::string_view ref) {
  const std::string key = keys::blob(scope.ns, digest.str());
  const std::string ingest_key = ref.empty() ? std::string() : keys::ingest(scope.ns, ref);
  const std::string lease_key =
      scope.lease.empty() ? std::string() : keys::lease(scope.ns, scope.lease);
  auto update = db_.begin({key, ingest_key, lease_key});
  if (!ref.empty()) {
    update.remove(ingest_key);
    if (!scope.lease.empty())
      update.remove(keys::lease_ingest(scope.ns, scope.lease, ref));
  }
  if (!scope.lease.empty()) {
    // A lease deleted since the writer opened no longer holds anything: skip it.
    auto lease = update.get(lease_key);
    if (!lease)
      return lease.error();
    if (lease->has_value())
      update.put(keys::lease_blob(scope.ns, scope.lease, digest.str()), {});
  }
  auto v = update.get(key);
  if (!v)
    return v.error();
  if (v->has_value()) {
    auto rec = decode_blob(**v);
    if (!rec)
      return rec.error();
    if (auto r = update.commit(); !r)
      return r.error();
    return fail(Errc::already_exists, "blob " + digest.str() + " in " + scope.ns);
  }
  const Timestamp now = db_.clock().now();
  BlobRecord rec{size, now, now, labels, {}};
  update.put(key, encode(rec));
  if (auto r = update.commit(); !r)
    return r.error();
  if (options_.usage)
    options_.usage->added(scope.ns, size);
  return to_info(digest, std::move(rec));
}

Result<content::Info> ContentStore::mount(const Scope& scope, const Digest& digest,
                                          std::string_view from) {
  if (auto r = validate_scope(scope); !r)
    return r.error();
  if (!from.empty()) {
    if (auto r = validate_repository_name(from); !r)
      return r.error();
  }
  if (auto r = check_lease(db_, scope); !r)
    return r.error();
  auto content_lock = content_lock_.lock_shared();
  if (!content_lock)
    return content_lock.error();
  int64_t size = -1;
  if (!from.empty() && from != scope.ns) {
    auto src = info(Scope{std::string(from), {}}, digest);
    if (src) {
      size = src->size;
    } else if (src.error().code != Errc::not_found) {
      return src.error();
    }
  }
  if (size < 0) {
    auto here = info(scope, digest);
    if (here)
      size = here->size;  // record_blob answers with the existing record
  }
  if (size < 0 && options_.policy == SharingPolicy::shared) {
    auto backend = backend_.info(digest);
    if (backend) {
      size = backend->size;
    } else if (backend.error().code != Errc::not_found) {
      return backend.error();
    }
  }
  if (size < 0)
    return blob_not_found(Scope{from.empty() ? scope.ns : std::string(from), {}}, digest);
  auto rec = record_blob(scope, digest, size, {}, {});
  if (!rec && rec.error().code == Errc::already_exists)
    return info(scope, digest);
  return rec;
}

Result<content::Status> ContentStore::status(const Scope& scope, std::string_view ref) {
  if (auto r = validate_scope(scope); !r)
    return r.error();
  if (auto r = content::validate_ref(ref); !r)
    return r.error();
  auto rec = read_ingest(db_, scope, ref);
  if (!rec)
    return rec.error();
  auto st = backend_.status(rec->backend_ref);
  if (!st) {
    if (st.error().code == Errc::not_found)
      return ingest_not_found(scope, ref);
    return st.error();
  }
  st->ref = std::string(ref);
  if (rec->expected)
    st->expected = rec->expected;
  return st;
}

Result<std::optional<Timestamp>> ContentStore::ingest_expiry(const Scope& scope,
                                                             std::string_view ref) {
  if (auto r = validate_scope(scope); !r)
    return r.error();
  if (auto r = content::validate_ref(ref); !r)
    return r.error();
  auto rec = read_ingest(db_, scope, ref);
  if (!rec)
    return rec.error();
  return rec->expire_at;
}

Result<size_t> ContentStore::count_ingests(std::string_view ns, size_t limit) const {
  size_t n = 0;
  auto count_in = [&](std::string_view one) {
    return db_.scan(keys::ingest_prefix(one), {},
                    [&](std::string_view, std::string_view) { return ++n < limit; });
  };
  if (limit == 0)
    return size_t{0};
  if (!ns.empty()) {
    if (auto r = validate_repository_name(ns); !r)
      return r.error();
    if (auto r = count_in(ns); !r)
      return r.error();
    return std::min(n, limit);
  }
  // Every namespace: from the first key of each, count its ingests, then seek past it.
  const std::string prefix = keys::schema_prefix();
  auto it = db_.cursor();
  it->seek(prefix);
  while (it->valid() && n < limit) {
    std::string_view key = it->key();
    if (!key.starts_with(prefix))
      break;
    auto one = keys::namespace_of(key);
    if (!one)
      return fail(Errc::internal, "malformed metadata key");
    std::string name(*one);
    if (auto r = count_in(name); !r)
      return r.error();
    it->seek(keys::namespace_end(name));
  }
  if (auto st = it->status(); !st)
    return fail(st.error().code, "count ingests: " + st.error().detail);
  return std::min(n, limit);
}

Result<std::vector<content::Status>> ContentStore::list_statuses(const Scope& scope) {
  if (auto r = validate_scope(scope); !r)
    return r.error();
  const std::string prefix = keys::ingest_prefix(scope.ns);
  std::vector<std::pair<std::string, IngestRecord>> records;
  Result<void> inner = {};
  auto r = db_.scan(prefix, {}, [&](std::string_view key, std::string_view value) {
    auto rec = decode_ingest(value);
    if (!rec) {
      inner = rec.error();
      return false;
    }
    records.emplace_back(std::string(key.substr(prefix.size())), std::move(*rec));
    return true;
  });
  if (!r)
    return r.error();
  if (!inner)
    return inner.error();
  std::vector<content::Status> out;
  out.reserve(records.size());
  for (auto& [ref, rec] : records) {
    auto st = backend_.status(rec.backend_ref);
    if (!st) {
      if (st.error().code == Errc::not_found)
        continue;
      return st.error();
    }
    st->ref = ref;
    if (rec.expected)
      st->expected = rec.expected;
    out.push_back(std::move(*st));
  }
  return out;
}

Result<void> ContentStore::abort(const Scope& scope, std::string_view ref) {
  if (auto r = validate_scope(scope); !r)
    return r;
  if (auto r = content::validate_ref(ref); !r)
    return r;
  auto rec = read_ingest(db_, scope, ref);
  if (!rec)
    return rec.error();
  // The backend's abort removes files: do it before taking any metadata lock.
  if (auto r = backend_.abort(rec->backend_ref); !r && r.error().code != Errc::not_found) {
    return r;
  }
  const std::string key = keys::ingest(scope.ns, ref);
  auto update = db_.begin({key});
  auto current = update.get(key);
  if (!current)
    return current.error();
  if (!current->has_value())
    return {};  // a concurrent abort or commit won
  update.remove(key);
  if (!rec->lease.empty())
    update.remove(keys::lease_ingest(scope.ns, rec->lease, ref));
  update.mark_dirty();
  return update.commit();
}

Result<std::unique_ptr<content::Writer>> ContentStore::writer(const Scope& scope,
                                                              const content::WriterOptions& opts) {
  if (auto r = validate_scope(scope); !r)
    return r.error();
  if (auto r = content::validate_ref(opts.ref); !r)
    return r.error();
  const std::string bref = backend_ref(scope.ns, opts.ref);
  if (auto r = content::validate_ref(bref); !r) {
    return fail(Errc::invalid_argument, "ref too long for namespace " + scope.ns);
  }
  if (opts.total < 0)
    return fail(Errc::invalid_argument, "negative total");
  if (auto r = check_lease(db_, scope); !r)
    return r.error();

  if (opts.expected) {
    auto content_lock = content_lock_.lock_shared();
    if (!content_lock)
      return content_lock.error();
    auto here = exists(scope, *opts.expected);
    if (!here)
      return here.error();
    bool shareable = false;
    int64_t size = 0;
    if (!*here && options_.policy == SharingPolicy::shared) {
      auto backend = backend_.info(*opts.expected);
      if (backend && (opts.total == 0 || opts.total == backend->size)) {
        shareable = true;
        size = backend->size;
      } else if (!backend && backend.error().code != Errc::not_found) {
        return backend.error();
      }
    }
    if (*here || shareable) {
      // Already here (or shareable): record it / add it to the lease, and tell the client so.
      auto rec = record_blob(scope, *opts.expected, size, {}, {});
      if (!rec && rec.error().code != Errc::already_exists)
        return rec.error();
      return fail(Errc::already_exists, "content " + opts.expected->str() + " in " + scope.ns);
    }
  }

  // The ingest record comes first, so GC sees the ingest as soon as it has bytes.
  const std::string key = keys::ingest(scope.ns, opts.ref);
  bool created = false;
  {
    auto update = db_.begin({key});
    auto v = update.get(key);
    if (!v)
      return v.error();
    IngestRecord rec;
    if (v->has_value()) {
      auto old = decode_ingest(**v);
      if (!old)
        return old.error();
      rec = std::move(*old);
      if (opts.total > 0 && rec.total > 0 && opts.total != rec.total) {
        return fail(Errc::invalid_argument, "total " + std::to_string(opts.total) +
                                                " contradicts the ingest's " +
                                                std::to_string(rec.total));
      }
    } else {
      created = true;
      rec.backend_ref = bref;
    }
    if (opts.expected)
      rec.expected = opts.expected;
    if (opts.total > 0)
      rec.total = opts.total;
    if (!scope.lease.empty()) {
      rec.lease = scope.lease;
      rec.expire_at.reset();
      update.put(keys::lease_ingest(scope.ns, scope.lease, opts.ref), {});
    } else if (rec.lease.empty()) {
      rec.expire_at = db_.clock().now() + options_.ingest_expiry;
    }
    update.put(key, encode(rec));
    // An upload session acknowledges no bytes: its record becomes durable with the next synced
    // batch (at the latest its commit's), and a power cut before that makes it cleanly unknown.
    update.defer_sync();
    if (auto r = update.commit(); !r)
      return r.error();
  }

  // The backend is told the expected digest so it hashes with that algorithm. It answers
  // already_exists when any namespace holds the content; here that means the bytes must be
  // uploaded anyway (isolated policy, or a size that differs), so open it again without one:
  // commit then verifies the digest in full.
  content::WriterOptions backend_opts{bref, opts.total, opts.expected, opts.keep_pages,
                                      opts.lock_wait};
  auto w = backend_.writer(backend_opts);
  if (!w && w.error().code == Errc::already_exists) {
    backend_opts.expected.reset();
    w = backend_.writer(backend_opts);
  }
  if (!w) {
    if (created) {
      auto update = db_.begin({key});
      update.remove(key);
      if (!scope.lease.empty())
        update.remove(keys::lease_ingest(scope.ns, scope.lease, opts.ref));
      (void)update.commit();  // best effort: an expiring record is harmless
    }
    return w.error();
  }
  auto expected = opts.expected;
  if (!expected) {
    auto rec = read_ingest(db_, scope, opts.ref);
    if (rec && rec->expected)
      expected = rec->expected;
  }
  return std::unique_ptr<content::Writer>(
      new NamespacedWriter(*this, scope, opts.ref, std::move(expected), std::move(*w)));
}

}  // namespace cairn::metadata

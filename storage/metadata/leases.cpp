#include "storage/metadata/leases.h"

#include "storage/content/labels.h"
#include "storage/content/local_store.h"
#include "storage/metadata/keys.h"
#include "storage/metadata/names.h"
#include "storage/metadata/rfc3339.h"

#include <cstdio>
#include <random>

namespace cairn::metadata {

namespace {

Result<void> validate(std::string_view ns, std::string_view id) {
  if (auto r = validate_repository_name(ns); !r)
    return r;
  return validate_lease_id(id);
}

Error lease_not_found(std::string_view ns, std::string_view id) {
  return fail(Errc::not_found, "lease " + std::string(id) + " in " + std::string(ns));
}

// Resources are stored by name; only valid digests and refs get that far.
Result<std::string> resource_key(std::string_view ns, std::string_view id, const LeaseResource& r) {
  if (r.kind == ResourceKind::content) {
    auto d = Digest::parse(r.id);
    if (!d)
      return d.error();
    return keys::lease_blob(ns, id, d->str());
  }
  if (auto v = content::validate_ref(r.id); !v)
    return v.error();
  return keys::lease_ingest(ns, id, r.id);
}

// Time plus randomness, as containerd's generated lease ids: unique without coordination.
std::string generate_id(Timestamp now) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld-%016llx", static_cast<long long>(to_unix_nanos(now)),
                static_cast<unsigned long long>(rng()));
  return buf;
}

Lease to_lease(std::string id, LeaseRecord rec) {
  return Lease{std::move(id), rec.created_at, rec.expire_at, std::move(rec.labels)};
}

}  // namespace

std::string_view resource_kind_name(ResourceKind kind) noexcept {
  return kind == ResourceKind::content ? "content" : "ingests";
}

std::optional<ResourceKind> resource_kind_from_name(std::string_view name) noexcept {
  if (name == "content")
    return ResourceKind::content;
  if (name == "ingests" || name == "ingest")
    return ResourceKind::ingest;
  return std::nullopt;
}

Result<Lease> LeaseStore::create(std::string_view ns, LeaseOptions options) {
  const Timestamp now = db_.clock().now();
  if (options.id.empty())
    options.id = generate_id(now);
  if (auto r = validate(ns, options.id); !r)
    return r.error();
  if (auto r = content::validate_labels(options.labels); !r)
    return r.error();
  LeaseRecord rec{now, options.expire_at, std::move(options.labels)};
  if (!rec.expire_at) {
    if (auto it = rec.labels.find(kExpireLabel); it != rec.labels.end()) {
      auto t = parse_rfc3339(it->second);
      if (!t)
        return fail(Errc::invalid_argument,
                    "label " + std::string(kExpireLabel) + ": " + t.error().detail);
      rec.expire_at = *t;
    }
  }
  const std::string key = keys::lease(ns, options.id);
  auto update = db_.begin({key});
  auto value = update.get(key);
  if (!value)
    return value.error();
  if (value->has_value())
    return fail(Errc::already_exists, "lease " + options.id);
  update.put(key, encode(rec));
  if (auto r = update.commit(); !r)
    return r.error();
  return to_lease(std::move(options.id), std::move(rec));
}

Result<Lease> LeaseStore::get(std::string_view ns, std::string_view id) const {
  if (auto r = validate(ns, id); !r)
    return r.error();
  auto value = db_.get(keys::lease(ns, id));
  if (!value)
    return value.error();
  if (!value->has_value())
    return lease_not_found(ns, id);
  auto rec = decode_lease(**value);
  if (!rec)
    return rec.error();
  return to_lease(std::string(id), std::move(*rec));
}

Result<std::vector<Lease>> LeaseStore::list(std::string_view ns) const {
  if (auto r = validate_repository_name(ns); !r)
    return r.error();
  const std::string prefix = keys::lease_prefix(ns);
  std::vector<Lease> out;
  auto it = db_.cursor();
  it->seek(prefix);
  while (it->valid()) {
    std::string_view key = it->key();
    if (!key.starts_with(prefix))
      break;
    std::string id(key.substr(prefix.size()));
    if (id.find(keys::kSep) != std::string::npos) {
      return fail(Errc::internal, "lease resource without its lease");
    }
    auto rec = decode_lease(it->value());
    if (!rec)
      return rec.error();
    out.push_back(to_lease(id, std::move(*rec)));
    it->seek(keys::lease_end(ns, id));  // skip the lease's resources
  }
  if (auto st = it->status(); !st)
    return fail(st.error().code, "list leases: " + st.error().detail);
  return out;
}

Result<void> LeaseStore::remove(std::string_view ns, std::string_view id) {
  if (auto r = validate(ns, id); !r)
    return r.error();
  const std::string key = keys::lease(ns, id);
  auto update = db_.begin({key});
  auto value = update.get(key);
  if (!value)
    return value.error();
  if (!value->has_value())
    return lease_not_found(ns, id);
  update.remove(key);
  auto r =
      db_.scan(keys::lease_resources_prefix(ns, id), {}, [&](std::string_view k, std::string_view) {
        update.remove(k);
        return true;
      });
  if (!r)
    return r;
  update.mark_dirty();
  return update.commit();
}

Result<void> LeaseStore::add_resource(std::string_view ns, std::string_view id,
                                      const LeaseResource& resource) {
  if (auto r = validate(ns, id); !r)
    return r.error();
  auto rkey = resource_key(ns, id, resource);
  if (!rkey)
    return rkey.error();
  const std::string key = keys::lease(ns, id);
  auto update = db_.begin({key});
  auto value = update.get(key);
  if (!value)
    return value.error();
  if (!value->has_value())
    return lease_not_found(ns, id);
  update.put(*rkey, {});
  return update.commit();
}

Result<void> LeaseStore::remove_resource(std::string_view ns, std::string_view id,
                                         const LeaseResource& resource) {
  if (auto r = validate(ns, id); !r)
    return r.error();
  auto rkey = resource_key(ns, id, resource);
  if (!rkey)
    return rkey.error();
  const std::string key = keys::lease(ns, id);
  auto update = db_.begin({key});
  auto value = update.get(key);
  if (!value)
    return value.error();
  if (!value->has_value())
    return lease_not_found(ns, id);
  auto existing = update.get(*rkey);
  if (!existing)
    return existing.error();
  if (!existing->has_value())
    return {};
  update.remove(*rkey);
  update.mark_dirty();
  return update.commit();
}

Result<std::vector<LeaseResource>> LeaseStore::list_resources(std::string_view ns,
                                                              std::string_view id) const {
  if (auto r = validate(ns, id); !r)
    return r.error();
  auto value = db_.get(keys::lease(ns, id));
  if (!value)
    return value.error();
  if (!value->has_value())
    return lease_not_found(ns, id);
  std::vector<LeaseResource> out;
  bool malformed = false;
  auto r =
      db_.scan(keys::lease_resources_prefix(ns, id), {}, [&](std::string_view k, std::string_view) {
        auto parsed = keys::parse(k);
        if (!parsed) {
          malformed = true;
          return false;
        }
        if (parsed->kind == keys::KeyKind::lease_blob) {
          out.push_back({ResourceKind::content, std::move(parsed->child)});
        } else if (parsed->kind == keys::KeyKind::lease_ingest) {
          out.push_back({ResourceKind::ingest, std::move(parsed->child)});
        }
        return true;
      });
  if (!r)
    return r.error();
  if (malformed)
    return fail(Errc::internal, "malformed lease resource key");
  return out;
}

}  // namespace cairn::metadata

#include "handlers/manifests.h"

#include "handlers/blobs.h"
#include "handlers/body.h"
#include "handlers/errors.h"
#include "handlers/params.h"
#include "handlers/proxy.h"
#include "handlers/quota.h"
#include "oci/manifest_parser.h"
#include "oci/record_manifest.h"
#include "storage/metadata/names.h"

#include <algorithm>
#include <variant>

namespace cairn::handlers {

using server::Request;
using server::Response;

Checked<Reference> reference_param(const Request& req) {
  std::string ref(req.param("reference"));
  if (ref.find(':') != std::string::npos) {
    auto d = content::Digest::parse(ref);
    if (!d)
      return OciError(ErrorCode::digest_invalid, d.error().detail);
    return Reference(*d);
  }
  if (auto ok = metadata::validate_tag(ref); !ok) {
    // A PUT names a tag to create: a bad one is the client's error. A read or delete asks for
    // something that cannot exist: unknown, as the conformance suite expects.
    if (req.method == "PUT")
      return OciError(ErrorCode::tag_invalid, ok.error().detail);
    return OciError(ErrorCode::manifest_unknown,
                    "no manifest " + ref.substr(0, 200) + ": " + ok.error().detail);
  }
  return Reference(ref);
}

Checked<ManifestTarget> manifest_target(const Request& req) {
  auto name = repository(req);
  if (!name)
    return name.error();
  auto ref = reference_param(req);
  if (!ref)
    return ref.error();
  return ManifestTarget{std::move(*name), std::move(*ref)};
}

namespace {

// The digest a reference names in `ns` (a tag is looked up). Errors: MANIFEST_UNKNOWN.
Checked<content::Digest> resolve(Storage& storage, const std::string& ns, const Reference& ref) {
  if (auto* d = std::get_if<content::Digest>(&ref))
    return *d;
  auto tag = storage.tags().get(ns, std::get<std::string>(ref));
  if (!tag)
    return from_error(tag.error(), Resource::manifest);
  return tag->target.digest;
}

// The tags a PUT sets: the reference when it is a tag, then each `?tag=` (distribution-spec:
// a PUT by digest may name tags to point at the manifest), without repeats. Errors: 400
// TAG_INVALID for a malformed tag or more than kMaxTagsPerPut.
constexpr size_t kMaxTagsPerPut = 100;
Checked<std::vector<std::string>> put_tags(const Request& req, const Reference& ref) {
  std::vector<std::string> tags;
  if (auto* tag = std::get_if<std::string>(&ref))
    tags.push_back(*tag);
  for (auto& tag : req.query_values("tag")) {
    if (auto ok = metadata::validate_tag(tag); !ok)
      return OciError(ErrorCode::tag_invalid, "tag query: " + ok.error().detail);
    if (std::find(tags.begin(), tags.end(), tag) == tags.end())
      tags.push_back(std::move(tag));
  }
  if (tags.size() > kMaxTagsPerPut)
    return OciError(ErrorCode::tag_invalid,
                    "at most " + std::to_string(kMaxTagsPerPut) + " tags in one PUT");
  return tags;
}

// Checks that what the manifest needs is in the repository with the size its descriptor
// states: the answer for the first that is not (400 MANIFEST_BLOB_UNKNOWN, or MANIFEST_INVALID
// for a wrong size), nullopt when all are.
Result<std::optional<OciError>> check_required(Storage& storage, const metadata::Scope& scope,
                                               const oci::ParsedManifest& m) {
  for (const auto& [child, size] : m.required) {
    std::optional<int64_t> stored;
    if (child.kind == metadata::ChildKind::manifest) {
      auto rec = storage.manifests().get(scope.ns, child.digest);
      if (rec)
        stored = rec->size;
      else if (rec.error() != Errc::not_found)
        return rec.error();
      // else: an index may list a manifest pushed as a plain blob.
    }
    if (!stored) {
      auto info = storage.content().info(scope, child.digest);
      if (!info && info.error() != Errc::not_found)
        return info.error();
      if (!info) {
        return std::optional<OciError>(OciError(ErrorCode::manifest_blob_unknown,
                                                "not in the repository: " + child.digest.str()));
      }
      stored = info->size;
    }
    if (*stored != size) {
      return std::optional<OciError>(OciError(
          ErrorCode::manifest_invalid, std::string(metadata::child_kind_name(child.kind)) + " " +
                                           child.digest.str() + " has " + std::to_string(*stored) +
                                           " bytes, not the " + std::to_string(size) +
                                           " its descriptor states"));
    }
  }
  return std::optional<OciError>();
}

}  // namespace

boost::asio::awaitable<Answer> put_manifest(Api& api, Request& req) {
  auto m = manifest_target(req);
  if (!m)
    co_return m.error();
  const std::string& name = m->name;
  const Reference& ref = m->ref;
  auto scope = co_await scope_of(api, req, name);
  if (!scope)
    co_return scope.error();
  const size_t max = api.options.max_manifest_bytes;
  if (req.content_length && *req.content_length > max) {
    co_return OciError(ErrorCode::body_too_large,
                       "manifest exceeds " + std::to_string(max) + " bytes");
  }
  auto body = co_await read_small_body(req, max);
  if (!body) {
    co_return OciError(ErrorCode::body_too_large,
                       "manifest exceeds " + std::to_string(max) + " bytes");
  }
  auto parsed =
      oci::parse_manifest(*body, req.header("content-type"), api.options.max_index_entries);
  if (!parsed)
    co_return OciError(ErrorCode::manifest_invalid, parsed.error().detail);

  auto tags = put_tags(req, ref);
  if (!tags)
    co_return tags.error();
  auto* by_digest = std::get_if<content::Digest>(&ref);
  content::Digest digest =
      content::digest_of(*body, by_digest ? by_digest->algorithm() : content::Algorithm::sha256);
  if (by_digest && *by_digest != digest) {
    co_return OciError(ErrorCode::digest_invalid, "the manifest's digest is " + digest.str());
  }

  std::optional<OciError> refused;
  const bool quota = has_quota(api, scope->ns);
  auto stored = co_await api.storage.write([&](Storage& s) -> Result<void> {
    auto checked = check_required(s, *scope, *parsed);
    if (!checked)
      return checked.error();
    if (*checked) {
      refused = std::move(*checked);
      return {};
    }
    // The quota (handlers/quota.h): a manifest's bytes count like a blob's.
    if (quota) {
      if (auto r = admit_quota(s, *scope, static_cast<int64_t>(body->size()), digest); !r)
        return r.error();
    }
    // The manifest with every tag it names: one durable batch, all or nothing.
    return oci::record_manifest(s, *scope, digest, *body, *parsed, *tags);
  });
  if (!stored)
    co_return from_error(stored.error(), Resource::manifest);
  if (refused)
    co_return std::move(*refused);
  Response res;
  res.status = 201;
  res.set("location", "/v2/" + name + "/manifests/" + digest.str());
  res.set("docker-content-digest", digest.str());
  if (parsed->subject)
    res.set("oci-subject", parsed->subject->str());
  if (!req.query_values("tag").empty()) {
    for (const auto& tag : *tags)
      res.set("oci-tag", tag);
  }
  co_return res;
}

Checked<std::pair<content::Digest, metadata::ManifestRecord>> find_manifest(Storage& storage,
                                                                            const std::string& ns,
                                                                            const Reference& ref) {
  auto digest = resolve(storage, ns, ref);
  if (!digest)
    return digest.error();
  auto record = storage.manifests().get(ns, *digest);
  if (!record)
    return from_error(record.error(), Resource::manifest);
  return std::pair{std::move(*digest), std::move(*record)};
}

Answer manifest_answer(Storage& storage, server::Offloader& pool, const Request& req,
                       const std::string& ns, const content::Digest& digest,
                       const metadata::ManifestRecord& record) {
  if (req.method == "HEAD") {
    Response res;
    res.set("docker-content-digest", digest.str());
    res.set("content-type", record.media_type);
    res.content_length = static_cast<uint64_t>(record.size);
    return res;
  }
  auto reader = storage.content().reader({ns, {}}, digest);
  if (!reader)
    return from_error(reader.error(), Resource::manifest);
  return serve_content(pool, req, std::shared_ptr<content::ReaderAt>(std::move(*reader)), digest,
                       record.media_type);
}

Answer cached_manifest(Storage& storage, server::Offloader& pool, const Request& req,
                       const std::string& ns, const Reference& ref) {
  auto found = find_manifest(storage, ns, ref);
  if (!found)
    return found.error();
  return manifest_answer(storage, pool, req, ns, found->first, found->second);
}

// GET and HEAD: the same lookup; HEAD answers without the bytes.
boost::asio::awaitable<Answer> get_manifest(Api& api, Request& req) {
  auto m = manifest_target(req);
  if (!m)
    co_return m.error();
  const std::string& name = m->name;
  const Reference& ref = m->ref;
  if (auto target = co_await proxy_target(api, req, name))
    co_return co_await proxied_manifest(api, req, *target, ref);
  Answer res = co_await api.storage.lookup(
      [&](Storage& s) { return cached_manifest(s, api.offload, req, name, ref); });
  // Retention's "pulled within" (storage/gc/retention.h): a pull by tag in a repository a rule
  // governs notes the time, at most once an hour per tag, on the pool without waiting for it.
  const auto* tag = std::get_if<std::string>(&ref);
  if (tag != nullptr && res && res->status == 200) {
    const bool due = api.storage.peek([&](Storage& s) {
      const auto* rule = s.retention().policy().rule_for(name);
      return rule != nullptr && rule->keep_within && s.pulls().due(name, *tag);
    });
    if (due) {
      api.storage.post(
          [ns = name, t = *tag](Storage& s) noexcept { (void)s.pulls().record(ns, t); });
    }
  }
  co_return res;
}

boost::asio::awaitable<Answer> delete_manifest(Api& api, Request& req) {
  auto m = manifest_target(req);
  if (!m)
    co_return m.error();
  const std::string& name = m->name;
  const Reference& ref = m->ref;
  auto removed = co_await api.storage.write([&](Storage& s) -> Result<void> {
    if (auto* d = std::get_if<content::Digest>(&ref)) {
      return s.manifests().remove(name, *d);
    }
    return s.tags().remove(name, std::get<std::string>(ref));
  });
  if (!removed)
    co_return from_error(removed.error(), Resource::manifest);
  Response res;
  res.status = 202;
  co_return res;
}

}  // namespace cairn::handlers

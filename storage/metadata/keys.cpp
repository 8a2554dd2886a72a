#include "storage/metadata/keys.h"

#include <initializer_list>
#include <vector>

namespace cairn::metadata::keys {

namespace {

constexpr std::string_view kVersion = "version";
constexpr std::string_view kSchema = "v1";
constexpr std::string_view kLabels = "labels";
constexpr std::string_view kBlob = "blob";
constexpr std::string_view kIngest = "ingest";
constexpr std::string_view kTag = "tag";
constexpr std::string_view kPulled = "pulled";
constexpr std::string_view kManifest = "manifest";
constexpr std::string_view kReferrer = "referrer";
constexpr std::string_view kLease = "lease";

// Joins components with kSep, reserving once: keys are built on every request.
std::string join(std::initializer_list<std::string_view> parts) {
  size_t size = parts.size();
  for (std::string_view p : parts)
    size += p.size();
  std::string out;
  out.reserve(size);
  bool first = true;
  for (std::string_view p : parts) {
    if (!first)
      out.push_back(kSep);
    first = false;
    out.append(p);
  }
  return out;
}

std::vector<std::string_view> split(std::string_view key) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = key.find(kSep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(key.substr(start));
      return parts;
    }
    parts.push_back(key.substr(start, pos - start));
    start = pos + 1;
  }
}

}  // namespace

std::string version() {
  return std::string(kVersion);
}

std::string schema_prefix() {
  return join({kSchema, ""});
}

std::string schema_end() {
  std::string out(kSchema);
  out.push_back('\x01');
  return out;
}

std::string namespace_prefix(std::string_view ns) {
  return join({kSchema, ns, ""});
}

std::string namespace_end(std::string_view ns) {
  std::string out = join({kSchema, ns});
  out.push_back('\x01');
  return out;
}

std::string namespace_labels(std::string_view ns) {
  return join({kSchema, ns, kLabels});
}

std::string blob(std::string_view ns, std::string_view digest) {
  return join({kSchema, ns, kBlob, digest});
}
std::string blob_prefix(std::string_view ns) {
  return join({kSchema, ns, kBlob, ""});
}

std::string ingest(std::string_view ns, std::string_view ref) {
  return join({kSchema, ns, kIngest, ref});
}
std::string ingest_prefix(std::string_view ns) {
  return join({kSchema, ns, kIngest, ""});
}

std::string tag(std::string_view ns, std::string_view tag) {
  return join({kSchema, ns, kTag, tag});
}
std::string tag_prefix(std::string_view ns) {
  return join({kSchema, ns, kTag, ""});
}

std::string pulled(std::string_view ns, std::string_view tag) {
  return join({kSchema, ns, kPulled, tag});
}

std::string pulled_prefix(std::string_view ns) {
  return join({kSchema, ns, kPulled, ""});
}

std::string manifest(std::string_view ns, std::string_view digest) {
  return join({kSchema, ns, kManifest, digest});
}
std::string manifest_prefix(std::string_view ns) {
  return join({kSchema, ns, kManifest, ""});
}

std::string referrer(std::string_view ns, std::string_view subject, std::string_view digest) {
  return join({kSchema, ns, kReferrer, subject, digest});
}
std::string referrer_prefix(std::string_view ns, std::string_view subject) {
  return join({kSchema, ns, kReferrer, subject, ""});
}
std::string referrers_prefix(std::string_view ns) {
  return join({kSchema, ns, kReferrer, ""});
}

std::string lease(std::string_view ns, std::string_view id) {
  return join({kSchema, ns, kLease, id});
}
std::string lease_prefix(std::string_view ns) {
  return join({kSchema, ns, kLease, ""});
}
std::string lease_end(std::string_view ns, std::string_view id) {
  std::string out = lease(ns, id);
  out.push_back('\x01');
  return out;
}
std::string lease_resources_prefix(std::string_view ns, std::string_view id) {
  return join({kSchema, ns, kLease, id, ""});
}
std::string lease_blob(std::string_view ns, std::string_view id, std::string_view digest) {
  return join({kSchema, ns, kLease, id, kBlob, digest});
}
std::string lease_ingest(std::string_view ns, std::string_view id, std::string_view ref) {
  return join({kSchema, ns, kLease, id, kIngest, ref});
}

std::string successor(std::string_view key) {
  std::string out(key);
  out.push_back(kSep);
  return out;
}

std::optional<std::string_view> namespace_of(std::string_view key) {
  if (key.size() < kSchema.size() + 2 || !key.starts_with(kSchema) || key[kSchema.size()] != kSep) {
    return std::nullopt;
  }
  std::string_view rest = key.substr(kSchema.size() + 1);
  size_t pos = rest.find(kSep);
  if (pos == 0 || pos == std::string_view::npos)
    return std::nullopt;
  return rest.substr(0, pos);
}

std::optional<ParsedKey> parse(std::string_view key) {
  if (key == kVersion)
    return ParsedKey{KeyKind::version, {}, {}, {}};
  std::vector<std::string_view> p = split(key);
  if (p.size() < 3 || p[0] != kSchema)
    return std::nullopt;
  for (std::string_view part : p) {
    if (part.empty())
      return std::nullopt;
  }
  ParsedKey out;
  out.ns = std::string(p[1]);
  std::string_view kind = p[2];
  auto make = [&](KeyKind k, size_t want, std::string_view name = {},
                  std::string_view child = {}) -> std::optional<ParsedKey> {
    if (p.size() != want)
      return std::nullopt;
    out.kind = k;
    out.name = std::string(name);
    out.child = std::string(child);
    return out;
  };
  if (kind == kLabels)
    return make(KeyKind::namespace_labels, 3);
  if (p.size() < 4)
    return std::nullopt;
  if (kind == kBlob)
    return make(KeyKind::blob, 4, p[3]);
  if (kind == kIngest)
    return make(KeyKind::ingest, 4, p[3]);
  if (kind == kTag)
    return make(KeyKind::tag, 4, p[3]);
  if (kind == kPulled)
    return make(KeyKind::pulled, 4, p[3]);
  if (kind == kManifest)
    return make(KeyKind::manifest, 4, p[3]);
  if (kind == kReferrer)
    return make(KeyKind::referrer, 5, p[3], p.size() == 5 ? p[4] : "");
  if (kind == kLease) {
    if (p.size() == 4)
      return make(KeyKind::lease, 4, p[3]);
    if (p.size() != 6)
      return std::nullopt;
    if (p[4] == kBlob)
      return make(KeyKind::lease_blob, 6, p[3], p[5]);
    if (p[4] == kIngest)
      return make(KeyKind::lease_ingest, 6, p[3], p[5]);
  }
  return std::nullopt;
}

}  // namespace cairn::metadata::keys

#include "storage/metadata/records.h"

#include <nlohmann/json.hpp>

namespace cairn::metadata {

namespace {

using nlohmann::json;

// Reads fields from a parsed object without throwing: the first type error sets ok = false and
// every later read returns a default, so a decoder reads all fields, then checks ok once.
// (nlohmann's checked accessors throw; bad bytes on disk are an expected outcome here.)
class FieldReader {
 public:
  explicit FieldReader(const json& j) : j_(j), ok_(j.is_object()) {}

  bool ok() const { return ok_; }

  int64_t integer(const char* name, bool required = true) {
    const json* v = find(name, required);
    if (v == nullptr)
      return 0;
    if (!v->is_number_integer())
      return bad();
    return v->get<int64_t>();
  }

  std::string string(const char* name, bool required = false) {
    const json* v = find(name, required);
    if (v == nullptr)
      return {};
    if (!v->is_string()) {
      ok_ = false;
      return {};
    }
    return v->get<std::string>();
  }

  Timestamp time(const char* name) { return from_unix_nanos(integer(name)); }

  std::optional<Timestamp> optional_time(const char* name) {
    if (!j_.is_object() || !j_.contains(name))
      return std::nullopt;
    return from_unix_nanos(integer(name));
  }

  std::optional<Digest> optional_digest(const char* name) {
    std::string s = string(name);
    if (s.empty())
      return std::nullopt;
    auto d = Digest::parse(s);
    if (!d) {
      ok_ = false;
      return std::nullopt;
    }
    return *d;
  }

  Digest digest(const char* name) {
    auto d = optional_digest(name);
    if (!d) {
      ok_ = false;
      return {};
    }
    return *d;
  }

  template <class Map>
  Map string_map(const char* name) {
    Map out;
    const json* v = find(name, false);
    if (v == nullptr)
      return out;
    if (!v->is_object()) {
      ok_ = false;
      return out;
    }
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (!it.value().is_string()) {
        ok_ = false;
        return {};
      }
      out.emplace(it.key(), it.value().get<std::string>());
    }
    return out;
  }

  const json* object(const char* name) {
    const json* v = find(name, true);
    if (v != nullptr && !v->is_object()) {
      ok_ = false;
      return nullptr;
    }
    return v;
  }

  const json* array(const char* name) {
    const json* v = find(name, false);
    if (v != nullptr && !v->is_array()) {
      ok_ = false;
      return nullptr;
    }
    return v;
  }

 private:
  const json* find(const char* name, bool required) {
    if (!ok_)
      return nullptr;
    auto it = j_.find(name);
    if (it == j_.end()) {
      if (required)
        ok_ = false;
      return nullptr;
    }
    return &*it;
  }
  int64_t bad() {
    ok_ = false;
    return 0;
  }

  const json& j_;
  bool ok_;
};

json parse(std::string_view bytes) {
  return json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
}

Error corrupt(std::string_view kind) {
  return fail(Errc::internal, "corrupt " + std::string(kind) + " record");
}

template <class Map>
void put_map(json& j, const char* name, const Map& m) {
  if (m.empty())
    return;
  json obj = json::object();
  for (const auto& [k, v] : m)
    obj[k] = v;
  j[name] = std::move(obj);
}

void put_string(json& j, const char* name, const std::string& s) {
  if (!s.empty())
    j[name] = s;
}

json descriptor_json(const Descriptor& r) {
  json j = json::object();
  j["digest"] = r.digest.str();
  put_string(j, "mediatype", r.media_type);
  j["size"] = r.size;
  put_string(j, "artifacttype", r.artifact_type);
  put_map(j, "annotations", r.annotations);
  return j;
}

Descriptor read_descriptor(FieldReader& f) {
  Descriptor d;
  d.digest = f.digest("digest");
  d.media_type = f.string("mediatype");
  d.size = f.integer("size");
  d.artifact_type = f.string("artifacttype");
  d.annotations = f.string_map<Annotations>("annotations");
  return d;
}

std::string dump(const json& j) {
  // Labels and annotations come from clients: replace invalid UTF-8 rather than throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string_view child_kind_name(ChildKind kind) noexcept {
  switch (kind) {
    case ChildKind::config:
      return "config";
    case ChildKind::layer:
      return "layer";
    case ChildKind::manifest:
      return "manifest";
    case ChildKind::subject:
      return "subject";
    case ChildKind::blob:
      return "blob";
  }
  return "blob";
}

std::optional<ChildKind> child_kind_from_name(std::string_view name) noexcept {
  for (ChildKind k : {ChildKind::config, ChildKind::layer, ChildKind::manifest, ChildKind::subject,
                      ChildKind::blob}) {
    if (child_kind_name(k) == name)
      return k;
  }
  return std::nullopt;
}

std::string encode(const BlobRecord& r) {
  json j = json::object();
  j["size"] = r.size;
  j["createdat"] = to_unix_nanos(r.created_at);
  j["updatedat"] = to_unix_nanos(r.updated_at);
  put_map(j, "labels", r.labels);
  put_string(j, "mediatype", r.media_type);
  return dump(j);
}

Result<BlobRecord> decode_blob(std::string_view bytes) {
  json j = parse(bytes);
  FieldReader f(j);
  BlobRecord r;
  r.size = f.integer("size");
  r.created_at = f.time("createdat");
  r.updated_at = f.time("updatedat");
  r.labels = f.string_map<Labels>("labels");
  r.media_type = f.string("mediatype");
  if (!f.ok() || r.size < 0)
    return corrupt("blob");
  return r;
}

std::string encode(const IngestRecord& r) {
  json j = json::object();
  j["ref"] = r.backend_ref;
  if (r.expire_at)
    j["expireat"] = to_unix_nanos(*r.expire_at);
  if (r.expected)
    j["expected"] = r.expected->str();
  if (r.total != 0)
    j["total"] = r.total;
  put_string(j, "lease", r.lease);
  return dump(j);
}

Result<IngestRecord> decode_ingest(std::string_view bytes) {
  json j = parse(bytes);
  FieldReader f(j);
  IngestRecord r;
  r.backend_ref = f.string("ref", /*required=*/true);
  r.expire_at = f.optional_time("expireat");
  r.expected = f.optional_digest("expected");
  r.total = f.integer("total", /*required=*/false);
  r.lease = f.string("lease");
  if (!f.ok() || r.backend_ref.empty())
    return corrupt("ingest");
  return r;
}

std::string encode(const Descriptor& r) {
  return dump(descriptor_json(r));
}

Result<Descriptor> decode_descriptor(std::string_view bytes) {
  json j = parse(bytes);
  FieldReader f(j);
  Descriptor d = read_descriptor(f);
  if (!f.ok())
    return corrupt("descriptor");
  return d;
}

std::string encode(const TagRecord& r) {
  json j = json::object();
  j["target"] = descriptor_json(r.target);
  j["createdat"] = to_unix_nanos(r.created_at);
  j["updatedat"] = to_unix_nanos(r.updated_at);
  put_map(j, "labels", r.labels);
  return dump(j);
}

Result<TagRecord> decode_tag(std::string_view bytes) {
  json j = parse(bytes);
  FieldReader f(j);
  TagRecord r;
  if (const json* target = f.object("target")) {
    FieldReader t(*target);
    r.target = read_descriptor(t);
    if (!t.ok())
      return corrupt("tag");
  }
  r.created_at = f.time("createdat");
  r.updated_at = f.time("updatedat");
  r.labels = f.string_map<Labels>("labels");
  if (!f.ok())
    return corrupt("tag");
  return r;
}

std::string encode(const ManifestRecord& r) {
  json j = json::object();
  put_string(j, "mediatype", r.media_type);
  j["size"] = r.size;
  j["createdat"] = to_unix_nanos(r.created_at);
  json children = json::array();
  for (const ManifestChild& c : r.children) {
    children.push_back(json{{"kind", child_kind_name(c.kind)}, {"digest", c.digest.str()}});
  }
  j["children"] = std::move(children);
  if (r.subject)
    j["subject"] = r.subject->str();
  put_string(j, "artifacttype", r.artifact_type);
  put_map(j, "annotations", r.annotations);
  return dump(j);
}

Result<ManifestRecord> decode_manifest(std::string_view bytes) {
  json j = parse(bytes);
  FieldReader f(j);
  ManifestRecord r;
  r.media_type = f.string("mediatype");
  r.size = f.integer("size");
  r.created_at = f.time("createdat");
  if (const json* children = f.array("children")) {
    for (const json& c : *children) {
      FieldReader cf(c);
      auto kind = child_kind_from_name(cf.string("kind", true));
      Digest d = cf.digest("digest");
      if (!cf.ok() || !kind)
        return corrupt("manifest");
      r.children.push_back(ManifestChild{*kind, std::move(d)});
    }
  }
  r.subject = f.optional_digest("subject");
  r.artifact_type = f.string("artifacttype");
  r.annotations = f.string_map<Annotations>("annotations");
  if (!f.ok())
    return corrupt("manifest");
  return r;
}

std::string encode(const LeaseRecord& r) {
  json j = json::object();
  j["createdat"] = to_unix_nanos(r.created_at);
  if (r.expire_at)
    j["expireat"] = to_unix_nanos(*r.expire_at);
  put_map(j, "labels", r.labels);
  return dump(j);
}

Result<LeaseRecord> decode_lease(std::string_view bytes) {
  json j = parse(bytes);
  FieldReader f(j);
  LeaseRecord r;
  r.created_at = f.time("createdat");
  r.expire_at = f.optional_time("expireat");
  r.labels = f.string_map<Labels>("labels");
  if (!f.ok())
    return corrupt("lease");
  return r;
}

std::string encode(const NamespaceRecord& r) {
  json j = json::object();
  put_map(j, "labels", r.labels);
  return dump(j);
}

Result<NamespaceRecord> decode_namespace(std::string_view bytes) {
  json j = parse(bytes);
  FieldReader f(j);
  NamespaceRecord r;
  r.labels = f.string_map<Labels>("labels");
  if (!f.ok())
    return corrupt("namespace");
  return r;
}

}  // namespace cairn::metadata

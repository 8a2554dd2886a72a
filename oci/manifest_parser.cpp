#include "oci/manifest_parser.h"

#include "storage/common/json.h"

#include <nlohmann/json.hpp>

namespace cairn::oci {
namespace {

using nlohmann::json;

bool known_type(std::string_view t) {
  return t == kOciManifest || t == kOciIndex || t == kDockerManifest || t == kDockerManifestList;
}

// The media type proper, without parameters ("; charset=utf-8").
std::string_view bare(std::string_view t) {
  t = t.substr(0, t.find(';'));
  while (!t.empty() && t.back() == ' ')
    t.remove_suffix(1);
  return t;
}

Error invalid(std::string detail) {
  return fail(Errc::invalid_argument, std::move(detail));
}

struct Described {
  metadata::Digest digest;
  int64_t size = 0;
};

// Checks a descriptor object and returns its digest and size.
Result<Described> descriptor(const json& d, std::string_view where) {
  if (!d.is_object())
    return invalid(std::string(where) + " is not a descriptor object");
  auto digest = d.find("digest");
  auto size = d.find("size");
  auto type = d.find("mediaType");
  if (digest == d.end() || !digest->is_string()) {
    return invalid(std::string(where) + ": digest missing");
  }
  auto parsed = metadata::Digest::parse(digest->get<std::string>());
  if (!parsed)
    return invalid(std::string(where) + ": " + parsed.error().detail);
  if (size == d.end() || !size->is_number_integer() || size->get<int64_t>() < 0) {
    return invalid(std::string(where) + ": size must be a non-negative integer");
  }
  if (type != d.end() && !type->is_string()) {
    return invalid(std::string(where) + ": mediaType must be a string");
  }
  return Described{*parsed, size->get<int64_t>()};
}

Result<metadata::Annotations> annotations_of(const json& j) {
  metadata::Annotations out;
  auto a = j.find("annotations");
  if (a == j.end() || a->is_null())
    return out;
  if (!a->is_object())
    return invalid("annotations must be an object");
  for (const auto& [k, v] : a->items()) {
    if (!v.is_string())
      return invalid("annotation " + k + " must be a string");
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

}  // namespace

Result<ParsedManifest> parse_manifest(std::string_view body, std::string_view content_type,
                                      size_t max_entries) {
  json j = parse_json(body);
  if (j.is_discarded()) {
    return invalid("manifest is not valid JSON of at most " + std::to_string(kMaxJsonDepth) +
                   " nested levels");
  }
  if (!j.is_object())
    return invalid("manifest is not a JSON object");
  auto version = j.find("schemaVersion");
  if (version == j.end() || !version->is_number_integer() || version->get<int>() != 2) {
    return invalid("schemaVersion must be 2");
  }
  std::string body_type;
  if (auto mt = j.find("mediaType"); mt != j.end()) {
    if (!mt->is_string())
      return invalid("mediaType must be a string");
    body_type = mt->get<std::string>();
  }
  std::string header_type(bare(content_type));
  if (header_type == "application/json" || header_type == "application/octet-stream") {
    header_type.clear();  // generic: not a statement about the manifest
  }
  if (!header_type.empty() && !body_type.empty() && header_type != body_type) {
    return invalid("Content-Type " + header_type + " disagrees with mediaType " + body_type);
  }
  ParsedManifest m;
  m.media_type = !header_type.empty() ? header_type : body_type;
  if (m.media_type.empty()) {  // OCI allows omitting mediaType: tell by shape
    m.media_type = j.contains("manifests") ? kOciIndex : kOciManifest;
  }
  if (!known_type(m.media_type))
    return invalid("unsupported manifest media type " + m.media_type);
  m.is_index = m.media_type == kOciIndex || m.media_type == kDockerManifestList;

  if (m.is_index) {
    auto list = j.find("manifests");
    if (list == j.end() || !list->is_array())
      return invalid("manifests must be an array");
    if (list->size() > max_entries) {
      return invalid("an index may list at most " + std::to_string(max_entries) +
                     " manifests; this one lists " + std::to_string(list->size()));
    }
    for (size_t i = 0; i < list->size(); ++i) {
      auto d = descriptor((*list)[i], "manifests[" + std::to_string(i) + "]");
      if (!d)
        return d.error();
      m.children.push_back({metadata::ChildKind::manifest, d->digest});
      m.required.push_back({m.children.back(), d->size});
    }
  } else {
    auto config = j.find("config");
    if (config == j.end())
      return invalid("config is required");
    auto c = descriptor(*config, "config");
    if (!c)
      return c.error();
    m.children.push_back({metadata::ChildKind::config, c->digest});
    m.required.push_back({m.children.back(), c->size});
    if (auto t = config->find("mediaType"); t != config->end())
      m.artifact_type = t->get<std::string>();
    auto layers = j.find("layers");
    if (layers != j.end() && !layers->is_null()) {
      if (!layers->is_array())
        return invalid("layers must be an array");
      for (size_t i = 0; i < layers->size(); ++i) {
        const json& l = (*layers)[i];
        auto d = descriptor(l, "layers[" + std::to_string(i) + "]");
        if (!d)
          return d.error();
        m.children.push_back({metadata::ChildKind::layer, d->digest});
        bool foreign = l.contains("urls") && l["urls"].is_array() && !l["urls"].empty();
        if (!foreign)
          m.required.push_back({m.children.back(), d->size});
      }
    } else if (m.media_type != kOciManifest) {
      return invalid("layers is required");
    }
  }
  if (auto at = j.find("artifactType"); at != j.end()) {
    if (!at->is_string())
      return invalid("artifactType must be a string");
    m.artifact_type = at->get<std::string>();
  }
  if (auto s = j.find("subject"); s != j.end() && !s->is_null()) {
    auto d = descriptor(*s, "subject");
    if (!d)
      return d.error();
    m.subject = d->digest;
    m.children.push_back({metadata::ChildKind::subject, d->digest});
  }
  auto ann = annotations_of(j);
  if (!ann)
    return ann.error();
  m.annotations = std::move(*ann);
  return m;
}

metadata::ManifestRecord ParsedManifest::record(int64_t size) const {
  metadata::ManifestRecord r;
  r.media_type = media_type;
  r.size = size;
  r.children = children;
  r.subject = subject;
  r.artifact_type = artifact_type;
  r.annotations = annotations;
  return r;
}

}  // namespace cairn::oci

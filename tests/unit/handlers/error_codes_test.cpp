// The error-code registry (handlers/error_codes.h), the typed error and its rendering
// (handlers/errors.h), and the registry against the OpenAPI document: every registered code is
// documented with its status, and the document names no code the registry lacks.
#include "handlers/error_codes.h"
#include "handlers/errors.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

namespace cairn::handlers {
namespace {

TEST(ErrorCodes, EachCodeIsRegisteredOnceUnderItsOwnName) {
  std::set<std::string_view> names;
  size_t i = 0;
  for (const ErrorCodeInfo& info : registered_codes()) {
    EXPECT_EQ(static_cast<size_t>(info.code), i++) << info.name;
    EXPECT_TRUE(names.insert(info.name).second) << "registered twice: " << info.name;
    EXPECT_EQ(&code_info(info.code), &info);
    EXPECT_EQ(find_code(info.name), &info);
    EXPECT_FALSE(info.message.empty()) << info.name;
    // Upper case and underscores, as the spec's codes are.
    EXPECT_TRUE(std::regex_match(std::string(info.name), std::regex("[A-Z][A-Z_]*"))) << info.name;
  }
  EXPECT_EQ(find_code("NO_SUCH_CODE"), nullptr);
}

// The statuses, written out: a change here is a change clients see.
TEST(ErrorCodes, EachCodeHasItsStatus) {
  const std::map<std::string_view, unsigned> expected = {
      {"BLOB_UNKNOWN", 404},
      {"BLOB_UPLOAD_INVALID", 400},
      {"BLOB_UPLOAD_UNKNOWN", 404},
      {"DIGEST_INVALID", 400},
      {"MANIFEST_BLOB_UNKNOWN", 400},
      {"MANIFEST_INVALID", 400},
      {"MANIFEST_UNKNOWN", 404},
      {"NAME_INVALID", 400},
      {"NAME_UNKNOWN", 404},
      {"SIZE_INVALID", 400},
      {"UNAUTHORIZED", 401},
      {"DENIED", 403},
      {"UNSUPPORTED", 405},
      {"TOOMANYREQUESTS", 429},
      {"UNKNOWN", 500},
      {"UNAVAILABLE", 503},
      {"TAG_INVALID", 400},
      {"RANGE_INVALID", 416},
      {"PAGINATION_NUMBER_INVALID", 400},
      {"NOT_FOUND", 404},
      {"CONFLICT", 409},
      {"REQUEST_INVALID", 400},
      {"BODY_INVALID", 400},
      {"BODY_TOO_LARGE", 413},
      {"FILTER_INVALID", 400},
      {"LEASE_INVALID", 400},
      {"LEASE_UNKNOWN", 404},
      {"LEASE_EXISTS", 409},
      {"INSUFFICIENT_STORAGE", 507},
      {"UPSTREAM_FAILED", 502},
  };
  EXPECT_EQ(registered_codes().size(), expected.size());
  for (const auto& [name, status] : expected) {
    const ErrorCodeInfo* info = find_code(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->status, status) << name;
  }
}

TEST(ErrorCodes, TheSpecsCodesAreAllThere) {
  const std::set<std::string_view> spec = {
      "BLOB_UNKNOWN",          "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
      "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID",    "MANIFEST_UNKNOWN",    "NAME_INVALID",
      "NAME_UNKNOWN",          "SIZE_INVALID",        "UNAUTHORIZED",        "DENIED",
      "UNSUPPORTED",           "TOOMANYREQUESTS"};
  std::set<std::string_view> registered_as_spec;
  for (const ErrorCodeInfo& info : registered_codes()) {
    if (info.origin == CodeOrigin::spec)
      registered_as_spec.insert(info.name);
  }
  EXPECT_EQ(registered_as_spec, spec);
}

nlohmann::json body_of(const server::Response& res) {
  return nlohmann::json::parse(res.body);
}

TEST(OciErrorRendering, CodeMessageAndStatusFromTheRegistry) {
  server::Response res = render(OciError(ErrorCode::name_invalid, "bad name"));
  EXPECT_EQ(res.status, 400u);
  EXPECT_EQ(res.header("content-type"), "application/json");
  auto j = body_of(res);
  ASSERT_EQ(j["errors"].size(), 1u);
  EXPECT_EQ(j["errors"][0]["code"], "NAME_INVALID");
  EXPECT_EQ(j["errors"][0]["message"], "bad name");
  EXPECT_FALSE(j["errors"][0].contains("detail"));
}

TEST(OciErrorRendering, DefaultMessageDetailAndHeaders) {
  OciError e = OciError(ErrorCode::too_many_requests)
                   .with_detail({{"limit", 3}})
                   .with_header("retry-after", "1");
  server::Response res = render(e);
  EXPECT_EQ(res.status, 429u);
  EXPECT_EQ(res.header("retry-after"), "1");
  auto j = body_of(res);
  EXPECT_EQ(j["errors"][0]["code"], "TOOMANYREQUESTS");
  EXPECT_EQ(j["errors"][0]["message"], code_info(ErrorCode::too_many_requests).message);
  EXPECT_EQ(j["errors"][0]["detail"], (nlohmann::json{{"limit", 3}}));
}

TEST(OciErrorRendering, AnAnswerIsItsResponseOrItsRenderedError) {
  server::Response ok;
  ok.status = 201;
  EXPECT_EQ(render(Answer(ok)).status, 201u);
  EXPECT_EQ(render(Answer(OciError(ErrorCode::blob_unknown))).status, 404u);
}

TEST(OciError, UnknownMeansTheThingAskedForIsNotThere) {
  EXPECT_TRUE(OciError(ErrorCode::manifest_unknown).is_unknown());
  EXPECT_TRUE(OciError(ErrorCode::blob_unknown).is_unknown());
  EXPECT_TRUE(OciError(ErrorCode::name_unknown).is_unknown());
  // Other 404s are not "unknown content": the cache must not fetch upstream for them.
  EXPECT_FALSE(OciError(ErrorCode::blob_upload_unknown).is_unknown());
  EXPECT_FALSE(OciError(ErrorCode::not_found).is_unknown());
  EXPECT_FALSE(OciError(ErrorCode::unknown).is_unknown());
}

TEST(FromError, StorageErrorsByResource) {
  struct Case {
    Errc errc;
    Resource resource;
    std::string_view code;
  };
  const Case cases[] = {
      {Errc::not_found, Resource::blob, "BLOB_UNKNOWN"},
      {Errc::not_found, Resource::upload, "BLOB_UPLOAD_UNKNOWN"},
      {Errc::not_found, Resource::ingest, "BLOB_UPLOAD_UNKNOWN"},
      {Errc::not_found, Resource::manifest, "MANIFEST_UNKNOWN"},
      {Errc::not_found, Resource::tag, "MANIFEST_UNKNOWN"},
      {Errc::not_found, Resource::repository, "NAME_UNKNOWN"},
      {Errc::not_found, Resource::lease, "LEASE_UNKNOWN"},
      {Errc::not_found, Resource::other, "NOT_FOUND"},
      {Errc::invalid_argument, Resource::upload, "BLOB_UPLOAD_INVALID"},
      {Errc::invalid_argument, Resource::manifest, "MANIFEST_INVALID"},
      {Errc::invalid_argument, Resource::repository, "NAME_INVALID"},
      {Errc::invalid_argument, Resource::blob, "REQUEST_INVALID"},
      {Errc::invalid_argument, Resource::other, "REQUEST_INVALID"},
      {Errc::already_exists, Resource::lease, "LEASE_EXISTS"},
      {Errc::already_exists, Resource::blob, "CONFLICT"},
      {Errc::digest_mismatch, Resource::upload, "DIGEST_INVALID"},
      {Errc::size_mismatch, Resource::upload, "SIZE_INVALID"},
      {Errc::range_invalid, Resource::upload, "RANGE_INVALID"},
      {Errc::range_invalid, Resource::blob, "RANGE_INVALID"},
      {Errc::unavailable, Resource::upload, "UNAVAILABLE"},
      {Errc::no_space, Resource::upload, "INSUFFICIENT_STORAGE"},
      {Errc::denied, Resource::manifest, "DENIED"},
      {Errc::io, Resource::blob, "UNKNOWN"},
      {Errc::internal, Resource::manifest, "UNKNOWN"},
  };
  for (const Case& c : cases) {
    OciError e = from_error(fail(c.errc, "why"), c.resource);
    EXPECT_EQ(e.info().name, c.code) << errc_name(c.errc) << " " << static_cast<int>(c.resource);
  }
}

TEST(FromError, ServerFaultsHideTheirDetailAndAFullDiskSaysWhenToRetry) {
  OciError io = from_error(fail(Errc::io, "write /srv/data/x: EIO"), Resource::blob);
  EXPECT_EQ(io.status(), 500u);
  EXPECT_EQ(io.message(), code_info(ErrorCode::unknown).message);
  OciError full = from_error(fail(Errc::no_space, "the data root is full"), Resource::upload);
  server::Response res = render(full);
  EXPECT_EQ(res.status, 507u);
  EXPECT_FALSE(res.header("retry-after").empty());
  EXPECT_EQ(body_of(res)["errors"][0]["message"], "the data root is full");
}

// (code, x-status) of each entry under components/schemas/ErrorCode's oneOf, written one per
// line as `- {const: NAME, x-status: NNN, description: …}`.
std::map<std::string, unsigned> documented_codes(const std::string& file) {
  std::ifstream in(file);
  EXPECT_TRUE(in) << file;
  std::map<std::string, unsigned> out;
  static const std::regex entry(R"(^\s+- \{const: ([A-Z_]+), x-status: (\d+),)");
  std::string line;
  bool in_codes = false;
  while (std::getline(in, line)) {
    if (line == "    ErrorCode:") {
      in_codes = true;
      continue;
    }
    if (in_codes && line.starts_with("    ") && !line.starts_with("     "))
      break;  // the next schema
    std::smatch m;
    if (in_codes && std::regex_search(line, m, entry)) {
      EXPECT_FALSE(out.count(m[1])) << "documented twice: " << m[1];
      out[m[1]] = static_cast<unsigned>(std::stoul(m[2]));
    }
  }
  return out;
}

TEST(ErrorCodes, RegistryMatchesTheOpenApiDocument) {
  auto documented = documented_codes(CAIRN_SOURCE_DIR "/openapi/openapi.yaml");
  ASSERT_FALSE(documented.empty());
  for (const ErrorCodeInfo& info : registered_codes()) {
    auto it = documented.find(std::string(info.name));
    if (it == documented.end()) {
      ADD_FAILURE() << "registered but not documented: " << info.name;
      continue;
    }
    EXPECT_EQ(it->second, info.status) << info.name;
  }
  for (const auto& [name, status] : documented)
    EXPECT_NE(find_code(name), nullptr) << "documented but not registered: " << name;
}

}  // namespace
}  // namespace cairn::handlers

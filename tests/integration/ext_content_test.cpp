// The content extension endpoints against the real server: blob infos (list with filters and
// paging, get, label updates with field paths), ingests (list, get, abort) and repository
// labels; every success and failure path, with case tables for filters and field paths.
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"
#include "upstream/url.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace cairn::testing {
namespace {

using nlohmann::json;
using Labels = std::map<std::string, std::string>;

// Percent-encodes everything but unreserved characters (a query value).
Labels labels_in(const json& j) {
  Labels out;
  for (const auto& [k, v] : j.items())
    out.emplace(k, v.get<std::string>());
  return out;
}

json labels_body(const Labels& labels) {
  json l = json::object();
  for (const auto& [k, v] : labels)
    l[k] = v;
  return json{{"labels", l}};
}

class ExtContent : public ::testing::Test {
 protected:
  static handlers::ServiceOptions options() {
    handlers::ServiceOptions o;
    o.start_gc_scheduler = false;  // nothing collects behind the tests' backs
    return o;
  }

  TestServer srv_{server::ServerOptions{}, options()};
  HttpClient c_{srv_.port()};

  std::string blobs_url(const std::string& name) { return "/v2/" + name + "/_content/blobs"; }

  // PATCHes a blob's labels (replacing them all) and checks the 200.
  void set_labels(const std::string& name, const std::string& digest, const Labels& labels) {
    auto r = c_.request("PATCH", blobs_url(name) + "/" + digest, labels_body(labels).dump());
    ASSERT_EQ(r.status, 200u) << r.body;
  }

  // The digests a listing returns, in order.
  std::vector<std::string> listed(const std::string& target) {
    auto r = c_.request("GET", target);
    EXPECT_EQ(r.status, 200u) << target << " " << r.body;
    std::vector<std::string> out;
    auto j = body_of(r);
    if (!j.is_object() || !j.contains("blobs"))
      return out;
    for (const auto& b : j["blobs"])
      out.push_back(b["digest"].get<std::string>());
    return out;
  }

  // Starts an upload in `name`, appends `data`, and returns the upload id (the ingest's ref).
  std::string start_ingest(const std::string& name, const std::string& data,
                           const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    auto post = c_.request("POST", "/v2/" + name + "/blobs/uploads/", {}, headers);
    EXPECT_EQ(post.status, 202u) << post.body;
    std::string id = post.header("docker-upload-uuid");
    if (!data.empty()) {
      auto headers_patch = headers;
      headers_patch.emplace_back("Content-Type", "application/octet-stream");
      auto patch = c_.request("PATCH", post.header("location"), data, headers_patch);
      EXPECT_EQ(patch.status, 202u) << patch.body;
    }
    return id;
  }
};

// --- blob infos ---

TEST_F(ExtContent, ListReturnsInfosOfTheRepositoryInDigestOrder) {
  std::vector<std::string> digests;
  for (uint32_t i = 0; i < 3; ++i)
    digests.push_back(push_blob(c_, "lib/app", blob_bytes(100 + i, i)));
  push_blob(c_, "other", blob_bytes(50, 99));
  std::sort(digests.begin(), digests.end());

  auto r = c_.request("GET", blobs_url("lib/app"));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  auto j = body_of(r);
  ASSERT_TRUE(j.contains("blobs"));
  ASSERT_EQ(j["blobs"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const json& info = j["blobs"][i];
    EXPECT_EQ(info["digest"], digests[i]);
    for (const char* key : {"size", "createdAt", "updatedAt", "labels"})
      EXPECT_TRUE(info.contains(key)) << key;
    EXPECT_TRUE(info["labels"].is_object());
    EXPECT_TRUE(info["labels"].empty());
  }
  EXPECT_EQ(listed(blobs_url("empty/repo")), std::vector<std::string>{});
}

TEST_F(ExtContent, ListPagesWithNAndLastAndALinkToTheNextPage) {
  std::vector<std::string> digests;
  for (uint32_t i = 0; i < 5; ++i)
    digests.push_back(push_blob(c_, "paged", blob_bytes(10 + i, i)));
  std::sort(digests.begin(), digests.end());

  std::vector<std::string> seen;
  std::string target = blobs_url("paged") + "?n=2";
  int pages = 0;
  while (!target.empty() && pages < 10) {
    auto r = c_.request("GET", target);
    ASSERT_EQ(r.status, 200u) << r.body;
    auto j = body_of(r);
    EXPECT_LE(j["blobs"].size(), 2u);
    for (const auto& b : j["blobs"])
      seen.push_back(b["digest"]);
    ++pages;
    std::string link = r.header("link");
    target.clear();
    if (!link.empty()) {
      ASSERT_EQ(link.front(), '<') << link;
      EXPECT_NE(link.find(">; rel=\"next\""), std::string::npos) << link;
      target = link.substr(1, link.find('>') - 1);
      EXPECT_TRUE(target.starts_with(blobs_url("paged") + "?n=2&last=")) << target;
    }
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, digests);

  // last alone skips through it; n=0 is an empty page without a link; n past the end has none.
  EXPECT_EQ(listed(blobs_url("paged") + "?last=" + upstream::url_encode(digests[2])),
            std::vector<std::string>(digests.begin() + 3, digests.end()));
  auto zero = c_.request("GET", blobs_url("paged") + "?n=0");
  EXPECT_EQ(zero.status, 200u);
  EXPECT_TRUE(body_of(zero)["blobs"].empty());
  EXPECT_EQ(zero.header("link"), "");
  auto all = c_.request("GET", blobs_url("paged") + "?n=5");
  EXPECT_EQ(body_of(all)["blobs"].size(), 5u);
  EXPECT_EQ(all.header("link"), "");

  for (const char* bad : {"?n=-1", "?n=x", "?n=", "?n=2x"}) {
    auto r = c_.request("GET", blobs_url("paged") + bad);
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_EQ(error_code(r), "PAGINATION_NUMBER_INVALID") << bad;
  }
}

TEST_F(ExtContent, FiltersSelectBlobsByDigestSizeAndLabels) {
  // Four blobs: 0 and 1 labelled env=prod, 1 and 2 tier=g<n>, 3 unlabelled; 2 has a dotted key.
  std::vector<std::string> data = {blob_bytes(10, 1), blob_bytes(20, 2), blob_bytes(30, 3),
                                   blob_bytes(40, 4)};
  std::vector<std::string> d;
  for (const auto& b : data)
    d.push_back(push_blob(c_, "filtered", b));
  set_labels("filtered", d[0], {{"env", "prod"}});
  set_labels("filtered", d[1], {{"env", "prod"}, {"tier", "g1"}});
  set_labels("filtered", d[2], {{"env", "dev"}, {"tier", "g22"}, {"a.b", "x y"}});

  struct Case {
    std::vector<std::string> filters;  // each one a ?filter= value
    std::set<int> expected;            // indexes into d
  };
  const std::vector<Case> cases = {
      {{}, {0, 1, 2, 3}},
      {{""}, {0, 1, 2, 3}},
      {{"labels.env==prod"}, {0, 1}},
      {{"labels.\"env\"==prod"}, {0, 1}},
      {{"labels.env==\"prod\""}, {0, 1}},
      {{"labels.env!=prod"}, {2, 3}},  // != holds where the label is missing too
      {{"labels.env"}, {0, 1, 2}},
      {{"labels.tier"}, {1, 2}},
      {{"labels.missing"}, {}},
      {{"labels.tier~=^g[0-9]$"}, {1}},
      {{"labels.tier~=g"}, {1, 2}},
      {{"labels.\"a.b\"==\"x y\""}, {2}},
      {{"labels.env==prod,labels.tier==g1"}, {1}},  // comma: AND
      {{"labels.env==prod , labels.tier"}, {1}},
      {{"labels.env==dev", "labels.tier==g1"}, {1, 2}},  // repeated: OR
      {{"labels.env==nope", "labels.missing"}, {}},
      {{"digest==" + d[3]}, {3}},
      {{"digest!=" + d[3]}, {0, 1, 2}},
      {{"size==20"}, {1}},
      {{"size!=20"}, {0, 2, 3}},
      {{"size==20", "size==40"}, {1, 3}},
      {{"size==20,labels.env==dev"}, {}},
  };
  for (const Case& c : cases) {
    std::string query;
    for (const auto& f : c.filters)
      query += (query.empty() ? "?" : "&") + std::string("filter=") + upstream::url_encode(f);
    std::vector<std::string> expected;
    for (int i : c.expected)
      expected.push_back(d[i]);
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(listed(blobs_url("filtered") + query), expected) << query;
  }

  // Filters and paging together: the page holds matching blobs only.
  std::vector<std::string> prod = {d[0], d[1]};
  std::sort(prod.begin(), prod.end());
  EXPECT_EQ(
      listed(blobs_url("filtered") + "?n=1&filter=" + upstream::url_encode("labels.env==prod")),
      std::vector<std::string>{prod[0]});

  const std::vector<std::string> bad = {
      "labels.env=prod", "labels.env==prod,",     ",labels.env", "labels.env~=(",
      "labels.",         "labels.\"unterminated", "size==abc",   "size==-1",
      "colour==red",     "labels.env==a b",       "==x",         std::string(5000, 'a'),
  };
  for (const auto& f : bad) {
    auto r = c_.request("GET", blobs_url("filtered") + "?filter=" + upstream::url_encode(f));
    EXPECT_EQ(r.status, 400u) << f << " " << r.body;
    EXPECT_NE(error_code(r), "<none>") << f;
  }
}

TEST_F(ExtContent, GetInfoReturnsTheRecordOr404) {
  std::string data = blob_bytes(1234, 7);
  std::string digest = push_blob(c_, "lib/app", data);
  auto r = c_.request("GET", blobs_url("lib/app") + "/" + digest);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  auto j = body_of(r);
  EXPECT_EQ(j["digest"], digest);
  EXPECT_EQ(j["size"], 1234);
  EXPECT_TRUE(j["createdAt"].is_string());
  EXPECT_TRUE(j["updatedAt"].is_string());
  EXPECT_EQ(j["labels"], json::object());
  // RFC 3339 UTC.
  EXPECT_EQ(j["createdAt"].get<std::string>().back(), 'Z');

  auto missing = c_.request("GET", blobs_url("lib/app") + "/" + digest_of("never pushed"));
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(error_code(missing), "BLOB_UNKNOWN");
  auto elsewhere = c_.request("GET", blobs_url("other") + "/" + digest);
  EXPECT_EQ(elsewhere.status, 404u);
  EXPECT_EQ(error_code(elsewhere), "BLOB_UNKNOWN");
  auto bad = c_.request("GET", blobs_url("lib/app") + "/sha256:nothex");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(error_code(bad), "DIGEST_INVALID");
  auto bad_name = c_.request("GET", "/v2/Upper/_content/blobs/" + digest);
  EXPECT_EQ(bad_name.status, 400u);
  EXPECT_EQ(error_code(bad_name), "NAME_INVALID");
}

TEST_F(ExtContent, PatchWithAndWithoutFieldpaths) {
  std::string digest = push_blob(c_, "labelled", blob_bytes(500, 3));
  const std::string url = blobs_url("labelled") + "/" + digest;
  const Labels start = {{"a", "1"}, {"b", "2"}, {"c", "3"}};

  struct Case {
    std::string query;  // appended to the URL
    Labels body;
    Labels expected;
  };
  const std::vector<Case> cases = {
      {"", {{"x", "9"}}, {{"x", "9"}}},  // no fieldpaths: replaced
      {"", {}, {}},
      {"?fieldpaths=labels.a", {{"a", "10"}}, {{"a", "10"}, {"b", "2"}, {"c", "3"}}},
      {"?fieldpaths=labels.a", {}, {{"b", "2"}, {"c", "3"}}},            // listed, absent: removed
      {"?fieldpaths=labels.a", {{"z", "1"}}, {{"b", "2"}, {"c", "3"}}},  // unlisted: ignored
      {"?fieldpaths=labels.d", {{"d", "4"}}, {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}},
      {"?fieldpaths=labels.a,labels.b", {{"a", "10"}, {"z", "1"}}, {{"a", "10"}, {"c", "3"}}},
      {"?fieldpaths=labels.a&fieldpaths=labels.c", {{"a", "x"}}, {{"a", "x"}, {"b", "2"}}},
      {"?fieldpaths=labels", {{"q", "1"}}, {{"q", "1"}}},
      {"?fieldpaths=labels.missing", {}, {{"a", "1"}, {"b", "2"}, {"c", "3"}}},
      {"?fieldpaths=" + upstream::url_encode("labels.k/with:odd=chars"),
       {{"k/with:odd=chars", "v"}},
       {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"k/with:odd=chars", "v"}}},
  };
  for (const Case& c : cases) {
    set_labels("labelled", digest, start);
    auto before = body_of(c_.request("GET", url));
    auto r = c_.request("PATCH", url + c.query, labels_body(c.body).dump());
    ASSERT_EQ(r.status, 200u) << c.query << " " << r.body;
    auto j = body_of(r);
    EXPECT_EQ(labels_in(j["labels"]), c.expected) << c.query;
    EXPECT_EQ(j["digest"], digest);
    EXPECT_EQ(j["size"], 500);
    EXPECT_EQ(j["createdAt"], before["createdAt"]) << "createdAt never changes";
    EXPECT_GE(j["updatedAt"].get<std::string>(), before["updatedAt"].get<std::string>());
    EXPECT_EQ(body_of(c_.request("GET", url)), j) << c.query << ": GET agrees with PATCH";
  }
}

TEST_F(ExtContent, PatchFailures) {
  std::string digest = push_blob(c_, "labelled", blob_bytes(500, 3));
  const std::string url = blobs_url("labelled") + "/" + digest;
  const Labels start = {{"a", "1"}};
  const std::string big_key(4000, 'k');

  struct Case {
    std::string target;
    std::string body;
    unsigned status;
    std::string code;  // empty: any
  };
  const std::vector<Case> cases = {
      {url + "?fieldpaths=size", R"({"labels":{"a":"2"}})", 400, ""},
      {url + "?fieldpaths=digest", R"({"labels":{}})", 400, ""},
      {url + "?fieldpaths=createdAt", R"({"labels":{}})", 400, ""},
      {url + "?fieldpaths=labels.a,size", R"({"labels":{"a":"2"}})", 400, ""},
      {url + "?fieldpaths=labels.", R"({"labels":{}})", 400, ""},
      {url + "?fieldpaths=label.a", R"({"labels":{"a":"2"}})", 400, ""},
      {url, labels_body({{big_key, std::string(97, 'v')}}).dump(), 400, ""},  // 4097 bytes
      {url + "?fieldpaths=labels." + big_key, labels_body({{big_key, std::string(97, 'v')}}).dump(),
       400, ""},
      {url, labels_body({{"", "empty key"}}).dump(), 400, ""},
      {url, "not json", 400, "BODY_INVALID"},
      {url, "[1,2]", 400, "BODY_INVALID"},
      {url, R"({"labels":["a"]})", 400, "BODY_INVALID"},
      {url, R"({"labels":{"a":1}})", 400, "BODY_INVALID"},
      {url, R"({"labels":{"a":null}})", 400, "BODY_INVALID"},
      {url, "{\"labels\":{\"a\":\"" + std::string(2 << 20, 'x') + "\"}}", 413, "BODY_TOO_LARGE"},
      {blobs_url("labelled") + "/" + digest_of("never pushed"), R"({"labels":{}})", 404,
       "BLOB_UNKNOWN"},
      {blobs_url("other") + "/" + digest, R"({"labels":{}})", 404, "BLOB_UNKNOWN"},
      {blobs_url("labelled") + "/sha256:zz", R"({"labels":{}})", 400, "DIGEST_INVALID"},
  };
  for (const Case& c : cases) {
    set_labels("labelled", digest, start);
    auto r = c_.request("PATCH", c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.target.substr(0, 120) << " " << r.body.substr(0, 200);
    if (!c.code.empty()) {
      EXPECT_EQ(error_code(r), c.code) << c.target.substr(0, 120);
    } else {
      EXPECT_NE(error_code(r), "<none>") << c.target.substr(0, 120);
    }
    if (r.status == 413)
      c_.close();  // the server left the rest of the body unread
    EXPECT_EQ(labels_in(body_of(c_.request("GET", url))["labels"]), start)
        << c.target.substr(0, 120) << ": a failed PATCH changes nothing";
  }

  // The limit itself is fine: key plus value of exactly 4096 bytes.
  auto at_limit = c_.request("PATCH", url, labels_body({{big_key, std::string(96, 'v')}}).dump());
  EXPECT_EQ(at_limit.status, 200u) << at_limit.body.substr(0, 200);

  auto method = c_.request("PUT", url, "{}");
  EXPECT_EQ(method.status, 405u);
  EXPECT_EQ(error_code(method), "UNSUPPORTED");
}

// A method the extension route lacks must not fall through to the OCI route of the same shape
// (DELETE/HEAD /v2/{name...}/blobs/{digest} with name "<repo>/_content"): 405, not NAME_INVALID.
TEST_F(ExtContent, MethodsTheExtensionLacksAre405NotOciRoutes) {
  std::string digest = push_blob(c_, "labelled", blob_bytes(10, 3));
  for (const char* method : {"DELETE", "HEAD"}) {
    auto r = c_.request(method, blobs_url("labelled") + "/" + digest);
    EXPECT_EQ(r.status, 405u) << method;
  }
  EXPECT_EQ(c_.request("HEAD", "/v2/labelled/blobs/" + digest).status, 200u);
}

// --- ingests ---

TEST_F(ExtContent, IngestsListGetAndAbort) {
  std::string first = start_ingest("lib/app", blob_bytes(300, 1));
  std::string second = start_ingest("lib/app", "");
  start_ingest("other", blob_bytes(10, 2));

  auto list = c_.request("GET", "/v2/lib/app/_content/ingests");
  ASSERT_EQ(list.status, 200u) << list.body;
  auto j = body_of(list);
  ASSERT_EQ(j["ingests"].size(), 2u) << j.dump();
  std::map<std::string, json> by_ref;
  for (const auto& st : j["ingests"])
    by_ref[st["ref"]] = st;
  ASSERT_TRUE(by_ref.contains(first));
  ASSERT_TRUE(by_ref.contains(second));
  EXPECT_EQ(by_ref[first]["offset"], 300);
  EXPECT_EQ(by_ref[second]["offset"], 0);

  auto get = c_.request("GET", "/v2/lib/app/_content/ingests/" + first);
  ASSERT_EQ(get.status, 200u) << get.body;
  auto st = body_of(get);
  EXPECT_EQ(st["ref"], first);
  EXPECT_EQ(st["offset"], 300);
  EXPECT_TRUE(st.contains("total"));
  EXPECT_FALSE(st.contains("expected")) << "an upload without ?digest= expects nothing yet";
  for (const char* key : {"startedAt", "updatedAt", "expiresAt"})
    EXPECT_TRUE(st[key].is_string()) << key;
  EXPECT_GT(st["expiresAt"].get<std::string>(), st["startedAt"].get<std::string>());
  EXPECT_EQ(st, by_ref[first]) << "list and get render the same status";

  auto del = c_.request("DELETE", "/v2/lib/app/_content/ingests/" + first);
  EXPECT_EQ(del.status, 204u) << del.body;
  auto gone = c_.request("GET", "/v2/lib/app/_content/ingests/" + first);
  EXPECT_EQ(gone.status, 404u);
  EXPECT_EQ(error_code(gone), "BLOB_UPLOAD_UNKNOWN");
  auto again = c_.request("DELETE", "/v2/lib/app/_content/ingests/" + first);
  EXPECT_EQ(again.status, 404u);
  EXPECT_EQ(error_code(again), "BLOB_UPLOAD_UNKNOWN");
  // The upload session is gone with it.
  auto progress = c_.request("GET", "/v2/lib/app/blobs/uploads/" + first);
  EXPECT_EQ(progress.status, 404u);
  EXPECT_EQ(error_code(progress), "BLOB_UPLOAD_UNKNOWN");
  auto patch = c_.request("PATCH", "/v2/lib/app/blobs/uploads/" + first, "more",
                          {{"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(patch.status, 404u);
  EXPECT_EQ(error_code(patch), "BLOB_UPLOAD_UNKNOWN");
  EXPECT_EQ(body_of(c_.request("GET", "/v2/lib/app/_content/ingests"))["ingests"].size(), 1u);

  // Another repository's ingest is not this one's; unknown and malformed refs are 404.
  for (const std::string& target :
       {"/v2/other/_content/ingests/" + second,
        std::string("/v2/lib/app/_content/ingests/no-such-ref"),
        "/v2/lib/app/_content/ingests/" + upstream::url_encode("bad ref")}) {
    auto r = c_.request("GET", target);
    EXPECT_EQ(r.status, 404u) << target;
    EXPECT_EQ(error_code(r), "BLOB_UPLOAD_UNKNOWN") << target;
    auto d = c_.request("DELETE", target);
    EXPECT_EQ(d.status, 404u) << target;
  }
  EXPECT_EQ(body_of(c_.request("GET", "/v2/empty/_content/ingests"))["ingests"], json::array());
  EXPECT_EQ(c_.request("PUT", "/v2/lib/app/_content/ingests/" + second, "x").status, 405u);
}

TEST_F(ExtContent, AnIngestHeldByALeaseHasNoExpiry) {
  auto lease = c_.request("POST", "/v2/lib/app/_leases", R"({"id":"held"})");
  ASSERT_EQ(lease.status, 201u) << lease.body;
  std::string ref = start_ingest("lib/app", "abc", {{"X-Cairn-Lease", "held"}});
  auto st = body_of(c_.request("GET", "/v2/lib/app/_content/ingests/" + ref));
  EXPECT_EQ(st["offset"], 3);
  EXPECT_FALSE(st.contains("expiresAt")) << st.dump();
}

// --- repository labels ---

TEST_F(ExtContent, RepositoryLabels) {
  auto unknown = c_.request("GET", "/v2/never/seen/_labels");
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(error_code(unknown), "NAME_UNKNOWN");

  auto set = c_.request("PATCH", "/v2/team/app/_labels", R"({"labels":{"team":"a","tier":"1"}})");
  ASSERT_EQ(set.status, 200u) << set.body;
  EXPECT_EQ(labels_in(body_of(set)["labels"]), (Labels{{"team", "a"}, {"tier", "1"}}));
  auto get = c_.request("GET", "/v2/team/app/_labels");
  ASSERT_EQ(get.status, 200u);
  EXPECT_EQ(labels_in(body_of(get)["labels"]), (Labels{{"team", "a"}, {"tier", "1"}}));

  struct Case {
    std::string query;
    Labels body;
    Labels expected;
  };
  const Labels start = {{"team", "a"}, {"tier", "1"}};
  const std::vector<Case> cases = {
      {"?fieldpaths=labels.team", {{"team", "b"}}, {{"team", "b"}, {"tier", "1"}}},
      {"?fieldpaths=labels.tier", {}, {{"team", "a"}}},
      {"?fieldpaths=labels.new,labels.team", {{"new", "n"}}, {{"new", "n"}, {"tier", "1"}}},
      {"", {{"only", "this"}}, {{"only", "this"}}},
      {"", {}, {}},
  };
  for (const Case& c : cases) {
    ASSERT_EQ(c_.request("PATCH", "/v2/team/app/_labels", labels_body(start).dump()).status, 200u);
    auto r = c_.request("PATCH", "/v2/team/app/_labels" + c.query, labels_body(c.body).dump());
    ASSERT_EQ(r.status, 200u) << c.query << " " << r.body;
    EXPECT_EQ(labels_in(body_of(r)["labels"]), c.expected) << c.query;
    EXPECT_EQ(labels_in(body_of(c_.request("GET", "/v2/team/app/_labels"))["labels"]), c.expected)
        << c.query;
  }

  // A repository that holds blobs but no labels has an empty set.
  push_blob(c_, "has/blobs", "x");
  auto plain = c_.request("GET", "/v2/has/blobs/_labels");
  EXPECT_EQ(plain.status, 200u) << plain.body;
  EXPECT_EQ(body_of(plain)["labels"], json::object());

  ASSERT_EQ(c_.request("PATCH", "/v2/team/app/_labels", labels_body(start).dump()).status, 200u);
  for (const auto& [query, body] : std::vector<std::pair<std::string, std::string>>{
           {"?fieldpaths=size", R"({"labels":{}})"},
           {"", labels_body({{"k", std::string(4096, 'v')}}).dump()},
           {"", R"({"labels":"x"})"},
           {"", "{"},
       }) {
    auto r = c_.request("PATCH", "/v2/team/app/_labels" + query, body);
    EXPECT_EQ(r.status, 400u) << query << " " << r.body.substr(0, 200);
    EXPECT_NE(error_code(r), "NAME_INVALID") << query << ": the name is fine";
  }
  EXPECT_EQ(labels_in(body_of(c_.request("GET", "/v2/team/app/_labels"))["labels"]), start);
  auto bad_name = c_.request("PATCH", "/v2/Bad/_labels", "{}");
  EXPECT_EQ(bad_name.status, 400u);
  EXPECT_EQ(error_code(bad_name), "NAME_INVALID");
  EXPECT_EQ(c_.request("DELETE", "/v2/team/app/_labels").status, 405u);
}

}  // namespace
}  // namespace cairn::testing

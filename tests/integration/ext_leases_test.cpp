// Leases and GC by hand against the real server: creating, listing (label filters), getting and
// deleting leases (with ?sync=true collecting before the answer), their resources, OCI writes
// carrying X-Cairn-Lease (each write kind adds what it creates; an unknown or expired lease is
// a 4xx and nothing is written), and /_admin/gc. The clock is a ManualClock: no sleeps.
#include "storage/metadata/rfc3339.h"
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"
#include "upstream/url.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace cairn::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

Headers lease_header(const std::string& id) {
  return {{"X-Cairn-Lease", id}};
}

class ExtLeases : public ::testing::Test {
 protected:
  handlers::ServiceOptions options() {
    handlers::ServiceOptions o;
    o.storage.clock = &clock_;
    o.storage.gc.grace = 0ns;      // only references keep a blob
    o.start_gc_scheduler = false;  // collections run when a test asks
    return o;
  }

  ManualClock clock_;  // outlives the server
  TestServer srv_{server::ServerOptions{}, options()};
  HttpClient c_{srv_.port()};

  // Creates a lease in `name` from a JSON body and returns it (checks the 201).
  json create(const std::string& name, const json& body) {
    auto r = c_.request("POST", "/v2/" + name + "/_leases", body.dump());
    EXPECT_EQ(r.status, 201u) << body.dump() << " " << r.body;
    return body_of(r);
  }

  // The lease's resources as "type:id" strings, in the order the server lists them.
  std::vector<std::string> resources(const std::string& name, const std::string& id) {
    auto r = c_.request("GET", "/v2/" + name + "/_leases/" + id + "/resources");
    EXPECT_EQ(r.status, 200u) << r.body;
    std::vector<std::string> out;
    const json j = body_of(r);
    for (const auto& res : j["resources"])
      out.push_back(res["type"].get<std::string>() + ":" + res["id"].get<std::string>());
    return out;
  }

  unsigned blob_status(const std::string& name, const std::string& digest) {
    return c_.request("HEAD", "/v2/" + name + "/blobs/" + digest).status;
  }

  json run_gc() {
    auto r = c_.request("POST", "/_admin/gc");
    EXPECT_EQ(r.status, 200u) << r.body;
    return body_of(r);
  }

  size_t ingest_count(const std::string& name) {
    return body_of(c_.request("GET", "/v2/" + name + "/_content/ingests"))["ingests"].size();
  }
  size_t blob_count(const std::string& name) {
    return body_of(c_.request("GET", "/v2/" + name + "/_content/blobs"))["blobs"].size();
  }
};

// --- the lease resource ---

TEST_F(ExtLeases, CreateReturnsTheLeaseWithItsLocation) {
  auto r = c_.request("POST", "/v2/lib/app/_leases",
                      R"({"id":"build-1","labels":{"owner":"me"},"expire":"1h"})");
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.header("location"), "/v2/lib/app/_leases/build-1");
  EXPECT_EQ(r.header("content-type"), "application/json");
  auto j = body_of(r);
  EXPECT_EQ(j["id"], "build-1");
  EXPECT_EQ(j["createdAt"], metadata::format_rfc3339(clock_.now()));
  EXPECT_EQ(j["expiresAt"], metadata::format_rfc3339(clock_.now() + 1h));
  EXPECT_EQ(j["labels"], json({{"owner", "me"}}));

  auto got = c_.request("GET", "/v2/lib/app/_leases/build-1");
  ASSERT_EQ(got.status, 200u);
  EXPECT_EQ(body_of(got), j);

  // No body at all: a generated id, no expiry, no labels.
  auto bare = c_.request("POST", "/v2/lib/app/_leases");
  ASSERT_EQ(bare.status, 201u) << bare.body;
  auto b = body_of(bare);
  EXPECT_FALSE(b["id"].get<std::string>().empty());
  EXPECT_FALSE(b.contains("expiresAt"));
  EXPECT_EQ(b["labels"], json::object());
  EXPECT_EQ(bare.header("location"), "/v2/lib/app/_leases/" + b["id"].get<std::string>());
  auto other = create("lib/app", json::object());
  EXPECT_NE(other["id"], b["id"]);
}

TEST_F(ExtLeases, ExpireTakesADurationOrAnRfc3339Time) {
  struct Case {
    json expire;
    bool ok;
    std::string expected;  // expiresAt when ok
  };
  const Timestamp now = clock_.now();
  auto at = [](std::string_view t) {
    return metadata::format_rfc3339(*metadata::parse_rfc3339(t));
  };
  const std::vector<Case> cases = {
      {"1h", true, metadata::format_rfc3339(now + 1h)},
      {"90m", true, metadata::format_rfc3339(now + 90min)},
      {"1.5h", true, metadata::format_rfc3339(now + 90min)},
      {"30s", true, metadata::format_rfc3339(now + 30s)},
      {"250ms", true, metadata::format_rfc3339(now + 250ms)},
      {"2030-01-02T03:04:05Z", true, at("2030-01-02T03:04:05Z")},
      {"2030-01-02T05:04:05.5+02:00", true, at("2030-01-02T03:04:05.5Z")},
      {"2000-01-01T00:00:00Z", true, at("2000-01-01T00:00:00Z")},  // already past: allowed
      {nullptr, true, ""},
      {"tomorrow", false, ""},
      {"1y", false, ""},
      {"1d", false, ""},
      {"-1h", false, ""},
      {"", false, ""},
      {"1", false, ""},
      {"h", false, ""},
      {" 1h", false, ""},
      {"nanh", false, ""},
      {"infh", false, ""},
      {"1e300h", false, ""},
      {"1000000000h", false, ""},  // ~114,000 years: past what a timestamp holds
      {"99999999999999999999h", false, ""},
      {"2030-13-01T00:00:00Z", false, ""},
      {"2030-01-01", false, ""},
      {"9999-12-31T23:59:59Z", false, ""},  // past 2262: beyond int64 nanoseconds
      {"0001-01-01T00:00:00Z", false, ""},
      {"2261-12-31T23:59:59Z", true, at("2261-12-31T23:59:59Z")},
      {3600, false, ""},
      {true, false, ""},
      {json::object(), false, ""},
  };
  int n = 0;
  for (const Case& c : cases) {
    std::string id = "e" + std::to_string(n++);
    json body = {{"id", id}, {"expire", c.expire}};
    auto r = c_.request("POST", "/v2/lib/app/_leases", body.dump());
    if (!c.ok) {
      EXPECT_EQ(r.status, 400u) << c.expire.dump() << " " << r.body;
      EXPECT_EQ(error_code(r), "BODY_INVALID") << c.expire.dump();
      EXPECT_EQ(c_.request("GET", "/v2/lib/app/_leases/" + id).status, 404u) << c.expire.dump();
      continue;
    }
    ASSERT_EQ(r.status, 201u) << c.expire.dump() << " " << r.body;
    auto j = body_of(r);
    if (c.expected.empty()) {
      EXPECT_FALSE(j.contains("expiresAt")) << c.expire.dump();
    } else {
      EXPECT_EQ(j["expiresAt"], c.expected) << c.expire.dump();
    }
  }

  // containerd's label gives the expiry too; "expire" wins over it; a bad one is refused.
  auto by_label =
      create("lib/app", {{"labels", {{"containerd.io/gc.expire", "2031-01-01T00:00:00Z"}}}});
  EXPECT_EQ(by_label["expiresAt"], at("2031-01-01T00:00:00Z"));
  auto both =
      create("lib/app",
             {{"expire", "1h"}, {"labels", {{"containerd.io/gc.expire", "2031-01-01T00:00:00Z"}}}});
  EXPECT_EQ(both["expiresAt"], metadata::format_rfc3339(now + 1h));
  auto bad_label =
      c_.request("POST", "/v2/lib/app/_leases", R"({"labels":{"containerd.io/gc.expire":"soon"}})");
  EXPECT_EQ(bad_label.status, 400u);
  auto far_label = c_.request("POST", "/v2/lib/app/_leases",
                              R"({"labels":{"containerd.io/gc.expire":"9999-01-01T00:00:00Z"}})");
  EXPECT_EQ(far_label.status, 400u) << far_label.body;
}

TEST_F(ExtLeases, CreateFailures) {
  create("lib/app", {{"id", "taken"}});
  struct Case {
    std::string body;
    unsigned status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {R"({"id":"taken"})", 409, "LEASE_EXISTS"},
      {R"({"id":"bad id!"})", 400, "LEASE_INVALID"},
      {R"({"id":"-leading-dash"})", 400, "LEASE_INVALID"},
      {R"({"id":")" + std::string(300, 'a') + R"("})", 400, "LEASE_INVALID"},
      {R"({"id":7})", 400, "BODY_INVALID"},
      {R"({"labels":{"a":1}})", 400, "BODY_INVALID"},
      {R"({"labels":[]})", 400, "BODY_INVALID"},
      {R"({"labels":{"k":")" + std::string(4096, 'v') + R"("}})", 400, ""},
      {"[]", 400, "BODY_INVALID"},
      {"{", 400, "BODY_INVALID"},
  };
  for (const Case& c : cases) {
    auto r = c_.request("POST", "/v2/lib/app/_leases", c.body);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 80) << " " << r.body;
    if (!c.code.empty()) {
      EXPECT_EQ(error_code(r), c.code) << c.body.substr(0, 80);
    }
  }
  // The same id in another repository is another lease.
  create("lib/other", {{"id", "taken"}});
  auto bad_name = c_.request("POST", "/v2/Bad/_leases", "{}");
  EXPECT_EQ(bad_name.status, 400u);
  EXPECT_EQ(error_code(bad_name), "NAME_INVALID");
}

TEST_F(ExtLeases, ListFiltersByLabels) {
  create("lib/app", {{"id", "l1"}, {"labels", {{"owner", "me"}, {"team", "a"}}}});
  create("lib/app", {{"id", "l2"}, {"labels", {{"owner", "you"}}}});
  create("lib/app", {{"id", "l3"}});
  create("lib/other", {{"id", "l4"}, {"labels", {{"owner", "me"}}}});

  struct Case {
    std::vector<std::string> filters;
    std::vector<std::string> expected;  // ids in order
  };
  const std::vector<Case> cases = {
      {{}, {"l1", "l2", "l3"}},
      {{"labels.owner==me"}, {"l1"}},
      {{"labels.owner"}, {"l1", "l2"}},
      {{"labels.owner!=me"}, {"l2", "l3"}},
      {{"labels.owner~=^y"}, {"l2"}},
      {{"labels.team==a", "labels.owner==you"}, {"l1", "l2"}},
      {{"labels.owner==me,labels.team==b"}, {}},
      {{"labels.none"}, {}},
  };
  for (const Case& c : cases) {
    std::string query;
    for (const auto& f : c.filters)
      query += (query.empty() ? "?" : "&") + std::string("filter=") + upstream::url_encode(f);
    auto r = c_.request("GET", "/v2/lib/app/_leases" + query);
    ASSERT_EQ(r.status, 200u) << query << " " << r.body;
    std::vector<std::string> ids;
    const json j = body_of(r);
    for (const auto& l : j["leases"])
      ids.push_back(l["id"]);
    EXPECT_EQ(ids, c.expected) << query;
  }
  auto all = body_of(c_.request("GET", "/v2/lib/app/_leases"));
  EXPECT_EQ(all["leases"][0], body_of(c_.request("GET", "/v2/lib/app/_leases/l1")));
  EXPECT_EQ(body_of(c_.request("GET", "/v2/empty/_leases"))["leases"], json::array());

  for (const char* bad : {"labels.owner~=(", "labels.", "labels.owner==a b"}) {
    auto r = c_.request("GET", "/v2/lib/app/_leases?filter=" + upstream::url_encode(bad));
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_EQ(error_code(r), "FILTER_INVALID") << bad;
  }
}

TEST_F(ExtLeases, GetAndDelete) {
  create("lib/app", {{"id", "gone-soon"}});
  EXPECT_EQ(c_.request("GET", "/v2/lib/app/_leases/gone-soon").status, 200u);
  auto elsewhere = c_.request("GET", "/v2/lib/other/_leases/gone-soon");
  EXPECT_EQ(elsewhere.status, 404u);
  EXPECT_EQ(error_code(elsewhere), "LEASE_UNKNOWN");

  auto del = c_.request("DELETE", "/v2/lib/app/_leases/gone-soon");
  EXPECT_EQ(del.status, 204u) << del.body;
  EXPECT_TRUE(del.body.empty());
  for (const char* method : {"GET", "DELETE"}) {
    auto r = c_.request(method, "/v2/lib/app/_leases/gone-soon");
    EXPECT_EQ(r.status, 404u) << method;
    EXPECT_EQ(error_code(r), "LEASE_UNKNOWN") << method;
  }
  auto bad = c_.request("GET", "/v2/lib/app/_leases/" + upstream::url_encode("bad id!"));
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(error_code(bad), "LEASE_INVALID");
  EXPECT_EQ(c_.request("PUT", "/v2/lib/app/_leases/x", "{}").status, 405u);
  EXPECT_EQ(c_.request("PATCH", "/v2/lib/app/_leases", "{}").status, 405u);
  // Deleting without sync collects nothing.
  EXPECT_EQ(c_.request("GET", "/_admin/gc").status, 404u);
}

TEST_F(ExtLeases, ResourcesAddListAndRemove) {
  create("lib/app", {{"id", "held"}});
  std::string d1 = digest_of("one");
  std::string d2 = digest_of("two");
  auto add = [&](const json& r) {
    return c_.request("POST", "/v2/lib/app/_leases/held/resources", r.dump());
  };
  // Resources need not exist yet; adding twice is one resource.
  EXPECT_EQ(add({{"type", "content"}, {"id", d2}}).status, 204u);
  EXPECT_EQ(add({{"type", "ingest"}, {"id", "upload-1"}}).status, 204u);
  EXPECT_EQ(add({{"type", "content"}, {"id", d1}}).status, 204u);
  EXPECT_EQ(add({{"type", "content"}, {"id", d1}}).status, 204u);
  std::vector<std::string> both = {"content:" + std::min(d1, d2), "content:" + std::max(d1, d2),
                                   "ingest:upload-1"};
  EXPECT_EQ(resources("lib/app", "held"), both);

  auto rm = c_.request("DELETE", "/v2/lib/app/_leases/held/resources",
                       json{{"type", "content"}, {"id", d1}}.dump());
  EXPECT_EQ(rm.status, 204u) << rm.body;
  EXPECT_EQ(c_.request("DELETE", "/v2/lib/app/_leases/held/resources",
                       json{{"type", "content"}, {"id", d1}}.dump())
                .status,
            204u)
      << "removing is idempotent";
  EXPECT_EQ(resources("lib/app", "held"),
            (std::vector<std::string>{"content:" + d2, "ingest:upload-1"}));

  struct Case {
    std::string target;
    std::string method;
    std::string body;
    unsigned status;
    std::string code;
  };
  const std::string res = "/v2/lib/app/_leases/held/resources";
  const std::vector<Case> cases = {
      {res, "POST", R"({"type":"blob","id":"x"})", 400, "BODY_INVALID"},
      {res, "POST", R"({"type":"content"})", 400, "BODY_INVALID"},
      {res, "POST", R"({"id":"x"})", 400, "BODY_INVALID"},
      {res, "POST", R"({"type":"content","id":5})", 400, "BODY_INVALID"},
      {res, "POST", "nope", 400, "BODY_INVALID"},
      {res, "POST", R"({"type":"content","id":"sha256:short"})", 400, ""},
      {res, "POST", R"({"type":"ingest","id":"bad ref/.."})", 400, ""},
      {res, "DELETE", R"({"type":"blob","id":"x"})", 400, "BODY_INVALID"},
      {"/v2/lib/app/_leases/none/resources", "POST", json{{"type", "content"}, {"id", d1}}.dump(),
       404, "LEASE_UNKNOWN"},
      {"/v2/lib/app/_leases/none/resources", "DELETE", json{{"type", "content"}, {"id", d1}}.dump(),
       404, "LEASE_UNKNOWN"},
      {"/v2/lib/app/_leases/none/resources", "GET", "", 404, "LEASE_UNKNOWN"},
      {"/v2/lib/other/_leases/held/resources", "GET", "", 404, "LEASE_UNKNOWN"},
      {res, "PUT", "{}", 405, "UNSUPPORTED"},
  };
  for (const Case& c : cases) {
    auto r = c_.request(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << c.body << " " << r.body;
    if (!c.code.empty()) {
      EXPECT_EQ(error_code(r), c.code) << c.method << " " << c.body;
    } else {
      EXPECT_NE(error_code(r), "<none>") << c.method << " " << c.body;
    }
  }
  EXPECT_EQ(resources("lib/app", "held"),
            (std::vector<std::string>{"content:" + d2, "ingest:upload-1"}));
}

// --- garbage collection ---

TEST_F(ExtLeases, AdminGcAnswers404BeforeTheFirstRunThenTheLastFigures) {
  auto before = c_.request("GET", "/_admin/gc");
  EXPECT_EQ(before.status, 404u);
  EXPECT_EQ(error_code(before), "NOT_FOUND");

  push_blob(c_, "lib/app", "garbage");
  auto r = c_.request("POST", "/_admin/gc");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  auto j = body_of(r);
  for (const char* key :
       {"startedAt", "durationMs", "markMs", "pausedMs", "marked", "removedBlobs", "removedFiles",
        "removedBytes", "removedIngests", "removedBackendIngests", "removedLeases"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["startedAt"], metadata::format_rfc3339(clock_.now()));
  EXPECT_EQ(j["removedBlobs"], 1);
  EXPECT_EQ(j["removedFiles"], 1);
  EXPECT_EQ(j["removedBytes"], 7);
  EXPECT_EQ(j["marked"], 0);

  auto last = c_.request("GET", "/_admin/gc");
  ASSERT_EQ(last.status, 200u);
  EXPECT_EQ(body_of(last), j);
  EXPECT_EQ(c_.request("DELETE", "/_admin/gc").status, 405u);
}

TEST_F(ExtLeases, ALeaseHoldsWhatItsWritesCreateUntilDeletedWithSync) {
  create("lib/app", {{"id", "build"}});
  const Headers lease = lease_header("build");

  // (a) one POST with ?digest=
  std::string a = blob_bytes(2000, 1);
  std::string da = digest_of(a);
  auto post = c_.request("POST", "/v2/lib/app/blobs/uploads/?digest=" + da, a, lease);
  ASSERT_EQ(post.status, 201u) << post.body;

  // (b) POST, PATCH, PUT: the ingest is held while it is open, the blob once committed
  std::string b = blob_bytes(3000, 2);
  std::string db = digest_of(b);
  auto start = c_.request("POST", "/v2/lib/app/blobs/uploads/", {}, lease);
  ASSERT_EQ(start.status, 202u) << start.body;
  std::string ref = start.header("docker-upload-uuid");
  EXPECT_EQ(resources("lib/app", "build"),
            (std::vector<std::string>{"content:" + da, "ingest:" + ref}));
  Headers patch_headers = lease;
  patch_headers.emplace_back("Content-Type", "application/octet-stream");
  auto patch = c_.request("PATCH", start.header("location"), b.substr(0, 1000), patch_headers);
  ASSERT_EQ(patch.status, 202u) << patch.body;
  run_gc();  // the leased ingest survives a collection
  EXPECT_EQ(body_of(c_.request("GET", "/v2/lib/app/_content/ingests/" + ref))["offset"], 1000);
  auto put =
      c_.request("PUT", start.header("location") + "?digest=" + db, b.substr(1000), patch_headers);
  ASSERT_EQ(put.status, 201u) << put.body;

  // (c) a mount from another repository
  std::string cbytes = blob_bytes(4000, 3);
  std::string dc = push_blob(c_, "src", cbytes);
  auto mount =
      c_.request("POST", "/v2/lib/app/blobs/uploads/?mount=" + dc + "&from=src", {}, lease);
  ASSERT_EQ(mount.status, 201u) << mount.body;

  // (d) a manifest (its config pushed under the lease as well)
  std::string config = R"({"architecture":"amd64","os":"linux"})";
  std::string dconfig = digest_of(config);
  ASSERT_EQ(
      c_.request("POST", "/v2/lib/app/blobs/uploads/?digest=" + dconfig, config, lease).status,
      201u);
  std::string manifest = image_manifest(
      kOciManifestType, {std::string(kOciConfigType), dconfig, config.size(), {}}, {});
  std::string dm = digest_of(manifest);
  Headers manifest_headers = lease;
  manifest_headers.emplace_back("Content-Type", std::string(kOciManifestType));
  auto mput = c_.request("PUT", "/v2/lib/app/manifests/" + dm, manifest, manifest_headers);
  ASSERT_EQ(mput.status, 201u) << mput.body;

  std::set<std::string> held;
  for (const auto& r : resources("lib/app", "build"))
    held.insert(r);
  for (const auto& d : {da, db, dc, dconfig, dm})
    EXPECT_TRUE(held.contains("content:" + d)) << d;

  // Nothing but the lease (and the manifest, for its config) holds them: all survive a run.
  auto kept = run_gc();
  EXPECT_EQ(kept["removedBlobs"], 1) << "only src's own copy of c goes: " << kept.dump();
  for (const auto& d : {da, db, dc, dconfig, dm})
    EXPECT_EQ(blob_status("lib/app", d), 200u) << d;

  // Deleting the lease with sync collects before it answers.
  auto del = c_.request("DELETE", "/v2/lib/app/_leases/build?sync=true");
  ASSERT_EQ(del.status, 204u) << del.body;
  for (const auto& d : {da, db, dc})
    EXPECT_EQ(blob_status("lib/app", d), 404u) << d;
  EXPECT_EQ(blob_status("lib/app", dconfig), 200u) << "the manifest keeps its config";
  EXPECT_EQ(c_.request("GET", "/v2/lib/app/manifests/" + dm).status, 200u);
  auto last = body_of(c_.request("GET", "/_admin/gc"));
  EXPECT_EQ(last["removedBlobs"], 3) << last.dump();
  EXPECT_EQ(last["removedFiles"], 3) << last.dump();
  EXPECT_EQ(c_.request("GET", "/v2/lib/app/_leases/build").status, 404u);
}

TEST_F(ExtLeases, WithoutSyncTheBlobStaysUntilTheNextCollection) {
  create("lib/app", {{"id", "lazy"}});
  std::string data = blob_bytes(100, 4);
  std::string d = digest_of(data);
  ASSERT_EQ(c_.request("POST", "/v2/lib/app/blobs/uploads/?digest=" + d, data, lease_header("lazy"))
                .status,
            201u);
  ASSERT_EQ(c_.request("DELETE", "/v2/lib/app/_leases/lazy").status, 204u);
  EXPECT_EQ(blob_status("lib/app", d), 200u);
  EXPECT_EQ(c_.request("GET", "/_admin/gc").status, 404u);
  run_gc();
  EXPECT_EQ(blob_status("lib/app", d), 404u);
}

TEST_F(ExtLeases, ExpiredLeasesHoldNothingAndGcRemovesThem) {
  create("lib/app", {{"id", "short"}, {"expire", "1m"}});
  std::string data = blob_bytes(100, 5);
  std::string d = digest_of(data);
  ASSERT_EQ(
      c_.request("POST", "/v2/lib/app/blobs/uploads/?digest=" + d, data, lease_header("short"))
          .status,
      201u);
  auto first = run_gc();
  EXPECT_EQ(first["removedLeases"], 0);
  EXPECT_EQ(blob_status("lib/app", d), 200u);

  clock_.advance(2min);
  EXPECT_EQ(c_.request("GET", "/v2/lib/app/_leases/short").status, 200u) << "listed until GC";
  auto second = run_gc();
  EXPECT_EQ(second["removedLeases"], 1) << second.dump();
  EXPECT_EQ(blob_status("lib/app", d), 404u);
  EXPECT_EQ(c_.request("GET", "/v2/lib/app/_leases/short").status, 404u);
}

// Each OCI write kind with a lease that does not exist (or has expired, or is malformed, or
// belongs to another repository) is refused, and nothing is written.
TEST_F(ExtLeases, WritesWithAnUnusableLeaseAreRefusedAndWriteNothing) {
  create("lib/app", {{"id", "expired"}, {"expire", "1m"}});
  create("lib/app", {{"id", "past"}, {"expire", "2000-01-01T00:00:00Z"}});
  create("lib/other", {{"id", "elsewhere"}});
  clock_.advance(2min);

  std::string src_bytes = blob_bytes(700, 9);
  std::string src = push_blob(c_, "src", src_bytes);
  // A session started without a lease, for PATCH and PUT.
  auto session = c_.request("POST", "/v2/lib/app/blobs/uploads/");
  ASSERT_EQ(session.status, 202u);
  const std::string location = session.header("location");
  const std::string ref = session.header("docker-upload-uuid");
  ASSERT_EQ(ingest_count("lib/app"), 1u);

  struct Lease {
    std::string id;
    unsigned status;
    std::string code;
  };
  const std::vector<Lease> leases = {
      {"nope", 404, "LEASE_UNKNOWN"},    {"expired", 404, "LEASE_UNKNOWN"},
      {"past", 404, "LEASE_UNKNOWN"},    {"elsewhere", 404, "LEASE_UNKNOWN"},
      {"bad id!", 400, "LEASE_INVALID"},
  };
  int n = 0;
  for (const Lease& l : leases) {
    SCOPED_TRACE("lease " + l.id);
    const Headers h = lease_header(l.id);
    Headers octets = h;
    octets.emplace_back("Content-Type", "application/octet-stream");
    std::string data = blob_bytes(64 * 1024, 100 + n++);
    std::string d = digest_of(data);
    auto check = [&](const HttpResult& r, const char* what) {
      EXPECT_EQ(r.status, l.status) << what << " " << r.body;
      EXPECT_EQ(error_code(r), l.code) << what;
      EXPECT_NE(r.body.find(l.id == "bad id!" ? "lease" : l.id), std::string::npos)
          << what << ": the message names the lease: " << r.body;
    };

    check(c_.request("POST", "/v2/lib/app/blobs/uploads/?digest=" + d, data, octets),
          "monolithic POST");
    check(c_.request("POST", "/v2/lib/app/blobs/uploads/", {}, h), "POST");
    check(c_.request("PATCH", location, data, octets), "PATCH");
    check(c_.request("PUT", location + "?digest=" + d, data, octets), "PUT");
    check(c_.request("POST", "/v2/lib/app/blobs/uploads/?mount=" + src + "&from=src", {}, h),
          "mount");
    std::string config = R"({"seed":)" + std::to_string(n) + "}";
    ASSERT_EQ(push_blob(c_, "lib/app", config), digest_of(config));
    std::string manifest = image_manifest(
        kOciManifestType, {std::string(kOciConfigType), digest_of(config), config.size(), {}}, {});
    Headers mh = h;
    mh.emplace_back("Content-Type", std::string(kOciManifestType));
    check(c_.request("PUT", "/v2/lib/app/manifests/v" + std::to_string(n), manifest, mh),
          "manifest PUT");

    EXPECT_EQ(blob_status("lib/app", d), 404u);
    EXPECT_EQ(blob_status("lib/app", src), 404u) << "not mounted";
    EXPECT_EQ(c_.request("HEAD", "/v2/lib/app/manifests/v" + std::to_string(n)).status, 404u);
    EXPECT_EQ(c_.request("HEAD", "/v2/lib/app/manifests/" + digest_of(manifest)).status, 404u);
    EXPECT_EQ(ingest_count("lib/app"), 1u) << "no new ingest";
    EXPECT_EQ(body_of(c_.request("GET", "/v2/lib/app/_content/ingests/" + ref))["offset"], 0)
        << "the session took no bytes";
  }
  // Only the configs pushed without a lease are in the repository.
  EXPECT_EQ(blob_count("lib/app"), leases.size());
  // The session still works without the header.
  std::string tail = "tail";
  auto put = c_.request("PUT", location + "?digest=" + digest_of(tail), tail,
                        {{"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(put.status, 201u) << put.body;
}

}  // namespace
}  // namespace cairn::testing

// The access table: for every route of the route table, each user × repository gets the answer
// the policy says (allowed: neither 401 nor 403; refused: 401 for the anonymous caller, 403 for
// a user). The expected action of each route is written here, independently of the table: a
// route added without an entry here fails, and so does a route whose declared access changes.
#include "tests/support/auth_server.h"
#include "tests/support/http_client.h"
#include "tests/support/oci.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <regex>

namespace cairn::testing {
namespace {

using server::Access;

// What each route requires, by (method, pattern).
const std::map<std::pair<std::string, std::string>, Access> kExpected = {
    {{"GET", "/v2/"}, Access::pull},
    {{"HEAD", "/v2/"}, Access::pull},
    {{"GET", "/healthz"}, Access::open},
    {{"GET", "/readyz"}, Access::open},
    {{"GET", "/metrics"}, Access::open},
    {{"GET", "/_token"}, Access::open},
    {{"POST", "/_token"}, Access::open},
    {{"GET", "/v2/_catalog"}, Access::pull},
    {{"GET", "/v2/{name...}/_content/blobs"}, Access::pull},
    {{"GET", "/v2/{name...}/_content/blobs/{digest}"}, Access::pull},
    {{"PATCH", "/v2/{name...}/_content/blobs/{digest}"}, Access::push},
    {{"GET", "/v2/{name...}/_content/ingests"}, Access::pull},
    {{"GET", "/v2/{name...}/_content/ingests/{ref}"}, Access::pull},
    {{"DELETE", "/v2/{name...}/_content/ingests/{ref}"}, Access::push},
    {{"GET", "/v2/{name...}/_quota"}, Access::pull},
    {{"GET", "/v2/{name...}/_labels"}, Access::pull},
    {{"PATCH", "/v2/{name...}/_labels"}, Access::push},
    {{"POST", "/v2/{name...}/_leases"}, Access::push},
    {{"GET", "/v2/{name...}/_leases"}, Access::pull},
    {{"GET", "/v2/{name...}/_leases/{id}"}, Access::pull},
    {{"DELETE", "/v2/{name...}/_leases/{id}"}, Access::push},
    {{"GET", "/v2/{name...}/_leases/{id}/resources"}, Access::pull},
    {{"POST", "/v2/{name...}/_leases/{id}/resources"}, Access::push},
    {{"DELETE", "/v2/{name...}/_leases/{id}/resources"}, Access::push},
    {{"POST", "/_admin/gc"}, Access::admin},
    {{"GET", "/_admin/gc"}, Access::admin},
    {{"GET", "/_admin/cache"}, Access::admin},
    {{"POST", "/_admin/fsck"}, Access::admin},
    {{"GET", "/_admin/fsck"}, Access::admin},
    {{"GET", "/_admin/du"}, Access::admin},
    {{"POST", "/v2/{name...}/blobs/uploads/"}, Access::push},
    {{"GET", "/v2/{name...}/blobs/uploads/{ref}"}, Access::push},
    {{"PATCH", "/v2/{name...}/blobs/uploads/{ref}"}, Access::push},
    {{"PUT", "/v2/{name...}/blobs/uploads/{ref}"}, Access::push},
    {{"DELETE", "/v2/{name...}/blobs/uploads/{ref}"}, Access::push},
    {{"GET", "/v2/{name...}/blobs/{digest}"}, Access::pull},
    {{"HEAD", "/v2/{name...}/blobs/{digest}"}, Access::pull},
    {{"DELETE", "/v2/{name...}/blobs/{digest}"}, Access::remove},
    {{"PUT", "/v2/{name...}/manifests/{reference}"}, Access::push},
    {{"GET", "/v2/{name...}/manifests/{reference}"}, Access::pull},
    {{"HEAD", "/v2/{name...}/manifests/{reference}"}, Access::pull},
    {{"DELETE", "/v2/{name...}/manifests/{reference}"}, Access::remove},
    {{"GET", "/v2/{name...}/tags/list"}, Access::pull},
    {{"GET", "/v2/{name...}/referrers/{digest}"}, Access::pull},
};

struct User {
  std::string name;  // "" = anonymous
  std::string password;
};

// What kTestPolicy grants: the expectation, written out by hand.
bool allowed(const std::string& user, const std::string& repo, Access a) {
  if (a == Access::open)
    return true;
  if (user == "root")
    return true;
  if (a == Access::admin)
    return false;
  if (repo.empty())  // GET /v2/, the catalog: any identity
    return !user.empty();
  const bool is_public = repo.starts_with("public/");
  const bool is_team = repo.starts_with("team/");
  if (a == Access::pull)
    return is_public || user == "bob" || (user == "alice" && is_team);
  return user == "alice" && is_team;  // push, delete
}

TEST(AuthRoutes, EveryRouteAnswersAsThePolicySays) {
  AuthServer srv;
  HttpClient c(srv.port());
  const auto routes = srv.server().service().router().routes();
  std::set<std::pair<std::string, std::string>> seen;
  const std::string digest = digest_of("x");
  for (const auto& route : routes) {
    const auto key = std::make_pair(route.method, route.pattern);
    seen.insert(key);
    auto it = kExpected.find(key);
    ASSERT_NE(it, kExpected.end())
        << "route " << route.method << " " << route.pattern
        << " has no entry in the access table: add its expected action to kExpected";
    EXPECT_EQ(route.access, it->second) << route.method << " " << route.pattern;
    const bool has_name = route.pattern.find("{name...}") != std::string::npos;
    for (const std::string repo : {"team/app", "public/x", "secret/y"}) {
      if (!has_name && repo != "team/app")
        continue;  // one pass is enough for routes without a repository
      std::string path = route.pattern;
      auto subst = [&](const std::string& param, const std::string& value) {
        if (auto at = path.find(param); at != std::string::npos)
          path.replace(at, param.size(), value);
      };
      subst("{name...}", repo);
      subst("{digest}", digest);
      subst("{reference}", "v1");
      subst("{ref}", "0b4a2c1e-8f7d-4c3b-9a1e-2f6d5c4b3a29");
      subst("{id}", "lease1");
      for (const User& u : {User{"", ""}, User{"alice", "s3cret"}, User{"bob", "hunter2"},
                            User{"carol", "carolpw"}, User{"root", "rootpw"}}) {
        HeaderList creds = u.name.empty() ? HeaderList{} : basic(u.name, u.password);
        auto r = c.request(route.method, path, "", creds);
        const std::string what = (u.name.empty() ? "anonymous" : u.name) + " " + route.method +
                                 " " + path + " -> " + std::to_string(r.status) + " " + r.body;
        if (allowed(u.name, has_name ? repo : "", it->second)) {
          EXPECT_NE(r.status, 401u) << what;
          EXPECT_NE(r.status, 403u) << what;
        } else if (u.name.empty()) {
          EXPECT_EQ(r.status, 401u) << what;
          if (route.method != "HEAD") {
            EXPECT_EQ(error_code(r), "UNAUTHORIZED") << what;
          }
          EXPECT_TRUE(r.header("www-authenticate").starts_with("Bearer realm=")) << what;
        } else {
          EXPECT_EQ(r.status, 403u) << what;
          if (route.method != "HEAD") {
            EXPECT_EQ(error_code(r), "DENIED") << what;
          }
        }
      }
    }
  }
  for (const auto& [key, access] : kExpected)
    EXPECT_TRUE(seen.count(key)) << "stale entry: " << key.first << " " << key.second;
}

}  // namespace
}  // namespace cairn::testing

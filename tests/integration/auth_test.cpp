// Authentication and access against the real server: the Bearer challenge, Basic credentials,
// the token endpoint and its tokens, the policy's 403, the filtered catalog, mounts that must
// not reveal a blob, admin routes, and an external token server's tokens.
#include "auth/jwt.h"
#include "tests/support/auth_server.h"
#include "tests/support/http_client.h"
#include "tests/support/oci.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace cairn::testing {
namespace {

HeaderList with(HeaderList h, std::string name, std::string value) {
  h.emplace_back(std::move(name), std::move(value));
  return h;
}

class Auth : public ::testing::Test {
 protected:
  AuthServer srv_;
  HttpClient c_{srv_.port()};

  // Pushes `data` to `name` as `user`; returns the response.
  HttpResult push(const std::string& name, const std::string& data, const HeaderList& creds) {
    return c_.request("POST", "/v2/" + name + "/blobs/uploads/?digest=" + digest_of(data), data,
                      with(creds, "Content-Type", "application/octet-stream"));
  }
  // A token from GET /_token for `scopes` (credentials may be empty: anonymous).
  std::string token(const HeaderList& creds, const std::string& scopes) {
    auto r = c_.request("GET", "/_token?service=cairn&" + scopes, "", creds);
    EXPECT_EQ(r.status, 200u) << r.body;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains("token"))
      return "";
    EXPECT_EQ(j["token"], j["access_token"]);
    EXPECT_EQ(j["expires_in"], 300);
    EXPECT_TRUE(j["issued_at"].is_string());
    return j["token"];
  }
  std::vector<std::string> catalog(const HeaderList& creds, const std::string& query = "") {
    auto r = c_.request("GET", "/v2/_catalog" + query, "", creds);
    EXPECT_EQ(r.status, 200u) << r.body;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    last_link_ = r.header("link");
    return j.is_discarded() ? std::vector<std::string>{}
                            : j["repositories"].get<std::vector<std::string>>();
  }
  std::string last_link_;
};

TEST_F(Auth, AnonymousPushGets401WithTheBearerChallenge) {
  auto r = push("team/app", "hello", {});
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(error_code(r), "UNAUTHORIZED");
  EXPECT_EQ(r.header("www-authenticate"),
            "Bearer realm=\"http://127.0.0.1/_token\",service=\"cairn\","
            "scope=\"repository:team/app:pull,push\"");
  // Pull routes ask for pull; the version check asks for no scope.
  EXPECT_EQ(c_.request("GET", "/v2/team/app/tags/list").header("www-authenticate"),
            "Bearer realm=\"http://127.0.0.1/_token\",service=\"cairn\","
            "scope=\"repository:team/app:pull\"");
  auto v2 = c_.request("GET", "/v2/");
  EXPECT_EQ(v2.status, 401u);
  EXPECT_EQ(v2.header("www-authenticate"),
            "Bearer realm=\"http://127.0.0.1/_token\",service=\"cairn\"");
  EXPECT_EQ(c_.request("GET", "/v2/", "", basic("alice", "s3cret")).status, 200u);
  // The realm follows the Host the client used; a Host that could break the header does not.
  EXPECT_EQ(
      c_.request("GET", "/v2/", "", {{"Host", "reg.example:5000"}}).header("www-authenticate"),
      "Bearer realm=\"http://reg.example:5000/_token\",service=\"cairn\"");
  EXPECT_EQ(c_.request("GET", "/v2/", "", {{"Host", "a\",b"}}).header("www-authenticate"),
            "Bearer realm=\"http://localhost/_token\",service=\"cairn\"");
  // Open routes need nothing.
  EXPECT_EQ(c_.request("GET", "/healthz").status, 200u);
}

TEST_F(Auth, BasicCredentialsStraightToTheApi) {
  const std::string data = blob_bytes(1000);
  auto r = push("team/app", data, basic("alice", "s3cret"));
  EXPECT_EQ(r.status, 201u) << r.body;
  auto g = c_.request("GET", "/v2/team/app/blobs/" + digest_of(data), "", basic("alice", "s3cret"));
  EXPECT_EQ(g.status, 200u);
  EXPECT_EQ(g.body, data);
  // Again: the verified pair is remembered (the answer is the same).
  EXPECT_EQ(
      c_.request("HEAD", "/v2/team/app/blobs/" + digest_of(data), "", basic("alice", "s3cret"))
          .status,
      200u);
}

TEST_F(Auth, WrongCredentialsAre401) {
  for (const auto& creds :
       {basic("alice", "wrong"), basic("alice", ""), basic("nobody", "s3cret"),
        HeaderList{{"Authorization", "Basic !!!"}}, HeaderList{{"Authorization", "Digest x"}},
        HeaderList{{"Authorization", "Bearer not.a.token"}}}) {
    auto r = c_.request("GET", "/v2/team/app/tags/list", "", creds);
    EXPECT_EQ(r.status, 401u) << creds[0].second;
    EXPECT_EQ(error_code(r), "UNAUTHORIZED");
    EXPECT_TRUE(r.header("www-authenticate").starts_with("Bearer realm="));
  }
  // Even where anonymous callers may read.
  EXPECT_EQ(c_.request("GET", "/v2/public/x/tags/list", "", basic("alice", "wrong")).status, 401u);
}

TEST_F(Auth, UserWithoutPushIsDeniedAndNothingIsWritten) {
  const std::string data = blob_bytes(700, 3);
  auto r = push("team/app", data, basic("bob", "hunter2"));
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(error_code(r), "DENIED");
  EXPECT_EQ(c_.request("POST", "/v2/team/app/blobs/uploads/", "", basic("bob", "hunter2")).status,
            403u);
  EXPECT_EQ(c_.request("PUT", "/v2/team/app/manifests/v1", "{}",
                       with(basic("bob", "hunter2"), "Content-Type", std::string(kOciManifestType)))
                .status,
            403u);
  // carol is a user the policy names nowhere.
  EXPECT_EQ(push("team/app", data, basic("carol", "carolpw")).status, 403u);
  // Nothing reached storage: no blob, no repository, no ingest.
  EXPECT_EQ(c_.request("HEAD", "/v2/team/app/blobs/" + digest_of(data), "", basic("root", "rootpw"))
                .status,
            404u);
  EXPECT_TRUE(catalog(basic("root", "rootpw")).empty());
  auto ingests = c_.request("GET", "/v2/team/app/_content/ingests", "", basic("root", "rootpw"));
  EXPECT_EQ(ingests.body.find("ref"), std::string::npos) << ingests.body;
  // bob may pull, alice may delete in team/**, bob may not.
  ASSERT_EQ(push("team/app", data, basic("alice", "s3cret")).status, 201u);
  EXPECT_EQ(c_.request("GET", "/v2/team/app/blobs/" + digest_of(data), "", basic("bob", "hunter2"))
                .status,
            200u);
  EXPECT_EQ(
      c_.request("DELETE", "/v2/team/app/blobs/" + digest_of(data), "", basic("bob", "hunter2"))
          .status,
      403u);
  EXPECT_EQ(
      c_.request("DELETE", "/v2/team/app/blobs/" + digest_of(data), "", basic("alice", "s3cret"))
          .status,
      202u);
}

TEST_F(Auth, TokenFlow) {
  // Basic credentials at /_token, then the token on the API.
  std::string t = token(basic("alice", "s3cret"), "scope=repository:team/app:pull,push");
  ASSERT_FALSE(t.empty());
  auto claims = auth::parse_jwt(t).value().claims;
  EXPECT_EQ(claims.subject, "alice");
  ASSERT_EQ(claims.access.size(), 1u);
  EXPECT_EQ(claims.access[0].actions, (std::vector<std::string>{"pull", "push"}));
  const std::string data = blob_bytes(300, 4);
  EXPECT_EQ(push("team/app", data, bearer(t)).status, 201u);
  EXPECT_EQ(c_.request("GET", "/v2/team/app/blobs/" + digest_of(data), "", bearer(t)).status, 200u);
  EXPECT_EQ(c_.request("GET", "/v2/", "", bearer(t)).status, 200u);

  // A pull-only token on a push: the policy would allow it, so the client is told to fetch a
  // better token (401 insufficient_scope).
  std::string pull_only = token(basic("alice", "s3cret"), "scope=repository:team/app:pull");
  auto r = push("team/app", blob_bytes(10, 5), bearer(pull_only));
  EXPECT_EQ(r.status, 401u);
  EXPECT_NE(r.header("www-authenticate").find("error=\"insufficient_scope\""), std::string::npos)
      << r.header("www-authenticate");

  // Asking for more than the policy grants: the token carries the intersection, and a push the
  // policy refuses is 403.
  std::string bobs = token(basic("bob", "hunter2"),
                           "scope=repository:team/app:pull,push&scope=repository:x:delete");
  claims = auth::parse_jwt(bobs).value().claims;
  ASSERT_EQ(claims.access.size(), 1u);
  EXPECT_EQ(claims.access[0].name, "team/app");
  EXPECT_EQ(claims.access[0].actions, (std::vector<std::string>{"pull"}));
  r = push("team/app", blob_bytes(10, 6), bearer(bobs));
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(error_code(r), "DENIED");

  // Anonymous tokens: what the anonymous rules give, nothing else.
  std::string anon = token({}, "scope=repository:public/x:pull%20repository:team/app:pull");
  claims = auth::parse_jwt(anon).value().claims;
  EXPECT_EQ(claims.subject, "");
  ASSERT_EQ(claims.access.size(), 1u);
  EXPECT_EQ(claims.access[0].name, "public/x");
  EXPECT_EQ(c_.request("GET", "/v2/public/x/tags/list", "", bearer(anon)).status, 404u);
  EXPECT_EQ(c_.request("GET", "/v2/team/app/tags/list", "", bearer(anon)).status, 401u);

  // Wrong credentials at the token endpoint.
  EXPECT_EQ(c_.request("GET", "/_token?scope=repository:team/app:pull", "", basic("alice", "nope"))
                .status,
            401u);
}

TEST_F(Auth, TokenByPostForm) {
  auto r = c_.request("POST", "/_token",
                      "grant_type=password&username=alice&password=s3cret&service=cairn"
                      "&client_id=containerd&scope=repository%3Ateam%2Fapp%3Apull%2Cpush",
                      {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(r.status, 200u) << r.body;
  auto j = nlohmann::json::parse(r.body);
  auto claims = auth::parse_jwt(j["access_token"].get<std::string>()).value().claims;
  EXPECT_EQ(claims.subject, "alice");
  ASSERT_EQ(claims.access.size(), 1u);
  EXPECT_EQ(claims.access[0].actions, (std::vector<std::string>{"pull", "push"}));
  EXPECT_EQ(push("team/app", "x", bearer(j["access_token"])).status, 201u);

  EXPECT_EQ(c_.request("POST", "/_token", "grant_type=password&username=alice&password=bad",
                       {{"Content-Type", "application/x-www-form-urlencoded"}})
                .status,
            401u);
  auto refresh = c_.request("POST", "/_token", "grant_type=refresh_token&refresh_token=x",
                            {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(refresh.status, 400u);
  EXPECT_NE(refresh.body.find("unsupported_grant_type"), std::string::npos);
}

TEST_F(Auth, ExpiredTamperedAndForeignTokensAre401) {
  const auth::SigningKey& key = *srv_.auth().signing_key();
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auth::Claims c;
  c.issuer = "cairn";
  c.subject = "alice";
  c.audience = {"cairn"};
  c.expires = now + 300;
  c.access = {{"repository", "team/app", {"pull"}}};
  std::string good = auth::sign_jwt(key, c).value();
  EXPECT_EQ(c_.request("GET", "/v2/team/app/tags/list", "", bearer(good)).status, 404u);

  auto expect_invalid = [&](const std::string& token, const char* what) {
    auto r = c_.request("GET", "/v2/team/app/tags/list", "", bearer(token));
    EXPECT_EQ(r.status, 401u) << what;
    EXPECT_NE(r.header("www-authenticate").find("error=\"invalid_token\""), std::string::npos)
        << what << ": " << r.header("www-authenticate");
  };
  auth::Claims expired = c;
  expired.expires = now - 120;
  expect_invalid(auth::sign_jwt(key, expired).value(), "expired");
  auth::Claims wrong_aud = c;
  wrong_aud.audience = {"elsewhere"};
  expect_invalid(auth::sign_jwt(key, wrong_aud).value(), "audience");
  auth::Claims wrong_iss = c;
  wrong_iss.issuer = "mallory";
  expect_invalid(auth::sign_jwt(key, wrong_iss).value(), "issuer");
  std::string tampered = good;
  tampered[tampered.find('.') + 5] ^= 1;
  expect_invalid(tampered, "tampered");
  expect_invalid(auth::sign_jwt(auth::SigningKey::generate().value(), c).value(), "foreign key");
}

TEST_F(Auth, CatalogListsOnlyWhatTheCallerMayPull) {
  for (const char* repo : {"other/z", "public/x", "team/app", "team/b", "zz/top"})
    ASSERT_EQ(push(repo, repo, basic("root", "rootpw")).status, 201u);
  EXPECT_EQ(catalog(basic("alice", "s3cret")),
            (std::vector<std::string>{"public/x", "team/app", "team/b"}));
  EXPECT_EQ(catalog(basic("bob", "hunter2")).size(), 5u);
  EXPECT_EQ(catalog(basic("carol", "carolpw")), (std::vector<std::string>{"public/x"}));
  EXPECT_EQ(c_.request("GET", "/v2/_catalog").status, 401u);
  EXPECT_EQ(c_.request("GET", "/v2/_catalog").header("www-authenticate"),
            "Bearer realm=\"http://127.0.0.1/_token\",service=\"cairn\","
            "scope=\"registry:catalog:*\"");
  // Pages of visible names only: n=2 gives two, then the rest.
  EXPECT_EQ(catalog(basic("alice", "s3cret"), "?n=2"),
            (std::vector<std::string>{"public/x", "team/app"}));
  EXPECT_FALSE(last_link_.empty());
  EXPECT_EQ(catalog(basic("alice", "s3cret"), "?n=2&last=team/app"),
            (std::vector<std::string>{"team/b"}));
  // An anonymous token for the catalog sees the anonymous part.
  std::string anon = token({}, "scope=registry:catalog:*");
  EXPECT_EQ(catalog(bearer(anon)), (std::vector<std::string>{"public/x"}));
  // alice's own token: the policy decides what she sees.
  std::string alices = token(basic("alice", "s3cret"), "scope=registry:catalog:*");
  EXPECT_EQ(catalog(bearer(alices)).size(), 3u);
}

// A caller who may list few of many repositories gets bounded pages: each visits at most
// max_catalog_visits names, and its Link resumes after the last one visited, shown or not.
TEST(AuthCatalog, APageVisitsABoundedNumberOfHiddenRepositories) {
  handlers::ServiceOptions service;
  service.api.max_catalog_visits = 2;
  AuthServer srv(AuthServer::default_options(), service);
  HttpClient c(srv.port());
  for (const char* repo : {"other/a", "other/b", "other/c", "other/d", "public/x"}) {
    ASSERT_EQ(
        c.request("POST", std::string("/v2/") + repo + "/blobs/uploads/?digest=" + digest_of(repo),
                  repo, with(basic("root", "rootpw"), "Content-Type", "application/octet-stream"))
            .status,
        201u);
  }
  std::vector<std::string> seen;
  std::string next = "/v2/_catalog?n=1";
  std::vector<std::string> pages;
  while (!next.empty()) {
    ASSERT_LT(pages.size(), 10u);
    auto r = c.request("GET", next, "", basic("carol", "carolpw"));
    ASSERT_EQ(r.status, 200u) << r.body;
    auto names = nlohmann::json::parse(r.body)["repositories"].get<std::vector<std::string>>();
    seen.insert(seen.end(), names.begin(), names.end());
    pages.push_back(r.header("link"));
    const std::string link = r.header("link");
    next = link.empty() ? "" : link.substr(1, link.find('>') - 1);
  }
  EXPECT_EQ(seen, std::vector<std::string>{"public/x"});
  // The first page stopped after two hidden names, without one to show.
  ASSERT_GE(pages.size(), 3u);
  EXPECT_EQ(pages[0], "</v2/_catalog?n=1&last=other%2Fb>; rel=\"next\"");
}

TEST_F(Auth, MountsNeverRevealABlobTheCallerMayNotPull) {
  const std::string secret = blob_bytes(2000, 9);
  const std::string d = digest_of(secret);
  ASSERT_EQ(push("secret/a", secret, basic("root", "rootpw")).status, 201u);
  // Explicit mount from a repository alice may not pull: a session, no 201.
  auto r = c_.request("POST", "/v2/team/app/blobs/uploads/?mount=" + d + "&from=secret/a", "",
                      basic("alice", "s3cret"));
  EXPECT_EQ(r.status, 202u) << r.body;
  // Automatic mount (no from), under the shared content policy: a session too.
  r = c_.request("POST", "/v2/team/app/blobs/uploads/?mount=" + d, "", basic("alice", "s3cret"));
  EXPECT_EQ(r.status, 202u) << r.body;
  // A monolithic push naming the digest without its bytes is not linked either.
  r = c_.request("POST", "/v2/team/app/blobs/uploads/?digest=" + d, "not the bytes",
                 {{"Authorization", basic("alice", "s3cret")[0].second},
                  {"Content-Type", "application/octet-stream"}});
  EXPECT_NE(r.status, 201u) << r.body;
  EXPECT_EQ(c_.request("GET", "/v2/team/app/blobs/" + d, "", basic("alice", "s3cret")).status,
            404u);
  // With the bytes the push works.
  EXPECT_EQ(push("team/app", secret, basic("alice", "s3cret")).status, 201u);
  // A mount from a repository alice may pull, which holds the blob: 201.
  r = c_.request("POST", "/v2/team/other/blobs/uploads/?mount=" + d + "&from=team/app", "",
                 basic("alice", "s3cret"));
  EXPECT_EQ(r.status, 201u) << r.body;
  // From a readable repository that does not hold it: a session (not the shared backend).
  const std::string other = blob_bytes(100, 10);
  ASSERT_EQ(push("secret/b", other, basic("root", "rootpw")).status, 201u);
  r = c_.request("POST", "/v2/team/app/blobs/uploads/?mount=" + digest_of(other) + "&from=team/b",
                 "", basic("alice", "s3cret"));
  EXPECT_EQ(r.status, 202u) << r.body;
  // The admin pulls everywhere: the automatic mount works for root.
  r = c_.request("POST", "/v2/mine/blobs/uploads/?mount=" + d, "", basic("root", "rootpw"));
  EXPECT_EQ(r.status, 201u) << r.body;
}

TEST_F(Auth, AdminRoutes) {
  EXPECT_EQ(c_.request("GET", "/_admin/gc").status, 401u);
  auto r = c_.request("GET", "/_admin/gc", "", basic("alice", "s3cret"));
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(error_code(r), "DENIED");
  EXPECT_EQ(c_.request("POST", "/_admin/gc", "", basic("bob", "hunter2")).status, 403u);
  EXPECT_NE(c_.request("GET", "/_admin/gc", "", basic("root", "rootpw")).status, 403u);
  EXPECT_EQ(c_.request("POST", "/_admin/gc", "", basic("root", "rootpw")).status, 200u);
}

TEST(AuthCache, PullThroughNamesObeyThePolicyAsTheClientWroteThem) {
  handlers::ServiceOptions service;
  upstream::Endpoint ep;
  ep.host = "docker.io";
  ep.url = "http://127.0.0.1:9";  // nothing listens: an allowed request fails upstream (5xx)
  service.cache.upstreams = {ep};
  AuthServer srv(AuthServer::default_options(), service);
  HttpClient c(srv.port());
  // ?ns= (containerd's mirrors): the name is the client's, library/alpine.
  auto r = c.request("GET", "/v2/library/alpine/manifests/latest?ns=docker.io", "",
                     basic("alice", "s3cret"));
  EXPECT_EQ(r.status, 403u) << r.body;
  r = c.request("GET", "/v2/library/alpine/manifests/latest?ns=docker.io", "",
                basic("bob", "hunter2"));
  EXPECT_NE(r.status, 403u);
  EXPECT_NE(r.status, 401u);
  // A host as the first component: the name includes it.
  r = c.request("GET", "/v2/docker.io/library/alpine/manifests/latest");
  EXPECT_EQ(r.status, 401u);
  EXPECT_NE(r.header("www-authenticate").find("scope=\"repository:docker.io/library/alpine:pull\""),
            std::string::npos)
      << r.header("www-authenticate");
  EXPECT_EQ(c.request("GET", "/v2/docker.io/library/alpine/manifests/latest", "",
                      basic("alice", "s3cret"))
                .status,
            403u);
  // The cache's figures are an admin route.
  EXPECT_EQ(c.request("GET", "/_admin/cache", "", basic("bob", "hunter2")).status, 403u);
  EXPECT_EQ(c.request("GET", "/_admin/cache", "", basic("root", "rootpw")).status, 200u);
}

TEST(AuthDefaults, WithoutAPolicyUsersDoEverythingAndAnonymousNothing) {
  handlers::AuthOptions o;
  o.htpasswd = "default";
  AuthServer srv(o);
  HttpClient c(srv.port());
  EXPECT_EQ(c.request("GET", "/v2/x/tags/list").status, 401u);
  EXPECT_EQ(c.request("POST", "/v2/any/thing/blobs/uploads/?digest=" + digest_of("a"), "a",
                      basic("carol", "carolpw"))
                .status,
            201u);
  EXPECT_EQ(c.request("POST", "/_admin/gc", "", basic("carol", "carolpw")).status, 200u);
}

TEST(AuthTokenKey, WrittenOnceAndKeptAcrossRestarts) {
  TempDir dir;
  handlers::AuthOptions o = AuthServer::default_options();
  o.token_key = (dir / "token.pem").string();
  std::string token;
  {
    AuthServer srv(o);
    HttpClient c(srv.port());
    auto r =
        c.request("GET", "/_token?scope=repository:team/app:pull", "", basic("alice", "s3cret"));
    ASSERT_EQ(r.status, 200u);
    token = nlohmann::json::parse(r.body)["token"];
  }
  ASSERT_TRUE(std::filesystem::exists(o.token_key));
  AuthServer again(o);
  HttpClient c(again.port());
  EXPECT_EQ(c.request("GET", "/v2/team/app/tags/list", "", bearer(token)).status, 404u);
}

TEST(AuthExternal, VerifiesTheTokenServersTokensOnly) {
  TempDir dir;
  auto key = auth::SigningKey::generate().value();
  handlers::AuthOptions o;
  o.token_realm = "https://auth.example.com/token";
  o.token_issuer = "auth.example.com";
  o.token_service = "registry.example.com";
  o.token_public_key = (dir / "jwks.json").string();
  std::ofstream(o.token_public_key) << R"({"keys":[)" << key.public_jwk() << "]}";
  AuthServer srv(o);
  HttpClient c(srv.port());

  auto r = c.request("GET", "/v2/team/app/tags/list");
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.header("www-authenticate"),
            "Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\","
            "scope=\"repository:team/app:pull\"");
  // cairn issues no tokens in this mode.
  EXPECT_EQ(c.request("GET", "/_token?scope=repository:team/app:pull").status, 404u);

  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auth::Claims claims;
  claims.issuer = "auth.example.com";
  claims.subject = "someone";
  claims.audience = {"other", "registry.example.com"};
  claims.expires = now + 60;
  claims.not_before = now;
  claims.access = {{"repository", "team/app", {"pull", "push"}}};
  std::string t = auth::sign_jwt(key, claims).value();
  EXPECT_EQ(c.request("GET", "/v2/team/app/tags/list", "", bearer(t)).status, 404u);
  EXPECT_EQ(c.request("POST", "/v2/team/app/blobs/uploads/?digest=" + digest_of("z"), "z",
                      with(bearer(t), "Content-Type", "application/octet-stream"))
                .status,
            201u);
  // Outside the access claim: 401 insufficient_scope (the token server decides, not cairn).
  r = c.request("GET", "/v2/team/other/tags/list", "", bearer(t));
  EXPECT_EQ(r.status, 401u);
  EXPECT_NE(r.header("www-authenticate").find("insufficient_scope"), std::string::npos);
  EXPECT_EQ(c.request("DELETE", "/v2/team/app/blobs/" + digest_of("z"), "", bearer(t)).status,
            401u);
  // Another issuer, or a key the JWKS does not hold.
  auth::Claims other = claims;
  other.issuer = "cairn";
  EXPECT_EQ(
      c.request("GET", "/v2/team/app/tags/list", "", bearer(auth::sign_jwt(key, other).value()))
          .status,
      401u);
  EXPECT_EQ(c.request("GET", "/v2/team/app/tags/list", "",
                      bearer(auth::sign_jwt(auth::SigningKey::generate().value(), claims).value()))
                .status,
            401u);
  // No admin right through an external token.
  EXPECT_EQ(c.request("GET", "/_admin/gc", "", bearer(t)).status, 403u);
}

TEST(AuthStartup, BadFilesAreClearErrors) {
  TempDir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream((dir / name)) << text;
    return (dir / name).string();
  };
  handlers::AuthOptions md5;
  md5.htpasswd = write("md5", "alice:$apr1$abc$def\n");
  auto r = handlers::Auth::open(md5);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("line 1 (user alice)"), std::string::npos) << r.error().detail;

  handlers::AuthOptions policy;
  policy.policy = write("p.json", R"({"rules": [{"users": ["a"], "repositories": ["A"],
                                                 "actions": ["pull"]}]})");
  r = handlers::Auth::open(policy);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("invalid repository glob"), std::string::npos);

  handlers::AuthOptions key;
  key.policy = write("ok.json", "{}");
  key.token_key = write("key.pem", "not a key");
  r = handlers::Auth::open(key);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("--token-key"), std::string::npos);

  handlers::AuthOptions realm_only;
  realm_only.token_realm = "https://x/token";
  EXPECT_FALSE(handlers::Auth::open(realm_only));
}

}  // namespace
}  // namespace cairn::testing

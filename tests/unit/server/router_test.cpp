#include "server/router.h"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace cairn::server {
namespace {

boost::asio::awaitable<Response> noop(Request&) {
  co_return Response{};
}

struct Case {
  std::string method;
  std::string path;
  std::string want_pattern;  // "" = no route; "405" = path known, method not
  std::vector<std::pair<std::string, std::string>> want_params;
};

class RouterTest : public ::testing::TestWithParam<Case> {
 protected:
  RouterTest() {
    for (const char* p : {"/v2/", "/v2/_catalog", "/v2/{name...}/blobs/uploads/",
                          "/v2/{name...}/blobs/uploads/{ref}", "/v2/{name...}/blobs/{digest}",
                          "/v2/{name...}/manifests/{reference}", "/v2/{name...}/tags/list"}) {
      router_.add("GET", p, Access::pull, noop);
      patterns_.push_back(p);
    }
    router_.add("POST", "/v2/{name...}/blobs/uploads/", Access::push, noop);
  }
  Router router_;
  std::vector<std::string> patterns_;
};

TEST_P(RouterTest, Matches) {
  const Case& c = GetParam();
  auto m = router_.match(c.method, c.path);
  if (c.want_pattern.empty()) {
    EXPECT_EQ(m.handler, nullptr);
    EXPECT_TRUE(m.allowed.empty());
    return;
  }
  if (c.want_pattern == "405") {
    EXPECT_EQ(m.handler, nullptr);
    EXPECT_FALSE(m.allowed.empty());
    return;
  }
  ASSERT_NE(m.handler, nullptr) << c.path;
  EXPECT_EQ(m.params, c.want_params);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RouterTest,
    ::testing::Values(
        Case{"GET", "/v2/", "/v2/", {}}, Case{"GET", "/v2", "", {}},
        Case{"GET", "/v2/_catalog", "/v2/_catalog", {}},
        Case{"GET",
             "/v2/alpine/blobs/sha256:ab",
             "b",
             {{"name", "alpine"}, {"digest", "sha256:ab"}}},
        Case{"GET",
             "/v2/library/alpine/blobs/x",
             "b",
             {{"name", "library/alpine"}, {"digest", "x"}}},
        // Names may contain the words the router keys on: match from the right.
        Case{"GET", "/v2/a/blobs/b/blobs/x", "b", {{"name", "a/blobs/b"}, {"digest", "x"}}},
        Case{"GET", "/v2/a/manifests/blobs/d", "b", {{"name", "a/manifests"}, {"digest", "d"}}},
        Case{"GET", "/v2/a/blobs/uploads/", "u", {{"name", "a"}}},
        Case{"GET", "/v2/a/b/blobs/uploads/r1", "u", {{"name", "a/b"}, {"ref", "r1"}}},
        Case{"GET", "/v2/a/manifests/latest", "m", {{"name", "a"}, {"reference", "latest"}}},
        Case{"GET", "/v2/a/tags/list", "t", {{"name", "a"}}},
        Case{"GET", "/v2/a//b/tags/list", "", {}}, Case{"GET", "/v2/tags/list", "", {}},
        Case{"GET", "/v2/a/blobs/", "", {}}, Case{"DELETE", "/v2/", "405", {}},
        Case{"PUT", "/v2/a/blobs/uploads/", "405", {}}, Case{"GET", "/nope", "", {}}));

TEST(Router, FirstMatchingPatternOwnsThePath) {
  Router r;
  r.add("GET", "/v2/{name...}/_content/blobs/{digest}", Access::pull, noop);
  r.add("PATCH", "/v2/{name...}/_content/blobs/{digest}", Access::pull, noop);
  r.add("DELETE", "/v2/{name...}/blobs/{digest}", Access::pull, noop);
  // DELETE matches the looser OCI pattern too (name "a/_content"), but the extension owns it.
  auto m = r.match("DELETE", "/v2/a/_content/blobs/sha256:x");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "PATCH"}));
  EXPECT_NE(r.match("DELETE", "/v2/a/blobs/sha256:x").handler, nullptr);
}

TEST(Router, RejectsTwoRestParameters) {
  Router r;
  EXPECT_THROW(r.add("GET", "/{a...}/x/{b...}", Access::pull, noop), std::invalid_argument);
}

TEST(Router, ListsRoutesInOrder) {
  Router r;
  r.add("GET", "/v2/", Access::pull, noop);
  r.add("HEAD", "/v2/", Access::pull, noop);
  auto routes = r.routes();
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[1].method, "HEAD");
  EXPECT_EQ(routes[1].pattern, "/v2/");
}

TEST(Router, RoutesCarryTheirAccess) {
  Router r;
  r.add("GET", "/v2/{name...}/blobs/{digest}", Access::pull, noop);
  r.add("DELETE", "/v2/{name...}/blobs/{digest}", Access::remove, noop);
  r.add("POST", "/_admin/gc", Access::admin, noop);
  EXPECT_EQ(r.match("DELETE", "/v2/a/blobs/x").access, Access::remove);
  EXPECT_EQ(r.match("GET", "/v2/a/blobs/x").access, Access::pull);
  EXPECT_EQ(r.routes()[2].access, Access::admin);
  EXPECT_EQ(access_name(Access::remove), "delete");
}

// Runs one request through `r` and returns the response.
Response run_dispatch(const Router& r, Request& req) {
  boost::asio::io_context io;
  Response out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out = co_await r.dispatch(req); },
      boost::asio::detached);
  io.run();
  return out;
}

TEST(Router, GuardRunsAfterMatchingAndBeforeTheHandler) {
  Router r;
  int handled = 0;
  r.add("PUT", "/v2/{name...}/manifests/{reference}", Access::push,
        [&](Request&) -> boost::asio::awaitable<Response> {
          ++handled;
          co_return Response{};
        });
  std::vector<std::pair<std::string, Access>> seen;
  r.set_guard([&](Request& req, Access a) -> boost::asio::awaitable<std::optional<Response>> {
    seen.emplace_back(std::string(req.param("name")), a);
    if (req.param("name") == "locked") {
      Response no;
      no.status = 403;
      co_return no;
    }
    co_return std::nullopt;
  });
  r.set_not_found([](Request&) -> boost::asio::awaitable<Response> {
    Response res;
    res.status = 404;
    co_return res;
  });
  auto request = [](std::string method, std::string path) {
    Request req;
    req.method = std::move(method);
    req.path = std::move(path);
    return req;
  };
  Request ok = request("PUT", "/v2/team/app/manifests/v1");
  EXPECT_EQ(run_dispatch(r, ok).status, 200u);
  EXPECT_EQ(handled, 1);
  Request locked = request("PUT", "/v2/locked/manifests/v1");
  EXPECT_EQ(run_dispatch(r, locked).status, 403u);
  EXPECT_EQ(handled, 1);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (std::pair<std::string, Access>{"team/app", Access::push}));
  // Unmatched paths go to the fallback without the guard.
  Request none = request("GET", "/nope");
  EXPECT_EQ(run_dispatch(r, none).status, 404u);
  EXPECT_EQ(seen.size(), 2u);
}

TEST(PercentDecode, Cases) {
  EXPECT_EQ(percent_decode("a%2Fb"), "a/b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("%4"), std::nullopt);
  EXPECT_EQ(percent_decode("%zz"), std::nullopt);
  EXPECT_EQ(percent_decode("%00"), std::nullopt);
}

TEST(RequestQuery, ValuesInOrder) {
  Request req;
  req.query = "n=10&last=b%2Fc&filter=a&filter=labels.x%3D%3Dy&flag";
  EXPECT_EQ(req.query_value("n"), "10");
  EXPECT_EQ(req.query_value("last"), "b/c");
  EXPECT_EQ(req.query_values("filter"), (std::vector<std::string>{"a", "labels.x==y"}));
  EXPECT_EQ(req.query_value("flag"), "");
  EXPECT_EQ(req.query_value("missing"), std::nullopt);
}

}  // namespace
}  // namespace cairn::server

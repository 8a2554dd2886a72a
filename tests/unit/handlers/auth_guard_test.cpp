// The guard on its own, with requests built by hand: mutual TLS users (the CN a TLS listener
// puts in Request::tls_client_user), the https realm, and the scope each access asks for.
#include "handlers/auth.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <fstream>

namespace cairn::handlers {
namespace {

using server::Access;

class AuthGuard : public ::testing::Test {
 protected:
  AuthGuard() {
    AuthOptions o;
    o.policy = (dir_ / "policy.json").string();
    std::ofstream(o.policy) << R"({"rules": [{"users": ["alice"], "repositories": ["team/**"],
                                              "actions": ["*"]}],
                                   "admins": ["root"]})";
    auth_ = Auth::open(o).value();
  }

  // Runs the guard for a request on `name` (empty: none) and returns its answer.
  std::optional<server::Response> run(Access access, const std::string& name,
                                      const std::string& tls_user, bool tls = true) {
    server::Request req;
    req.method = "GET";
    req.path = "/v2/" + name + "/tags/list";
    req.tls = tls;
    req.tls_client_user = tls_user;
    req.headers = {{"host", "reg.example"}};
    if (!name.empty())
      req.params = {{"name", name}};
    boost::asio::io_context io;
    std::optional<server::Response> out;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          out = co_await auth_->guard(offload_, req, access);
        },
        boost::asio::detached);
    io.run();
    return out;
  }

  cairn::testing::TempDir dir_;
  server::Offloader offload_{1};
  std::unique_ptr<Auth> auth_;
};

TEST_F(AuthGuard, ClientCertificateNamesTheUser) {
  EXPECT_FALSE(run(Access::push, "team/app", "alice"));
  EXPECT_FALSE(run(Access::remove, "team/a/b", "alice"));
  auto other = run(Access::push, "other", "alice");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403u);
  auto bob = run(Access::pull, "team/app", "bob");
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->status, 403u);
  EXPECT_FALSE(run(Access::admin, "", "root"));
  EXPECT_EQ(run(Access::admin, "", "alice")->status, 403u);
  EXPECT_FALSE(run(Access::pull, "", "bob"));  // GET /v2/: any identity
}

TEST_F(AuthGuard, WithoutCredentialsTheChallengeNamesHttpsAndTheScope) {
  struct Case {
    Access access;
    std::string name;
    std::string header;
  };
  const std::string base = "Bearer realm=\"https://reg.example/_token\",service=\"cairn\"";
  for (const Case& c :
       {Case{Access::pull, "team/app", base + ",scope=\"repository:team/app:pull\""},
        Case{Access::push, "team/app", base + ",scope=\"repository:team/app:pull,push\""},
        Case{Access::remove, "team/app", base + ",scope=\"repository:team/app:delete\""},
        Case{Access::pull, "", base}, Case{Access::admin, "", base}}) {
    auto r = run(c.access, c.name, "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401u);
    EXPECT_EQ(r->header("www-authenticate"), c.header);
  }
  EXPECT_FALSE(run(Access::open, "", ""));
  EXPECT_EQ(run(Access::pull, "", "", false)->header("www-authenticate"),
            "Bearer realm=\"http://reg.example/_token\",service=\"cairn\"");
}

}  // namespace
}  // namespace cairn::handlers

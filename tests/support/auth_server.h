// An in-process cairn with authentication on: an htpasswd file made with `htpasswd -nbB`, the
// access policy of the README (alice: team/**; bob: pull everywhere; root: admin; anonymous:
// pull public/**), and helpers for Basic and Bearer headers.
#pragma once

#include "handlers/auth.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cairn::testing {

inline constexpr std::string_view kTestPolicy = R"({
  "anonymous": [{"repositories": ["public/**"], "actions": ["pull"]}],
  "rules": [{"users": ["alice"], "repositories": ["team/**"], "actions": ["pull", "push", "delete"]},
            {"users": ["bob"], "repositories": ["**"], "actions": ["pull"]}],
  "admins": ["root"]})";

// Standard base64 (with padding), for Basic credentials.
inline std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6)
      out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline HeaderList basic(const std::string& user, const std::string& password) {
  return {{"Authorization", "Basic " + base64(user + ":" + password)}};
}
inline HeaderList bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

// Writes an htpasswd file with `users` (name, password) at bcrypt cost 4 (quick to verify).
inline std::string write_htpasswd(const TempDir& dir,
                                  const std::vector<std::pair<std::string, std::string>>& users) {
  std::string path = (dir / "htpasswd").string();
  std::ofstream out(path);
  for (const auto& [user, password] : users) {
    auto r = sh("htpasswd -nbB -C 4 " + user + " " + password);
    EXPECT_EQ(r.status, 0) << r.output;
    out << r.output.substr(0, r.output.find('\n')) << "\n";
  }
  return path;
}

// A TestServer whose service has `auth`.
class AuthServer {
 public:
  // The default set-up: users alice, bob, root, carol with kTestPolicy.
  AuthServer() : AuthServer(default_options()) {}
  explicit AuthServer(handlers::AuthOptions options, handlers::ServiceOptions service = {}) {
    if (options.htpasswd == "default")
      options.htpasswd = write_htpasswd(
          files_,
          {{"alice", "s3cret"}, {"bob", "hunter2"}, {"root", "rootpw"}, {"carol", "carolpw"}});
    if (options.policy == "default") {
      options.policy = (files_ / "policy.json").string();
      std::ofstream(options.policy) << kTestPolicy;
    }
    auto auth = handlers::Auth::open(options);
    if (!auth)
      ADD_FAILURE() << auth.error().detail;
    service.auth = std::move(*auth);
    service.start_gc_scheduler = false;
    server_ = std::make_unique<TestServer>(server::ServerOptions{}, std::move(service));
  }

  static handlers::AuthOptions default_options() {
    handlers::AuthOptions o;
    o.htpasswd = "default";
    o.policy = "default";
    return o;
  }

  uint16_t port() const { return server_->port(); }
  TestServer& server() { return *server_; }
  handlers::Auth& auth() { return *server_->service().api().auth; }
  const TempDir& files() const { return files_; }

 private:
  TempDir files_;
  std::unique_ptr<TestServer> server_;
};

}  // namespace cairn::testing

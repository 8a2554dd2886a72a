// FakeUpstream: an in-process registry stand-in for the upstream client and pull-through cache
// tests, built on cairn's own HttpServer (127.0.0.1, free port, two I/O threads), stopped by
// its destructor.
//
// It serves blobs and manifests from memory (`GET`/`HEAD /v2/<repo>/blobs/<digest>`,
// `/v2/<repo>/manifests/<ref>`, `/v2/`), counts requests per method and path, records the
// Authorization header of each request, tracks how many requests are in flight at once, and
// can:
//  - require a bearer token (FakeUpstreamOptions::require_token): other requests get 401 with
//    `WWW-Authenticate: Bearer realm="http://127.0.0.1:P/token",service="fake",
//    scope="repository:<repo>:pull"`; GET /token issues "tok-<n>" (checking basic credentials
//    when token_user is set; expires_in as configured) and counts the requests;
//  - front a real registry (forward_to): authorised GET/HEAD requests are forwarded with an
//    upstream::Client (body read whole: test sizes) and its status, headers and body returned;
//  - misbehave per exact path (set_behaviour): another status, other bytes, a delay, a
//    redirect, a body truncated after promising more (the connection then closes).
#pragma once

#include "server/http_server.h"
#include "server/router.h"
#include "tests/support/temp_dir.h"
#include "tests/support/upstream_registry.h"
#include "upstream/auth.h"
#include "upstream/client.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cairn::testing {

struct FakeUpstreamOptions {
  bool require_token = false;
  std::string token_user;  // non-empty: /token demands these basic credentials
  std::string token_password;
  int expires_in = 300;    // seconds, in the token answer
  std::string realm_host;  // non-empty: the challenge's realm names this host (same port)
  std::string forward_to;  // non-empty: a registry URL to forward authorised GET/HEAD to
  upstream::Endpoint forward_endpoint;  // its trust and credentials (url set from forward_to)
};

// How one path misbehaves (every field optional).
struct Behaviour {
  std::chrono::milliseconds delay{0};   // before answering (cut short when the fake stops)
  std::optional<unsigned> status;       // answer this status (body: `body` or empty)
  std::optional<std::string> body;      // answer these bytes instead of the stored ones
  std::optional<std::string> redirect;  // answer 307 with this Location
  std::optional<uint64_t> promise;  // announce this Content-Length, send `body` (shorter), close
  upstream::Headers headers;        // extra response headers
  // Send this many bytes of the body, then nothing (a stalled download) until the client gives
  // up or 10 s passed; the connection then closes.
  std::optional<uint64_t> stall_after;
};

// The feed of a stalled body: the first `n` bytes at once, then a wait that ends in an error.
class StallFeed final : public server::FileFeed {
 public:
  StallFeed(uint64_t n, const std::atomic<bool>& stopping) : n_(n), stopping_(stopping) {}
  boost::asio::awaitable<std::pair<boost::system::error_code, uint64_t>> wait_beyond(
      uint64_t have) override {
    if (have < n_)
      co_return std::pair{boost::system::error_code(), n_};
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    for (int i = 0; i < 200 && !stopping_; ++i) {
      timer.expires_after(std::chrono::milliseconds(50));
      co_await timer.async_wait(boost::asio::use_awaitable);
    }
    co_return std::pair{boost::system::error_code(ETIMEDOUT, boost::system::system_category()),
                        uint64_t{0}};
  }

 private:
  uint64_t n_;
  const std::atomic<bool>& stopping_;
};

class FakeUpstream {
 public:
  struct Seen {
    std::string method;
    std::string path;
    std::string authorization;
  };

  explicit FakeUpstream(FakeUpstreamOptions options = {}) : options_(std::move(options)) {
    if (!options_.forward_to.empty()) {
      options_.forward_endpoint.url = options_.forward_to;
      forward_ = std::make_unique<upstream::Client>(options_.forward_endpoint);
    }
    router_.set_not_found([this](server::Request& req) { return handle(req); });
    router_.set_method_not_allowed([this](server::Request& req) { return handle(req); });
    server::ServerOptions so;
    so.host = "127.0.0.1";
    so.port = 0;
    so.threads = 2;
    so.shutdown_deadline = std::chrono::milliseconds(2000);
    server_ = std::make_unique<server::HttpServer>(so, router_);
    thread_ = std::thread([this] { server_->run(); });
  }
  ~FakeUpstream() {
    stopping_ = true;
    server_->stop();
    thread_.join();
    forward_.reset();  // its idle sockets belong to the server's io_context
    server_.reset();
  }
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  uint16_t port() const { return server_->port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }

  // Stores a blob of `repo`; returns its digest.
  std::string add_blob(const std::string& repo, const std::string& bytes) {
    std::string digest = sha256_digest(bytes);
    std::lock_guard lock(mu_);
    content_["/v2/" + repo + "/blobs/" + digest] = {bytes, "application/octet-stream", digest};
    return digest;
  }
  // Stores a manifest of `repo` under its digest and, when given, `tag`; returns the digest.
  std::string add_manifest(
      const std::string& repo, const std::string& tag, const std::string& body,
      const std::string& media_type = "application/vnd.oci.image.manifest.v1+json") {
    std::string digest = sha256_digest(body);
    std::lock_guard lock(mu_);
    content_["/v2/" + repo + "/manifests/" + digest] = {body, media_type, digest};
    if (!tag.empty())
      content_["/v2/" + repo + "/manifests/" + tag] = {body, media_type, digest};
    return digest;
  }
  // Makes `path` (exact, without query) misbehave; replaces an earlier behaviour.
  void set_behaviour(const std::string& path, Behaviour b) {
    std::lock_guard lock(mu_);
    behaviours_[path] = std::move(b);
  }

  // Forgets every issued token: cached ones are refused from now on (401 with a challenge).
  void revoke_tokens() {
    std::lock_guard lock(mu_);
    revoked_ += issued_.size();
    issued_.clear();
  }

  // Requests seen with `method` ("" for any) whose path contains `path_substring`.
  size_t count(std::string_view method, std::string_view path_substring) const {
    std::lock_guard lock(mu_);
    return static_cast<size_t>(std::count_if(seen_.begin(), seen_.end(), [&](const Seen& s) {
      return (method.empty() || s.method == method) &&
             s.path.find(path_substring) != std::string::npos;
    }));
  }
  size_t token_requests() const { return count("", "/token"); }
  // Every request seen, in arrival order.
  std::vector<Seen> seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }
  // The most requests that were in flight at once.
  size_t max_in_flight() const { return max_in_flight_.load(); }

 private:
  struct Stored {
    std::string body;
    std::string media_type;
    std::string digest;
  };

  // "/v2/<repo>/blobs/…" → "<repo>" (also manifests, tags); empty otherwise.
  static std::string repo_of(const std::string& path) {
    if (!path.starts_with("/v2/"))
      return {};
    for (const char* kind : {"/blobs/", "/manifests/", "/tags/"}) {
      size_t at = path.rfind(kind);
      if (at != std::string::npos && at > 4)
        return path.substr(4, at - 4);
    }
    return {};
  }

  boost::asio::awaitable<server::Response> handle(server::Request& req) {
    size_t now = ++in_flight_;
    size_t prev = max_in_flight_.load();
    while (now > prev && !max_in_flight_.compare_exchange_weak(prev, now)) {
    }
    struct Leave {
      std::atomic<size_t>& n;
      ~Leave() { --n; }
    } leave{in_flight_};
    std::optional<Behaviour> behaviour;
    {
      std::lock_guard lock(mu_);
      seen_.push_back({req.method, req.path, std::string(req.header("authorization"))});
      if (auto it = behaviours_.find(req.path); it != behaviours_.end())
        behaviour = it->second;
    }
    if (req.path == "/token")
      co_return issue_token(req);
    if (behaviour && behaviour->delay.count() > 0) {
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
      auto until = std::chrono::steady_clock::now() + behaviour->delay;
      while (!stopping_ && std::chrono::steady_clock::now() < until) {
        timer.expires_after(std::chrono::milliseconds(10));
        co_await timer.async_wait(boost::asio::use_awaitable);
      }
    }
    if (options_.require_token && !authorised(req)) {
      server::Response res;
      res.status = 401;
      std::string repo = repo_of(req.path);
      std::string realm = options_.realm_host.empty()
                              ? url()
                              : "http://" + options_.realm_host + ":" + std::to_string(port());
      std::string challenge = "Bearer realm=\"" + realm + "/token\",service=\"fake\"";
      if (!repo.empty())
        challenge += ",scope=\"repository:" + repo + ":pull\"";
      res.set("www-authenticate", challenge);
      res.set("content-type", "application/json");
      res.body = R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})";
      co_return res;
    }
    if (behaviour)
      co_return misbehave(req, *behaviour);
    if (forward_)
      co_return co_await forward(req);
    co_return serve(req);
  }

  bool authorised(const server::Request& req) {
    std::string_view auth = req.header("authorization");
    if (!auth.starts_with("Bearer "))
      return false;
    std::lock_guard lock(mu_);
    return std::find(issued_.begin(), issued_.end(), auth.substr(7)) != issued_.end();
  }

  server::Response issue_token(const server::Request& req) {
    server::Response res;
    if (!options_.token_user.empty() &&
        req.header("authorization") !=
            upstream::basic_authorization(options_.token_user, options_.token_password)) {
      res.status = 401;
      res.set("www-authenticate", "Basic realm=\"fake\"");
      return res;
    }
    std::string token;
    {
      std::lock_guard lock(mu_);
      token = "tok-" + std::to_string(revoked_ + issued_.size() + 1);
      issued_.push_back(token);
    }
    res.set("content-type", "application/json");
    res.body =
        R"({"token":")" + token + R"(","expires_in":)" + std::to_string(options_.expires_in) + "}";
    return res;
  }

  server::Response misbehave(const server::Request& req, const Behaviour& b) {
    server::Response res;
    for (const auto& [k, v] : b.headers)
      res.set(k, v);
    if (b.redirect) {
      res.status = 307;
      res.set("location", *b.redirect);
      return res;
    }
    std::string body = b.body ? *b.body : std::string();
    if (!b.body) {
      std::lock_guard lock(mu_);
      if (auto it = content_.find(req.path); it != content_.end())
        body = it->second.body;
    }
    res.status = b.status.value_or(200);
    if (b.stall_after && req.method == "GET") {
      auto file = dir_ / ("stall-" + std::to_string(files_++));
      std::ofstream(file, std::ios::binary) << body;
      int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
      server::FileRange range;
      range.fd = fd;
      range.length = body.size();
      range.owner = std::shared_ptr<void>(nullptr, [fd](void*) { ::close(fd); });
      range.feed = std::make_shared<StallFeed>(*b.stall_after, stopping_);
      res.file = std::move(range);
      return res;
    }
    if (b.promise) {
      // A file shorter than the announced length: the server sends what there is and closes.
      auto file = dir_ / ("short-" + std::to_string(files_++));
      std::ofstream(file, std::ios::binary) << body;
      int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
      server::FileRange range;
      range.fd = fd;
      range.length = *b.promise;
      range.owner = std::shared_ptr<void>(nullptr, [fd](void*) { ::close(fd); });
      res.file = std::move(range);
      res.content_length = *b.promise;
      return res;
    }
    if (req.method == "HEAD")
      res.content_length = body.size();
    else
      res.body = std::move(body);
    return res;
  }

  server::Response serve(const server::Request& req) {
    server::Response res;
    if (req.path == "/v2/" || req.path == "/v2") {
      res.set("docker-distribution-api-version", "registry/2.0");
      res.set("content-type", "application/json");
      res.body = "{}";
      return res;
    }
    std::optional<Stored> found;
    {
      std::lock_guard lock(mu_);
      if (auto it = content_.find(req.path); it != content_.end())
        found = it->second;
    }
    if (!found || (req.method != "GET" && req.method != "HEAD")) {
      res.status = found ? 405 : 404;
      res.set("content-type", "application/json");
      res.body = R"({"errors":[{"code":"NOT_FOUND","message":"unknown"}]})";
      return res;
    }
    res.set("content-type", found->media_type);
    res.set("docker-content-digest", found->digest);
    if (req.method == "HEAD")
      res.content_length = found->body.size();
    else
      res.body = std::move(found->body);
    return res;
  }

  boost::asio::awaitable<server::Response> forward(server::Request& req) {
    server::Response res;
    upstream::Headers headers;
    for (const auto& [k, v] : req.headers) {
      if (k == "accept")
        headers.emplace_back(k, v);
    }
    std::string target = req.target;
    std::string repo = repo_of(req.path);
    std::string method = req.method;
    auto got = co_await forward_->send(method, target, headers, repo);
    if (!got) {
      res.status = 502;
      res.body = got.error().detail;
      co_return res;
    }
    auto& reply = **got;
    res.status = reply.status;
    for (const auto& [k, v] : reply.headers) {
      if (k == "content-type" || k == "docker-content-digest" || k == "location" ||
          k == "www-authenticate" || k == "docker-distribution-api-version")
        res.set(k, v);
    }
    if (req.method == "HEAD") {
      if (reply.content_length)
        res.content_length = *reply.content_length;
      co_return res;
    }
    auto body = co_await reply.read_all(64u << 20);
    if (!body) {
      res.status = 502;
      res.body = body.error().detail;
      co_return res;
    }
    res.body = std::move(*body);
    co_return res;
  }

  FakeUpstreamOptions options_;
  TempDir dir_;
  mutable std::mutex mu_;
  std::map<std::string, Stored> content_;
  std::map<std::string, Behaviour> behaviours_;
  std::vector<Seen> seen_;
  std::vector<std::string> issued_;
  size_t revoked_ = 0;
  std::atomic<size_t> in_flight_{0};
  std::atomic<size_t> max_in_flight_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<int> files_{0};
  std::unique_ptr<upstream::Client> forward_;
  server::Router router_;
  std::unique_ptr<server::HttpServer> server_;
  std::thread thread_;
};

}  // namespace cairn::testing

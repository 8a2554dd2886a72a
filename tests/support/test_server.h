// TestServer: the real cairn HTTP server in-process on 127.0.0.1 with a free port, stopped on
// destruction. By default it serves a temporary data root removed with it; given a root, it
// serves that directory and leaves it in place, so a test can stop one server and start another
// on the same root (a restart).
#pragma once

#include "handlers/errors.h"
#include "handlers/service.h"
#include "server/http_server.h"
#include "tests/support/temp_dir.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

namespace cairn::testing {

class TestServer {
 public:
  // Serves a fresh temporary root.
  explicit TestServer(server::ServerOptions opts = {}, handlers::ServiceOptions service = {})
      : owned_root_(std::in_place) {
    start(owned_root_->path(), std::move(opts), std::move(service));
  }
  // Serves `root` (created when missing; kept after the server stops).
  explicit TestServer(const std::filesystem::path& root, server::ServerOptions opts = {},
                      handlers::ServiceOptions service = {}) {
    start(root, std::move(opts), std::move(service));
  }
  ~TestServer() {
    server_->stop();
    thread_.join();
    // As the executable does (handlers/service.h, Service::stop): the offload pool's
    // threads end first (a pool thread may hold an executor of the server's io_context for a
    // moment after its last task resumed a handler), then the server and its suspended sessions
    // (which release what they hold into the still open storage), then the service.
    service_->stop();
    server_.reset();
    service_.reset();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  uint16_t port() const { return server_->port(); }
  const std::filesystem::path& root() const { return root_; }
  server::HttpServer& server() { return *server_; }
  handlers::Service& service() { return *service_; }

 private:
  void start(const std::filesystem::path& root, server::ServerOptions opts,
             handlers::ServiceOptions service) {
    root_ = root;
    service.root = root;
    service.offload_threads = 2;
    service_ = handlers::Service::open(service).value();
    opts.host = "127.0.0.1";
    opts.port = 0;
    if (opts.threads == 0)
      opts.threads = 2;
    opts.on_exception = handlers::internal_error;
    if (opts.observer == nullptr)
      opts.observer = service_->request_observer();
    server_ = std::make_unique<server::HttpServer>(opts, service_->router());
    thread_ = std::thread([this] { server_->run(); });
  }

  std::optional<TempDir> owned_root_;  // destroyed last
  std::filesystem::path root_;
  std::unique_ptr<handlers::Service> service_;
  std::unique_ptr<server::HttpServer> server_;
  std::thread thread_;
};

}  // namespace cairn::testing

// TestServer: the real cairn HTTP server in-process on 127.0.0.1 with a free port and a
// temporary data root, stopped and cleaned up on destruction.
#pragma once

#include "handlers/errors.h"
#include "handlers/service.h"
#include "server/http_server.h"
#include "tests/support/temp_dir.h"

#include <memory>
#include <thread>

namespace cairn::testing {

class TestServer {
 public:
  explicit TestServer(server::ServerOptions opts = {}, handlers::ServiceOptions service = {}) {
    service.root = root_.path();
    service.offload_threads = 2;
    service_ = handlers::Service::open(service).value();
    opts.host = "127.0.0.1";
    opts.port = 0;
    if (opts.threads == 0)
      opts.threads = 2;
    opts.on_exception = handlers::internal_error;
    server_ = std::make_unique<server::HttpServer>(opts, service_->router());
    thread_ = std::thread([this] { server_->run(); });
  }
  ~TestServer() {
    server_->stop();
    thread_.join();
  }

  uint16_t port() const { return server_->port(); }
  const TempDir& root() const { return root_; }
  server::HttpServer& server() { return *server_; }
  handlers::Service& service() { return *service_; }

 private:
  TempDir root_;
  std::unique_ptr<handlers::Service> service_;
  std::unique_ptr<server::HttpServer> server_;
  std::thread thread_;
};

}  // namespace cairn::testing

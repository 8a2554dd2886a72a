#include "grpc_api/server.h"

#include "grpc_api/content_service.h"
#include "grpc_api/leases_service.h"

#include <sys/stat.h>

#include <boost/asio/ip/address.hpp>

#include <charconv>
#include <chrono>
#include <mutex>

namespace cairn::grpc_api {

namespace {

constexpr std::string_view kUnix = "unix://";
constexpr std::string_view kTcp = "tcp://";

struct Parsed {
  bool unix_socket = false;
  std::string path;  // unix
  std::string host;  // tcp, without brackets
  int port = 0;      // tcp
};

std::optional<Parsed> parse(std::string_view listen, std::string& why) {
  Parsed p;
  if (listen.starts_with(kUnix)) {
    p.unix_socket = true;
    p.path = std::string(listen.substr(kUnix.size()));
    if (p.path.empty() || p.path[0] != '/') {
      why = "a unix socket address is unix:///absolute/path";
      return std::nullopt;
    }
    return p;
  }
  if (!listen.starts_with(kTcp)) {
    why = "expected unix:///PATH or tcp://HOST:PORT";
    return std::nullopt;
  }
  std::string_view rest = listen.substr(kTcp.size());
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    why = "expected tcp://HOST:PORT";
    return std::nullopt;
  }
  std::string_view host = rest.substr(0, colon);
  std::string_view port = rest.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p.port < 0 ||
      p.port > 65535) {
    why = "the port of tcp://HOST:PORT must be 0 to 65535";
    return std::nullopt;
  }
  p.host = std::string(host);
  boost::system::error_code bad;
  auto address = boost::asio::ip::make_address(p.host, bad);
  if (p.host != "localhost" && (bad || !address.is_loopback())) {
    why =
        "the gRPC listener has no authentication: a tcp:// address must be a loopback one "
        "(127.0.0.1, [::1], localhost); use a unix socket to reach it from elsewhere on the "
        "host";
    return std::nullopt;
  }
  return p;
}

}  // namespace

std::optional<std::string> listen_address_error(std::string_view listen) {
  std::string why;
  if (!parse(listen, why))
    return why;
  return std::nullopt;
}

struct GrpcServer::Impl {
  Impl(const GrpcOptions& options, Storage& storage, server::Offloader& pool)
      : backend{storage, pool, options.default_namespace}, content(backend), leases(backend) {}

  Backend backend;
  ContentService content;
  LeasesService leases;
  std::unique_ptr<grpc::Server> server;
  std::string address;
  std::once_flag stopped;
};

GrpcServer::GrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcServer::~GrpcServer() {
  shutdown();
}

Result<std::unique_ptr<GrpcServer>> GrpcServer::start(const GrpcOptions& options, Storage& storage,
                                                      server::Offloader& pool) {
  std::string why;
  auto parsed = parse(options.listen, why);
  if (!parsed)
    return fail(Errc::invalid_argument, "--grpc-listen " + options.listen + ": " + why);
  auto impl = std::make_unique<Impl>(options, storage, pool);
  grpc::ServerBuilder builder;
  int port = 0;
  if (parsed->unix_socket) {
    // gRPC replaces a socket file left at the path (by a server that is gone).
    builder.AddListeningPort("unix:" + parsed->path, grpc::InsecureServerCredentials());
  } else {
    const bool v6 = parsed->host.find(':') != std::string::npos;
    builder.AddListeningPort(
        (v6 ? "[" + parsed->host + "]" : parsed->host) + ":" + std::to_string(parsed->port),
        grpc::InsecureServerCredentials(), &port);
  }
  builder.SetMaxReceiveMessageSize(options.max_receive_bytes);
  builder.RegisterService(&impl->content);
  builder.RegisterService(&impl->leases);
  impl->server = builder.BuildAndStart();
  if (!impl->server)
    return fail(Errc::unavailable, "cannot listen on " + options.listen);
  if (parsed->unix_socket) {
    if (::chmod(parsed->path.c_str(), 0660) != 0) {
      impl->server->Shutdown();
      return io_error("chmod " + parsed->path);
    }
    impl->address = "unix://" + parsed->path;
  } else {
    if (port == 0) {
      impl->server->Shutdown();
      return fail(Errc::unavailable, "cannot listen on " + options.listen);
    }
    const bool v6 = parsed->host.find(':') != std::string::npos;
    impl->address =
        "tcp://" + (v6 ? "[" + parsed->host + "]" : parsed->host) + ":" + std::to_string(port);
  }
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

const std::string& GrpcServer::address() const noexcept {
  return impl_->address;
}

void GrpcServer::shutdown() {
  std::call_once(impl_->stopped, [this] {
    // A deadline of now: calls in flight are cancelled at once; Shutdown returns when each has
    // finished (their last pool steps run, so the pool must still be running).
    impl_->server->Shutdown(std::chrono::system_clock::now());
    impl_->server->Wait();
  });
}

}  // namespace cairn::grpc_api

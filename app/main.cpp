// cairn's entry point: `cairn serve [options]`, the offline commands (`cairn fsck`, `gc`, `du`,
// `export`, `import`) and `cairn --help`.
#include "app/blob_backend.h"
#include "app/config.h"
#include "app/du_command.h"
#include "app/fsck_command.h"
#include "app/gc_command.h"
#include "app/image_commands.h"
#include "grpc_api/server.h"
#include "handlers/errors.h"
#include "handlers/service.h"
#include "server/http_server.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

namespace {

int serve(const std::vector<std::string>& args) {
  cairn::app::Config config;
  std::string error;
  if (!cairn::app::parse_serve_args(args, config, error)) {
    std::cerr << "cairn: " << error << "\n(see cairn --help)\n";
    return 2;
  }
  cairn::handlers::ServiceOptions service_options;
  // Authentication and access: every file is read and checked now (bad hash kind, bad policy,
  // unreadable key: exit 2 before serving anything).
  cairn::handlers::AuthOptions auth_options;
  auth_options.htpasswd = config.htpasswd;
  auth_options.policy = config.access_policy;
  auth_options.token_key = config.token_key;
  auth_options.token_issuer = config.token_issuer;
  auth_options.token_service = config.token_service;
  auth_options.token_realm = config.token_realm;
  auth_options.token_public_key = config.token_public_key;
  if (auth_options.enabled()) {
    auto auth = cairn::handlers::Auth::open(auth_options);
    if (!auth) {
      std::cerr << "cairn: " << auth.error().detail << "\n";
      return 2;
    }
    service_options.auth = std::move(*auth);
  } else if (!config.token_key.empty() || !config.token_issuer.empty() ||
             !config.token_service.empty()) {
    std::cerr << "cairn: --token-key, --token-issuer and --token-service need --htpasswd or "
                 "--access-policy\n";
    return 2;
  }
  service_options.root = config.root;
  service_options.storage.sharing = config.content_sharing == "isolated"
                                        ? cairn::metadata::SharingPolicy::isolated
                                        : cairn::metadata::SharingPolicy::shared;
  service_options.storage.sync_metadata = config.durability == "strict";
  service_options.storage.metadata_uri = config.metadata;
  auto bucket = cairn::app::open_blob_bucket(config);
  if (!bucket) {
    std::cerr << "cairn: " << bucket.error().detail << "\n";
    return 2;
  }
  service_options.storage.blob_bucket = std::move(*bucket);
  service_options.storage.blob_location = config.blobs;
  service_options.storage.blob_redirect = config.s3_redirect;
  service_options.storage.gc.grace = config.gc_grace;
  service_options.storage.min_free_bytes = config.min_free_bytes;
  service_options.storage.retention = config.retention;  // README "Retention", "Quotas"
  service_options.storage.quotas = config.quotas;
  // The scrub logs one JSON line per finding on stderr, with the server's other messages.
  service_options.fsck.scrub_interval = config.scrub_interval;
  service_options.fsck.scrub_rate = static_cast<int64_t>(config.scrub_rate);
  service_options.fsck.log = [](const std::string& line) {
    std::cerr << (line + "\n") << std::flush;
  };
  service_options.cache.upstreams = config.upstreams;
  service_options.cache.default_upstream = config.default_upstream;
  service_options.cache.max_bytes = config.cache_max_bytes;
  service_options.cache.client.io_timeout = config.io_timeout;
  service_options.api.max_manifest_bytes = static_cast<size_t>(config.max_manifest_bytes);
  service_options.api.max_uploads = config.max_uploads;
  service_options.api.max_uploads_per_repository = config.max_uploads_per_repository;
  // Notification endpoints: their failures and recoveries are logged on stderr.
  service_options.notifications.endpoints = config.notifications;
  service_options.notifications.source.addr = config.host + ":" + std::to_string(config.port);
  service_options.notifications.log = [](const std::string& line) {
    std::cerr << ("cairn: " + line + "\n") << std::flush;
  };
  service_options.metrics.enabled = config.metrics != "off";
  service_options.metrics.admin_only = config.metrics == "admin";
  auto service = cairn::handlers::Service::open(service_options);
  if (!service) {
    std::cerr << "cairn: cannot open " << config.root << ": " << service.error().detail << "\n";
    return 1;
  }

  std::unique_ptr<std::ofstream> log_file;
  cairn::server::ServerOptions opts;
  opts.host = config.host;
  opts.port = config.port;
  opts.threads = config.threads;
  opts.max_connections = config.max_connections;
  opts.idle_timeout = config.idle_timeout;
  opts.io_timeout = config.io_timeout;
  opts.min_body_rate = config.min_body_rate;
  opts.handle_signals = true;
  opts.on_exception = cairn::handlers::internal_error;
  opts.observer = (*service)->request_observer();  // null with --metrics off
  if (config.access_log == "-") {
    opts.access_log = &std::cout;
  } else if (config.access_log != "off") {
    log_file = std::make_unique<std::ofstream>(config.access_log, std::ios::app);
    if (!*log_file) {
      std::cerr << "cairn: cannot open access log " << config.access_log << "\n";
      return 2;
    }
    opts.access_log = log_file.get();
  }
  // TLS (SIGHUP, handled by the server, reloads the certificate and key).
  opts.tls.cert = config.tls_cert;
  opts.tls.key = config.tls_key;
  opts.tls.client_ca = config.tls_client_ca;
  std::unique_ptr<cairn::server::HttpServer> server_ptr;
  try {
    server_ptr = std::make_unique<cairn::server::HttpServer>(opts, (*service)->router());
  } catch (const cairn::server::TlsSetupError& e) {
    std::cerr << "cairn: " << e.what() << "\n";
    return 2;
  }
  auto& server = *server_ptr;
  // containerd's content and leases API (grpc_api/server.h), over the same storage and pool.
  std::unique_ptr<cairn::grpc_api::GrpcServer> grpc;
  if (!config.grpc_listen.empty()) {
    cairn::grpc_api::GrpcOptions grpc_options;
    grpc_options.listen = config.grpc_listen;
    grpc_options.default_namespace = config.grpc_namespace;
    auto started = cairn::grpc_api::GrpcServer::start(grpc_options, (*service)->storage(),
                                                      (*service)->offload());
    if (!started) {
      std::cerr << "cairn: " << started.error().detail << "\n";
      return started.error() == cairn::Errc::invalid_argument ? 2 : 1;
    }
    grpc = std::move(*started);
    std::cerr << "cairn: serving containerd's content API on " << grpc->address() << "\n";
  }
  std::cerr << "cairn: serving " << config.root << " on "
            << (config.tls_cert.empty() ? "http://" : "https://") << config.host << ":"
            << server.port() << "\n";
  server.run();
  // The gRPC calls end first: their last steps run on the offload pool.
  grpc.reset();
  // The offload pool's threads hold executors of the server's io_context: they end first. Then
  // the server, whose suspended sessions release what they hold into the still open storage,
  // then the service (handlers/service.h, Service::stop).
  (*service)->stop();
  server_ptr.reset();
  service->reset();
  std::cerr << "cairn: stopped\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << cairn::app::usage_text();
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "serve") {
    try {
      return serve({args.begin() + 1, args.end()});
    } catch (const std::exception& e) {
      std::cerr << "cairn: " << e.what() << "\n";
      return 1;
    }
  }
  // The offline commands: each opens a stopped server's data root.
  using Command = int (*)(const std::vector<std::string>&, std::ostream&, std::ostream&);
  static constexpr std::pair<std::string_view, Command> kCommands[] = {
      {"fsck", cairn::app::fsck_command},     {"gc", cairn::app::gc_command},
      {"du", cairn::app::du_command},         {"export", cairn::app::export_command},
      {"import", cairn::app::import_command},
  };
  for (const auto& [name, command] : kCommands) {
    if (args[0] != name)
      continue;
    try {
      return command({args.begin() + 1, args.end()}, std::cout, std::cerr);
    } catch (const std::exception& e) {
      std::cerr << "cairn " << name << ": " << e.what() << "\n";
      return 2;
    }
  }
  std::cerr << "cairn: unknown command " << args[0] << "\n" << cairn::app::usage_text();
  return 2;
}

// GrpcServer: containerd's own content and leases API (containerd.services.content.v1.Content,
// containerd.services.leases.v1.Leases) over gRPC, beside the HTTP API and over the same storage,
// so that containerd can load cairn as its content store (proxy_plugins, type "content") and
// `ctr content …` / `ctr leases …` work against cairn.
//
// Namespaces. The `containerd-namespace` gRPC metadata names the namespace each call acts in:
// cairn's namespace of that name, i.e. the repository /v2/<namespace>/… of the HTTP API (so
// content containerd writes in "k8s.io" is pullable as /v2/k8s.io/blobs/<digest>, and a blob
// pushed to /v2/default/… is listed by `ctr -n default content ls`). A call without one acts in
// GrpcOptions::default_namespace: containerd's garbage collector walks and deletes content of a
// proxy store without a namespace.
//
// Leases and GC. The `containerd-lease` metadata names a lease (of the call's namespace) that
// holds what a Write creates, as containerd clients send it. A blob committed without a lease is
// labelled containerd.io/gc.root: a content store plugin keeps what it is given until it is told
// to delete it (containerd's metadata layer, which references content in its own database, is
// the one that deletes), so cairn's own collector never takes it.
//
// Threads. gRPC's callback API runs the services' reactors on gRPC's threads; every storage call
// runs on the offload pool (the pool's task then answers, or starts the next read or write of the
// stream), so no gRPC thread waits on a disk. Streams move one message at a time: Read sends the
// next piece of at most kReadPiece bytes once the previous one is on its way, and Write reads the
// next message once the previous one is written, so a stream holds one piece in memory.
//
// Security. The listener has no authentication of its own: a unix socket is created 0660 (who
// may connect is whoever may open it), and a tcp:// address must be a loopback one.
//
// This header names no gRPC type: only grpc_api/*.cpp include gRPC's headers.
#pragma once

#include "server/offload.h"
#include "storage/common/result.h"
#include "storage/storage.h"

#include <memory>
#include <string>

namespace cairn::grpc_api {

struct GrpcOptions {
  // unix:///absolute/path or tcp://HOST:PORT (a loopback host; port 0 picks a free one).
  std::string listen;
  // The namespace of calls that carry no containerd-namespace metadata.
  std::string default_namespace = "default";
  // The largest message a client may send (a Write's data piece plus its fields).
  int max_receive_bytes = 16 << 20;
};

// What --grpc-listen accepts, checked at start-up: nullopt when fine, else why not.
std::optional<std::string> listen_address_error(std::string_view listen);

class GrpcServer {
 public:
  // Binds options.listen and starts serving over `storage`, running storage calls on `pool`.
  // Both must outlive the server, and the pool must run until shutdown() has returned.
  // Errors: invalid_argument (a bad address), unavailable (cannot bind it).
  static Result<std::unique_ptr<GrpcServer>> start(const GrpcOptions& options, Storage& storage,
                                                   server::Offloader& pool);
  ~GrpcServer();  // shutdown()

  // Where it listens: "unix:///path" or "tcp://127.0.0.1:<port>" with the port bound.
  const std::string& address() const noexcept;
  // Stops taking calls, cancels those in flight (their streams end with CANCELLED) and waits
  // until each has finished. Idempotent.
  void shutdown();

  struct Impl;

 private:
  explicit GrpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::grpc_api

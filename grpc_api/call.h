// What every method of the gRPC services shares: where storage calls run, the scope a call acts
// in (from its containerd-namespace and containerd-lease metadata), storage errors as gRPC
// statuses (containerd's errdefs mapping, so containerd's clients see the errors they expect),
// and the conversions of times and labels. Only grpc_api/*.cpp include this (gRPC headers).
#pragma once

#include "server/offload.h"
#include "storage/common/result.h"
#include "storage/storage.h"

#include <google/protobuf/map.h>
#include <google/protobuf/timestamp.pb.h>
#include <grpcpp/grpcpp.h>

#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace cairn::grpc_api {

// The metadata keys containerd's clients send (lowercase, as gRPC carries them).
inline constexpr std::string_view kNamespaceHeader = "containerd-namespace";
inline constexpr std::string_view kLeaseHeader = "containerd-lease";

// What the services work over. Outlives them.
struct Backend {
  Storage& storage;
  server::Offloader& pool;
  std::string default_namespace;
};

// The namespace and lease of a call: its containerd-namespace metadata (else the default) and its
// containerd-lease metadata (else none). Names are checked by the stores they reach.
metadata::Scope scope_of(const grpc::CallbackServerContext& ctx, std::string_view default_ns);

// A storage error as containerd's errdefs would send it: not_found → NOT_FOUND, already_exists →
// ALREADY_EXISTS, invalid_argument → INVALID_ARGUMENT, failed_precondition / digest_mismatch /
// size_mismatch → FAILED_PRECONDITION, range_invalid → OUT_OF_RANGE, unavailable (a ref held by
// another writer) → UNAVAILABLE, no_space → RESOURCE_EXHAUSTED, denied → PERMISSION_DENIED, io
// and internal → INTERNAL. The detail is the message.
grpc::Status to_status(const Error& e);

void set_time(google::protobuf::Timestamp* out, Timestamp t);
Timestamp from_proto(const google::protobuf::Timestamp& t);
content::Labels labels_of(const google::protobuf::Map<std::string, std::string>& in);
void set_labels(google::protobuf::Map<std::string, std::string>* out, const content::Labels& in);

// Runs `step` on the pool. When the pool drops it unrun (it is being shut down), `abandon` is
// called instead, so that a reactor waiting for the step still finishes (gRPC waits for it).
// Both are called at most once, never together.
template <class Step, class Abandon>
void post_step(server::Offloader& pool, Step step, Abandon abandon) {
  struct Pending {
    Step step;
    Abandon abandon;
    bool ran = false;
    ~Pending() {
      if (!ran)
        abandon();
    }
  };
  // Built in place: a temporary Pending would call abandon() as it is destroyed.
  std::unique_ptr<Pending> pending(new Pending{std::move(step), std::move(abandon)});
  pool.post([p = std::move(pending)]() mutable {
    p->ran = true;
    p->step();
  });
}

// A unary method: runs `f` (returning a grpc::Status) on the pool and finishes the call with it.
// An exception from f finishes it with INTERNAL.
template <class F>
grpc::ServerUnaryReactor* unary(Backend& backend, grpc::CallbackServerContext* ctx, F f) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  post_step(
      backend.pool,
      [reactor, f = std::move(f)]() mutable {
        grpc::Status status;
        try {
          status = f();
        } catch (const std::exception& e) {
          status = grpc::Status(grpc::StatusCode::INTERNAL, e.what());
        }
        reactor->Finish(status);
      },
      [reactor] { reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down")); });
  return reactor;
}

}  // namespace cairn::grpc_api

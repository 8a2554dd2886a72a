// LeasesService: containerd.services.leases.v1.Leases over the lease store (Storage::leases(),
// metadata/leases.h), every method unary and run on the pool:
//
//   Create         id (empty: one is generated) and labels; containerd.io/gc.expire (RFC 3339)
//                  sets the expiry, containerd.io/gc.flat pins only the lease's own resources
//   Delete         with sync, garbage collection has run before the answer (as containerd)
//   List           leases whose labels match any filter (content/filter.h; `id` is not a field)
//   AddResource, DeleteResource, ListResources
//                  resource types "content" (a digest) and "ingests" (a ref); containerd's
//                  "snapshots/<name>" are UNIMPLEMENTED: cairn keeps no snapshots
//
// The namespace is the call's (call.h, scope_of).
#pragma once

#include "containerd/services/leases/v1/leases.grpc.pb.h"
#include "grpc_api/call.h"

namespace cairn::grpc_api {

namespace leases_v1 = containerd::services::leases::v1;

class LeasesService final : public leases_v1::Leases::CallbackService {
 public:
  explicit LeasesService(Backend& backend) : backend_(backend) {}

  grpc::ServerUnaryReactor* Create(grpc::CallbackServerContext* ctx,
                                   const leases_v1::CreateRequest* req,
                                   leases_v1::CreateResponse* res) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx,
                                   const leases_v1::DeleteRequest* req,
                                   google::protobuf::Empty* res) override;
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* ctx,
                                 const leases_v1::ListRequest* req,
                                 leases_v1::ListResponse* res) override;
  grpc::ServerUnaryReactor* AddResource(grpc::CallbackServerContext* ctx,
                                        const leases_v1::AddResourceRequest* req,
                                        google::protobuf::Empty* res) override;
  grpc::ServerUnaryReactor* DeleteResource(grpc::CallbackServerContext* ctx,
                                           const leases_v1::DeleteResourceRequest* req,
                                           google::protobuf::Empty* res) override;
  grpc::ServerUnaryReactor* ListResources(grpc::CallbackServerContext* ctx,
                                          const leases_v1::ListResourcesRequest* req,
                                          leases_v1::ListResourcesResponse* res) override;

 private:
  Backend& backend_;
};

}  // namespace cairn::grpc_api

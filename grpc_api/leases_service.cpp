#include "grpc_api/leases_service.h"

#include "storage/content/filter.h"

#include <optional>
#include <string>
#include <vector>

namespace cairn::grpc_api {

namespace {

using grpc::Status;
using grpc::StatusCode;

void set_lease(leases_v1::Lease* out, const metadata::Lease& in) {
  out->set_id(in.id);
  set_time(out->mutable_created_at(), in.created_at);
  set_labels(out->mutable_labels(), in.labels);
}

// A resource as the store names it, or why not: INVALID_ARGUMENT without an id or type,
// UNIMPLEMENTED for a kind cairn does not keep (snapshots).
std::optional<Status> resource_of(const leases_v1::Resource& in, metadata::LeaseResource& out) {
  if (in.id().empty() || in.type().empty())
    return Status(StatusCode::INVALID_ARGUMENT, "a resource needs an id and a type");
  auto kind = metadata::resource_kind_from_name(in.type());
  if (!kind)
    return Status(StatusCode::UNIMPLEMENTED,
                  "resource type " + in.type() + " is not kept here (only content and ingests)");
  out = metadata::LeaseResource{*kind, in.id()};
  return std::nullopt;
}

}  // namespace

grpc::ServerUnaryReactor* LeasesService::Create(grpc::CallbackServerContext* ctx,
                                                const leases_v1::CreateRequest* req,
                                                leases_v1::CreateResponse* res) {
  return unary(backend_, ctx, [this, ns = scope_of(*ctx, backend_.default_namespace).ns, req, res] {
    metadata::LeaseOptions opts;
    opts.id = req->id();
    opts.labels = labels_of(req->labels());
    auto lease = backend_.storage.leases().create(ns, std::move(opts));
    if (!lease)
      return to_status(lease.error());
    set_lease(res->mutable_lease(), *lease);
    return Status::OK;
  });
}

grpc::ServerUnaryReactor* LeasesService::Delete(grpc::CallbackServerContext* ctx,
                                                const leases_v1::DeleteRequest* req,
                                                google::protobuf::Empty*) {
  return unary(backend_, ctx, [this, ns = scope_of(*ctx, backend_.default_namespace).ns, req] {
    Storage& s = backend_.storage;
    if (auto r = s.leases().remove(ns, req->id()); !r)
      return to_status(r.error());
    if (req->sync()) {
      if (auto r = s.gc().run_now(); !r)
        return to_status(r.error());
    }
    return Status::OK;
  });
}

grpc::ServerUnaryReactor* LeasesService::List(grpc::CallbackServerContext* ctx,
                                              const leases_v1::ListRequest* req,
                                              leases_v1::ListResponse* res) {
  return unary(backend_, ctx, [this, ns = scope_of(*ctx, backend_.default_namespace).ns, req, res] {
    std::vector<std::string> exprs(req->filters().begin(), req->filters().end());
    auto filter = content::Filter::parse(exprs);
    if (!filter)
      return to_status(filter.error());
    auto leases = backend_.storage.leases().list(ns);
    if (!leases)
      return to_status(leases.error());
    for (const metadata::Lease& lease : *leases) {
      content::Info view;  // leases are filtered by their labels
      view.labels = lease.labels;
      if (filter->match(view))
        set_lease(res->add_leases(), lease);
    }
    return Status::OK;
  });
}

grpc::ServerUnaryReactor* LeasesService::AddResource(grpc::CallbackServerContext* ctx,
                                                     const leases_v1::AddResourceRequest* req,
                                                     google::protobuf::Empty*) {
  return unary(backend_, ctx, [this, ns = scope_of(*ctx, backend_.default_namespace).ns, req] {
    metadata::LeaseResource r;
    if (auto bad = resource_of(req->resource(), r))
      return *bad;
    auto added = backend_.storage.leases().add_resource(ns, req->id(), r);
    return added ? Status::OK : to_status(added.error());
  });
}

grpc::ServerUnaryReactor* LeasesService::DeleteResource(grpc::CallbackServerContext* ctx,
                                                        const leases_v1::DeleteResourceRequest* req,
                                                        google::protobuf::Empty*) {
  return unary(backend_, ctx, [this, ns = scope_of(*ctx, backend_.default_namespace).ns, req] {
    metadata::LeaseResource r;
    if (auto bad = resource_of(req->resource(), r))
      return *bad;
    auto removed = backend_.storage.leases().remove_resource(ns, req->id(), r);
    return removed ? Status::OK : to_status(removed.error());
  });
}

grpc::ServerUnaryReactor* LeasesService::ListResources(grpc::CallbackServerContext* ctx,
                                                       const leases_v1::ListResourcesRequest* req,
                                                       leases_v1::ListResourcesResponse* res) {
  return unary(backend_, ctx, [this, ns = scope_of(*ctx, backend_.default_namespace).ns, req, res] {
    auto resources = backend_.storage.leases().list_resources(ns, req->id());
    if (!resources)
      return to_status(resources.error());
    for (const metadata::LeaseResource& r : *resources) {
      leases_v1::Resource* out = res->add_resources();
      out->set_id(r.id);
      out->set_type(std::string(metadata::resource_kind_name(r.kind)));
    }
    return Status::OK;
  });
}

}  // namespace cairn::grpc_api

// containerd.services.leases.v1.Leases against the real server, and what leases do to GC: writes
// carrying containerd-lease metadata add their ingest and blob to the lease; deleting the lease
// with sync collects what nothing else holds before the answer; an expired lease holds nothing;
// a blob committed without a lease is kept (the root label) until it is deleted.
#include "tests/integration_grpc/grpc_fixture.h"

#include "storage/metadata/rfc3339.h"

namespace cairn::testing {
namespace {

using GrpcLeases = GrpcFixture;

grpc::Status create_lease(leases_v1::Leases::Stub& stub, const std::string& id,
                          std::map<std::string, std::string> labels, leases_v1::Lease* out,
                          const std::string& ns = "default") {
  leases_v1::CreateRequest req;
  req.set_id(id);
  for (auto& [k, v] : labels)
    (*req.mutable_labels())[k] = v;
  leases_v1::CreateResponse res;
  auto ctx = GrpcFixture::call(ns);
  auto st = stub.Create(ctx.get(), req, &res);
  if (out)
    *out = res.lease();
  return st;
}

std::vector<std::string> resources(leases_v1::Leases::Stub& stub, const std::string& id) {
  leases_v1::ListResourcesRequest req;
  req.set_id(id);
  leases_v1::ListResourcesResponse res;
  auto ctx = GrpcFixture::call();
  EXPECT_TRUE(stub.ListResources(ctx.get(), req, &res).ok());
  std::vector<std::string> out;
  for (const auto& r : res.resources())
    out.push_back(r.type() + ":" + r.id());
  return out;
}

TEST_F(GrpcLeases, CreateListAndDelete) {
  leases_v1::Lease lease;
  ASSERT_TRUE(create_lease(*leases_, "pull-1", {{"app", "ctr"}}, &lease).ok());
  EXPECT_EQ(lease.id(), "pull-1");
  EXPECT_EQ(lease.created_at().seconds(), 1'700'000'000);
  EXPECT_EQ(lease.labels().at("app"), "ctr");
  EXPECT_EQ(create_lease(*leases_, "pull-1", {}, nullptr).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  leases_v1::Lease generated;
  ASSERT_TRUE(create_lease(*leases_, "", {}, &generated).ok());
  EXPECT_FALSE(generated.id().empty());
  EXPECT_EQ(
      create_lease(*leases_, "", {{"containerd.io/gc.expire", "not a time"}}, nullptr).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);

  auto list = [&](std::vector<std::string> filters, std::vector<std::string>& ids) {
    leases_v1::ListRequest req;
    for (auto& f : filters)
      req.add_filters(f);
    leases_v1::ListResponse res;
    auto ctx = call();
    auto st = leases_->List(ctx.get(), req, &res);
    ids.clear();
    for (const auto& l : res.leases())
      ids.push_back(l.id());
    return st;
  };
  std::vector<std::string> ids;
  ASSERT_TRUE(list({}, ids).ok());
  EXPECT_EQ(ids.size(), 2u);
  ASSERT_TRUE(list({"labels.app==ctr"}, ids).ok());
  EXPECT_EQ(ids, std::vector<std::string>{"pull-1"});
  EXPECT_EQ(list({"labels.app=="}, ids).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  leases_v1::DeleteRequest del;
  del.set_id("pull-1");
  google::protobuf::Empty empty;
  auto ctx = call();
  ASSERT_TRUE(leases_->Delete(ctx.get(), del, &empty).ok());
  auto again = call();
  EXPECT_EQ(leases_->Delete(again.get(), del, &empty).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(list({}, ids).ok());
  EXPECT_EQ(ids, std::vector<std::string>{generated.id()});
}

TEST_F(GrpcLeases, WritesUnderALeaseAreItsResourcesAndGoWithItOnSyncDelete) {
  ASSERT_TRUE(create_lease(*leases_, "fetch", {}, nullptr).ok());
  const std::string data = "fetched under a lease";
  const std::string digest = digest_of(data);
  // An ingest written under the lease is held by it, then the blob it becomes.
  {
    auto ctx = call("default", "fetch");
    auto s = content_->Write(ctx.get());
    content_v1::WriteContentRequest w;
    w.set_action(content_v1::WRITE);
    w.set_ref("fetch-ref");
    w.set_data(data.substr(0, 5));
    content_v1::WriteContentResponse res;
    ASSERT_TRUE(exchange(*s, w, res));
    s->WritesDone();
    ASSERT_TRUE(s->Finish().ok());
  }
  EXPECT_EQ(resources(*leases_, "fetch"), std::vector<std::string>{"ingests:fetch-ref"});
  // The root label is for writes without a lease only.
  ASSERT_TRUE(write_blob("default", "fetch-ref2", data, "fetch").ok());
  content_v1::InfoRequest ireq;
  ireq.set_digest(digest);
  content_v1::InfoResponse info;
  auto ictx = call();
  ASSERT_TRUE(content_->Info(ictx.get(), ireq, &info).ok());
  EXPECT_FALSE(info.info().labels().contains(std::string(gc::kRootLabel)));
  auto held = resources(*leases_, "fetch");
  EXPECT_NE(std::find(held.begin(), held.end(), "content:" + digest), held.end());

  // Held by the lease: a collection keeps it.
  ASSERT_TRUE(srv_.service().storage().gc().run_now());
  std::string read;
  ASSERT_TRUE(read_blob("default", digest, read).ok());
  // Deleted with sync: collected before the answer.
  leases_v1::DeleteRequest del;
  del.set_id("fetch");
  del.set_sync(true);
  google::protobuf::Empty empty;
  auto dctx = call();
  ASSERT_TRUE(leases_->Delete(dctx.get(), del, &empty).ok());
  EXPECT_EQ(read_blob("default", digest, read).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(http_.request("HEAD", "/v2/default/blobs/" + digest).status, 404u);
}

TEST_F(GrpcLeases, AnExpiredLeaseHoldsNothing) {
  const Timestamp soon = clock_.now() + std::chrono::minutes(10);
  ASSERT_TRUE(create_lease(*leases_, "short",
                           {{"containerd.io/gc.expire", metadata::format_rfc3339(soon)}}, nullptr)
                  .ok());
  const std::string data = "short-lived";
  ASSERT_TRUE(write_blob("default", "short-ref", data, "short").ok());
  ASSERT_TRUE(srv_.service().storage().gc().run_now());
  std::string read;
  ASSERT_TRUE(read_blob("default", digest_of(data), read).ok());
  clock_.advance(std::chrono::minutes(11));
  ASSERT_TRUE(srv_.service().storage().gc().run_now());
  EXPECT_EQ(read_blob("default", digest_of(data), read).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcLeases, ContentWrittenWithoutALeaseStaysUntilDeleted) {
  const std::string data = "a content store keeps what it is given";
  ASSERT_TRUE(write_blob("default", "kept", data).ok());
  clock_.advance(std::chrono::hours(24 * 30));
  ASSERT_TRUE(srv_.service().storage().gc().run_now());
  std::string read;
  ASSERT_TRUE(read_blob("default", digest_of(data), read).ok());
  EXPECT_EQ(read, data);
  // Deleted (as containerd's GC deletes from a proxy store): collected.
  content_v1::DeleteContentRequest del;
  del.set_digest(digest_of(data));
  google::protobuf::Empty empty;
  auto ctx = call("");
  ASSERT_TRUE(content_->Delete(ctx.get(), del, &empty).ok());
  ASSERT_TRUE(srv_.service().storage().gc().run_now());
  EXPECT_EQ(read_blob("default", digest_of(data), read).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcLeases, ResourcesByHand) {
  ASSERT_TRUE(create_lease(*leases_, "manual", {}, nullptr).ok());
  auto change = [&](bool add, const std::string& lease, const std::string& type,
                    const std::string& id) {
    leases_v1::Resource r;
    r.set_type(type);
    r.set_id(id);
    google::protobuf::Empty empty;
    auto ctx = call();
    if (add) {
      leases_v1::AddResourceRequest req;
      req.set_id(lease);
      *req.mutable_resource() = r;
      return leases_->AddResource(ctx.get(), req, &empty);
    }
    leases_v1::DeleteResourceRequest req;
    req.set_id(lease);
    *req.mutable_resource() = r;
    return leases_->DeleteResource(ctx.get(), req, &empty);
  };
  const std::string digest = digest_of("anything");
  ASSERT_TRUE(change(true, "manual", "content", digest).ok());
  ASSERT_TRUE(change(true, "manual", "ingests", "some-ref").ok());
  EXPECT_EQ(resources(*leases_, "manual"),
            (std::vector<std::string>{"content:" + digest, "ingests:some-ref"}));
  EXPECT_EQ(change(true, "manual", "snapshots/overlayfs", "x").error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(change(true, "manual", "content", "not-a-digest").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(change(true, "missing", "content", digest).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(change(false, "manual", "content", digest).ok());
  EXPECT_EQ(resources(*leases_, "manual"), std::vector<std::string>{"ingests:some-ref"});
  leases_v1::ListResourcesRequest req;
  req.set_id("missing");
  leases_v1::ListResourcesResponse res;
  auto ctx = call();
  EXPECT_EQ(leases_->ListResources(ctx.get(), req, &res).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcLeases, AWriteNamingAMissingLeaseIsRefused) {
  EXPECT_EQ(write_blob("default", "orphan", "bytes", "no-such-lease").error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace cairn::testing

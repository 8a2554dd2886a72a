// GrpcFixture: the real server (TestServer: HTTP on 127.0.0.1) plus the gRPC listener over its
// storage on a unix socket in a temporary directory, and a containerd-style client: the
// generated stubs over one channel, with each call's containerd-namespace and containerd-lease
// metadata set as containerd's clients set them. The clock is a ManualClock and GC runs only
// when a test asks (grace 0: only references and leases keep a blob).
#pragma once

#include "containerd/services/content/v1/content.grpc.pb.h"
#include "containerd/services/leases/v1/leases.grpc.pb.h"
#include "grpc_api/server.h"
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace cairn::testing {

namespace content_v1 = containerd::services::content::v1;
namespace leases_v1 = containerd::services::leases::v1;

class GrpcFixture : public ::testing::Test {
 protected:
  static handlers::ServiceOptions service_options(const Clock& clock) {
    handlers::ServiceOptions o;
    o.storage.clock = &clock;
    o.storage.gc.grace = std::chrono::nanoseconds(0);
    o.start_gc_scheduler = false;
    return o;
  }

  GrpcFixture() {
    grpc_api::GrpcOptions options;
    options.listen = "unix://" + (socket_dir_.path() / "cairn.sock").string();
    grpc_ = grpc_api::GrpcServer::start(options, srv_.service().storage(), srv_.service().offload())
                .value();
    channel_ = grpc::CreateChannel("unix:" + (socket_dir_.path() / "cairn.sock").string(),
                                   grpc::InsecureChannelCredentials());
    content_ = content_v1::Content::NewStub(channel_);
    leases_ = leases_v1::Leases::NewStub(channel_);
  }
  ~GrpcFixture() override {
    grpc_->shutdown();  // before the server's pool stops (TestServer's destructor)
  }

 public:
  // A client context for namespace `ns` (none: no metadata) and lease `lease` (none: none).
  static std::unique_ptr<grpc::ClientContext> call(const std::string& ns = "default",
                                                   const std::string& lease = "") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!ns.empty())
      ctx->AddMetadata("containerd-namespace", ns);
    if (!lease.empty())
      ctx->AddMetadata("containerd-lease", lease);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return ctx;
  }

 protected:
  using WriteStream =
      grpc::ClientReaderWriter<content_v1::WriteContentRequest, content_v1::WriteContentResponse>;

  // Sends one message on a Write stream and reads its answer; false when the stream ended
  // (the status is then in the stream's Finish()).
  static bool exchange(WriteStream& stream, const content_v1::WriteContentRequest& req,
                       content_v1::WriteContentResponse& res) {
    if (!stream.Write(req))
      return false;
    return stream.Read(&res);
  }

  static content_v1::WriteContentRequest message(content_v1::WriteAction action,
                                                 std::string data = {}, int64_t offset = 0) {
    content_v1::WriteContentRequest req;
    req.set_action(action);
    req.set_data(std::move(data));
    req.set_offset(offset);
    return req;
  }

  // Writes `data` as ref `ref` of `ns` in one stream (STAT, WRITE pieces, COMMIT) and returns
  // the stream's status; the commit checks size and digest.
  grpc::Status write_blob(const std::string& ns, const std::string& ref, const std::string& data,
                          const std::string& lease = "", size_t piece = 64 << 10) {
    auto ctx = call(ns, lease);
    auto stream = content_->Write(ctx.get());
    content_v1::WriteContentRequest stat = message(content_v1::STAT);
    stat.set_ref(ref);
    stat.set_total(static_cast<int64_t>(data.size()));
    stat.set_expected(digest_of(data));
    content_v1::WriteContentResponse res;
    if (!exchange(*stream, stat, res))
      return stream->Finish();
    for (size_t at = 0; at < data.size(); at += piece) {
      if (!exchange(*stream,
                    message(content_v1::WRITE, data.substr(at, piece), static_cast<int64_t>(at)),
                    res))
        return stream->Finish();
    }
    content_v1::WriteContentRequest commit =
        message(content_v1::COMMIT, {}, static_cast<int64_t>(data.size()));
    commit.set_total(static_cast<int64_t>(data.size()));
    commit.set_expected(digest_of(data));
    if (!exchange(*stream, commit, res))
      return stream->Finish();
    EXPECT_EQ(res.offset(), static_cast<int64_t>(data.size()));
    EXPECT_EQ(res.digest(), digest_of(data));
    stream->WritesDone();
    return stream->Finish();
  }

  // The whole blob read through Read (offset 0, size 0), or the status of a failed read.
  grpc::Status read_blob(const std::string& ns, const std::string& digest, std::string& out,
                         int64_t offset = 0, int64_t size = 0, size_t* messages = nullptr) {
    auto ctx = call(ns);
    content_v1::ReadContentRequest req;
    req.set_digest(digest);
    req.set_offset(offset);
    req.set_size(size);
    auto reader = content_->Read(ctx.get(), req);
    content_v1::ReadContentResponse piece;
    out.clear();
    size_t n = 0;
    const int64_t start = std::max<int64_t>(offset, 0);  // a negative offset reads from 0
    while (reader->Read(&piece)) {
      EXPECT_EQ(piece.offset(), start + static_cast<int64_t>(out.size()));
      out += piece.data();
      ++n;
    }
    if (messages)
      *messages = n;
    return reader->Finish();
  }

  ManualClock clock_;  // outlives the server
  TestServer srv_{server::ServerOptions{}, service_options(clock_)};
  HttpClient http_{srv_.port()};
  TempDir socket_dir_;
  std::unique_ptr<grpc_api::GrpcServer> grpc_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<content_v1::Content::Stub> content_;
  std::unique_ptr<leases_v1::Leases::Stub> leases_;
};

}  // namespace cairn::testing

// ContentService: containerd.services.content.v1.Content over the namespaced content store
// (Storage::content(), metadata/content_store.h), as containerd's content server serves its own
// store (services/content/contentserver), method for method:
//
//   Info, Update (update_mask: "labels", "labels.<key>"; none: all labels), Delete,
//   Status, ListStatuses, Abort       unary, each one storage call on the pool
//   List                              streamed: Infos of the blobs matching any filter
//                                     (content/filter.h), kListBatch to a message
//   Read                              streamed: the bytes from offset (size 0: to the end) in
//                                     pieces of kReadPiece bytes
//   Write                             the ingest protocol (below)
//
// Write. The first message names the ref (and may give total and expected); the stream then holds
// the ingest (another stream on the same ref gets UNAVAILABLE) until it ends. Each message is
// answered once: STAT with the offset, total, digest so far and times; WRITE with data at offset
// (offset 0 on a started ingest restarts it; any other offset but the current one is
// OUT_OF_RANGE) answered with the new offset; COMMIT writes any data, then verifies total and
// expected and commits (labels from the message), answers offset and digest and ends the stream.
// An expected digest already present answers ALREADY_EXISTS (as containerd: the client counts
// that as done). A stream that ends without COMMIT leaves the ingest to be resumed: Status
// shows its offset, and a new Write on the ref continues from there.
//
// Thread-safety: gRPC calls the methods on its threads; each call's state is touched by one
// thread at a time (its storage steps run on the pool, one after the other).
#pragma once

#include "containerd/services/content/v1/content.grpc.pb.h"
#include "grpc_api/call.h"

namespace cairn::grpc_api {

namespace content_v1 = containerd::services::content::v1;

// The most bytes one ReadContentResponse carries.
inline constexpr size_t kReadPiece = 1 << 20;
// The most Infos one ListContentResponse carries.
inline constexpr size_t kListBatch = 100;

class ContentService final : public content_v1::Content::CallbackService {
 public:
  explicit ContentService(Backend& backend) : backend_(backend) {}

  grpc::ServerUnaryReactor* Info(grpc::CallbackServerContext* ctx,
                                 const content_v1::InfoRequest* req,
                                 content_v1::InfoResponse* res) override;
  grpc::ServerUnaryReactor* Update(grpc::CallbackServerContext* ctx,
                                   const content_v1::UpdateRequest* req,
                                   content_v1::UpdateResponse* res) override;
  grpc::ServerWriteReactor<content_v1::ListContentResponse>* List(
      grpc::CallbackServerContext* ctx, const content_v1::ListContentRequest* req) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx,
                                   const content_v1::DeleteContentRequest* req,
                                   google::protobuf::Empty* res) override;
  grpc::ServerWriteReactor<content_v1::ReadContentResponse>* Read(
      grpc::CallbackServerContext* ctx, const content_v1::ReadContentRequest* req) override;
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx,
                                   const content_v1::StatusRequest* req,
                                   content_v1::StatusResponse* res) override;
  grpc::ServerUnaryReactor* ListStatuses(grpc::CallbackServerContext* ctx,
                                         const content_v1::ListStatusesRequest* req,
                                         content_v1::ListStatusesResponse* res) override;
  grpc::ServerBidiReactor<content_v1::WriteContentRequest, content_v1::WriteContentResponse>* Write(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* Abort(grpc::CallbackServerContext* ctx,
                                  const content_v1::AbortRequest* req,
                                  google::protobuf::Empty* res) override;

 private:
  Backend& backend_;
};

}  // namespace cairn::grpc_api

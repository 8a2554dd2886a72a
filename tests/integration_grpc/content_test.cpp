// containerd.services.content.v1.Content against the real server, through the generated client
// stubs as containerd's content proxy and ctr call it: the Write protocol (one stream, resumed
// after a clean close and after a cancelled stream, two streams on one ref, bad offsets and
// digests, content already there), Info, Update's fieldpaths, List's filters and batches, Read's
// ranges and pieces, Status, ListStatuses, Abort, Delete, namespaces from metadata, and the HTTP
// API and the gRPC API as one store.
#include "tests/integration_grpc/grpc_fixture.h"

#include "storage/gc/collector.h"

#include <set>
#include <thread>

namespace cairn::testing {
namespace {

using content_v1::COMMIT;
using content_v1::STAT;
using content_v1::WRITE;

std::string pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>(seed + (i * 131 + i / 7) % 61);
  return s;
}

using GrpcContent = GrpcFixture;

TEST_F(GrpcContent, WriteCommitsAndEveryViewSeesTheBlob) {
  const std::string data = pattern(300'000, 'a');
  const std::string digest = digest_of(data);
  ASSERT_TRUE(write_blob("default", "layer-1", data).ok());

  content_v1::InfoRequest req;
  req.set_digest(digest);
  content_v1::InfoResponse info;
  auto ctx = call();
  ASSERT_TRUE(content_->Info(ctx.get(), req, &info).ok());
  EXPECT_EQ(info.info().digest(), digest);
  EXPECT_EQ(info.info().size(), 300'000);
  EXPECT_EQ(info.info().created_at().seconds(), 1'700'000'000);  // the ManualClock's time
  // Committed without a lease: held as a root until deleted (grpc_api/server.h).
  EXPECT_TRUE(info.info().labels().contains(std::string(gc::kRootLabel)));

  std::string read;
  ASSERT_TRUE(read_blob("default", digest, read).ok());
  EXPECT_EQ(read, data);
  // The same store over HTTP: the namespace is the repository.
  auto r = http_.request("GET", "/v2/default/blobs/" + digest);
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, data);
  // The ingest is gone.
  content_v1::StatusRequest sreq;
  sreq.set_ref("layer-1");
  content_v1::StatusResponse sres;
  auto sctx = call();
  EXPECT_EQ(content_->Status(sctx.get(), sreq, &sres).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcContent, BlobsPushedOverHttpAreContentOfTheNamespace) {
  const std::string data = "pushed over the OCI API";
  const std::string digest = push_blob(http_, "k8s.io", data);
  std::string read;
  ASSERT_TRUE(read_blob("k8s.io", digest, read).ok());
  EXPECT_EQ(read, data);
  // Another namespace does not see it.
  EXPECT_EQ(read_blob("default", digest, read).error_code(), grpc::StatusCode::NOT_FOUND);

  // And content written over gRPC in k8s.io is pullable as /v2/k8s.io/….
  const std::string mine = pattern(5000, 'k');
  ASSERT_TRUE(write_blob("k8s.io", "from-containerd", mine).ok());
  auto r = http_.request("GET", "/v2/k8s.io/blobs/" + digest_of(mine));
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, mine);
  EXPECT_EQ(http_.request("HEAD", "/v2/default/blobs/" + digest_of(mine)).status, 404u);
}

TEST_F(GrpcContent, CallsWithoutANamespaceActInTheDefaultOne) {
  const std::string data = "no namespace header";
  ASSERT_TRUE(write_blob("", "plain", data).ok());
  std::string read;
  ASSERT_TRUE(read_blob("default", digest_of(data), read).ok());
  EXPECT_EQ(read, data);
}

TEST_F(GrpcContent, AStreamClosedEarlyIsResumedWhereItStopped) {
  const std::string data = pattern(200'000, 'r');
  {
    auto ctx = call();
    auto stream = content_->Write(ctx.get());
    content_v1::WriteContentRequest first = message(WRITE, data.substr(0, 120'000));
    first.set_ref("resumable");
    first.set_total(static_cast<int64_t>(data.size()));
    content_v1::WriteContentResponse res;
    ASSERT_TRUE(exchange(*stream, first, res));
    EXPECT_EQ(res.offset(), 120'000);
    stream->WritesDone();
    ASSERT_TRUE(stream->Finish().ok());
  }
  content_v1::StatusRequest sreq;
  sreq.set_ref("resumable");
  content_v1::StatusResponse sres;
  auto sctx = call();
  ASSERT_TRUE(content_->Status(sctx.get(), sreq, &sres).ok());
  EXPECT_EQ(sres.status().offset(), 120'000);
  EXPECT_EQ(sres.status().total(), 200'000);
  EXPECT_EQ(sres.status().ref(), "resumable");

  auto ctx = call();
  auto stream = content_->Write(ctx.get());
  content_v1::WriteContentRequest stat = message(STAT);
  stat.set_ref("resumable");
  content_v1::WriteContentResponse res;
  ASSERT_TRUE(exchange(*stream, stat, res));
  EXPECT_EQ(res.action(), STAT);
  EXPECT_EQ(res.offset(), 120'000);
  EXPECT_EQ(res.total(), 200'000);
  EXPECT_EQ(res.digest(), digest_of(data.substr(0, 120'000)));  // the digest so far
  content_v1::WriteContentRequest commit = message(COMMIT, data.substr(120'000), 120'000);
  commit.set_expected(digest_of(data));
  ASSERT_TRUE(exchange(*stream, commit, res));
  EXPECT_EQ(res.action(), COMMIT);
  EXPECT_EQ(res.offset(), 200'000);
  EXPECT_EQ(res.digest(), digest_of(data));
  stream->WritesDone();
  ASSERT_TRUE(stream->Finish().ok());
  std::string read;
  ASSERT_TRUE(read_blob("default", digest_of(data), read).ok());
  EXPECT_EQ(read, data);
}

TEST_F(GrpcContent, ACancelledStreamLeavesTheIngestForTheNextOne) {
  const std::string data = pattern(150'000, 'c');
  {
    auto ctx = call();
    auto stream = content_->Write(ctx.get());
    content_v1::WriteContentRequest first = message(WRITE, data.substr(0, 50'000));
    first.set_ref("cut");
    content_v1::WriteContentResponse res;
    ASSERT_TRUE(exchange(*stream, first, res));
    ctx->TryCancel();  // the client goes away mid-stream
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // The server lets go of the ref once it sees the cancel: a new stream gets it (retrying
  // while the old one is still being closed, as containerd's clients retry UNAVAILABLE).
  content_v1::WriteContentResponse res;
  std::unique_ptr<grpc::ClientContext> ctx;
  std::unique_ptr<WriteStream> stream;
  for (int attempt = 0; attempt < 50; ++attempt) {
    ctx = call();
    stream = content_->Write(ctx.get());
    content_v1::WriteContentRequest stat = message(STAT);
    stat.set_ref("cut");
    if (exchange(*stream, stat, res))
      break;
    ASSERT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
    stream.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(stream);
  EXPECT_EQ(res.offset(), 50'000);
  content_v1::WriteContentRequest commit = message(COMMIT, data.substr(50'000), 50'000);
  commit.set_total(150'000);
  ASSERT_TRUE(exchange(*stream, commit, res));
  EXPECT_EQ(res.digest(), digest_of(data));
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(GrpcContent, OneStreamAtATimeHoldsARef) {
  auto ctx_a = call();
  auto a = content_->Write(ctx_a.get());
  content_v1::WriteContentRequest first = message(WRITE, "first part");
  first.set_ref("contended");
  content_v1::WriteContentResponse res;
  ASSERT_TRUE(exchange(*a, first, res));

  auto ctx_b = call();
  auto b = content_->Write(ctx_b.get());
  content_v1::WriteContentRequest stat = message(STAT);
  stat.set_ref("contended");
  EXPECT_FALSE(exchange(*b, stat, res));
  EXPECT_EQ(b->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);

  // A's stream still works, and commits what it wrote.
  content_v1::WriteContentRequest commit = message(COMMIT, " and the rest", 10);
  commit.set_expected(digest_of("first part and the rest"));
  ASSERT_TRUE(exchange(*a, commit, res));
  a->WritesDone();
  EXPECT_TRUE(a->Finish().ok());
}

TEST_F(GrpcContent, BadWritesAreRefusedWithContainerdsCodes) {
  content_v1::WriteContentResponse res;
  {  // no ref on the first message
    auto ctx = call();
    auto s = content_->Write(ctx.get());
    EXPECT_FALSE(exchange(*s, message(STAT), res));
    EXPECT_EQ(s->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {  // a write past the current offset
    auto ctx = call();
    auto s = content_->Write(ctx.get());
    content_v1::WriteContentRequest w = message(WRITE, "abc", 0);
    w.set_ref("gap");
    ASSERT_TRUE(exchange(*s, w, res));
    EXPECT_FALSE(exchange(*s, message(WRITE, "xyz", 10), res));
    EXPECT_EQ(s->Finish().error_code(), grpc::StatusCode::OUT_OF_RANGE);
  }
  {  // a commit whose digest is wrong: refused, and the ingest kept for the client to fix
    auto ctx = call();
    auto s = content_->Write(ctx.get());
    content_v1::WriteContentRequest c = message(COMMIT, "some bytes", 0);
    c.set_ref("wrong-digest");
    c.set_expected(digest_of("other bytes"));
    EXPECT_FALSE(exchange(*s, c, res));
    EXPECT_EQ(s->Finish().error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    content_v1::StatusRequest sreq;
    sreq.set_ref("wrong-digest");
    content_v1::StatusResponse sres;
    auto sctx = call();
    ASSERT_TRUE(content_->Status(sctx.get(), sreq, &sres).ok());
    EXPECT_EQ(sres.status().offset(), 10);
  }
  {  // a malformed expected digest
    auto ctx = call();
    auto s = content_->Write(ctx.get());
    content_v1::WriteContentRequest c = message(STAT);
    c.set_ref("bad-digest");
    c.set_expected("sha256:nothex");
    EXPECT_FALSE(exchange(*s, c, res));
    EXPECT_EQ(s->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {  // a ref that could reach a path
    auto ctx = call();
    auto s = content_->Write(ctx.get());
    content_v1::WriteContentRequest c = message(STAT);
    c.set_ref("../../etc/passwd");
    EXPECT_FALSE(exchange(*s, c, res));
    EXPECT_EQ(s->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {  // a namespace that is no repository name
    auto ctx = call("Not A Name");
    auto s = content_->Write(ctx.get());
    content_v1::WriteContentRequest c = message(STAT);
    c.set_ref("fine");
    EXPECT_FALSE(exchange(*s, c, res));
    EXPECT_EQ(s->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
}

TEST_F(GrpcContent, ContentAlreadyThereAnswersAlreadyExists) {
  const std::string data = "written twice";
  ASSERT_TRUE(write_blob("default", "one", data).ok());
  EXPECT_EQ(write_blob("default", "two", data).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  // No ingest is left behind by the refused one.
  content_v1::ListStatusesRequest req;
  content_v1::ListStatusesResponse res;
  auto ctx = call();
  ASSERT_TRUE(content_->ListStatuses(ctx.get(), req, &res).ok());
  EXPECT_EQ(res.statuses_size(), 0);
}

TEST_F(GrpcContent, UpdateChangesTheLabelsItsFieldpathsName) {
  const std::string data = "labelled";
  const std::string digest = digest_of(data);
  ASSERT_TRUE(write_blob("default", "labelled", data).ok());
  auto update = [&](std::map<std::string, std::string> labels, std::vector<std::string> paths,
                    content_v1::UpdateResponse& res) {
    content_v1::UpdateRequest req;
    req.mutable_info()->set_digest(digest);
    for (auto& [k, v] : labels)
      (*req.mutable_info()->mutable_labels())[k] = v;
    for (auto& p : paths)
      req.mutable_update_mask()->add_paths(p);
    auto ctx = call();
    return content_->Update(ctx.get(), req, &res);
  };
  content_v1::UpdateResponse res;
  ASSERT_TRUE(update({{"a", "1"}, {"b", "2"}}, {"labels.a", "labels.b"}, res).ok());
  EXPECT_EQ(res.info().labels().at("a"), "1");
  EXPECT_EQ(res.info().labels().at("b"), "2");
  EXPECT_TRUE(res.info().labels().contains(std::string(gc::kRootLabel)));  // untouched
  // A named key absent from the labels is removed.
  ASSERT_TRUE(update({}, {"labels.a"}, res).ok());
  EXPECT_FALSE(res.info().labels().contains("a"));
  EXPECT_EQ(res.info().labels().at("b"), "2");
  // "labels" replaces them all.
  ASSERT_TRUE(update({{"only", "x"}}, {"labels"}, res).ok());
  EXPECT_EQ(res.info().labels().size(), 1u);
  EXPECT_EQ(res.info().labels().at("only"), "x");
  EXPECT_EQ(update({}, {"size"}, res).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  content_v1::UpdateRequest missing;
  missing.mutable_info()->set_digest(digest_of("absent"));
  auto ctx = call();
  EXPECT_EQ(content_->Update(ctx.get(), missing, &res).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcContent, ListStreamsFilteredInfosInBatches) {
  // 250 blobs, a third labelled: three messages of at most 100 Infos.
  std::set<std::string> all;
  std::set<std::string> labelled;
  for (int i = 0; i < 250; ++i) {
    const std::string data = "blob " + std::to_string(i);
    ASSERT_TRUE(write_blob("default", "ref-" + std::to_string(i), data).ok());
    all.insert(digest_of(data));
    if (i % 3 == 0) {
      content_v1::UpdateRequest req;
      req.mutable_info()->set_digest(digest_of(data));
      (*req.mutable_info()->mutable_labels())["kind"] = "third";
      req.mutable_update_mask()->add_paths("labels.kind");
      content_v1::UpdateResponse res;
      auto ctx = call();
      ASSERT_TRUE(content_->Update(ctx.get(), req, &res).ok());
      labelled.insert(digest_of(data));
    }
  }
  auto list = [&](std::vector<std::string> filters, std::set<std::string>& out, size_t& messages) {
    content_v1::ListContentRequest req;
    for (auto& f : filters)
      req.add_filters(f);
    auto ctx = call();
    auto reader = content_->List(ctx.get(), req);
    content_v1::ListContentResponse res;
    out.clear();
    messages = 0;
    std::string last;
    while (reader->Read(&res)) {
      ++messages;
      EXPECT_LE(res.info_size(), 100);
      for (const auto& info : res.info()) {
        EXPECT_GT(info.digest(), last);  // digest order, no repeats
        last = info.digest();
        out.insert(info.digest());
      }
    }
    return reader->Finish();
  };
  std::set<std::string> got;
  size_t messages = 0;
  ASSERT_TRUE(list({}, got, messages).ok());
  EXPECT_EQ(got, all);
  EXPECT_EQ(messages, 3u);
  ASSERT_TRUE(list({"labels.kind==third"}, got, messages).ok());
  EXPECT_EQ(got, labelled);
  // Filters are ORed.
  ASSERT_TRUE(list({"labels.kind==third", "digest==" + digest_of("blob 1")}, got, messages).ok());
  EXPECT_EQ(got.size(), labelled.size() + 1);
  EXPECT_EQ(list({"labels.kind=="}, got, messages).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(list({}, got, messages).ok());
}

TEST_F(GrpcContent, ReadSendsRangesInBoundedPieces) {
  const std::string data = pattern(3 * 1024 * 1024 + 12345, 'p');
  const std::string digest = digest_of(data);
  ASSERT_TRUE(write_blob("default", "big", data, "", 1 << 20).ok());
  std::string out;
  size_t messages = 0;
  ASSERT_TRUE(read_blob("default", digest, out, 0, 0, &messages).ok());
  EXPECT_EQ(out, data);
  EXPECT_EQ(messages, 4u);  // 1 MiB pieces
  ASSERT_TRUE(read_blob("default", digest, out, 1000, 5000).ok());
  EXPECT_EQ(out, data.substr(1000, 5000));
  // A size past the end reads to the end; a negative offset reads from the start.
  ASSERT_TRUE(read_blob("default", digest, out, static_cast<int64_t>(data.size()) - 10, 1000).ok());
  EXPECT_EQ(out, data.substr(data.size() - 10));
  ASSERT_TRUE(read_blob("default", digest, out, -5, 3).ok());
  EXPECT_EQ(out, data.substr(0, 3));
  EXPECT_EQ(read_blob("default", digest, out, static_cast<int64_t>(data.size()) + 1).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(read_blob("default", digest_of("absent"), out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(read_blob("default", "md5:abc", out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(GrpcContent, StatusesListAndAbort) {
  for (const char* ref : {"a-ref", "b-ref"}) {
    auto ctx = call();
    auto s = content_->Write(ctx.get());
    content_v1::WriteContentRequest w = message(WRITE, "partial");
    w.set_ref(ref);
    w.set_total(100);
    content_v1::WriteContentResponse res;
    ASSERT_TRUE(exchange(*s, w, res));
    s->WritesDone();
    ASSERT_TRUE(s->Finish().ok());
  }
  content_v1::ListStatusesRequest req;
  content_v1::ListStatusesResponse res;
  auto ctx = call();
  ASSERT_TRUE(content_->ListStatuses(ctx.get(), req, &res).ok());
  ASSERT_EQ(res.statuses_size(), 2);
  EXPECT_EQ(res.statuses(0).ref(), "a-ref");
  EXPECT_EQ(res.statuses(0).offset(), 7);
  EXPECT_EQ(res.statuses(0).total(), 100);
  EXPECT_EQ(res.statuses(1).ref(), "b-ref");
  // Another namespace has none.
  auto other = call("elsewhere");
  ASSERT_TRUE(content_->ListStatuses(other.get(), req, &res).ok());
  EXPECT_EQ(res.statuses_size(), 0);

  content_v1::AbortRequest abort;
  abort.set_ref("a-ref");
  google::protobuf::Empty empty;
  auto actx = call();
  ASSERT_TRUE(content_->Abort(actx.get(), abort, &empty).ok());
  auto again = call();
  EXPECT_EQ(content_->Abort(again.get(), abort, &empty).error_code(), grpc::StatusCode::NOT_FOUND);
  auto lctx = call();
  ASSERT_TRUE(content_->ListStatuses(lctx.get(), req, &res).ok());
  ASSERT_EQ(res.statuses_size(), 1);
  EXPECT_EQ(res.statuses(0).ref(), "b-ref");
}

TEST_F(GrpcContent, DeleteRemovesTheBlobFromItsNamespace) {
  const std::string data = "to delete";
  const std::string digest = digest_of(data);
  ASSERT_TRUE(write_blob("default", "del", data).ok());
  content_v1::DeleteContentRequest req;
  req.set_digest(digest);
  google::protobuf::Empty empty;
  auto ctx = call();
  ASSERT_TRUE(content_->Delete(ctx.get(), req, &empty).ok());
  content_v1::InfoRequest ireq;
  ireq.set_digest(digest);
  content_v1::InfoResponse info;
  auto ictx = call();
  EXPECT_EQ(content_->Info(ictx.get(), ireq, &info).error_code(), grpc::StatusCode::NOT_FOUND);
  auto again = call();
  EXPECT_EQ(content_->Delete(again.get(), req, &empty).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(http_.request("HEAD", "/v2/default/blobs/" + digest).status, 404u);
}

TEST_F(GrpcContent, ShutdownEndsStreamsInFlight) {
  auto ctx = call();
  auto s = content_->Write(ctx.get());
  content_v1::WriteContentRequest w = message(WRITE, "held open");
  w.set_ref("open-at-shutdown");
  content_v1::WriteContentResponse res;
  ASSERT_TRUE(exchange(*s, w, res));
  grpc_->shutdown();  // returns although the stream never ended
  EXPECT_FALSE(s->Read(&res));
  EXPECT_FALSE(s->Finish().ok());
}

}  // namespace
}  // namespace cairn::testing

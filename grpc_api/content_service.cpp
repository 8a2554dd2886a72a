#include "grpc_api/content_service.h"

#include "storage/content/filter.h"
#include "storage/metadata/rfc3339.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace cairn::grpc_api {

using content::Digest;

namespace {

using grpc::Status;
using grpc::StatusCode;

// How many Infos one walk of List collects before it is sent (kListBatch to a message). The next
// walk resumes after the last digest sent, so a listing holds at most this many in memory.
constexpr size_t kListWalk = 1000;

void set_info(content_v1::Info* out, const content::Info& in) {
  out->set_digest(in.digest.str());
  out->set_size(in.size);
  set_time(out->mutable_created_at(), in.created_at);
  set_time(out->mutable_updated_at(), in.updated_at);
  set_labels(out->mutable_labels(), in.labels);
}

void set_status(content_v1::Status* out, const content::Status& in) {
  set_time(out->mutable_started_at(), in.started_at);
  set_time(out->mutable_updated_at(), in.updated_at);
  out->set_ref(in.ref);
  out->set_offset(in.offset);
  out->set_total(in.total);
  if (in.expected)
    out->set_expected(in.expected->str());
}

Status shutting_down() {
  return Status(StatusCode::UNAVAILABLE, "the server is shutting down");
}

// The root label a blob committed without a lease carries (server.h: "Leases and GC"), valued
// with the time it was first held, as containerd values it.
void add_root_label(Storage& s, content::Labels& labels) {
  if (!labels.contains(gc::kRootLabel))
    labels.emplace(std::string(gc::kRootLabel), metadata::format_rfc3339(s.clock().now()));
}

// Holds `digest` in scope.ns with the root label when the call has no lease (a Write that found
// the blob already there: the namespace's record may lack it). Errors: those of update.
Result<void> hold(Storage& s, const metadata::Scope& scope, const Digest& digest) {
  if (!scope.lease.empty())
    return {};
  auto info = s.content().info(scope, digest);
  if (!info)
    return info.error();
  if (info->labels.contains(gc::kRootLabel))
    return {};
  content::Info change;
  change.digest = digest;
  add_root_label(s, change.labels);
  const std::string path = "labels." + std::string(gc::kRootLabel);
  auto updated = s.content().update(scope, change, std::span<const std::string>(&path, 1));
  if (!updated)
    return updated.error();
  return {};
}

// List: walks of up to kListWalk Infos, sent kListBatch to a message.
class ListReactor final : public grpc::ServerWriteReactor<content_v1::ListContentResponse> {
 public:
  ListReactor(Backend& backend, metadata::Scope scope, std::vector<std::string> filters)
      : backend_(backend), scope_(std::move(scope)), filters_(std::move(filters)) {
    post_step(
        backend_.pool, [this] { walk(); }, [this] { Finish(shutting_down()); });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(Status(StatusCode::CANCELLED, "the client went away"));
      return;
    }
    send_next();
  }
  void OnDone() override { delete this; }

 private:
  // On the pool: the next kListWalk Infos after last_.
  void walk() {
    batch_.clear();
    next_ = 0;
    auto walked = backend_.storage.content().walk(
        scope_,
        [&](const content::Info& info) {
          if (!last_.empty() && info.digest.str() <= last_)
            return true;
          if (batch_.size() >= kListWalk)
            return false;
          batch_.push_back(info);
          return true;
        },
        filters_);
    if (!walked) {
      Finish(to_status(walked.error()));
      return;
    }
    done_walking_ = batch_.size() < kListWalk;
    if (!batch_.empty())
      last_ = batch_.back().digest.str();
    send_next();
  }

  void send_next() {
    if (next_ == batch_.size()) {
      if (done_walking_)
        Finish(Status::OK);
      else
        post_step(
            backend_.pool, [this] { walk(); }, [this] { Finish(shutting_down()); });
      return;
    }
    msg_.Clear();
    const size_t end = std::min(batch_.size(), next_ + kListBatch);
    for (; next_ < end; ++next_)
      set_info(msg_.add_info(), batch_[next_]);
    StartWrite(&msg_);
  }

  Backend& backend_;
  const metadata::Scope scope_;
  const std::vector<std::string> filters_;
  std::vector<content::Info> batch_;
  size_t next_ = 0;
  std::string last_;  // the last digest collected: the next walk starts after it
  bool done_walking_ = false;
  content_v1::ListContentResponse msg_;
};

// Read: one piece of at most kReadPiece bytes read on the pool, sent, then the next.
class ReadReactor final : public grpc::ServerWriteReactor<content_v1::ReadContentResponse> {
 public:
  ReadReactor(Backend& backend, metadata::Scope scope, content_v1::ReadContentRequest req)
      : backend_(backend), scope_(std::move(scope)), req_(std::move(req)) {
    post_step(
        backend_.pool, [this] { open(); }, [this] { Finish(shutting_down()); });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(Status(StatusCode::CANCELLED, "the client went away"));
      return;
    }
    post_step(
        backend_.pool, [this] { send_piece(); }, [this] { Finish(shutting_down()); });
  }
  void OnDone() override { delete this; }

 private:
  void open() {
    auto digest = Digest::parse(req_.digest());
    if (!digest) {
      Finish(to_status(digest.error()));
      return;
    }
    auto reader = backend_.storage.content().reader(scope_, *digest);
    if (!reader) {
      Finish(to_status(reader.error()));
      return;
    }
    reader_ = std::move(*reader);
    // As containerd: an offset of zero or less reads from the start; a size of zero or less, or
    // one past the end, reads to the end; an offset past the end is refused.
    const int64_t size = reader_->size();
    pos_ = std::max<int64_t>(req_.offset(), 0);
    if (pos_ > size) {
      Finish(Status(StatusCode::INVALID_ARGUMENT,
                    "read past object length " + std::to_string(size) + " bytes"));
      return;
    }
    end_ = (req_.size() <= 0 || req_.size() > size - pos_) ? size : pos_ + req_.size();
    send_piece();
  }

  // On the pool: reads the next piece and starts sending it, or finishes at the end.
  void send_piece() {
    const int64_t n = std::min<int64_t>(kReadPiece, end_ - pos_);
    if (n <= 0) {
      Finish(Status::OK);
      return;
    }
    msg_.set_offset(pos_);
    std::string* data = msg_.mutable_data();
    data->resize(static_cast<size_t>(n));
    size_t got = 0;
    while (got < data->size()) {
      auto r = reader_->read_at(
          std::as_writable_bytes(std::span<char>(data->data() + got, data->size() - got)),
          pos_ + static_cast<int64_t>(got));
      if (!r) {
        Finish(to_status(r.error()));
        return;
      }
      if (*r == 0) {
        Finish(Status(StatusCode::INTERNAL, "the content ended before its size"));
        return;
      }
      got += *r;
    }
    pos_ += n;
    StartWrite(&msg_);
  }

  Backend& backend_;
  const metadata::Scope scope_;
  const content_v1::ReadContentRequest req_;
  std::unique_ptr<content::ReaderAt> reader_;
  int64_t pos_ = 0;
  int64_t end_ = 0;
  content_v1::ReadContentResponse msg_;
};

// Write: each message is handled on the pool, answered, and only then is the next one read.
class WriteReactor final : public grpc::ServerBidiReactor<content_v1::WriteContentRequest,
                                                          content_v1::WriteContentResponse> {
 public:
  WriteReactor(Backend& backend, metadata::Scope scope)
      : backend_(backend), scope_(std::move(scope)) {
    StartRead(&req_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side (or went away): the ingest stays, resumable
      end(Status::OK);
      return;
    }
    post_step(
        backend_.pool,
        [this] {
          Status status = handle();
          if (!status.ok()) {
            writer_.reset();
            Finish(status);
            return;
          }
          StartWrite(&res_);
        },
        [this] { Finish(shutting_down()); });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      end(Status(StatusCode::CANCELLED, "the client went away"));
      return;
    }
    if (committed_) {
      Finish(Status::OK);
      return;
    }
    StartRead(&req_);
  }

  void OnDone() override { delete this; }

 private:
  // Closes the writer on the pool (the ref is free again once it is closed), then finishes.
  void end(Status status) {
    post_step(
        backend_.pool,
        [this, status] {
          writer_.reset();
          Finish(status);
        },
        [this] { Finish(shutting_down()); });
  }

  // On the pool: the current message, answered in res_.
  Status handle() {
    Storage& s = backend_.storage;
    if (req_.action() != content_v1::STAT && req_.action() != content_v1::WRITE &&
        req_.action() != content_v1::COMMIT)
      return Status(StatusCode::INVALID_ARGUMENT, "unknown write action");
    if (!req_.expected().empty()) {
      auto expected = Digest::parse(req_.expected());
      if (!expected)
        return to_status(expected.error());
      expected_ = std::move(*expected);
    }
    if (req_.total() > 0)
      total_ = req_.total();
    if (!writer_) {
      if (auto st = open(); !st.ok())
        return st;
    } else if (!req_.ref().empty() && req_.ref() != ref_) {
      return Status(StatusCode::INVALID_ARGUMENT, "a write stream writes one ref");
    }

    res_.Clear();
    res_.set_action(req_.action());
    auto ws = writer_->status();
    if (!ws)
      return to_status(ws.error());
    int64_t offset = ws->offset;
    if (req_.action() == content_v1::STAT) {
      res_.set_digest(writer_->digest().str());
      set_time(res_.mutable_started_at(), ws->started_at);
      set_time(res_.mutable_updated_at(), ws->updated_at);
      res_.set_total(total_);
      res_.set_offset(offset);
      return Status::OK;
    }
    // WRITE or COMMIT: data at the current offset, or at 0 to start over.
    if (req_.offset() > 0 && req_.offset() != offset)
      return Status(StatusCode::OUT_OF_RANGE, "write @" + std::to_string(req_.offset()) +
                                                  " must occur at current offset " +
                                                  std::to_string(offset));
    if (req_.offset() == 0 && offset > 0) {
      if (auto r = writer_->truncate(0); !r)
        return to_status(r.error());
      offset = 0;
    }
    if (!req_.data().empty()) {
      if (auto r = writer_->write(req_.data()); !r)
        return to_status(r.error());
      offset += static_cast<int64_t>(req_.data().size());
    }
    const Digest digest = writer_->digest();
    if (req_.action() == content_v1::COMMIT) {
      content::Labels labels = labels_of(req_.labels());
      if (scope_.lease.empty())
        add_root_label(s, labels);
      // Byte quotas (storage/quota.h) as an HTTP commit meets them: a blob the namespace holds
      // already adds nothing to it.
      if (s.quotas().policy().rule_for(scope_.ns) != nullptr) {
        bool held = false;
        if (expected_) {
          auto exists = s.content().exists(scope_, *expected_);
          if (!exists)
            return to_status(exists.error());
          held = *exists;
        }
        if (auto admitted = s.quotas().admit(scope_.ns, offset, held); !admitted)
          return to_status(admitted.error());
      }
      // Commit makes the bytes and then the namespace's record durable before it returns
      // (metadata/content_store.h, "Commit order"): the answer below acknowledges a durable blob.
      auto committed = writer_->commit(total_, expected_, labels);
      writer_.reset();
      if (!committed) {
        // The namespace held the blob already: held now as a commit would have held it.
        if (committed.error() == Errc::already_exists)
          (void)hold(s, scope_, expected_.value_or(digest));
        return to_status(committed.error());
      }
      committed_ = true;
      set_time(res_.mutable_started_at(), ws->started_at);
      set_time(res_.mutable_updated_at(), s.clock().now());
      res_.set_total(total_);
    }
    res_.set_offset(offset);
    res_.set_digest(digest.str());
    return Status::OK;
  }

  // On the pool: opens (or resumes) the ingest named by the first message.
  Status open() {
    Storage& s = backend_.storage;
    if (req_.ref().empty())
      return Status(StatusCode::INVALID_ARGUMENT, "first message must have a reference");
    ref_ = req_.ref();
    if (auto ready = s.check_ready(); !ready)
      return to_status(ready.error());
    content::WriterOptions opts;
    opts.ref = ref_;
    opts.total = total_;
    opts.expected = expected_;
    auto writer = s.content().writer(scope_, opts);
    if (!writer) {
      // The blob is there already (in this namespace, or recorded in it from the shared
      // store): held like a commit, and answered as containerd does.
      if (writer.error() == Errc::already_exists && expected_)
        (void)hold(s, scope_, *expected_);
      return to_status(writer.error());
    }
    writer_ = std::move(*writer);
    // A resumed ingest keeps the total it was started with, unless this stream gives another.
    if (total_ == 0) {
      if (auto st = writer_->status(); st)
        total_ = st->total;
    }
    return Status::OK;
  }

  Backend& backend_;
  const metadata::Scope scope_;
  std::unique_ptr<content::Writer> writer_;
  std::string ref_;
  int64_t total_ = 0;
  std::optional<Digest> expected_;
  bool committed_ = false;
  content_v1::WriteContentRequest req_;
  content_v1::WriteContentResponse res_;
};

}  // namespace

grpc::ServerUnaryReactor* ContentService::Info(grpc::CallbackServerContext* ctx,
                                               const content_v1::InfoRequest* req,
                                               content_v1::InfoResponse* res) {
  return unary(backend_, ctx, [this, scope = scope_of(*ctx, backend_.default_namespace), req, res] {
    auto digest = Digest::parse(req->digest());
    if (!digest)
      return to_status(digest.error());
    auto info = backend_.storage.content().info(scope, *digest);
    if (!info)
      return to_status(info.error());
    set_info(res->mutable_info(), *info);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* ContentService::Update(grpc::CallbackServerContext* ctx,
                                                 const content_v1::UpdateRequest* req,
                                                 content_v1::UpdateResponse* res) {
  return unary(backend_, ctx, [this, scope = scope_of(*ctx, backend_.default_namespace), req, res] {
    auto digest = Digest::parse(req->info().digest());
    if (!digest)
      return to_status(digest.error());
    content::Info change;
    change.digest = std::move(*digest);
    change.labels = labels_of(req->info().labels());
    std::vector<std::string> paths(req->update_mask().paths().begin(),
                                   req->update_mask().paths().end());
    auto info = backend_.storage.content().update(scope, change, paths);
    if (!info)
      return to_status(info.error());
    set_info(res->mutable_info(), *info);
    return grpc::Status::OK;
  });
}

grpc::ServerWriteReactor<content_v1::ListContentResponse>* ContentService::List(
    grpc::CallbackServerContext* ctx, const content_v1::ListContentRequest* req) {
  return new ListReactor(backend_, scope_of(*ctx, backend_.default_namespace),
                         {req->filters().begin(), req->filters().end()});
}

grpc::ServerUnaryReactor* ContentService::Delete(grpc::CallbackServerContext* ctx,
                                                 const content_v1::DeleteContentRequest* req,
                                                 google::protobuf::Empty*) {
  return unary(backend_, ctx, [this, scope = scope_of(*ctx, backend_.default_namespace), req] {
    auto digest = Digest::parse(req->digest());
    if (!digest)
      return to_status(digest.error());
    auto removed = backend_.storage.content().remove(scope, *digest);
    return removed ? grpc::Status::OK : to_status(removed.error());
  });
}

grpc::ServerWriteReactor<content_v1::ReadContentResponse>* ContentService::Read(
    grpc::CallbackServerContext* ctx, const content_v1::ReadContentRequest* req) {
  return new ReadReactor(backend_, scope_of(*ctx, backend_.default_namespace), *req);
}

grpc::ServerUnaryReactor* ContentService::Status(grpc::CallbackServerContext* ctx,
                                                 const content_v1::StatusRequest* req,
                                                 content_v1::StatusResponse* res) {
  return unary(backend_, ctx, [this, scope = scope_of(*ctx, backend_.default_namespace), req, res] {
    auto status = backend_.storage.content().status(scope, req->ref());
    if (!status)
      return to_status(status.error());
    set_status(res->mutable_status(), *status);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* ContentService::ListStatuses(grpc::CallbackServerContext* ctx,
                                                       const content_v1::ListStatusesRequest* req,
                                                       content_v1::ListStatusesResponse* res) {
  return unary(backend_, ctx, [this, scope = scope_of(*ctx, backend_.default_namespace), req, res] {
    // The filter grammar is content/filter.h's: over an ingest it sees `digest` (the expected
    // one) and `size` (the expected total); containerd's `ref` field is not known to it.
    std::vector<std::string> exprs(req->filters().begin(), req->filters().end());
    auto filter = content::Filter::parse(exprs);
    if (!filter)
      return to_status(filter.error());
    auto statuses = backend_.storage.content().list_statuses(scope);
    if (!statuses)
      return to_status(statuses.error());
    for (const content::Status& st : *statuses) {
      content::Info view;
      if (st.expected)
        view.digest = *st.expected;
      view.size = st.total;
      if (filter->match(view))
        set_status(res->add_statuses(), st);
    }
    return grpc::Status::OK;
  });
}

grpc::ServerBidiReactor<content_v1::WriteContentRequest, content_v1::WriteContentResponse>*
ContentService::Write(grpc::CallbackServerContext* ctx) {
  return new WriteReactor(backend_, scope_of(*ctx, backend_.default_namespace));
}

grpc::ServerUnaryReactor* ContentService::Abort(grpc::CallbackServerContext* ctx,
                                                const content_v1::AbortRequest* req,
                                                google::protobuf::Empty*) {
  return unary(backend_, ctx, [this, scope = scope_of(*ctx, backend_.default_namespace), req] {
    auto aborted = backend_.storage.content().abort(scope, req->ref());
    return aborted ? grpc::Status::OK : to_status(aborted.error());
  });
}

}  // namespace cairn::grpc_api

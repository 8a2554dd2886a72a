#include "handlers/upload_writer.h"

#include "handlers/upload_sessions.h"

namespace cairn::handlers {

boost::asio::awaitable<Checked<UploadWriter>> UploadWriter::resume(Api& api, metadata::Scope scope,
                                                                   std::string id) {
  auto writer =
      co_await api.storage.write([&](Storage& s) -> Result<std::unique_ptr<content::Writer>> {
        if (auto parked = api.uploads.take(scope.ns, id))
          return parked;
        if (auto st = s.content().status(scope, id); !st)
          return st.error();
        return s.content().writer(scope, content::WriterOptions{id, 0, std::nullopt});
      });
  if (!writer)
    co_return from_error(writer.error(), Resource::upload);
  co_return UploadWriter(api, std::move(scope), std::move(id), std::move(*writer));
}

UploadWriter::UploadWriter(Api& api, metadata::Scope scope, std::string id,
                           std::unique_ptr<content::Writer> writer)
    : api_(&api), scope_(std::move(scope)), id_(std::move(id)), writer_(std::move(writer)) {}

UploadWriter::UploadWriter(UploadWriter&& other) noexcept
    : api_(other.api_),
      scope_(std::move(other.scope_)),
      id_(std::move(other.id_)),
      writer_(std::move(other.writer_)),
      keep_(other.keep_) {}

UploadWriter::~UploadWriter() {
  // Only when an exception skipped give_back(): the writer is closed (its ingest stays for the
  // next request to reopen), on the pool, without waiting.
  if (writer_)
    api_->storage.post([w = std::move(writer_)]() mutable { w.reset(); });
}

void UploadWriter::failed(const Error& error) {
  if (error.code == Errc::io || error.code == Errc::no_space)
    keep_ = false;
}

boost::asio::awaitable<Result<void>> UploadWriter::commit(const content::Digest& digest) {
  // The lambdas capture references only (see Offloader::run's note).
  auto committed = co_await api_->storage.write([this, &digest]() -> Result<void> {
    auto r = writer_->commit(0, digest);
    if (!r && r.error() != Errc::already_exists)
      return r;
    writer_.reset();
    return {};
  });
  if (!committed)
    failed(committed.error());
  co_return committed;
}

boost::asio::awaitable<void> UploadWriter::abort() {
  co_await api_->storage.write([this](Storage& s) {
    writer_.reset();  // releases the ingest's ref, so the abort can take it
    (void)s.content().abort(scope_, id_);
  });
}

boost::asio::awaitable<void> UploadWriter::give_back() {
  if (!writer_)
    co_return;
  co_await api_->storage.write([this] {
    if (keep_ && api_->park_writers)
      api_->uploads.put(scope_.ns, id_, std::move(writer_));
    else
      writer_.reset();
  });
}

}  // namespace cairn::handlers

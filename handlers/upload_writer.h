// UploadWriter: an upload's content::Writer for the length of one request.
//
// A request takes the writer its upload parked in UploadSessions (or reopens the ingest, which
// resumes by re-reading it) and must give it back before it answers, so that the client's next
// request finds it: parked again, or closed after a storage failure. UploadWriter owns it for
// the request: commit() and abort() end the upload; give_back() parks (or closes) whatever is
// still held and is awaited once per request, where its answer is ready (handlers/uploads.cpp).
// Every way to close a writer touches the disk (an unfinished ingest's updated time is written), so
// each runs on the offload pool; should an exception skip give_back(), the destructor closes the
// writer on the pool instead of losing it.
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "storage/content/digest.h"
#include "storage/content/store.h"
#include "storage/metadata/content_store.h"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>

namespace cairn::handlers {

class UploadWriter {
 public:
  // The writer of upload `id`: the one parked in UploadSessions, or the ingest reopened.
  // Errors: BLOB_UPLOAD_UNKNOWN when no such ingest exists, and the storage errors.
  static boost::asio::awaitable<Checked<UploadWriter>> resume(Api& api, metadata::Scope scope,
                                                              std::string id);

  // A new upload's writer (just opened by the caller).
  UploadWriter(Api& api, metadata::Scope scope, std::string id,
               std::unique_ptr<content::Writer> writer);
  UploadWriter(UploadWriter&& other) noexcept;
  UploadWriter& operator=(UploadWriter&&) = delete;
  ~UploadWriter();

  content::Writer& operator*() const { return *writer_; }
  content::Writer* operator->() const { return writer_.get(); }
  const std::string& id() const noexcept { return id_; }
  const metadata::Scope& scope() const noexcept { return scope_; }

  // Remembers a storage failure while writing: after an I/O error or a full disk the writer
  // may disagree with its file, so give_back() closes it instead of parking it (the next
  // request reopens the ingest from what is on disk). Other errors keep it parked.
  void failed(const Error& error);

  // Commits the upload as `digest` (on the pool); the writer is closed once it succeeds, or
  // when the content was there already. A failure leaves the writer held (and failed()).
  boost::asio::awaitable<Result<void>> commit(const content::Digest& digest);

  // Ends the upload: closes the writer and removes its ingest (on the pool).
  boost::asio::awaitable<void> abort();

  // Parks the writer for the upload's next request, or closes it after failed(); a no-op once
  // committed or aborted. Awaited before the request answers.
  boost::asio::awaitable<void> give_back();

 private:
  Api* api_;
  metadata::Scope scope_;
  std::string id_;
  std::unique_ptr<content::Writer> writer_;
  bool keep_ = true;  // park on give_back (false after an I/O error or a full disk)
};

}  // namespace cairn::handlers

// UploadLimits: how many uploads (ingests) may be open at once, per repository and in all.
//
// Each upload session is an ingest on disk and a record in the database until it is committed,
// cancelled, or expires (24 h); a client that only POSTs would otherwise create them without
// end. A session just opened stays while its repository holds at most `per_repository` and the
// server at most `total`; past either it is aborted and the client told 429 TOOMANYREQUESTS.
// (Counting after opening, rather than before, leaves out pushes of known content, which open
// nothing, and needs no reservation to be undone.)
//
// The per-repository count is exact: a scan of the repository's ingest records, stopped at the
// limit. The total is an estimate that only grows (each admitted session adds one) and is
// replaced by an exact count (one seek per namespace) when it reaches the limit, at most once a
// second: cheap while far from the limit, exact near it.
//
// Thread-safety: admit() may be called from any thread; it reads LevelDB (blocking): call it
// on the offload pool.
#pragma once

#include "storage/common/clock.h"
#include "storage/common/result.h"
#include "storage/metadata/content_store.h"

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

namespace cairn::handlers {

class UploadLimits {
 public:
  // 0 for either limit: no limit of that kind. `store` and `clock` must outlive this.
  UploadLimits(const metadata::ContentStore& store, size_t per_repository, size_t total,
               const Clock& clock);

  // Called once an upload was opened in repository `ns`: an empty string when it may stay, else
  // why not (the caller aborts it). Errors: those of ContentStore::count_ingests.
  Result<std::string> admit(std::string_view ns);

 private:
  const metadata::ContentStore& store_;
  const size_t per_repository_;
  const size_t total_;
  const Clock& clock_;
  std::mutex mu_;
  size_t estimate_ = 0;  // open uploads at the last count, plus those admitted since
  Timestamp counted_at_{};
};

}  // namespace cairn::handlers

// UploadSessions: the open Writers of uploads between their requests.
//
// An OCI upload is a series of requests (POST, PATCH..., PUT) on one ingest. Reopening the
// ingest for each request would re-hash everything written so far (the store resumes by
// re-reading the data), turning a chunked upload quadratic. So between requests the upload's
// Writer, with its running digest, waits here; the next request takes it back. A writer idle
// longer than the limit, or pushed out when the table is full, is closed: its ingest stays on
// disk and the next request resumes it the slow way. Keys are (namespace, ref).
//
// Thread-safety: all methods may be called from any thread. Closing a writer may touch the disk,
// so callers run put/drop/expire on the offload pool.
#pragma once

#include "storage/common/clock.h"
#include "storage/content/store.h"

#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace cairn::handlers {

class UploadSessions {
 public:
  explicit UploadSessions(size_t max_idle = 1024,
                          std::chrono::seconds idle_limit = std::chrono::minutes(10),
                          const Clock& clock = SystemClock::instance());
  ~UploadSessions();

  // Takes the idle writer of upload (ns, ref), or null when none waits here.
  std::unique_ptr<content::Writer> take(std::string_view ns, std::string_view ref);
  // Parks `writer` as the idle writer of (ns, ref), closing the oldest when the table is full
  // and any that idled past the limit.
  void put(std::string_view ns, std::string_view ref, std::unique_ptr<content::Writer> writer);
  // Closes the idle writer of (ns, ref), if any (before an abort, or after a commit).
  void drop(std::string_view ns, std::string_view ref);
  // Closes writers idle longer than the limit; returns how many.
  size_t expire();
  // How many writers wait here.
  size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::unique_ptr<content::Writer> writer;
    Timestamp parked_at;
  };
  static std::string key_of(std::string_view ns, std::string_view ref);

  const size_t max_idle_;
  const std::chrono::seconds idle_limit_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // oldest first
  std::map<std::string, std::list<Entry>::iterator, std::less<>> index_;
};

}  // namespace cairn::handlers

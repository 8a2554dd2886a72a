// PullTimes: when each tag was last pulled (v1·ns·pulled·<tag>, keys.h), for retention rules
// that keep tags "pushed or pulled within" a duration (storage/gc/retention.h).
//
// Cheap by design: a pull writes the key only when this process has not written it for that
// tag within `resolution` (an hour by default), so a tag pulled a thousand times an hour costs
// one small batch an hour, written without an fsync of its own (Update::defer_sync: a pull
// acknowledges nothing; the next synced batch makes it durable). A recorded time is thus at
// most `resolution` older than the last pull. A key may outlive its tag (a client's tag DELETE
// leaves it); retention deletes those it finds.
//
// Thread-safety: every method may be called from any thread; record() and list() block on
// LevelDB (call them off I/O threads).
#pragma once

#include "storage/common/clock.h"
#include "storage/common/result.h"
#include "storage/metadata/db.h"

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cairn::metadata {

class PullTimes {
 public:
  // `db` must outlive the store.
  explicit PullTimes(Database& db, std::chrono::nanoseconds resolution = std::chrono::hours(1))
      : db_(db), resolution_(resolution) {}

  // Whether record() would write for this tag now (its last write is `resolution` old). Quick:
  // no I/O, one mutex; for callers that offload record() only when it has work.
  bool due(std::string_view ns, std::string_view tag);

  // Notes that tag `tag` of `ns` was pulled now (the database clock). Writes at most once per
  // `resolution` per tag. The caller has validated the name and tag. Errors: io, no_space,
  // unavailable (the write failed; nothing else changes).
  Result<void> record(std::string_view ns, std::string_view tag);

  // The recorded pull time of every tag of `ns` that has one (tags deleted since included).
  // Errors: io, internal (a corrupt value).
  Result<std::map<std::string, Timestamp, std::less<>>> list(std::string_view ns) const;

  // Encodes and decodes the value of a pulled key (decimal Unix nanoseconds).
  static std::string encode(Timestamp t);
  static std::optional<Timestamp> decode(std::string_view value);

 private:
  static constexpr size_t kMaxRemembered = 1 << 16;  // then the memory is cleared

  Database& db_;
  std::chrono::nanoseconds resolution_;
  std::mutex mutex_;
  std::unordered_map<std::string, Timestamp> written_;  // keys::pulled → last write (mutex_)
};

}  // namespace cairn::metadata

// Scheduler: decides when to collect (containerd's gc/scheduler), on its own thread.
//
// Triggers:
//  - a start-up delay: the first tick comes SchedulerOptions::startup_delay after start(), and
//    the first tick always collects;
//  - mutations: Database::on_mutation counts committed changes; after mutation_threshold of
//    them a collection is scheduled at once (after schedule_delay), subject to the pause ratio;
//  - deletions: a change that removed a reference (the database is dirty) makes the next tick
//    collect; deletion_threshold > 0 also schedules one at once after that many;
//  - run_now(): collects at once on the caller's thread and returns the figures.
// Pause ratio: collections take at most pause_ratio of wall time. After each run the next may
// not start before last_end + avg * (1 / pause_ratio - 1), avg being the mean run duration
// (containerd's formula); a tick with nothing to do comes back after max(that gap, interval).
//
// Time is read from SchedulerOptions::clock (the database's when null), so tests drive tick()
// with a ManualClock and never sleep; the thread sleeps on a condition variable for the clock's
// remaining time (at most one second at a time, so a ManualClock moved by hand is noticed).
//
// Thread-safety: every method may be called from any thread. Collections never overlap.
#pragma once

#include "storage/common/clock.h"
#include "storage/common/result.h"
#include "storage/gc/collector.h"
#include "storage/gc/retention.h"
#include "storage/metadata/db.h"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace cairn::gc {

struct SchedulerOptions {
  const Clock* clock = nullptr;  // null: the database's clock
  // Collections take at most this share of wall time (0 < ratio <= 0.5; else 0.02).
  double pause_ratio = 0.02;
  // Committed changes that schedule a collection at once (0: never).
  size_t mutation_threshold = 100;
  // Dirty changes that schedule a collection at once (0: a deletion only makes the next tick
  // collect).
  size_t deletion_threshold = 0;
  std::chrono::nanoseconds startup_delay = std::chrono::milliseconds(100);
  // How long after a threshold is crossed the collection starts.
  std::chrono::nanoseconds schedule_delay = std::chrono::nanoseconds(0);
  // The longest wait between ticks when nothing happens.
  std::chrono::nanoseconds interval = std::chrono::seconds(1);
  // With a retention policy: the longest time between collections (so "pushed or pulled
  // within" rules apply on an idle server).
  std::chrono::nanoseconds retention_interval = std::chrono::hours(1);
};

// The figures of every collection since the scheduler was made, added up (for metrics).
struct GcTotals {
  uint64_t runs = 0;                    // successful collections (scheduled or run_now)
  uint64_t failures = 0;                // collections that returned an error
  std::chrono::nanoseconds duration{};  // GcStats::duration, summed over successful runs
  std::chrono::nanoseconds paused{};    // GcStats::paused (writers held), summed
  uint64_t removed_blobs = 0;
  uint64_t removed_files = 0;
  uint64_t removed_bytes = 0;
  uint64_t removed_ingests = 0;  // ingest records and orphan backend ingests
  uint64_t removed_leases = 0;
  uint64_t retention_removed_tags = 0;       // tags retention untagged (RetentionReport)
  uint64_t retention_removed_manifests = 0;  // manifests retention deleted
};

class Scheduler {
 public:
  // `collector` and `db` (the collector's database) must outlive the scheduler. Registers a
  // mutation callback on `db` at once (the scheduler may be destroyed before the database).
  // Nothing runs until start() or tick().
  Scheduler(Collector& collector, metadata::Database& db, SchedulerOptions options = {});
  // stop()s.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts the thread; the first tick is startup_delay from now. Idempotent.
  void start();
  // Stops and joins the thread (a collection in progress finishes first). Idempotent.
  void stop();

  // Collects now, on this thread (waiting for a scheduled collection in progress), and returns
  // the figures, which last() also returns afterwards. Errors: those of Collector::collect().
  Result<GcStats> run_now();

  // Applies `retention` (null: none) before every collection, the scheduled ones and run_now,
  // its report in GcStats::retention; with a policy, a tick also collects when the last run is
  // SchedulerOptions::retention_interval old, so time-based rules apply without other writes.
  // Call before start(); `retention` must outlive the scheduler.
  void set_retention(Retention* retention);

  // Evaluates the retention policy without changing anything and returns what would go (no
  // collection runs; an empty report without a policy). Errors: those of Retention::apply.
  Result<RetentionReport> retention_dry_run();

  // The figures of the last successful collection (scheduled or run_now), if any.
  std::optional<GcStats> last() const;
  // Every collection's figures added up. Thread-safe.
  GcTotals totals() const;

  // One step of the thread's loop at the clock's now: when a tick is due, collects if needed
  // and schedules the next. Returns whether it collected. For tests; the thread calls it too.
  bool tick();

  // When the next tick is due (clock time).
  Timestamp next_due() const;
  // Committed changes counted since the last collection.
  size_t pending_mutations() const;

 private:
  struct Sink;  // what the database's callback holds: outlives the scheduler if need be

  void on_mutation(bool dirty);
  Result<GcStats> run(bool scheduled);
  std::chrono::nanoseconds gap_locked() const;
  Timestamp earliest_locked() const;
  void loop();

  Collector& collector_;
  metadata::Database& db_;
  SchedulerOptions options_;
  const Clock& clock_;
  std::shared_ptr<Sink> sink_;

  std::mutex run_mutex_;  // serialises collections

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable wake_;
  Timestamp next_due_{};
  std::optional<Timestamp> last_end_;
  std::chrono::nanoseconds total_time_{};
  size_t collections_ = 0;
  size_t mutations_ = 0;
  size_t deletions_ = 0;
  std::optional<GcStats> last_;
  Retention* retention_ = nullptr;
  GcTotals totals_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cairn::gc

// Runner: consistency checks of a live data root on their own thread — on request
// (POST /_admin/fsck) and as a slow background scrub — and the last report.
//
// One check runs at a time. A request runs at full speed; the scrub, every scrub_interval
// (measured from the end of the previous check), re-hashes at most scrub_rate bytes/s and never
// repairs. Each finding of a background check is logged as one JSON line
// {"time", "event": "fsck_finding", "trigger", ...Finding}, and each check's end as
// {"time", "event": "fsck_done", "trigger", "state", "findings", "bytesHashed", "error"?}.
//
// The thread is the runner's own, not the server's offload pool: a check over a large root runs
// for hours, and must not take a pool thread from requests for that long.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include "storage/fsck/checker.h"
#include "storage/fsck/report.h"
#include "storage/storage.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

namespace cairn::fsck {

struct RunnerOptions {
  // How long after a check ends the next scrub starts (the first: this long after start()).
  // 0: no scrub.
  std::chrono::nanoseconds scrub_interval{0};
  // The scrub's bandwidth in bytes per second (0: no limit).
  int64_t scrub_rate = 32 << 20;
  // Files and ingests younger than this are never orphans: the GC grace.
  std::chrono::nanoseconds grace = std::chrono::hours(1);
  // Where log lines go (one JSON object per call, no newline); null: nowhere. Called from the
  // runner's thread.
  std::function<void(const std::string& line)> log;
};

class Runner {
 public:
  // `storage` must outlive the runner. Nothing runs before start() or request().
  Runner(Storage& storage, RunnerOptions options = {});
  // stop()s.
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Starts the thread (and the scrub schedule, when one is set). Idempotent.
  void start();
  // Cancels a check in progress (its report says cancelled) and joins the thread. Idempotent.
  void stop();

  struct Requested {
    bool started = false;  // false: another check runs (`report` is its live state)
    Report report;
  };
  // Starts a check now on the runner's thread (starting the thread if need be), unless one runs.
  // Does not block on the check.
  Requested request(bool repair);

  // The running check's live report, else the last finished one; nullopt before the first.
  std::optional<Report> report() const;

  // Blocks until no check runs or is requested; returns report(). For tests and tools.
  std::optional<Report> wait_idle() const;

 private:
  void loop();
  void run_one(bool repair, std::string trigger, std::stop_token stop);
  void log(const std::string& line) const;

  Storage& storage_;
  RunnerOptions options_;

  mutable std::mutex mutex_;  // guards everything below
  mutable std::condition_variable changed_;
  std::optional<Report> report_;
  bool running_ = false;
  std::optional<bool> pending_;  // a requested check (its repair flag)
  std::chrono::steady_clock::time_point next_scrub_{};
  bool stopping_ = false;
  std::stop_source stop_source_;
  std::thread thread_;
};

}  // namespace cairn::fsck

// SharedJob: a job that two threads may race to run; it runs exactly once, on whichever thread
// claims it first. A writer uses it to hand half of a piece's work (hashing) to another thread
// without ever waiting for a thread that has not started: when nobody has picked the job up by
// the time the writer needs its result, the writer runs it itself; when another thread is
// running it, the writer waits only for that thread to finish.
#pragma once

#include <atomic>
#include <functional>
#include <utility>

namespace cairn::content {

// How a store gets work done on another thread: OffThread(job) runs job() on some other thread
// soon, later, or never (whoever offers the job must cope with each: see SharedJob). job() must
// not throw.
using OffThread = std::function<void(std::function<void()> job)>;

class SharedJob {
 public:
  explicit SharedJob(std::function<void()> fn) : fn_(std::move(fn)) {}
  SharedJob(const SharedJob&) = delete;
  SharedJob& operator=(const SharedJob&) = delete;

  // Runs the job when nobody has claimed it yet; returns at once otherwise (then the job may be
  // running elsewhere or done, and what it referred to may be gone: it is not touched).
  void run_if_unclaimed() noexcept {
    if (claimed_.exchange(true, std::memory_order_acq_rel))
      return;
    fn_();
    done_.store(true, std::memory_order_release);
    done_.notify_all();
  }

  // Returns once the job has run, running it here if nobody has claimed it. What the job wrote
  // is visible to the caller afterwards.
  void finish() noexcept {
    run_if_unclaimed();
    done_.wait(false, std::memory_order_acquire);
  }

 private:
  std::function<void()> fn_;
  std::atomic<bool> claimed_{false};
  std::atomic<bool> done_{false};
};

}  // namespace cairn::content

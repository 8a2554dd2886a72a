// offload: runs blocking work on a thread pool and resumes the calling coroutine on its own
// executor (its connection's strand). Storage calls reach it through AsyncStorage
// (async_storage/), which decides what runs here, so fsync, rename, LevelDB writes and
// directory scans never block an I/O thread; other blocking work (bcrypt) calls it directly.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace cairn::server {

// The pool blocking work runs on. One per process, created by the server's owner.
class Offloader {
 public:
  explicit Offloader(size_t threads) : pool_(std::make_unique<boost::asio::thread_pool>(threads)) {}
  ~Offloader() { shutdown(); }

  // Runs fn() on the pool; the awaiting coroutine resumes on its own executor with the result.
  // Exceptions thrown by fn propagate to the awaiting coroutine. Capture only references and
  // trivially destructible values in fn (see the note in the body). After shutdown() it throws
  // operation_aborted.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F>> run(F fn) {
    using R = std::invoke_result_t<F>;
    if (!pool_)
      throw boost::system::system_error(boost::asio::error::operation_aborted);
    queued_.fetch_add(1, std::memory_order_relaxed);
    // Named, not a temporary inside co_await: GCC 12 mishandles the lifetime of non-trivial
    // temporaries in a co_await expression.
    auto task = boost::asio::co_spawn(
        pool_->get_executor(),
        [this, f = std::move(fn)]() mutable -> boost::asio::awaitable<R> {
          Running running(*this);
          co_return f();
        },
        boost::asio::use_awaitable);
    co_return co_await std::move(task);
  }

  // Runs fn() on the pool without waiting for it (fire and forget; fn must not throw). After
  // shutdown() fn is destroyed at once without running.
  template <class F>
  void post(F fn) {
    if (!pool_)
      return;
    queued_.fetch_add(1, std::memory_order_relaxed);
    boost::asio::post(*pool_, [this, f = std::move(fn)]() mutable {
      Running running(*this);
      f();
    });
  }

  // Stops the pool: tasks running finish, queued ones never start (shutdown() destroys them).
  void stop() {
    if (pool_)
      pool_->stop();
  }

  // Stops the pool, waits for its threads to end (a task running finishes first), then destroys
  // the tasks that never started; idempotent. For shutdown, while the server's io_context still
  // exists: a queued run() holds executors (and work) of that io_context and the awaiting
  // coroutine, whose frame its destruction hands to that io_context to be destroyed there (with
  // it, after the sessions). Destroying the queue only with the pool, after the io_context, read
  // freed memory. What the sessions release as they are destroyed later (post()) is destroyed at
  // once, never run.
  void shutdown() {
    if (!pool_)
      return;
    pool_->stop();
    pool_->join();
    // Moved out first: a task destroyed here may call post() or run(), which must see no pool.
    auto dying = std::move(pool_);
    dying.reset();
  }

  // Tasks submitted and not yet started (the queue's depth), and tasks running now. Lock-free
  // snapshots (for metrics); thread-safe.
  size_t queued() const noexcept { return queued_.load(std::memory_order_relaxed); }
  size_t running() const noexcept { return running_.load(std::memory_order_relaxed); }

 private:
  // Moves a task from queued to running for as long as it runs (however it ends).
  struct Running {
    explicit Running(Offloader& o) : o_(o) {
      o_.queued_.fetch_sub(1, std::memory_order_relaxed);
      o_.running_.fetch_add(1, std::memory_order_relaxed);
    }
    ~Running() { o_.running_.fetch_sub(1, std::memory_order_relaxed); }
    Offloader& o_;
  };

  std::atomic<size_t> queued_{0};
  std::atomic<size_t> running_{0};
  std::unique_ptr<boost::asio::thread_pool> pool_;  // null after shutdown()
};

}  // namespace cairn::server

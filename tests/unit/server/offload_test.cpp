// The offload pool at shutdown: tasks that never started are destroyed while the executors the
// awaiting coroutines hold still exist, and the pool refuses work once it is gone.
#include "server/offload.h"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/system_error.hpp>

#include <future>
#include <memory>
#include <optional>

namespace cairn::server {
namespace {

namespace asio = boost::asio;

// Sets its flag when destroyed: tells whether a suspended coroutine's frame went.
struct Mark {
  bool& destroyed;
  ~Mark() { destroyed = true; }
};

TEST(Offloader, ShutdownDestroysQueuedTasksBeforeTheCallersIoContextGoes) {
  std::promise<void> release;  // before the pool: its task waits on it until it is joined
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  bool caller_destroyed = false;
  bool resumed = false;
  Offloader pool(1);
  // Declared after the pool, so destroyed before it: the server's order (Service outlives the
  // HttpServer and its io_context).
  std::optional<asio::io_context> io(std::in_place);
  pool.post([&] {
    started.set_value();
    released.wait();
  });
  started.get_future().wait();
  // A handler on a strand of the io_context awaits a task queued behind the busy thread.
  asio::co_spawn(
      asio::make_strand(*io),
      [&]() -> asio::awaitable<void> {
        Mark mark{caller_destroyed};
        co_await pool.run([] { return 1; });
        resumed = true;
      },
      asio::detached);
  io->poll();
  ASSERT_EQ(pool.queued(), 1u);
  ASSERT_FALSE(caller_destroyed);
  pool.stop();  // as the server stops: the running task finishes, the queued one never starts
  release.set_value();
  pool.shutdown();
  // The queued task went with the pool, and the awaiting coroutine's frame was handed to its own
  // executor to be destroyed there: it goes now, without resuming. Before, the task stayed in the
  // pool until ~Offloader, after the io_context (ASan: heap-use-after-free).
  io->poll();
  EXPECT_TRUE(caller_destroyed);
  EXPECT_FALSE(resumed);
  io.reset();
}

TEST(Offloader, AfterShutdownPostDropsItsTaskAndRunThrows) {
  Offloader pool(1);
  pool.shutdown();
  pool.shutdown();  // idempotent
  auto held = std::make_shared<int>(7);
  bool ran = false;
  pool.post([&ran, held] { ran = true; });
  EXPECT_EQ(held.use_count(), 1);  // the task was destroyed at once
  EXPECT_FALSE(ran);

  asio::io_context io;
  std::optional<boost::system::error_code> failure;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        try {
          co_await pool.run([] { return 1; });
        } catch (const boost::system::system_error& e) {
          failure = e.code();
        }
      },
      asio::detached);
  io.run();
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(*failure, asio::error::operation_aborted);
}

}  // namespace
}  // namespace cairn::server

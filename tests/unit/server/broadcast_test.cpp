#include "server/broadcast.h"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

namespace cairn::server {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Far beyond any wake-up: a wait that ends before it was woken, not timed out.
constexpr auto kNever = std::chrono::hours(1);

void rethrow(std::exception_ptr e) {
  if (e)
    std::rethrow_exception(e);
}

TEST(Broadcast, NotifyFromAnotherThreadWakesEveryWaiterOnItsOwnStrand) {
  Broadcast changed;
  asio::io_context io;
  std::atomic<int> woken{0};
  const uint64_t seen = changed.version();
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(
        asio::make_strand(io),
        [&]() -> asio::awaitable<void> {
          co_await changed.wait(seen, kNever);
          woken.fetch_add(1);
        },
        rethrow);
  }
  std::thread io_thread([&] { io.run_for(30s); });
  // The waiters register as they start; then one notify from this thread wakes them all.
  while (changed.waiting() < 3 && woken.load() == 0)
    std::this_thread::yield();
  changed.notify();
  io_thread.join();
  EXPECT_EQ(woken.load(), 3);
  EXPECT_EQ(changed.waiting(), 0u);
  EXPECT_EQ(changed.version(), seen + 1);
}

TEST(Broadcast, AChangeBeforeTheWaitIsNotMissed) {
  Broadcast changed;
  asio::io_context io;
  const uint64_t seen = changed.version();
  changed.notify();  // between the waiter's check and its wait
  bool returned = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await changed.wait(seen, kNever);
        returned = true;
      },
      rethrow);
  io.run_for(30s);
  EXPECT_TRUE(returned);
  EXPECT_EQ(changed.waiting(), 0u);
}

TEST(Broadcast, AWaitEndsAtItsLimitWithoutANotify) {
  Broadcast changed;
  asio::io_context io;
  bool returned = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await changed.wait(changed.version(), 1ms);
        returned = true;
      },
      rethrow);
  io.run_for(30s);
  EXPECT_TRUE(returned);
  EXPECT_EQ(changed.waiting(), 0u);  // the timed-out waiter is no longer listed
  EXPECT_EQ(changed.version(), 0u);
}

}  // namespace
}  // namespace cairn::server

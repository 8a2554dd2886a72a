#include "server/broadcast.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace cairn::server {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

// One waiting coroutine: a channel of its own executor with room for one wake-up, so that a
// notify() that comes before the coroutine starts receiving is kept, not lost. try_send on a
// concurrent channel is safe from any thread.
struct Broadcast::Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : wake(ex, 1) {}
  asio::experimental::concurrent_channel<void(boost::system::error_code)> wake;
};

Broadcast::Broadcast() = default;
Broadcast::~Broadcast() = default;

uint64_t Broadcast::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

size_t Broadcast::waiting() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

void Broadcast::notify() {
  std::vector<std::shared_ptr<Waiter>> woken;
  {
    std::lock_guard lock(mu_);
    ++version_;
    woken.swap(waiters_);
  }
  for (auto& w : woken)
    w->wake.try_send(boost::system::error_code());
}

asio::awaitable<void> Broadcast::wait(uint64_t seen, std::chrono::steady_clock::duration limit) {
  auto ex = co_await asio::this_coro::executor;
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard lock(mu_);
    if (version_ != seen)
      co_return;
    waiter = std::make_shared<Waiter>(ex);
    waiters_.push_back(waiter);
  }
  // However the wait ends (woken, timed out, cancelled, or its frame destroyed), the waiter is
  // no longer listed afterwards (notify() took it out when it woke it).
  struct Unlist {
    Broadcast& b;
    const std::shared_ptr<Waiter>& w;
    ~Unlist() {
      std::lock_guard lock(b.mu_);
      std::erase(b.waiters_, w);
    }
  } unlist{*this, waiter};
  asio::steady_timer timer(ex, limit);
  // Named, not temporaries inside co_await (see Offloader::run on GCC 12).
  auto woken = waiter->wake.async_receive(asio::as_tuple(asio::use_awaitable));
  auto timed_out = timer.async_wait(asio::as_tuple(asio::use_awaitable));
  co_await (std::move(woken) || std::move(timed_out));
}

}  // namespace cairn::server

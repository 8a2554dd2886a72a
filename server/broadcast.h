// Broadcast: wakes every coroutine waiting for something to change, whichever executor (or
// thread) each one runs on and whichever thread makes the change. Used instead of polling by
// those who wait on shared state: clients following a cache fill (proxy/blob_fetch.h), requests
// waiting for a connection of the upstream pool (upstream/client.cpp).
//
// The state stays the owner's; Broadcast only says "it changed". A waiter reads version(),
// checks the state, and if it must wait, waits with that version: wait() returns at once when
// the version moved on since (so no change between the check and the wait is missed), else at
// the next notify(), or after `limit` (a bound, not a poll: waiters re-check then anyway).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace cairn::server {

class Broadcast {
 public:
  Broadcast();
  ~Broadcast();
  Broadcast(const Broadcast&) = delete;
  Broadcast& operator=(const Broadcast&) = delete;

  // How many times notify() was called.
  uint64_t version() const;

  // Wakes every waiter (and makes every later wait(seen) with an older version return at once).
  void notify();

  // Waits (on the calling coroutine's executor) until the version is no longer `seen`, or for
  // `limit` at most.
  boost::asio::awaitable<void> wait(uint64_t seen, std::chrono::steady_clock::duration limit);

  // Coroutines waiting now (for tests).
  size_t waiting() const;

 private:
  struct Waiter;
  mutable std::mutex mu_;
  uint64_t version_ = 0;
  std::vector<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace cairn::server

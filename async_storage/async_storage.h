// AsyncStorage: the one way from a coroutine into the storage layer. Each call says what kind of
// storage work it is; this class alone decides where each kind runs, so an I/O thread never
// waits on a disk (or, with the remote backends to come, a network) by a handler's choice:
//
//   write(f)   may fsync, rename, write a metadata batch or create files: on the offload pool.
//   scan(f)    walks a range of records or a directory, or reads a whole blob: on the pool.
//   lookup(f)  a point read: one or a few LevelDB gets, the stat or open of one file. On the
//              calling I/O thread while lookups are local (AsyncStorageOptions::inline_lookups):
//              LevelDB answers a get from its block cache and the kernel a stat from its dentry
//              cache in microseconds, less than a round trip through the pool costs. Measured
//              side by side (bench/README.md, issue 12 §4): on the pool, HEAD of a blob fell
//              from 20.6k to 14.0k req/s, GET manifest from 12.1k to 9.1k, a 64 KiB range GET
//              from 13.1k to 8.4k. On the pool otherwise: a store whose point reads cross a
//              network sets inline_lookups = false.
//   peek(f)    memory only, never blocks (the clock, the policies, flags): called at once.
//   post(f)    background work nobody waits for (an eviction pass, a pull time): on the pool.
//
// f is called with the Storage (f(Storage&)), or with nothing when it works on an object it
// already holds, such as an upload's writer (f()). Exceptions thrown by f reach the awaiting
// coroutine. Like Offloader::run, f may capture references: the awaiting coroutine keeps them
// alive until f returns. Work that is not storage (bcrypt, rendering metrics) uses the
// Offloader directly.
#pragma once

#include "server/offload.h"
#include "storage/storage.h"

#include <boost/asio/awaitable.hpp>

#include <type_traits>
#include <utility>

namespace cairn {

struct AsyncStorageOptions {
  // Point reads on the calling I/O thread (true: the local stores) or on the pool.
  bool inline_lookups = true;
};

class AsyncStorage {
  template <class F>
  static constexpr bool kTakesStorage = std::is_invocable_v<F&, Storage&>;

 public:
  // What f returns.
  template <class F>
  using Returned = typename std::conditional_t<kTakesStorage<F>, std::invoke_result<F&, Storage&>,
                                               std::invoke_result<F&>>::type;

  AsyncStorage(Storage& storage, server::Offloader& pool, AsyncStorageOptions options = {});

  template <class F>
  boost::asio::awaitable<Returned<F>> write(F f) {
    return on_pool(std::move(f));
  }
  template <class F>
  boost::asio::awaitable<Returned<F>> scan(F f) {
    return on_pool(std::move(f));
  }
  template <class F>
  boost::asio::awaitable<Returned<F>> lookup(F f) {
    if (options_.inline_lookups)
      co_return call(f);
    // Named, not a temporary inside co_await (see Offloader::run on GCC 12).
    auto task = on_pool(std::move(f));
    co_return co_await std::move(task);
  }
  template <class F>
  Returned<F> peek(F f) {
    return call(f);
  }
  // f must not throw (nobody is there to catch it).
  template <class F>
  void post(F f) {
    pool_.post([this, f = std::move(f)]() mutable { call(f); });
  }

  const AsyncStorageOptions& options() const noexcept { return options_; }

 private:
  template <class F>
  Returned<F> call(F& f) {
    if constexpr (kTakesStorage<F>)
      return f(storage_);
    else
      return f();
  }
  template <class F>
  boost::asio::awaitable<Returned<F>> on_pool(F f) {
    return pool_.run([this, f = std::move(f)]() mutable { return call(f); });
  }

  Storage& storage_;
  server::Offloader& pool_;
  AsyncStorageOptions options_;
};

}  // namespace cairn

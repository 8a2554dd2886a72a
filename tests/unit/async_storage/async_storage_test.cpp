// AsyncStorage (async_storage/async_storage.h): where each kind of storage call runs, and that
// what the call returns or throws reaches the awaiting coroutine on its own thread.
#include "async_storage/async_storage.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <future>
#include <stdexcept>
#include <thread>

namespace cairn {
namespace {

namespace asio = boost::asio;
using testing::TempDir;

class AsyncStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StorageOptions options;
    options.min_free_bytes = 0;
    storage_ = Storage::open(dir_.path(), options).value();
  }

  // Runs `task` on the test's io_context (this thread) to its end and returns what it gave.
  template <class T>
  T run(asio::awaitable<T> task) {
    std::optional<T> out;
    std::exception_ptr failure;
    asio::co_spawn(ioc_, std::move(task), [&](std::exception_ptr e, T r) {
      failure = e;
      if (!e)
        out = std::move(r);
    });
    ioc_.restart();
    ioc_.run();
    if (failure)
      std::rethrow_exception(failure);
    return std::move(*out);
  }

  // Where a call of kind `call` ran, and where its coroutine resumed.
  struct Threads {
    std::thread::id ran;
    std::thread::id resumed;
  };
  template <class Call>
  Threads where(AsyncStorage& s, Call call) {
    return run([&]() -> asio::awaitable<Threads> {
      Threads t;
      co_await call(s, [&t](Storage&) { t.ran = std::this_thread::get_id(); });
      t.resumed = std::this_thread::get_id();
      co_return t;
    }());
  }

  TempDir dir_;
  std::unique_ptr<Storage> storage_;
  server::Offloader pool_{2};
  asio::io_context ioc_;
};

constexpr auto kWrite = [](AsyncStorage& s, auto f) { return s.write(f); };
constexpr auto kScan = [](AsyncStorage& s, auto f) { return s.scan(f); };
constexpr auto kLookup = [](AsyncStorage& s, auto f) { return s.lookup(f); };

TEST_F(AsyncStorageTest, WritesAndScansRunOnThePoolAndResumeOnTheCallersThread) {
  AsyncStorage s(*storage_, pool_);
  const auto me = std::this_thread::get_id();
  for (const Threads& t : {where(s, kWrite), where(s, kScan)}) {
    EXPECT_NE(t.ran, std::thread::id());
    EXPECT_NE(t.ran, me);
    EXPECT_EQ(t.resumed, me);
  }
}

TEST_F(AsyncStorageTest, LookupsRunInlineWhileTheyAreLocalAndOnThePoolOtherwise) {
  const auto me = std::this_thread::get_id();
  AsyncStorage local(*storage_, pool_);
  Threads t = where(local, kLookup);
  EXPECT_EQ(t.ran, me);
  EXPECT_EQ(t.resumed, me);

  AsyncStorage remote(*storage_, pool_, AsyncStorageOptions{.inline_lookups = false});
  t = where(remote, kLookup);
  EXPECT_NE(t.ran, std::thread::id());
  EXPECT_NE(t.ran, me);
  EXPECT_EQ(t.resumed, me);
}

TEST_F(AsyncStorageTest, CallsReachTheStorageAndReturnWhatItAnswers) {
  for (bool inline_lookups : {true, false}) {
    AsyncStorage s(*storage_, pool_, AsyncStorageOptions{.inline_lookups = inline_lookups});
    const std::string name = inline_lookups ? "app/one" : "app/two";
    auto created = run(s.write([&](Storage& st) {
      metadata::LeaseOptions o;
      o.id = "l1";
      return st.leases().create(name, o);
    }));
    ASSERT_TRUE(created) << created.error().detail;
    auto got = run(s.lookup([&](Storage& st) { return st.leases().get(name, "l1"); }));
    ASSERT_TRUE(got) << got.error().detail;
    EXPECT_EQ(got->id, "l1");
    auto listed = run(s.scan([&](Storage& st) { return st.leases().list(name); }));
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->size(), 1u);
    auto missing = run(s.lookup([&](Storage& st) { return st.leases().get(name, "l2"); }));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::not_found);
  }
}

TEST_F(AsyncStorageTest, AFunctionWithoutTheStorageIsCalledWithNothing) {
  AsyncStorage s(*storage_, pool_);
  int calls = 0;
  EXPECT_EQ(run(s.write([&] { return ++calls; })), 1);
  EXPECT_EQ(run(s.lookup([&] { return ++calls; })), 2);
  EXPECT_EQ(s.peek([&] { return ++calls; }), 3);
}

TEST_F(AsyncStorageTest, ExceptionsReachTheAwaitingCoroutineFromEveryKind) {
  for (bool inline_lookups : {true, false}) {
    AsyncStorage s(*storage_, pool_, AsyncStorageOptions{.inline_lookups = inline_lookups});
    auto thrower = [](Storage&) -> int { throw std::runtime_error("boom"); };
    EXPECT_THROW(run(s.write(thrower)), std::runtime_error);
    EXPECT_THROW(run(s.scan(thrower)), std::runtime_error);
    EXPECT_THROW(run(s.lookup(thrower)), std::runtime_error);
  }
}

TEST_F(AsyncStorageTest, PeekRunsAtOnceAndPostRunsOnThePoolWithoutWaiting) {
  AsyncStorage s(*storage_, pool_);
  const auto me = std::this_thread::get_id();
  EXPECT_EQ(s.peek([&](Storage& st) { return &st.clock(); }), &storage_->clock());
  EXPECT_EQ(s.peek([](Storage&) { return std::this_thread::get_id(); }), me);

  std::promise<void> release;
  std::promise<std::thread::id> ran;
  std::shared_future<void> released = release.get_future().share();
  s.post([&ran, released](Storage&) noexcept {
    released.wait();  // post() returned before this ran
    ran.set_value(std::this_thread::get_id());
  });
  release.set_value();
  const auto pool_thread = ran.get_future().get();
  EXPECT_NE(pool_thread, me);
}

}  // namespace
}  // namespace cairn

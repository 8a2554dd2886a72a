// Exceptions nobody expected, reported instead of dropped. Chiefly co_spawn's completion
// handlers (server/, proxy/, notify/): an exception that escapes a spawned coroutine (a bug:
// request handlers answer 500 themselves) is written to stderr, "cairn: <what> ended by an
// unexpected exception: <message>", and counted (unexpected_exceptions(); GET /metrics shows
// cairn_unexpected_exceptions_total). Use logged() wherever asio::detached would drop it.
// Plain C++ (no Asio): a handler is any callable taking a std::exception_ptr. In server/ so
// every layer that spawns coroutines sees it.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace cairn::server {

// Exceptions reported so far by this process. Thread-safe.
uint64_t unexpected_exceptions() noexcept;

// Writes and counts `e` (non-null) as the end of `what`. Thread-safe; never throws.
void report_exception(std::string_view what, std::exception_ptr e) noexcept;

// A co_spawn completion handler for a coroutine that returns nothing: reports an exception,
// then calls then(e) whether or not there was one (e is null when the coroutine returned).
// `then` must not throw.
template <class Then>
auto logged(std::string what, Then then) {
  return [what = std::move(what), then = std::move(then)](std::exception_ptr e) mutable {
    if (e)
      report_exception(what, e);
    then(e);
  };
}

inline auto logged(std::string what) {
  return logged(std::move(what), [](std::exception_ptr) {});
}

}  // namespace cairn::server

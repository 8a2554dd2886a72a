#include "server/unexpected.h"

#include <atomic>
#include <cstdio>
#include <exception>

namespace cairn::server {

namespace {
std::atomic<uint64_t> g_unexpected{0};
}  // namespace

uint64_t unexpected_exceptions() noexcept {
  return g_unexpected.load(std::memory_order_relaxed);
}

void report_exception(std::string_view what, std::exception_ptr e) noexcept {
  g_unexpected.fetch_add(1, std::memory_order_relaxed);
  const char* message = "unknown exception";  // no allocation here: this must not throw
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    message = x.what();
  } catch (...) {
  }
  // One formatted write per report (stdio locks the stream), so two threads' reports never
  // interleave.
  std::fprintf(stderr, "cairn: %.*s ended by an unexpected exception: %s\n",
               static_cast<int>(what.size()), what.data(), message);
}

}  // namespace cairn::server

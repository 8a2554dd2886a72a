#include "proxy/blob_fetch.h"

#include "proxy/cache.h"
#include "server/fill.h"
#include "server/unexpected.h"
#include "upstream/client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <vector>

namespace cairn::proxy {

namespace asio = boost::asio;

namespace {

// Waiting clients are woken by every change (changed_); this only bounds a wait regardless.
constexpr std::chrono::seconds kRecheck{1};
// How often a fetch waiting for another replica's asks whether it ended.
constexpr std::chrono::milliseconds kClaimPoll{100};
constexpr size_t kPiece = 1 << 20;

using namespace boost::asio::experimental::awaitable_operators;

using server::fill;

}  // namespace

BlobFetch::BlobFetch(Context ctx, std::string remote, std::string ns, content::Digest digest)
    : ctx_(std::move(ctx)),
      remote_(std::move(remote)),
      ns_(std::move(ns)),
      digest_(std::move(digest)) {}

BlobFetch::~BlobFetch() = default;

void BlobFetch::start(const asio::any_io_executor& executor) {
  // run() catches what the download throws; an exception that still escapes it fails the fetch
  // (its waiting clients are answered) and ends it (the next request starts a new one).
  auto ended = [self = shared_from_this()](std::exception_ptr e) {
    if (!e)
      return;
    self->fail(FetchFailure::Kind::upstream, "fetch failed");
    if (self->ctx_.on_finished)
      self->ctx_.on_finished();
  };
  asio::co_spawn(asio::make_strand(executor), run(shared_from_this()),
                 server::logged("the fetch of " + digest_.str(), std::move(ended)));
}

BlobFetch::Progress BlobFetch::progress() const {
  std::lock_guard lock(mu_);
  return p_;
}

void BlobFetch::fail(FetchFailure::Kind kind, std::string detail, Errc storage_error) {
  std::lock_guard lock(mu_);
  if (p_.state == State::done || p_.state == State::failed)
    return;
  p_.state = State::failed;
  p_.failure = FetchFailure{kind, std::move(detail), storage_error};
  changed_.notify();
}

void BlobFetch::fail_storing(const Error& e) {
  // A full disk fails the fetch too: nothing is streamed uncached.
  fail(FetchFailure::Kind::storage, "cannot cache " + digest_.str() + ": " + e.detail, e.code);
}

void BlobFetch::set_state(State state, uint64_t total, uint64_t final_bytes) {
  std::lock_guard lock(mu_);
  p_.state = state;
  if (total > 0)
    p_.total = total;
  if (final_bytes > 0)
    p_.final_bytes = final_bytes;
  changed_.notify();
}

void BlobFetch::publish(uint64_t written) {
  std::lock_guard lock(mu_);
  // The last byte waits for the digest check: a client never receives a whole wrong blob.
  p_.final_bytes = std::min(written, p_.total > 0 ? p_.total - 1 : 0);
  changed_.notify();
}

asio::awaitable<BlobFetch::Progress> BlobFetch::wait_started() {
  for (;;) {
    const uint64_t seen = changed_.version();  // before the check: a change after it wakes us
    Progress now = progress();
    if (now.state != State::connecting)
      co_return now;
    co_await changed_.wait(seen, kRecheck);
  }
}

asio::awaitable<std::pair<boost::system::error_code, uint64_t>> BlobFetch::wait_beyond(
    uint64_t have) {
  for (;;) {
    const uint64_t seen = changed_.version();
    Progress now = progress();
    if (now.state == State::failed)
      co_return std::pair{boost::system::error_code(EIO, boost::system::system_category()),
                          uint64_t{0}};
    if (now.final_bytes > have)
      co_return std::pair{boost::system::error_code(), now.final_bytes};
    co_await changed_.wait(seen, kRecheck);
  }
}

asio::awaitable<void> BlobFetch::run(std::shared_ptr<BlobFetch> self) {
  BlobFetch& f = *self;
  try {
    co_await f.download();
  } catch (const std::exception& e) {
    f.fail(FetchFailure::Kind::upstream, std::string("fetch failed: ") + e.what());
  }
  if (f.writer_ || f.claim_) {
    // Closing an uncommitted ingest writes its files; the claim goes after the blob is
    // committed (or given up), in the database: both off the I/O thread.
    co_await f.ctx_.storage.write([&f] {
      f.writer_.reset();
      f.claim_.reset();
      return 0;
    });
  }
  if (f.progress().state == State::failed)
    f.ctx_.stats.add(UpstreamStats::Counter::errors);
  if (f.ctx_.on_finished)
    f.ctx_.on_finished();
}

asio::awaitable<bool> BlobFetch::claim_or_adopt(const std::string& ref) {
  enum Next { fetch, wait, adopted };
  const std::string name = "cache fill " + digest_.str();
  const metadata::Scope scope{ns_, {}};
  for (;;) {
    auto next = co_await ctx_.storage.write([&](Storage& s) -> Result<Next> {
      // Recorded from the store when it holds the bytes (shared policy: writer() answers
      // already_exists after recording them in the namespace). Isolated, or not there: fetch
      // (isolated, writer() would open an ingest only to drop it).
      const auto adopt = [&]() -> bool {
        if (s.content().policy() != metadata::SharingPolicy::shared)
          return false;
        auto info = s.blobs().info(digest_);
        if (!info)
          return false;
        auto w = s.content().writer(scope, content::WriterOptions{ref, info->size, digest_, true});
        return !w && w.error() == Errc::already_exists;
      };
      auto held = s.db().engine().try_hold(name);
      if (!held)
        return adopt() ? adopted : fetch;  // no answer from the database: fetch unclaimed
      if (!*held)
        return adopt() ? adopted : wait;  // another replica fetches it
      claim_ = std::move(*held);
      if (adopt()) {  // committed by another replica just before the claim was free
        claim_.reset();
        return adopted;
      }
      return fetch;
    });
    if (!next || *next == fetch)
      co_return false;
    if (*next == adopted)
      co_return true;
    asio::steady_timer pause(co_await asio::this_coro::executor, kClaimPoll);
    co_await pause.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<void> BlobFetch::download() {
  const metadata::Scope scope{ns_, {}};
  const std::string ref = "proxy-" + std::string(digest_.hex());
  if (co_await claim_or_adopt(ref)) {
    set_state(State::done);
    co_return;
  }
  const std::string target = "/v2/" + remote_ + "/blobs/" + digest_.str();
  auto sent = co_await ctx_.client->send("GET", target, {}, remote_);
  if (!sent) {
    fail(FetchFailure::Kind::upstream,
         "upstream " + ctx_.client->endpoint().host + ": " + sent.error().detail);
    co_return;
  }
  upstream::Reply& reply = **sent;
  if (reply.status != 200) {
    fail(reply.status == 404 ? FetchFailure::Kind::unknown : FetchFailure::Kind::upstream,
         "upstream " + ctx_.client->endpoint().host + " answered " + std::to_string(reply.status) +
             " for " + digest_.str());
    co_return;
  }
  if (!reply.content_length) {
    fail(FetchFailure::Kind::upstream,
         "upstream sent " + digest_.str() + " without a Content-Length");
    co_return;
  }
  const uint64_t total = *reply.content_length;
  auto opened = co_await ctx_.storage.write([&](Storage& s) -> Result<void> {
    // A fill is an upload: it must leave --min-free-bytes free. Checked before the writer
    // opens, so a refusal leaves a partial fill of an earlier attempt to resume later.
    if (auto room = s.space().check(total); !room)
      return room.error();
    content::WriterOptions opts{ref, static_cast<int64_t>(total), digest_, true};
    auto w = s.content().writer(scope, opts);
    if (!w)
      return w.error();
    if (auto r = (*w)->truncate(0); !r)  // a stale attempt's bytes
      return r.error();
    auto reader = (*w)->reader();  // what clients are served from as the bytes arrive
    if (!reader)
      return reader.error();
    writer_ = std::move(*w);
    reader_ = std::move(*reader);
    return {};
  });
  if (!opened) {
    if (opened.error() == Errc::already_exists) {  // committed meanwhile: serve it from the store
      set_state(State::done);
      co_return;
    }
    fail_storing(opened.error());
    co_return;
  }
  set_state(State::streaming, total);

  // Each piece is written (and hashed) on the pool while the next one arrives.
  std::vector<std::byte> a(kPiece), b(kPiece);
  uint64_t written = 0;
  auto [ec, filled] = co_await fill(reply, std::span<std::byte>(a));
  while (!ec && filled > 0) {
    if (written + filled > total) {
      fail(FetchFailure::Kind::upstream,
           "upstream sent more than the " + std::to_string(total) + " bytes it announced");
      co_return;
    }
    content::Writer& w = *writer_;
    std::span<const std::byte> chunk(a.data(), filled);
    auto [wrote, next] = co_await (ctx_.storage.write([&w, chunk] { return w.write(chunk); }) &&
                                   fill(reply, std::span<std::byte>(b)));
    if (!wrote) {
      fail_storing(wrote.error());
      co_return;
    }
    written += filled;
    ctx_.stats.add(UpstreamStats::Counter::upstream_bytes, filled);
    publish(written);
    std::swap(a, b);
    ec = next.first;
    filled = next.second;
  }
  if (ec) {
    fail(FetchFailure::Kind::upstream, "reading " + digest_.str() + " from upstream " +
                                           ctx_.client->endpoint().host + ": " + ec.message());
    co_return;
  }
  if (written != total) {
    fail(FetchFailure::Kind::upstream, "upstream sent " + std::to_string(written) + " of " +
                                           std::to_string(total) + " bytes of " + digest_.str());
    co_return;
  }
  auto committed = co_await ctx_.storage.write([&](Storage& s) -> Result<void> {
    auto r = writer_->commit(static_cast<int64_t>(total), digest_);
    if (!r && r.error() != Errc::already_exists) {
      writer_.reset();
      (void)s.content().abort(scope, ref);  // nothing of it is kept
      return r.error();
    }
    return {};
  });
  if (!committed) {
    if (committed.error() == Errc::digest_mismatch)
      fail(FetchFailure::Kind::upstream,
           "upstream sent bytes that do not hash to " + digest_.str());
    else
      fail_storing(committed.error());
    co_return;
  }
  set_state(State::done, total, total);
  ctx_.stats.add(UpstreamStats::Counter::fills);
  if (ctx_.on_committed)
    ctx_.on_committed();
}

}  // namespace cairn::proxy

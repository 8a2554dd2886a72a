// BlobFetch: one blob on its way from an upstream into the cache, followed by every client that
// asked for it.
//
// The first client to miss starts it; the bytes go into an ingest of the cache namespace (pages
// kept in memory) and every client — the first, those that join while it runs, late joiners
// too — is answered from that ingest's data file as it grows: a FileFeed tells the server how
// much is final. The last byte is released only after the digest was verified and the blob
// committed; on any failure (upstream error, short body, digest mismatch) nothing is committed
// and every client's response is cut short.
//
// Replicas over one metadata database fetch each blob once in the fleet: a fetch first takes
// the fleet's claim on the blob (metadata::Engine::try_hold, a PostgreSQL advisory lock held
// until the fetch ended). While another replica holds it, this one waits (its clients with it)
// and then takes the blob that replica committed from the shared store. Before any upstream
// GET, a blob the store already holds (another namespace's, another replica's) is recorded
// instead of fetched (shared policy).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include "async_storage/async_storage.h"
#include "proxy/fetch_failure.h"
#include "server/broadcast.h"
#include "server/http.h"
#include "storage/content/digest.h"
#include "storage/metadata/content_store.h"
#include "storage/storage.h"

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace cairn::upstream {
class Client;
}

namespace cairn::proxy {

class UpstreamStats;

class BlobFetch : public server::FileFeed, public std::enable_shared_from_this<BlobFetch> {
 public:
  enum class State {
    connecting,  // waiting for the upstream's answer
    streaming,   // bytes arriving; total known
    done,        // committed: serve it from the store
    failed,      // see failure and error
  };
  struct Progress {
    State state = State::connecting;
    uint64_t total = 0;        // the blob's size (streaming, done)
    uint64_t final_bytes = 0;  // how many bytes of the data file may be sent
    FetchFailure failure;      // failed: whose fault and why
  };

  // What a fetch needs; all must outlive it.
  struct Context {
    AsyncStorage& storage;
    std::shared_ptr<upstream::Client>
        client;  // the frame of a stopped server may outlive the cache
    UpstreamStats& stats;
    std::function<void()> on_committed;  // e.g. schedule eviction
    std::function<void()> on_finished;   // removes it from the fetches in flight
  };

  BlobFetch(Context ctx, std::string remote, std::string ns, content::Digest digest);
  ~BlobFetch() override;

  // Called once when the fetch ended, however it ended (set before start()).
  void set_on_finished(std::function<void()> fn) { ctx_.on_finished = std::move(fn); }
  // Starts the download on `executor` (a new strand of it).
  void start(const boost::asio::any_io_executor& executor);

  Progress progress() const;
  // Waits until the upstream answered (the state is no longer connecting).
  boost::asio::awaitable<Progress> wait_started();
  // The ingest's data file, open for reading (valid while this object lives, once streaming).
  int fd() const noexcept { return reader_ ? reader_->native_handle() : -1; }
  const content::Digest& digest() const noexcept { return digest_; }

  // server::FileFeed
  boost::asio::awaitable<std::pair<boost::system::error_code, uint64_t>> wait_beyond(
      uint64_t have) override;

 private:
  static boost::asio::awaitable<void> run(std::shared_ptr<BlobFetch> self);
  // Takes the fleet's claim (claim_), or waits for the replica holding it; true when the blob
  // is recorded from the store instead (nothing to fetch).
  boost::asio::awaitable<bool> claim_or_adopt(const std::string& ref);
  boost::asio::awaitable<void> download();
  void fail(FetchFailure::Kind kind, std::string detail, Errc storage_error = Errc::internal);
  // fail(storage, …) with the store's error `e`.
  void fail_storing(const Error& e);
  void publish(uint64_t written);
  // Moves to `state` (setting total and final_bytes when given) and wakes the waiters.
  void set_state(State state, uint64_t total = 0, uint64_t final_bytes = 0);

  Context ctx_;
  std::string remote_;
  std::string ns_;
  content::Digest digest_;
  std::unique_ptr<content::Writer> writer_;    // the ingest, while the download runs
  std::unique_ptr<content::ReaderAt> reader_;  // the writer's reader, for fd()
  std::unique_ptr<metadata::Hold> claim_;      // the fleet's claim, while the download runs

  mutable std::mutex mu_;
  Progress p_;
  // Notified on every change of p_: clients waiting for the upstream's answer or for more
  // bytes wake then, instead of polling.
  server::Broadcast changed_;
};

}  // namespace cairn::proxy

// Notifier: sends events (notify/event.h) to the configured notification endpoints, as CNCF
// Distribution's notifications do, without ever slowing the request that caused them.
//
// Each endpoint has its own bounded in-memory queue and one sender coroutine. publish() only
// renders the event and appends it to the queues of the endpoints that want its action; when a
// queue is full the event is dropped for that endpoint and counted (EndpointStats::dropped). The
// sender, spawned on the server's io_context when a queue becomes non-empty, POSTs the queued
// events in envelopes of at most `max_batch` events with the upstream HTTP client
// (upstream/client.h) and the endpoint's headers, each attempt bounded by the endpoint's
// timeout. A 2xx answer delivers the envelope; a 4xx but 408 and 429 is final (the envelope is
// dropped and counted, as its events would be refused again); anything else (no answer, a
// timeout, 5xx, 408, 429) is retried after `backoff`, doubled after each failure up to
// `max_backoff`, until it is delivered or the notifier stops. Events of one endpoint are sent
// in the order they were published; endpoints do not wait for each other.
//
// Nothing is persisted: events queued when the process stops are lost.
//
// Thread-safety: publish() and stats may be used from any thread. Senders hold the state they
// use (shared), so destroying the Notifier before the io_context is safe: stop() (called by
// the destructor) ends each sender at its next step.
#pragma once

#include "notify/event.h"
#include "storage/common/result.h"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cairn::notify {

struct EndpointConfig {
  std::string name;                                          // for logs and figures; empty: the URL
  std::string url;                                           // "http[s]://HOST[:PORT][/PATH]"
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every POST
  std::vector<Action> events;                     // the actions it wants; empty: every action
  std::chrono::milliseconds timeout{5'000};       // to connect, and for each write and read
  std::chrono::milliseconds backoff{1'000};       // the first retry's delay
  std::chrono::milliseconds max_backoff{60'000};  // the longest delay between retries
  size_t queue_size = 1'000;  // events waiting at most; past it new ones are dropped
  size_t max_batch = 100;     // events in one envelope at most
  std::string ca_file;        // PEM bundle to verify an https endpoint with; empty: the system's
  bool insecure = false;      // do not verify an https endpoint's certificate
};

// Figures of one endpoint: plain atomics (relaxed), read by the metrics without a lock.
struct EndpointStats {
  std::atomic<uint64_t> published{0};  // events accepted into the queue
  std::atomic<uint64_t> delivered{0};  // events an endpoint answered 2xx to
  std::atomic<uint64_t> dropped{0};    // events dropped: queue full, or refused with a 4xx
  std::atomic<uint64_t> failures{0};   // failed attempts (each retried)
  std::atomic<uint64_t> pending{0};    // events queued or being sent now
};

struct NotifierOptions {
  std::vector<EndpointConfig> endpoints;
  Source source;  // instance_id: made at random when empty
  // Told one line when an endpoint starts failing and when it delivers again; null: silent.
  std::function<void(const std::string&)> log;
};

class Notifier {
 public:
  // Checks every endpoint (URL, sizes). Errors: invalid_argument (the detail names the
  // endpoint and what is wrong). Throws like upstream::Client for an unreadable ca_file.
  static Result<std::unique_ptr<Notifier>> create(NotifierOptions options);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Whether any endpoint wants `action`: lets a caller skip building an event nobody wants.
  bool wants(Action action) const noexcept;

  // Queues `event` for every endpoint that wants its action (the event's id and timestamp are
  // set when empty). Never blocks on I/O: a sender coroutine is spawned on `executor`'s
  // io_context when a queue was idle. Thread-safe.
  void publish(Event event, const boost::asio::any_io_executor& executor);

  // Each endpoint's name and figures, in configuration order.
  struct EndpointFigures {
    std::string name;
    const EndpointStats& stats;
  };
  std::vector<EndpointFigures> figures() const;

  const Source& source() const noexcept { return source_; }

  // Senders end at their next step (what is queued stays unsent); publish() then does nothing.
  void stop();

  struct Endpoint;

 private:
  Notifier() = default;
  Source source_;
  std::vector<std::shared_ptr<Endpoint>> endpoints_;
};

}  // namespace cairn::notify

// The sender of each endpoint is one coroutine at a time (Endpoint::sending), spawned on a
// strand of the server's io_context so that it never shares a connection's strand: a slow
// endpoint never delays the request that published the event.
#include "notify/notifier.h"

#include "server/unexpected.h"
#include "upstream/client.h"
#include "upstream/url.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cctype>
#include <deque>
#include <mutex>
#include <optional>

namespace cairn::notify {

namespace asio = boost::asio;

struct Notifier::Endpoint {
  EndpointConfig config;
  upstream::Url url;
  std::unique_ptr<upstream::Client> client;
  upstream::Headers headers;  // the configured ones (lowercase names) and content-type
  std::function<void(const std::string&)> log;
  EndpointStats stats;
  std::atomic<bool> stopped{false};

  std::mutex mu;  // guards what follows
  std::deque<std::string> queue;
  bool sending = false;

  bool wants(Action a) const {
    return config.events.empty() ||
           std::find(config.events.begin(), config.events.end(), a) != config.events.end();
  }
};

namespace {

constexpr size_t kMaxReplyBytes = 64 * 1024;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

enum class Outcome { delivered, refused, failed };

struct Attempt {
  Outcome outcome;
  std::string why;  // for the log when not delivered
};

asio::awaitable<Attempt> post_once(Notifier::Endpoint& ep, const std::string& body) {
  auto reply = co_await ep.client->send("POST", ep.url.target, ep.headers, "", body);
  if (!reply)
    co_return Attempt{Outcome::failed, reply.error().detail};
  const unsigned status = (*reply)->status;
  (void)co_await (*reply)->read_all(kMaxReplyBytes);  // frees the connection for the next post
  if (status >= 200 && status < 300)
    co_return Attempt{Outcome::delivered, ""};
  const std::string why = "answered " + std::to_string(status);
  if (status >= 400 && status < 500 && status != 408 && status != 429)
    co_return Attempt{Outcome::refused, why};
  co_return Attempt{Outcome::failed, why};
}

std::string describe(const Notifier::Endpoint& ep) {
  return "notification endpoint " + (ep.config.name.empty() ? ep.url.str() : ep.config.name);
}

// Sends what the endpoint's queue holds until it is empty (or the notifier stops).
asio::awaitable<void> send_queue(std::shared_ptr<Notifier::Endpoint> ep) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  bool failing = false;
  for (;;) {
    std::vector<std::string> batch;
    {
      std::lock_guard lock(ep->mu);
      if (ep->stopped || ep->queue.empty()) {
        ep->sending = false;
        co_return;
      }
      const size_t n = std::min(ep->queue.size(), ep->config.max_batch);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(ep->queue.front()));
        ep->queue.pop_front();
      }
    }
    const std::string body = envelope(batch);
    auto delay = ep->config.backoff;
    for (;;) {
      Attempt attempt = co_await post_once(*ep, body);
      if (attempt.outcome != Outcome::failed) {
        if (attempt.outcome == Outcome::delivered)
          ep->stats.delivered.fetch_add(batch.size(), std::memory_order_relaxed);
        else
          ep->stats.dropped.fetch_add(batch.size(), std::memory_order_relaxed);
        ep->stats.pending.fetch_sub(batch.size(), std::memory_order_relaxed);
        if (attempt.outcome == Outcome::refused && ep->log)
          ep->log(describe(*ep) + " refused " + std::to_string(batch.size()) +
                  " events (dropped): " + attempt.why);
        if (failing && attempt.outcome == Outcome::delivered && ep->log)
          ep->log(describe(*ep) + " delivers again");
        failing = false;
        break;
      }
      ep->stats.failures.fetch_add(1, std::memory_order_relaxed);
      if (!failing && ep->log)
        ep->log(describe(*ep) + " failed, retrying with back-off: " + attempt.why);
      failing = true;
      if (ep->stopped)
        break;  // the loop above ends the sender
      timer.expires_after(delay);
      co_await timer.async_wait(use_tuple);
      delay = std::min(delay * 2, ep->config.max_backoff);
    }
  }
}

}  // namespace

Result<std::unique_ptr<Notifier>> Notifier::create(NotifierOptions options) {
  std::unique_ptr<Notifier> n(new Notifier());
  n->source_ = std::move(options.source);
  if (n->source_.instance_id.empty())
    n->source_.instance_id = new_event_id();
  for (auto& config : options.endpoints) {
    const std::string what = "notification endpoint " + config.url;
    auto url = upstream::parse_absolute_url(config.url);
    if (!url)
      return fail(Errc::invalid_argument, what + ": the url must be http[s]://HOST[:PORT][/PATH]");
    if (config.queue_size == 0 || config.max_batch == 0)
      return fail(Errc::invalid_argument, what + ": queue size and batch must be at least 1");
    if (config.timeout.count() <= 0 || config.backoff.count() <= 0)
      return fail(Errc::invalid_argument, what + ": timeout and backoff must be positive");
    config.max_backoff = std::max(config.max_backoff, config.backoff);
    auto ep = std::make_shared<Endpoint>();
    ep->url = *url;
    upstream::Endpoint target;
    target.host = url->host;
    target.url = url->origin();
    target.ca_file = config.ca_file;
    target.insecure = config.insecure;
    upstream::ClientOptions client;
    client.max_connections = 1;  // one sender: one connection, kept alive
    client.connect_timeout = config.timeout;
    client.io_timeout = config.timeout;
    client.max_redirects = 0;
    ep->client = std::make_unique<upstream::Client>(std::move(target), client);
    for (const auto& [name, value] : config.headers) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      ep->headers.emplace_back(std::move(lower), value);
    }
    ep->headers.emplace_back("content-type", std::string(kEnvelopeMediaType));
    ep->log = options.log;
    ep->config = std::move(config);
    n->endpoints_.push_back(std::move(ep));
  }
  return n;
}

Notifier::~Notifier() {
  stop();
}

bool Notifier::wants(Action action) const noexcept {
  for (const auto& ep : endpoints_) {
    if (ep->wants(action))
      return true;
  }
  return false;
}

void Notifier::publish(Event event, const asio::any_io_executor& executor) {
  if (event.id.empty())
    event.id = new_event_id();
  if (event.timestamp == std::chrono::system_clock::time_point())
    event.timestamp = std::chrono::system_clock::now();
  std::string json;
  for (const auto& ep : endpoints_) {
    if (!ep->wants(event.action) || ep->stopped)
      continue;
    if (json.empty())
      json = event_json(event, source_);
    bool spawn = false;
    {
      std::lock_guard lock(ep->mu);
      if (ep->queue.size() >= ep->config.queue_size) {
        ep->stats.dropped.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      ep->queue.push_back(json);
      ep->stats.published.fetch_add(1, std::memory_order_relaxed);
      ep->stats.pending.fetch_add(1, std::memory_order_relaxed);
      spawn = !ep->sending;
      ep->sending = true;
    }
    if (!spawn)
      continue;
    // The sender runs on its own strand of the io_context, not on the publisher's (a
    // connection's, whose executor is a strand of the io_context's) strand.
    using IoExecutor = asio::io_context::executor_type;
    std::optional<IoExecutor> io;
    if (auto* strand = executor.target<asio::strand<IoExecutor>>())
      io = strand->get_inner_executor();
    else if (auto* plain = executor.target<IoExecutor>())
      io = *plain;
    auto on_done = server::logged("the notification sender", [ep](std::exception_ptr e) {
      if (e) {  // only allocation failure can throw in the sender: let a later publish retry
        std::lock_guard lock(ep->mu);
        ep->sending = false;
      }
    });
    if (io)
      asio::co_spawn(asio::make_strand(*io), send_queue(ep), on_done);
    else
      asio::co_spawn(asio::make_strand(executor), send_queue(ep), on_done);
  }
}

std::vector<Notifier::EndpointFigures> Notifier::figures() const {
  std::vector<EndpointFigures> out;
  for (const auto& ep : endpoints_)
    out.push_back({ep->config.name.empty() ? ep->url.str() : ep->config.name, ep->stats});
  return out;
}

void Notifier::stop() {
  for (const auto& ep : endpoints_) {
    ep->stopped = true;
    ep->client->close_idle();  // its sockets belong to the io_context, which may go first
  }
}

}  // namespace cairn::notify

#include "bench/load/load_runner.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include <openssl/ssl.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "bench/load/http_parser.h"

namespace cairn::load {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
using namespace std::chrono_literals;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// Big enough for a 64 KiB range response plus headers in one read, and for the largest header
// block the parser accepts.
constexpr std::size_t kReadBuffer = 128 * 1024;
static_assert(kReadBuffer > ResponseParser::kMaxHeaderBytes);
// Pause before reconnecting after a failed connect, so a dead server is not spun on.
constexpr auto kConnectBackoff = 10ms;
constexpr auto kWatchdogTick = 20ms;

using TlsStream = asio::ssl::stream<tcp::socket>;

// One connection's state shared with the watchdog. Over https the socket lives inside `tls`,
// made afresh for each connection (a TLS stream cannot be reused after its socket closed).
struct Slot {
  Slot(asio::io_context& io, std::size_t number) : socket(io), number(number) {}
  tcp::socket socket;
  std::size_t number;  // 0.. over all workers: picks the endpoint (Target::endpoints)
  std::optional<TlsStream> tls;
  tcp::socket& lowest() { return tls ? tls->next_layer() : socket; }
  Clock::time_point started{};  // when the outstanding connect or request began
  bool busy = false;            // a connect or request is outstanding
  bool timed_out = false;       // the watchdog closed the socket; already counted
};

// One I/O thread: its io_context, its connections and its figures. Touched by that thread only
// (the main thread reads it after join).
struct Worker {
  asio::io_context io{1};
  std::deque<Slot> slots;  // stable addresses for the coroutines
  LoadStats stats;
  Clock::time_point deadline;
  Clock::duration timeout{};
  bool stopping = false;
  std::string failure;  // an exception that escaped a coroutine
};

struct Target {
  std::vector<tcp::endpoint> endpoints;  // the URL's, then --also-port's: slot n uses n % size
  const RequestTemplate* request = nullptr;
  std::optional<RandomRange> random_range;
  asio::ssl::context* tls = nullptr;  // https: the client context shared by every connection
  std::string server_name;            // SNI and host name verification ("" for IP literals)
};

void close(Slot& slot) {
  error_code ignored;
  slot.lowest().close(ignored);
}

void note(Worker& w, std::uint64_t& counter, std::string_view what, std::string_view detail) {
  ++counter;
  if (w.stats.first_error.empty()) {
    w.stats.first_error = std::string(what) + ": " + std::string(detail);
  }
}

// Moves the bytes the parser did not consume to the front of the buffer.
ResponseParser::State consume(ResponseParser& parser, char* buf, std::size_t& fill) {
  ResponseParser::FeedResult r = parser.feed(std::string_view(buf, fill));
  if (r.consumed > 0 && r.consumed < fill)
    std::memmove(buf, buf + r.consumed, fill - r.consumed);
  fill -= r.consumed;
  return r.state;
}

// Writes "Range: bytes=a-b\r\n" into `out` and returns its length.
std::size_t format_range(char* out, std::size_t cap, std::uint64_t first, std::uint64_t last) {
  char* p = out;
  char* end = out + cap;
  constexpr std::string_view kHead = "Range: bytes=";
  p = std::copy(kHead.begin(), kHead.end(), p);
  p = std::to_chars(p, end, first).ptr;
  *p++ = '-';
  p = std::to_chars(p, end, last).ptr;
  *p++ = '\r';
  *p++ = '\n';
  return static_cast<std::size_t>(p - out);
}

// Request/response exchanges on an open connection until it must be reopened or the run stops.
template <class Stream>
asio::awaitable<void> exchanges(Worker& w, Slot& slot, Stream& stream, const Target& target,
                                char* buf, std::size_t& fill, ResponseParser& parser,
                                std::mt19937_64& rng) {
  const RequestTemplate& request = *target.request;
  std::array<char, 64> range_line{};
  while (!w.stopping) {
    const Clock::time_point t0 = Clock::now();
    if (t0 >= w.deadline) {
      w.stopping = true;
      break;
    }
    slot.busy = true;
    slot.started = t0;
    std::array<asio::const_buffer, 3> out{asio::buffer(request.prefix), asio::const_buffer(),
                                          asio::buffer(request.suffix)};
    if (target.random_range) {
      const RandomRange& r = *target.random_range;
      std::uint64_t first = rng() % (r.size - r.length + 1);
      out[1] = asio::buffer(range_line.data(), format_range(range_line.data(), range_line.size(),
                                                            first, first + r.length - 1));
    }
    auto [wec, written] = co_await asio::async_write(stream, out, kNoThrow);
    (void)written;
    if (wec) {
      slot.busy = false;
      if (!w.stopping && !slot.timed_out)
        note(w, w.stats.write_errors, "write", wec.message());
      break;
    }

    parser.reset(request.head);
    ResponseParser::State state = ResponseParser::State::need_more;
    std::uint64_t* failure = nullptr;  // which counter a failure goes to
    std::string detail;
    if (fill > 0)
      state = consume(parser, buf, fill);
    while (state == ResponseParser::State::need_more) {
      auto [rec, n] =
          co_await stream.async_read_some(asio::buffer(buf + fill, kReadBuffer - fill), kNoThrow);
      // A TLS peer that closes without close_notify reports stream_truncated: an end of stream.
      if (rec == asio::error::eof || rec == asio::ssl::error::stream_truncated) {
        state = parser.finish_eof();
        if (state == ResponseParser::State::error) {
          failure = &w.stats.read_errors;
          detail = std::string(parser.error_detail());
        }
        break;
      }
      if (rec) {
        state = ResponseParser::State::error;
        failure = &w.stats.read_errors;
        detail = rec.message();
        break;
      }
      w.stats.bytes_read += n;
      fill += n;
      state = consume(parser, buf, fill);
      if (state == ResponseParser::State::error) {
        failure = &w.stats.parse_errors;
        detail = std::string(parser.error_detail());
      } else if (state == ResponseParser::State::need_more && fill == kReadBuffer) {
        state = ResponseParser::State::error;
        failure = &w.stats.parse_errors;
        detail = "response header block does not fit the read buffer";
      }
    }
    slot.busy = false;
    if (w.stopping || slot.timed_out)
      break;  // not counted: stopped, or counted as a timeout

    if (state == ResponseParser::State::error) {
      note(w, *failure, failure == &w.stats.parse_errors ? "parse" : "read", detail);
      break;
    }
    const Clock::time_point t1 = Clock::now();
    if (t1 > w.deadline) {
      w.stopping = true;
      break;
    }
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count();
    w.stats.latency.record(static_cast<std::uint64_t>(micros));
    ++w.stats.requests;
    w.stats.body_bytes += parser.body_bytes();
    int status = parser.status();
    ++w.stats.status_counts[static_cast<std::size_t>(std::min(status, 599))];
    if (status < 200 || status > 299)
      ++w.stats.non2xx;
    if (!parser.keep_alive()) {
      ++w.stats.reconnects;
      break;
    }
  }
}

// One connection: connect (and over https, handshake), then request/response until the deadline;
// reconnects on close or error. The handshake counts as part of connecting: its failure is a
// connect error, and the watchdog's timeout covers it.
asio::awaitable<void> run_connection(Worker& w, Slot& slot, const Target& target,
                                     std::uint64_t seed) {
  auto buf = std::make_unique<char[]>(kReadBuffer);
  std::size_t fill = 0;
  ResponseParser parser;
  std::mt19937_64 rng(seed);
  asio::steady_timer pause(w.io);
  bool backoff = false;

  while (!w.stopping) {
    if (backoff) {
      pause.expires_after(kConnectBackoff);
      co_await pause.async_wait(kNoThrow);
      backoff = false;
      if (w.stopping)
        break;
    }
    if (!slot.lowest().is_open()) {
      slot.timed_out = false;
      slot.busy = true;
      slot.started = Clock::now();
      if (target.tls != nullptr) {
        slot.tls.emplace(w.io, *target.tls);
        if (!target.server_name.empty()) {
          SSL_set_tlsext_host_name(slot.tls->native_handle(), target.server_name.c_str());
        }
      }
      const tcp::endpoint& to = target.endpoints[slot.number % target.endpoints.size()];
      auto [ec] = co_await slot.lowest().async_connect(to, kNoThrow);
      if (!ec && !slot.timed_out && slot.tls) {
        std::tie(ec) = co_await slot.tls->async_handshake(asio::ssl::stream_base::client, kNoThrow);
      }
      slot.busy = false;
      if (w.stopping)
        break;
      if (ec || slot.timed_out) {
        if (!slot.timed_out)
          note(w, w.stats.connect_errors, slot.tls ? "connect/handshake" : "connect", ec.message());
        close(slot);
        backoff = true;
        continue;
      }
      error_code ignored;
      slot.lowest().set_option(tcp::no_delay(true), ignored);
      fill = 0;
    }
    if (slot.tls)
      co_await exchanges(w, slot, *slot.tls, target, buf.get(), fill, parser, rng);
    else
      co_await exchanges(w, slot, slot.socket, target, buf.get(), fill, parser, rng);
    close(slot);
  }
  close(slot);
}

// Stops the worker at the deadline and closes connections whose request outlived the timeout.
asio::awaitable<void> watch(Worker& w) {
  asio::steady_timer timer(w.io);
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (now >= w.deadline) {
      w.stopping = true;
      for (Slot& s : w.slots)
        close(s);
      co_return;
    }
    for (Slot& s : w.slots) {
      if (s.busy && !s.timed_out && now - s.started >= w.timeout) {
        s.timed_out = true;
        note(w, w.stats.timeouts, "timeout", "no response within --timeout");
        close(s);
      }
    }
    timer.expires_at(std::min(now + kWatchdogTick, w.deadline));
    co_await timer.async_wait(kNoThrow);
  }
}

void run_worker(Worker& w, const Target& target, std::uint64_t seed) {
  auto rethrow = [](std::exception_ptr e) {
    if (e)
      std::rethrow_exception(e);
  };
  std::uint64_t i = 0;
  for (Slot& s : w.slots) {
    asio::co_spawn(w.io, run_connection(w, s, target, seed + 0x9e3779b97f4a7c15ULL * ++i), rethrow);
  }
  asio::co_spawn(w.io, watch(w), rethrow);
  try {
    w.io.run();
  } catch (const std::exception& e) {
    w.failure = e.what();
  }
}

// Resolves the URL's host and picks the first address that accepts a connection (so "localhost"
// works whether the server listens on 127.0.0.1 or ::1); the first address if none does.
std::optional<tcp::endpoint> pick_endpoint(const Url& url, std::string& error) {
  asio::io_context io{1};
  tcp::resolver resolver(io);
  error_code ec;
  auto results = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec || results.empty()) {
    error = "cannot resolve " + url.host + ": " + ec.message();
    return std::nullopt;
  }
  for (const auto& entry : results) {
    tcp::socket probe(io);
    probe.connect(entry.endpoint(), ec);
    if (!ec)
      return entry.endpoint();
  }
  return results.begin()->endpoint();
}

// Client context: TLS 1.2 or newer, ALPN http/1.1; verifies the server against --cacert (or the
// system's CAs) and the URL's host unless --insecure.
bool make_tls_context(const Options& options, asio::ssl::context& ctx, std::string& error) {
  error_code ec;
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx.native_handle(), kAlpn, sizeof kAlpn);
  if (options.insecure) {
    ctx.set_verify_mode(asio::ssl::verify_none, ec);
    return true;
  }
  if (!options.cacert.empty())
    ctx.load_verify_file(options.cacert, ec);
  else
    ctx.set_default_verify_paths(ec);
  if (ec) {
    error = "cannot load CA certificates " +
            (options.cacert.empty() ? std::string("(system default)") : options.cacert) + ": " +
            ec.message();
    return false;
  }
  ctx.set_verify_mode(asio::ssl::verify_peer, ec);
  ctx.set_verify_callback(asio::ssl::host_name_verification(options.url.host), ec);
  if (ec) {
    error = "cannot set up certificate verification: " + ec.message();
    return false;
  }
  return true;
}

}  // namespace

void LoadStats::merge(const LoadStats& other) {
  requests += other.requests;
  non2xx += other.non2xx;
  connect_errors += other.connect_errors;
  read_errors += other.read_errors;
  write_errors += other.write_errors;
  parse_errors += other.parse_errors;
  timeouts += other.timeouts;
  reconnects += other.reconnects;
  bytes_read += other.bytes_read;
  body_bytes += other.body_bytes;
  for (std::size_t i = 0; i < status_counts.size(); ++i)
    status_counts[i] += other.status_counts[i];
  latency.merge(other.latency);
  if (first_error.empty())
    first_error = other.first_error;
}

bool run_load(const Options& options, const RequestTemplate& request, LoadStats& stats,
              std::string& error) {
  std::optional<tcp::endpoint> endpoint = pick_endpoint(options.url, error);
  if (!endpoint)
    return false;
  Target target{{*endpoint}, &request, options.random_range, nullptr, {}};
  for (std::uint16_t port : options.also_ports)
    target.endpoints.emplace_back(endpoint->address(), port);
  std::optional<asio::ssl::context> tls;
  if (options.url.tls) {
    tls.emplace(asio::ssl::context::tls_client);
    if (!make_tls_context(options, *tls, error))
      return false;
    target.tls = &*tls;
    error_code ec;
    asio::ip::make_address(options.url.host, ec);
    if (ec)
      target.server_name = options.url.host;  // a name, not an IP literal: send it as SNI
  }

  const int threads = std::max(1, std::min(options.threads, options.connections));
  std::vector<std::unique_ptr<Worker>> workers;
  std::size_t number = 0;
  for (int t = 0; t < threads; ++t) {
    workers.push_back(std::make_unique<Worker>());
    int share = options.connections / threads + (t < options.connections % threads ? 1 : 0);
    for (int c = 0; c < share; ++c)
      workers.back()->slots.emplace_back(workers.back()->io, number++);
  }

  const auto duration = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.duration_s));
  const auto timeout =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.timeout_s));
  const std::uint64_t seed = std::random_device{}();
  const Clock::time_point start = Clock::now();
  for (auto& w : workers) {
    w->deadline = start + duration;
    w->timeout = timeout;
  }
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) {
    pool.emplace_back(run_worker, std::ref(*workers[t]), std::cref(target), seed + 1000003 * t);
  }
  run_worker(*workers[0], target, seed);
  for (std::thread& th : pool)
    th.join();

  stats = LoadStats{};
  stats.elapsed_s = std::chrono::duration<double>(duration).count();
  for (auto& w : workers) {
    stats.merge(w->stats);
    if (!w->failure.empty())
      error = w->failure;
  }
  return error.empty();
}

}  // namespace cairn::load

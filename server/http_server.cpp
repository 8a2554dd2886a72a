#include "server/http_server.h"

#include "server/message_framing.h"
#include "server/unexpected.h"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/sendfile.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_set>

namespace cairn::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

using TcpStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

// Beast keeps each header field's name and value lengths in 16 bits and throws length_error
// beyond: the read buffer (which holds a whole header, or a chunk header, or a whole trailer
// part) is kept below that, so every header-like field is bounded before Beast sees it; the
// header limit stays under the buffer so an oversized header is a 431, not a buffer overflow.
constexpr size_t kReadBufferMax = 64 * 1024;
constexpr size_t kHeaderLimitMax = kReadBufferMax - 1024;

// Streams the body of the request whose header `parser` has read.
//
// A body framed by Content-Length (every upload a registry client sends) bypasses the parser:
// the bytes that arrived with the header are taken from `buffer`, the rest is read from the
// stream straight into the caller's buffer, in reads as large as that buffer. Only chunked
// bodies go through Beast's parser (which would otherwise read in pieces as small as the
// header buffer and copy each one).
//
// Each read waits at most the I/O timeout, and all of them together at most the I/O timeout
// plus one second per `min_rate` bytes received: a client trickling its body is cut off.
template <class Stream>
class BeastBodyReader final : public BodyReader {
 public:
  BeastBodyReader(Stream& stream, beast::flat_buffer& buffer,
                  http::request_parser<http::buffer_body>& parser,
                  std::chrono::milliseconds timeout, uint64_t min_rate)
      : stream_(stream), buffer_(buffer), parser_(parser), timeout_(timeout), min_rate_(min_rate) {
    if (!parser_.chunked())
      remaining_ = parser_.content_length().value_or(0);
  }

  asio::awaitable<std::pair<error_code, size_t>> read_some(std::span<std::byte> out) override {
    if (failed_)
      co_return std::pair{error_code(asio::error::operation_aborted), size_t{0}};
    if (out.empty())
      co_return std::pair{error_code{}, size_t{0}};
    if (!parser_.chunked())
      co_return co_await read_framed(out);
    while (!parser_.is_done()) {
      auto& body = parser_.get().body();
      body.data = out.data();
      body.size = out.size();
      if (!arm_timer())
        co_return fail(beast::error::timeout);
      auto started = std::chrono::steady_clock::now();
      error_code ec;
      try {
        auto [e, n] = co_await http::async_read_some(stream_, buffer_, parser_, use_tuple);
        ec = e;
      } catch (const std::exception&) {  // Beast refusing a field it cannot hold
        ec = http::error::bad_chunk;
      }
      waited_ += std::chrono::steady_clock::now() - started;
      if (ec == http::error::need_buffer)
        ec = {};
      if (ec)
        co_return fail(framing_error(ec));
      size_t got = out.size() - parser_.get().body().size;
      if (got > 0) {
        consumed_ += got;
        co_return std::pair{error_code{}, got};
      }
    }
    co_return std::pair{error_code{}, size_t{0}};
  }

  uint64_t consumed() const override { return consumed_; }
  bool failed() const { return failed_; }
  bool done() const { return parser_.chunked() ? parser_.is_done() : remaining_ == 0; }

 private:
  asio::awaitable<std::pair<error_code, size_t>> read_framed(std::span<std::byte> out) {
    if (remaining_ == 0)
      co_return std::pair{error_code{}, size_t{0}};
    size_t want = static_cast<size_t>(std::min<uint64_t>(remaining_, out.size()));
    size_t got = 0;
    if (buffer_.size() > 0) {  // bytes that came with the header
      got = asio::buffer_copy(asio::buffer(out.data(), want), buffer_.data());
      buffer_.consume(got);
    } else {
      if (!arm_timer())
        co_return fail(beast::error::timeout);
      auto started = std::chrono::steady_clock::now();
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(out.data(), want), use_tuple);
      waited_ += std::chrono::steady_clock::now() - started;
      if (ec)
        co_return fail(ec);
      got = n;
    }
    remaining_ -= got;
    consumed_ += got;
    co_return std::pair{error_code{}, got};
  }

  // Sets the deadline of the next read: the I/O timeout, or less when the rate allowance is
  // nearly spent. False when it is spent.
  bool arm_timer() {
    auto limit = std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout_);
    if (min_rate_ > 0) {
      auto allowance = limit + std::chrono::milliseconds(consumed_ / min_rate_ * 1000 +
                                                         consumed_ % min_rate_ * 1000 / min_rate_);
      if (waited_ >= allowance)
        return false;
      limit = std::min(limit, allowance - waited_);
    }
    beast::get_lowest_layer(stream_).expires_after(limit);
    return true;
  }

  std::pair<error_code, size_t> fail(error_code ec) {
    failed_ = true;
    return {ec, 0};
  }

  // A chunked body that breaks the framing is the client's fault, which handlers answer with a
  // 4xx: say so with bad_message. A body cut short (the client went away) keeps its error.
  static error_code framing_error(error_code ec) {
    if (ec.category() == http::make_error_code(http::error::bad_chunk).category() &&
        ec != http::error::partial_message && ec != http::error::end_of_stream) {
      return make_error_code(boost::system::errc::bad_message);
    }
    return ec;
  }

  Stream& stream_;
  beast::flat_buffer& buffer_;
  http::request_parser<http::buffer_body>& parser_;
  std::chrono::milliseconds timeout_;
  uint64_t min_rate_;
  uint64_t remaining_ = 0;  // Content-Length framing: body bytes not yet read
  uint64_t consumed_ = 0;
  std::chrono::steady_clock::duration waited_{};  // spent waiting for body bytes
  bool failed_ = false;
};

// What the server knows of every open connection, whatever its stream: enough to close the
// idle ones when stopping.
struct ConnectionBase {
  virtual ~ConnectionBase() = default;
  virtual asio::any_io_executor executor() = 0;
  // Cancels the pending read of a connection waiting for its next request. On its strand.
  virtual void cancel_if_idle() = 0;
};

template <class Stream>
struct Connection final : ConnectionBase {
  explicit Connection(tcp::socket socket) requires(!kIsTls<Stream>) : stream(std::move(socket)) {}
  Connection(tcp::socket socket,
             std::shared_ptr<asio::ssl::context> context) requires(kIsTls<Stream>)
      : tls_context(std::move(context)), stream(std::move(socket), *tls_context) {}

  asio::any_io_executor executor() override { return stream.get_executor(); }
  void cancel_if_idle() override {
    if (!busy)
      beast::get_lowest_layer(stream).cancel();
  }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream); }

  std::shared_ptr<asio::ssl::context> tls_context;  // the pair this connection was made with
  Stream stream;
  bool busy = false;  // a request is in flight (guarded by the connection's strand)
};

std::string utc_now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  return buf;
}

Request make_request(const http::request_parser<http::buffer_body>& parser, std::string id) {
  const auto& msg = parser.get();
  Request req;
  req.method = std::string(msg.method_string());
  std::string_view target = origin_form(msg.target());
  if (target.starts_with('?'))
    req.target = "/" + std::string(target);  // "http://h?q" has an empty path: "/?q"
  else
    req.target = std::string(target);
  target = req.target;
  size_t q = target.find('?');
  // A path that does not decode (a stray '%', or an encoded NUL) is routed as sent: '%' belongs
  // to no name, tag or digest grammar, so the handler's checks refuse it with a 4xx.
  auto path = percent_decode(target.substr(0, q));
  req.path = path ? std::move(*path) : std::string(target.substr(0, q));
  if (q != std::string_view::npos)
    req.query = std::string(target.substr(q + 1));
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  if (auto len = parser.content_length())
    req.content_length = *len;
  req.chunked = parser.chunked();
  req.request_id = std::move(id);
  return req;
}

// The request's framing is refused (see ambiguous_framing).
bool framing_refused(const http::request_parser<http::buffer_body>& parser) {
  const auto& msg = parser.get();
  std::vector<std::string_view> te;
  for (auto [it, end] = msg.equal_range(http::field::transfer_encoding); it != end; ++it)
    te.push_back(it->value());
  return ambiguous_framing(te, msg.count(http::field::content_length) > 0) ||
         (!te.empty() && !parser.chunked());
}

// Closes the connection when the session ends, however it ends (an exception included), and
// takes it off the server's list, so a graceful stop never waits for a connection that is gone.
template <class Fn>
struct OnExit {
  Fn fn;
  ~OnExit() { fn(); }
};
template <class Fn>
OnExit(Fn) -> OnExit<Fn>;

}  // namespace

struct HttpServer::Impl {
  Impl(ServerOptions o, const Router& r)
      : opts(std::move(o)),
        router(r),
        ioc(opts.threads),
        acceptor(ioc),
        signals(ioc),
        shutdown_timer(ioc) {
    std::random_device rd;
    id_prefix = std::to_string(rd() % 100000);
    header_limit = std::min(opts.max_header_bytes, kHeaderLimitMax);
  }

  asio::awaitable<void> accept_loop();
  template <class Stream>
  void start_session(tcp::socket socket);
  template <class Stream>
  asio::awaitable<void> run_session(std::shared_ptr<Connection<Stream>> conn);
  template <class Stream>
  asio::awaitable<std::pair<bool, uint64_t>> write_response(Connection<Stream>& conn,
                                                            const Request& req, Response& res,
                                                            bool keep_alive);
  template <class Stream>
  asio::awaitable<void> refuse_request(Connection<Stream>& conn, unsigned status);
  asio::awaitable<bool> send_file(Connection<TcpStream>& conn, const FileRange& file);
  template <class Stream>
  asio::awaitable<bool> send_source(Connection<Stream>& conn, const FileRange& file);
  asio::awaitable<bool> send_file(Connection<TlsStream>& conn, const FileRange& file);
  asio::awaitable<void> linger(beast::tcp_stream& stream);
  asio::awaitable<void> refuse(std::shared_ptr<Connection<TcpStream>> conn);
  void wait_signal();
  void begin_stop();
  void connection_closed(const std::shared_ptr<ConnectionBase>& conn);
  void log(const Request& req, unsigned status, uint64_t in, uint64_t out,
           std::chrono::steady_clock::time_point start);
  void log_error(const std::string& text);
  std::string load_tls();
  std::shared_ptr<asio::ssl::context> current_tls() {
    std::lock_guard lock(tls_mu);
    return tls_context;
  }

  ServerOptions opts;
  const Router& router;
  size_t header_limit;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::steady_timer shutdown_timer;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> next_id{1};
  std::string id_prefix;
  std::mutex conns_mu;
  std::unordered_set<std::shared_ptr<ConnectionBase>> conns;
  std::mutex log_mu;
  std::mutex tls_mu;
  std::shared_ptr<asio::ssl::context> tls_context;  // null: plain HTTP
};

HttpServer::HttpServer(ServerOptions options, const Router& router) {
  // sendfile(2) has no MSG_NOSIGNAL: a client that hangs up mid-response must cost an EPIPE,
  // not the process.
  ::signal(SIGPIPE, SIG_IGN);
  if (options.threads <= 0)
    options.threads = std::max(1u, std::thread::hardware_concurrency());
  impl_ = std::make_unique<Impl>(std::move(options), router);
  auto& im = *impl_;
  if (im.opts.tls.enabled()) {
    if (auto error = im.load_tls(); !error.empty())
      throw TlsSetupError(error);
  }
  tcp::endpoint ep(asio::ip::make_address(im.opts.host), im.opts.port);
  im.acceptor.open(ep.protocol());
  im.acceptor.set_option(asio::socket_base::reuse_address(true));
  im.acceptor.bind(ep);
  im.acceptor.listen(asio::socket_base::max_listen_connections);
}

HttpServer::~HttpServer() = default;

uint16_t HttpServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void HttpServer::run() {
  auto& im = *impl_;
  if (im.opts.handle_signals) {
    im.signals.add(SIGINT);
    im.signals.add(SIGTERM);
    if (im.opts.tls.enabled())
      im.signals.add(SIGHUP);
    im.wait_signal();
  }
  asio::co_spawn(im.ioc, im.accept_loop(), logged("the listener", [&im](std::exception_ptr e) {
                   if (e)
                     im.begin_stop();
                 }));
  // No exception is meant to reach here (sessions end in their completion handler); one that
  // does costs the operation that threw it, not the process.
  auto run_io = [&im] {
    for (;;) {
      try {
        im.ioc.run();
        return;
      } catch (...) {
        report_exception("an I/O thread's operation", std::current_exception());
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < im.opts.threads; ++i)
    threads.emplace_back(run_io);
  run_io();
  for (auto& t : threads)
    t.join();
  // Sessions still suspended now are destroyed with the io_context, later, when the observer
  // (owned by the service, which may go first) can be gone: they tell it nothing.
  im.opts.observer = nullptr;
}

void HttpServer::stop() {
  asio::post(impl_->ioc, [im = impl_.get()] { im->begin_stop(); });
}

std::string HttpServer::reload_tls() {
  if (!impl_->opts.tls.enabled())
    return "TLS is off";
  std::string error = impl_->load_tls();
  impl_->log_error(error.empty() ? "TLS certificate and key reloaded"
                                 : "TLS reload failed, the old certificate stays: " + error);
  return error;
}

std::string HttpServer::Impl::load_tls() {
  std::string error;
  SslCtxPtr raw = make_server_tls_context(opts.tls, error);
  if (!raw)
    return error;
  auto context = std::make_shared<asio::ssl::context>(raw.release());  // takes ownership
  std::lock_guard lock(tls_mu);
  tls_context = std::move(context);
  return "";
}

void HttpServer::Impl::wait_signal() {
  signals.async_wait([this](error_code ec, int signo) {
    if (ec)
      return;
    if (signo == SIGHUP) {
      std::string error = load_tls();
      log_error(error.empty() ? "SIGHUP: TLS certificate and key reloaded"
                              : "SIGHUP: TLS reload failed, the old certificate stays: " + error);
      wait_signal();
      return;
    }
    begin_stop();
  });
}

void HttpServer::Impl::begin_stop() {
  if (stopping.exchange(true))
    return;
  error_code ec;
  acceptor.close(ec);
  signals.cancel(ec);
  std::lock_guard lock(conns_mu);
  for (const auto& conn : conns)
    asio::post(conn->executor(), [conn] { conn->cancel_if_idle(); });
  if (conns.empty()) {
    ioc.stop();
    return;
  }
  shutdown_timer.expires_after(opts.shutdown_deadline);
  shutdown_timer.async_wait([this](error_code e) {
    if (!e)
      ioc.stop();
  });
}

void HttpServer::Impl::connection_closed(const std::shared_ptr<ConnectionBase>& conn) {
  if (opts.observer != nullptr)
    opts.observer->on_connection_closed();
  std::lock_guard lock(conns_mu);
  conns.erase(conn);
  if (stopping && conns.empty()) {
    asio::post(ioc, [this] {
      shutdown_timer.cancel();
      ioc.stop();
    });
  }
}

asio::awaitable<void> HttpServer::Impl::accept_loop() {
  while (!stopping) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), use_tuple);
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted)
        break;
      continue;  // e.g. EMFILE: try again
    }
    error_code ignore;
    socket.set_option(tcp::no_delay(true), ignore);
    if (opts.tls.enabled())
      start_session<TlsStream>(std::move(socket));
    else
      start_session<TcpStream>(std::move(socket));
  }
}

template <class Stream>
void HttpServer::Impl::start_session(tcp::socket socket) {
  std::shared_ptr<Connection<Stream>> conn;
  if constexpr (kIsTls<Stream>)
    conn = std::make_shared<Connection<Stream>>(std::move(socket), current_tls());
  else
    conn = std::make_shared<Connection<Stream>>(std::move(socket));
  bool full = false;
  {
    std::lock_guard lock(conns_mu);
    if (stopping)
      return;  // closes the socket
    full = conns.size() >= opts.max_connections;
    if (!full)
      conns.insert(conn);
  }
  if (!full && opts.observer != nullptr)
    opts.observer->on_connection_opened();
  if (full) {
    // Told why (503) over plain HTTP; over TLS a handshake is not worth its cost then.
    if constexpr (!kIsTls<Stream>)
      asio::co_spawn(conn->stream.get_executor(), refuse(conn), logged("a refused connection"));
    return;
  }
  // The session's own guard unregisters the connection however it ends (see run_session).
  asio::co_spawn(conn->stream.get_executor(), run_session(conn), logged("a connection"));
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::run_session(std::shared_ptr<Connection<Stream>> conn) {
  OnExit unregister{[this, conn] {
    error_code ignore;
    conn->lowest().socket().close(ignore);
    connection_closed(conn);
  }};
  auto& lowest = conn->lowest();
  bool tls_ok = false;
  std::string tls_user;
  if constexpr (kIsTls<Stream>) {
    lowest.expires_after(std::min(opts.idle_timeout, opts.header_timeout));
    auto [ec] = co_await conn->stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (ec)
      co_return;
    tls_ok = true;
    tls_user = verified_client_cn(conn->stream.native_handle());
  }
  std::string remote_addr;  // for handlers that tell where a request came from (notifications)
  {
    error_code ec;
    auto peer = lowest.socket().remote_endpoint(ec);
    if (!ec) {
      const std::string ip = peer.address().to_string();
      remote_addr =
          (peer.address().is_v6() ? "[" + ip + "]" : ip) + ":" + std::to_string(peer.port());
    }
  }
  beast::flat_buffer buffer(kReadBufferMax);
  bool unread_input = false;  // the connection ends before the client finished sending
  while (!stopping) {
    // The first byte of a request must come within the idle timeout, the whole header within
    // the header timeout.
    if (buffer.size() == 0) {
      lowest.expires_after(opts.idle_timeout);
      auto [ec, n] = co_await conn->stream.async_read_some(buffer.prepare(4096), use_tuple);
      if (ec)
        break;
      buffer.commit(n);
    }
    http::request_parser<http::buffer_body> parser;
    parser.header_limit(static_cast<uint32_t>(header_limit));
    parser.body_limit(boost::none);
    lowest.expires_after(opts.header_timeout);
    auto [ec, n] = co_await http::async_read_header(conn->stream, buffer, parser, use_tuple);
    if (ec) {
      unsigned status = 0;
      if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
        status = 431;
      else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message)
        status = 400;
      if (status != 0) {
        co_await refuse_request(*conn, status);
        unread_input = true;  // the rest of the header, and whatever follows it
      }
      break;
    }
    if (framing_refused(parser)) {
      co_await refuse_request(*conn, 400);
      unread_input = true;
      break;
    }
    conn->busy = true;
    auto start = std::chrono::steady_clock::now();
    Request req = make_request(parser, id_prefix + "-" + std::to_string(next_id++));
    req.tls = tls_ok;
    req.tls_client_user = tls_user;
    req.remote_addr = remote_addr;
    BeastBodyReader<Stream> body(conn->stream, buffer, parser, opts.io_timeout, opts.min_body_rate);
    req.body = &body;
    Response res;
    try {
      res = co_await router.dispatch(req);
    } catch (const std::exception& e) {
      res = opts.on_exception ? opts.on_exception(req, e.what()) : Response{500, {}, "", {}, {}};
      log_error("request " + req.request_id + " failed: " + e.what());
    }
    // A body the handler left unread: drain a little so the connection stays usable, else close.
    if (!body.failed() && !body.done()) {
      std::array<std::byte, 16384> sink;
      uint64_t drained = 0;
      while (!body.done() && drained < (1u << 20)) {
        auto [e, got] = co_await body.read_some(sink);
        if (e || got == 0)
          break;
        drained += got;
      }
    }
    bool keep_alive = parser.get().keep_alive() && body.done() && !body.failed() && !stopping;
    auto [ok, out] = co_await write_response(*conn, req, res, keep_alive);
    log(req, res.status, body.consumed(), out, start);
    if (opts.observer != nullptr) {
      opts.observer->on_request({req.route, req.method, res.status,
                                 std::chrono::steady_clock::now() - start, body.consumed(), out});
    }
    conn->busy = false;
    unread_input = ok && !body.done();
    if (!ok || !keep_alive)
      break;
  }
  if constexpr (kIsTls<Stream>) {
    if (!unread_input && !stopping) {  // close_notify, so the client knows the end is the end
      lowest.expires_after(std::min(opts.io_timeout, std::chrono::milliseconds(1'000)));
      co_await conn->stream.async_shutdown(use_tuple);
    }
  }
  error_code ignore;
  lowest.socket().shutdown(tcp::socket::shutdown_send, ignore);
  if (unread_input && !stopping)
    co_await linger(lowest);
}

// Answers a request that is not read (a header too large or malformed, ambiguous framing) and
// ends the connection.
template <class Stream>
asio::awaitable<void> HttpServer::Impl::refuse_request(Connection<Stream>& conn, unsigned status) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "text/plain");
  res.body() = status == 431 ? "request header too large\n" : "malformed request\n";
  res.keep_alive(false);
  res.prepare_payload();
  conn.lowest().expires_after(opts.io_timeout);
  co_await http::async_write(conn.stream, res, use_tuple);
}

template <class Stream>
asio::awaitable<std::pair<bool, uint64_t>> HttpServer::Impl::write_response(
    Connection<Stream>& conn, const Request& req, Response& res, bool keep_alive) {
  bool head = req.method == "HEAD";
  conn.lowest().expires_after(opts.io_timeout);
  auto fill = [&](auto& msg) {
    for (auto& [k, v] : res.headers)
      msg.insert(canonical_header(k), v);
    msg.keep_alive(keep_alive);
  };
  if (res.file && !head) {
    http::response<http::empty_body> msg{static_cast<http::status>(res.status), 11};
    fill(msg);
    msg.content_length(res.file->length);
    http::response_serializer<http::empty_body> sr{msg};
    auto [ec, n] = co_await http::async_write_header(conn.stream, sr, use_tuple);
    if (ec)
      co_return std::pair{false, uint64_t{0}};
    bool ok = res.file->source ? co_await send_source(conn, *res.file)
                               : co_await send_file(conn, *res.file);
    co_return std::pair{ok, n + (ok ? res.file->length : 0)};
  }
  if (head || res.status == 204 || res.status == 304) {
    http::response<http::empty_body> msg{static_cast<http::status>(res.status), 11};
    fill(msg);
    if (res.status != 204 && res.status != 304) {
      uint64_t len = res.content_length ? *res.content_length
                                        : (res.file ? res.file->length : res.body.size());
      msg.set(http::field::content_length, std::to_string(len));
    }
    auto [ec, n] = co_await http::async_write(conn.stream, msg, use_tuple);
    co_return std::pair{!ec, uint64_t{n}};
  }
  http::response<http::string_body> msg{static_cast<http::status>(res.status), 11};
  fill(msg);
  msg.body() = std::move(res.body);
  msg.prepare_payload();
  auto [ec, n] = co_await http::async_write(conn.stream, msg, use_tuple);
  co_return std::pair{!ec, uint64_t{n}};
}

// Closing a socket whose receive queue holds unread bytes makes the kernel send a reset, and a
// reset can destroy the response still on its way to the client: a client that sends a whole
// refused body before reading (a 413 manifest, a 431 header) would see a broken connection
// instead of the answer. So when a connection ends before the client finished sending, the
// sending side is shut (done by the caller) and what still arrives is read and dropped until the
// client closes, for a bounded time and amount (a "lingering close", as nginx and Apache do).
// Under TLS the dropped bytes are read undecrypted, from the socket.
asio::awaitable<void> HttpServer::Impl::linger(beast::tcp_stream& stream) {
  constexpr uint64_t kMaxBytes = 64u << 20;
  constexpr std::chrono::milliseconds kMaxTime{5'000};
  stream.expires_after(std::min(opts.io_timeout, kMaxTime));  // one deadline for all reads
  std::array<char, 16384> sink;
  uint64_t dropped = 0;
  while (dropped < kMaxBytes && !stopping) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
    if (ec)
      break;
    dropped += n;
  }
}

// A connection over the limit is told why (503, Retry-After) rather than hung up on, with the
// same lingering close as any connection whose request is left unread.
asio::awaitable<void> HttpServer::Impl::refuse(std::shared_ptr<Connection<TcpStream>> conn) {
  static constexpr std::string_view kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
      "Connection: close\r\n\r\n";
  conn->stream.expires_after(std::chrono::seconds(1));
  auto [ec, n] = co_await asio::async_write(conn->stream, asio::buffer(kBusy), use_tuple);
  error_code ignore;
  conn->stream.socket().shutdown(tcp::socket::shutdown_send, ignore);
  if (!ec)
    co_await linger(conn->stream);
  conn->stream.close();
}

// A range from a RangeSource in pieces, the next read while the last is written, so the source
// and the socket work at once and no more than two pieces are held.
template <class Stream>
asio::awaitable<bool> HttpServer::Impl::send_source(Connection<Stream>& conn,
                                                    const FileRange& file) {
  constexpr uint64_t kPiece = 1 << 20;
  const uint64_t end = file.offset + file.length;
  if (file.offset >= end)
    co_return true;
  const size_t piece_size = static_cast<size_t>(std::min(kPiece, file.length));
  std::array<std::unique_ptr<std::byte[]>, 2> pieces = {
      std::make_unique_for_overwrite<std::byte[]>(piece_size),
      std::make_unique_for_overwrite<std::byte[]>(piece_size)};
  auto read = [&](int i, uint64_t at) {
    const size_t step = static_cast<size_t>(std::min<uint64_t>(end - at, piece_size));
    return file.source->read_at(std::span(pieces[i].get(), step), at);
  };
  uint64_t offset = file.offset;
  int current = 0;
  auto [ec, n] = co_await read(current, offset);
  for (;;) {
    if (ec || n == 0)
      co_return false;  // the source failed or ended early: cut the response short
    const uint64_t next = offset + n;
    conn.lowest().expires_after(opts.io_timeout);
    auto write = asio::async_write(conn.stream, asio::buffer(pieces[current].get(), n), use_tuple);
    if (next >= end) {
      auto [wec, written] = co_await std::move(write);
      co_return !wec;
    }
    // The operators flatten the write's (error, bytes) and append the read's pair.
    auto [wec, written, got] = co_await (std::move(write) && read(1 - current, next));
    if (wec)
      co_return false;
    offset = next;
    current = 1 - current;
    std::tie(ec, n) = got;
  }
}

asio::awaitable<bool> HttpServer::Impl::send_file(Connection<TcpStream>& conn,
                                                  const FileRange& file) {
  auto& socket = conn.stream.socket();
  error_code ec;
  socket.native_non_blocking(true, ec);
  if (ec)
    co_return false;
  off_t offset = static_cast<off_t>(file.offset);
  uint64_t left = file.length;
  asio::steady_timer timer(conn.stream.get_executor());
  // Keep the kernel reading ahead of the socket: a blob not in the page cache (the content
  // store drops written pages while ingesting) would otherwise be read in small synchronous
  // steps inside sendfile. WILLNEED starts the reads without waiting for them.
  constexpr off_t kReadAhead = 32 << 20;
  off_t advised = offset;
  const off_t end = offset + static_cast<off_t>(left);
  uint64_t final_bytes = file.feed ? 0 : static_cast<uint64_t>(end);  // what may be sent
  while (left > 0) {
    if (static_cast<uint64_t>(offset) >= final_bytes) {
      auto [fec, have] = co_await file.feed->wait_beyond(static_cast<uint64_t>(offset));
      if (fec)
        co_return false;  // the source failed: cut the response short
      final_bytes = have;
      continue;
    }
    if (!file.feed && advised < end && advised - offset < kReadAhead / 2) {
      off_t len = std::min<off_t>(kReadAhead, end - advised);
      ::posix_fadvise(file.fd, advised, len, POSIX_FADV_WILLNEED);
      advised += len;
    }
    const uint64_t step =
        std::min<uint64_t>({left, 16u << 20, final_bytes - static_cast<uint64_t>(offset)});
    ssize_t n = ::sendfile(socket.native_handle(), file.fd, &offset, static_cast<size_t>(step));
    if (n > 0) {
      left -= static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0)
      co_return false;  // the file is shorter than promised
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN)
      co_return false;
    timer.expires_after(opts.io_timeout);
    auto result = co_await (socket.async_wait(tcp::socket::wait_write, use_tuple) ||
                            timer.async_wait(use_tuple));
    if (result.index() == 1)
      co_return false;  // timed out
    if (std::get<0>(std::get<0>(result)))
      co_return false;
  }
  co_return true;
}

// Under TLS the bytes must pass through OpenSSL: the range is read in bounded pieces (pread on
// this thread, from the page cache that the read-ahead keeps filled, as sendfile would) and
// each piece written before the next is read, following a feed like the plain path.
asio::awaitable<bool> HttpServer::Impl::send_file(Connection<TlsStream>& conn,
                                                  const FileRange& file) {
  constexpr size_t kPiece = 256 << 10;
  constexpr uint64_t kReadAhead = 32 << 20;
  // Sized to the response and not zeroed: a small file (a manifest) must not cost a 256 KiB
  // zero-fill per request (the bench saw GET manifest over TLS spend most of its time there).
  const size_t piece_size = static_cast<size_t>(std::min<uint64_t>(kPiece, file.length));
  auto piece = std::make_unique_for_overwrite<char[]>(std::max<size_t>(piece_size, 1));
  uint64_t offset = file.offset;
  const uint64_t end = file.offset + file.length;
  uint64_t advised = offset;
  uint64_t final_bytes = file.feed ? 0 : end;
  while (offset < end) {
    if (offset >= final_bytes) {
      auto [fec, have] = co_await file.feed->wait_beyond(offset);
      if (fec)
        co_return false;
      final_bytes = have;
      continue;
    }
    if (!file.feed && advised < end && advised - offset < kReadAhead / 2) {
      uint64_t len = std::min(kReadAhead, end - advised);
      ::posix_fadvise(file.fd, static_cast<off_t>(advised), static_cast<off_t>(len),
                      POSIX_FADV_WILLNEED);
      advised += len;
    }
    const size_t step =
        static_cast<size_t>(std::min<uint64_t>({end - offset, piece_size, final_bytes - offset}));
    ssize_t n = ::pread(file.fd, piece.get(), step, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      co_return false;  // an I/O error, or the file is shorter than promised
    conn.lowest().expires_after(opts.io_timeout);
    auto [ec, written] = co_await asio::async_write(
        conn.stream, asio::buffer(piece.get(), static_cast<size_t>(n)), use_tuple);
    if (ec)
      co_return false;
    offset += static_cast<uint64_t>(n);
  }
  co_return true;
}

void HttpServer::Impl::log_error(const std::string& text) {
  std::lock_guard lock(log_mu);
  std::cerr << "cairn: " << text << "\n";
}

void HttpServer::Impl::log(const Request& req, unsigned status, uint64_t in, uint64_t out,
                           std::chrono::steady_clock::time_point start) {
  if (opts.access_log == nullptr)
    return;
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json line = {{"time", utc_now_rfc3339()}, {"id", req.request_id},
                         {"method", req.method},      {"target", req.target},
                         {"status", status},          {"bytes_in", in},
                         {"bytes_out", out},          {"ms", std::round(ms * 1000) / 1000}};
  if (!req.tls_client_user.empty())
    line["tls_user"] = req.tls_client_user;
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(log_mu);
  *opts.access_log << text << '\n';
  opts.access_log->flush();
}

}  // namespace cairn::server

// The upstream client: one pool of connections per Client, requests as coroutines on the
// caller's executor.
//
// Sockets are plain asio sockets (under ssl::stream for https); every connect, handshake,
// write and read step races a timer on the caller's executor (awaitable operator ||), so a
// deadline never runs on another strand than the operation it cancels. An idle connection
// keeps the socket of the io_context that opened it; when a coroutine of another io_context
// takes it, the descriptor is moved to that context (release + assign).
#include "upstream/client.h"

#include "server/broadcast.h"
#include "upstream/auth.h"
#include "upstream/url.h"

#include <openssl/ssl.h>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

namespace cairn::upstream {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxTokenBytes = 1 << 20;
constexpr size_t kMaxDrainBytes = 64 * 1024;
constexpr size_t kReadBufferBytes = 64 * 1024;
constexpr auto kMaxIdle = std::chrono::seconds(30);
// A request waiting for a connection of a full pool wakes when one is freed (Impl::freed); this
// only bounds a wait regardless.
constexpr auto kPoolRecheck = std::chrono::seconds(1);

// Runs `op` with a deadline: when the timer wins, the operation is cancelled and its error
// becomes beast::error::timeout.
template <class... R>
asio::awaitable<std::tuple<error_code, R...>> with_deadline(
    asio::awaitable<std::tuple<error_code, R...>> op, Clock::duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(d);
  auto wait = timer.async_wait(use_tuple);
  auto r = co_await (std::move(op) || std::move(wait));
  if (r.index() == 1) {
    std::tuple<error_code, R...> t{};
    std::get<0>(t) = beast::error::timeout;
    co_return t;
  }
  co_return std::get<0>(std::move(r));
}

std::string describe(const error_code& ec) {
  if (ec == beast::error::timeout)
    return "timed out";
  std::string m = ec.message();
  if (!m.empty())
    m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
  return m;
}

bool is_ip_address(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

// One connection to one origin.
struct Conn {
  Url origin;  // target unused
  std::string key;
  std::unique_ptr<ssl::stream<tcp::socket>> secure;
  std::unique_ptr<tcp::socket> plain;
  beast::flat_buffer buffer;
  bool reused = false;
  Clock::time_point idle_since;

  tcp::socket& socket() { return secure ? secure->next_layer() : *plain; }
};

namespace {

asio::awaitable<std::tuple<error_code, size_t>> write_request(Conn& c,
                                                              http::request<http::string_body>& req,
                                                              Clock::duration d) {
  if (c.secure) {
    auto op = http::async_write(*c.secure, req, use_tuple);
    co_return co_await with_deadline(std::move(op), d);
  }
  auto op = http::async_write(*c.plain, req, use_tuple);
  co_return co_await with_deadline(std::move(op), d);
}

asio::awaitable<std::tuple<error_code, size_t>> read_header(
    Conn& c, http::response_parser<http::buffer_body>& p, Clock::duration d) {
  if (c.secure) {
    auto op = http::async_read_header(*c.secure, c.buffer, p, use_tuple);
    co_return co_await with_deadline(std::move(op), d);
  }
  auto op = http::async_read_header(*c.plain, c.buffer, p, use_tuple);
  co_return co_await with_deadline(std::move(op), d);
}

asio::awaitable<std::tuple<error_code, size_t>> read_body_some(
    Conn& c, http::response_parser<http::buffer_body>& p, Clock::duration d) {
  // Beast reads min(64 KiB, max(512, free capacity)): keep the capacity up or a body arrives in
  // 512-byte reads, each with its own deadline timer.
  c.buffer.reserve(kReadBufferBytes);
  if (c.secure) {
    auto op = http::async_read_some(*c.secure, c.buffer, p, use_tuple);
    co_return co_await with_deadline(std::move(op), d);
  }
  auto op = http::async_read_some(*c.plain, c.buffer, p, use_tuple);
  co_return co_await with_deadline(std::move(op), d);
}

}  // namespace

class BeastReply;

struct Client::Impl {
  Endpoint endpoint;
  ClientOptions options;
  Url base;
  ssl::context tls{ssl::context::tls_client};
  TokenCache tokens;

  std::mutex mu;  // guards what follows
  size_t open = 0;
  std::map<std::string, std::vector<std::unique_ptr<Conn>>> idle;
  bool basic_wanted = false;
  bool closed = false;  // close_idle() was called: connections released later close too
  // Notified whenever a connection is given back or a slot freed: requests waiting for a
  // connection of a full pool wake then (acquire), instead of polling.
  server::Broadcast freed;

  Impl(Endpoint e, ClientOptions o) : endpoint(std::move(e)), options(o) {
    auto parsed = parse_url(endpoint.url);
    if (!parsed)
      throw std::invalid_argument("upstream url '" + endpoint.url + "' is malformed");
    base.tls = parsed->tls;
    base.host = parsed->host;
    base.port = parsed->port;
    if (options.max_connections == 0)
      options.max_connections = 1;
    if (endpoint.insecure) {
      tls.set_verify_mode(ssl::verify_none);
    } else {
      tls.set_verify_mode(ssl::verify_peer);
      tls.set_default_verify_paths();
      if (!endpoint.ca_file.empty())
        tls.load_verify_file(endpoint.ca_file);
    }
  }

  asio::awaitable<Result<std::unique_ptr<Conn>>> connect(const Url& u);
  asio::awaitable<Result<std::unique_ptr<Conn>>> acquire(const Url& u, bool fresh_only);
  void release(std::unique_ptr<Conn> c, bool reusable);
  asio::awaitable<Result<std::unique_ptr<BeastReply>>> exchange(
      const std::string& method, const Url& url, const Headers& headers,
      const std::optional<std::string>& authorization, const std::string& body = {});
  asio::awaitable<Result<Token>> fetch_token(const Challenge& ch, const std::string& repository);
  bool realm_trusted(const Url& realm) const;
  std::optional<std::string> authorization_for(const std::string& repository);
};

// A reply whose body streams from its connection; the connection goes back to the pool when
// the body was read to its end on a keep-alive connection, else it is closed.
class BeastReply final : public Reply {
 public:
  BeastReply(Client::Impl& impl, std::unique_ptr<Conn> conn) : impl_(impl), conn_(std::move(conn)) {
    parser_.body_limit(boost::none);
    parser_.header_limit(kMaxHeaderBytes);
  }
  ~BeastReply() override { finish(); }

  http::response_parser<http::buffer_body>& parser() { return parser_; }
  Conn& conn() { return *conn_; }

  // The body is complete (or absent): hand the connection back.
  void mark_done() {
    done_ = true;
    finish();
  }
  // The connection is unusable: close it.
  void mark_failed() {
    failed_ = true;
    finish();
  }

  asio::awaitable<std::pair<error_code, size_t>> read_some(std::span<std::byte> buf) override {
    if (done_)
      co_return std::pair{error_code{}, size_t{0}};
    if (failed_ || !conn_)
      co_return std::pair{error_code(asio::error::operation_aborted), size_t{0}};
    if (buf.empty())
      co_return std::pair{error_code{}, size_t{0}};
    while (!parser_.is_done()) {
      auto& body = parser_.get().body();
      body.data = buf.data();
      body.size = buf.size();
      if (conn_->buffer.size() > 0) {
        // Bytes already buffered (a socket read brings up to 64 KiB): parse them without an
        // asynchronous step and its deadline timer.
        error_code pec;
        size_t used = parser_.put(conn_->buffer.data(), pec);
        conn_->buffer.consume(used);
        if (pec == http::error::need_more || pec == http::error::need_buffer)
          pec = {};
        if (pec) {
          mark_failed();
          co_return std::pair{pec, size_t{0}};
        }
        size_t got = buf.size() - parser_.get().body().size;
        if (got > 0) {
          if (parser_.is_done())
            mark_done();
          co_return std::pair{error_code{}, got};
        }
        if (used > 0)
          continue;
      }
      auto [ec, n] = co_await read_body_some(*conn_, parser_, impl_.options.io_timeout);
      if (ec == http::error::need_buffer)
        ec = {};
      if (ec) {
        mark_failed();
        co_return std::pair{ec, size_t{0}};
      }
      size_t got = buf.size() - parser_.get().body().size;
      if (got > 0) {
        if (parser_.is_done())
          mark_done();  // the next call returns 0; the connection is free now
        co_return std::pair{error_code{}, got};
      }
    }
    mark_done();
    co_return std::pair{error_code{}, size_t{0}};
  }

 private:
  void finish() {
    if (!conn_)
      return;
    bool reusable = done_ && !failed_ && parser_.is_done() && parser_.keep_alive();
    impl_.release(std::move(conn_), reusable);
  }

  Client::Impl& impl_;
  std::unique_ptr<Conn> conn_;
  http::response_parser<http::buffer_body> parser_;
  bool done_ = false;
  bool failed_ = false;
};

std::string_view Reply::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name)
      return v;
  }
  return {};
}

asio::awaitable<Result<std::string>> Reply::read_all(size_t max) {
  std::string out;
  std::vector<std::byte> buf(64 * 1024);
  for (;;) {
    std::span<std::byte> piece(buf);
    auto [ec, n] = co_await read_some(piece);
    if (ec)
      co_return fail(Errc::io, "reading the body from " + final_url + ": " + describe(ec));
    if (n == 0)
      co_return out;
    if (out.size() + n > max)
      co_return fail(Errc::invalid_argument,
                     "body from " + final_url + " longer than " + std::to_string(max) + " bytes");
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
}

asio::awaitable<Result<std::unique_ptr<Conn>>> Client::Impl::connect(const Url& u) {
  auto ex = co_await asio::this_coro::executor;
  const std::string where =
      u.host_header().find(':') == std::string::npos ? u.host + ":" + u.port : u.host_header();
  tcp::resolver resolver(ex);
  auto [rec, results] = co_await resolver.async_resolve(u.host, u.port, use_tuple);
  if (rec)
    co_return fail(Errc::unavailable, "resolve " + u.host + ": " + describe(rec));
  auto conn = std::make_unique<Conn>();
  // Beast reads at most the buffer's free capacity (at least 512 bytes): without room reserved
  // a body would arrive in 512-byte reads, each with its own deadline timer.
  conn->buffer.reserve(kReadBufferBytes);
  conn->origin = u;
  conn->key = u.origin();
  if (u.tls)
    conn->secure = std::make_unique<ssl::stream<tcp::socket>>(ex, tls);
  else
    conn->plain = std::make_unique<tcp::socket>(ex);
  auto deadline = Clock::now() + options.connect_timeout;
  auto op = asio::async_connect(conn->socket(), results, use_tuple);
  auto [cec, ep] = co_await with_deadline(std::move(op), options.connect_timeout);
  if (cec)
    co_return fail(Errc::unavailable, "connect " + where + ": " + describe(cec));
  error_code ignore;
  conn->socket().set_option(tcp::no_delay(true), ignore);
  if (u.tls) {
    // SNI carries names only (RFC 6066), never addresses.
    if (!is_ip_address(u.host) &&
        !SSL_set_tlsext_host_name(conn->secure->native_handle(), u.host.c_str()))
      co_return fail(Errc::unavailable, "TLS with " + where + ": cannot set SNI");
    if (!endpoint.insecure)
      conn->secure->set_verify_callback(ssl::host_name_verification(u.host));
    auto left = std::max<Clock::duration>(deadline - Clock::now(), std::chrono::milliseconds(1));
    auto hs = conn->secure->async_handshake(ssl::stream_base::client, use_tuple);
    auto [hec] = co_await with_deadline(std::move(hs), left);
    if (hec)
      co_return fail(Errc::unavailable, "TLS handshake with " + where + ": " + describe(hec));
  }
  co_return conn;
}

asio::awaitable<Result<std::unique_ptr<Conn>>> Client::Impl::acquire(const Url& u,
                                                                     bool fresh_only) {
  auto ex = co_await asio::this_coro::executor;
  auto& ctx = asio::query(ex, asio::execution::context);
  const std::string key = u.origin();
  for (;;) {
    const uint64_t seen = freed.version();  // before the check: a release after it wakes us
    std::unique_ptr<Conn> reuse;
    bool reserved = false;
    bool expired = false;  // slots freed by idle connections closed here: others may want them
    {
      std::lock_guard lock(mu);
      auto now = Clock::now();
      auto& list = idle[key];
      while (!fresh_only && !list.empty() && !reuse) {
        auto c = std::move(list.back());
        list.pop_back();
        if (now - c->idle_since > kMaxIdle) {
          --open;  // c closes as it goes
          expired = true;
        } else {
          reuse = std::move(c);
        }
      }
      if (!reuse) {
        if (open < options.max_connections) {
          ++open;
          reserved = true;
        } else {
          // Make room by closing an idle connection (of another origin, or of this one when a
          // fresh connection is wanted).
          for (auto& [k, l] : idle) {
            if (!l.empty()) {
              l.pop_back();
              reserved = true;  // its slot becomes ours
              break;
            }
          }
        }
      }
    }
    if (expired)
      freed.notify();
    if (reuse) {
      // A socket belongs to the io_context that opened it: move it to ours when needed.
      auto& sock = reuse->socket();
      if (&asio::query(sock.get_executor(), asio::execution::context) != &ctx) {
        error_code ec;
        auto protocol = sock.local_endpoint(ec).protocol();
        int fd = ec ? -1 : sock.release(ec);
        tcp::socket moved(ex);
        if (!ec)
          moved.assign(protocol, fd, ec);
        if (ec) {
          release(std::move(reuse), false);
          continue;
        }
        sock = std::move(moved);
      }
      reuse->reused = true;
      co_return reuse;
    }
    if (reserved) {
      auto c = co_await connect(u);
      if (!c) {
        {
          std::lock_guard lock(mu);
          --open;
        }
        freed.notify();
      }
      co_return c;
    }
    co_await freed.wait(seen, kPoolRecheck);
  }
}

void Client::Impl::release(std::unique_ptr<Conn> c, bool reusable) {
  if (!c)
    return;
  if (reusable) {
    c->idle_since = Clock::now();
    c->reused = false;
    {
      std::lock_guard lock(mu);
      if (!closed) {
        idle[c->key].push_back(std::move(c));
      }
    }
    if (!c) {
      freed.notify();
      return;
    }
  }
  error_code ignore;
  c->socket().close(ignore);
  c.reset();
  {
    std::lock_guard lock(mu);
    --open;
  }
  freed.notify();
}

asio::awaitable<Result<std::unique_ptr<BeastReply>>> Client::Impl::exchange(
    const std::string& method, const Url& url, const Headers& headers,
    const std::optional<std::string>& authorization, const std::string& body) {
  const std::string where = url.host + ":" + url.port;
  bool fresh_only = false;
  for (;;) {
    auto got = co_await acquire(url, fresh_only);
    if (!got)
      co_return got.error();
    bool reused = (*got)->reused;
    auto reply = std::make_unique<BeastReply>(*this, std::move(*got));
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(url.target);
    req.version(11);
    req.set(http::field::host, url.host_header());
    req.set(http::field::user_agent, "cairn/0.1");
    for (const auto& [k, v] : headers)
      req.insert(k, v);
    if (authorization)
      req.set(http::field::authorization, *authorization);
    if (!body.empty() || method == "POST" || method == "PUT") {
      req.body() = body;
      req.content_length(body.size());
    }
    auto [wec, wn] = co_await write_request(reply->conn(), req, options.io_timeout);
    if (wec) {
      reply->mark_failed();
      if (reused) {
        fresh_only = true;  // a kept-alive connection the upstream had closed
        continue;
      }
      co_return fail(Errc::unavailable,
                     (wec == beast::error::timeout ? "timed out writing to " : "write to ") +
                         where +
                         (wec == beast::error::timeout ? std::string() : ": " + describe(wec)));
    }
    reply->parser().skip(method == "HEAD");
    auto [rec, rn] = co_await read_header(reply->conn(), reply->parser(), options.io_timeout);
    if (rec) {
      bool nothing = reply->conn().buffer.size() == 0;
      reply->mark_failed();
      if (reused && nothing && rec != beast::error::timeout) {
        fresh_only = true;
        continue;
      }
      if (rec == beast::error::timeout)
        co_return fail(Errc::unavailable, "timed out reading from " + where);
      co_return fail(Errc::unavailable, "read from " + where + ": " + describe(rec));
    }
    auto& msg = reply->parser().get();
    reply->status = msg.result_int();
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (char& ch : name)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      reply->headers.emplace_back(std::move(name), std::string(f.value()));
    }
    if (auto len = reply->parser().content_length())
      reply->content_length = *len;
    else if (auto h = reply->header("content-length"); !h.empty() && method == "HEAD")
      reply->content_length = std::strtoull(std::string(h).c_str(), nullptr, 10);
    reply->final_url = url.str();
    if (reply->parser().is_done())
      reply->mark_done();
    co_return reply;
  }
}

std::optional<std::string> Client::Impl::authorization_for(const std::string& repository) {
  if (auto t = tokens.get(repository))
    return "Bearer " + *t;
  std::lock_guard lock(mu);
  if (basic_wanted && !endpoint.username.empty())
    return basic_authorization(endpoint.username, endpoint.password);
  return std::nullopt;
}

namespace {

// Reads and drops a small body so the connection can serve the next request.
asio::awaitable<void> drain(Reply& reply) {
  std::array<std::byte, 16 * 1024> sink;
  size_t total = 0;
  while (total < kMaxDrainBytes) {
    std::span<std::byte> piece(sink);
    auto [ec, n] = co_await reply.read_some(piece);
    if (ec || n == 0)
      co_return;
    total += n;
  }
}

}  // namespace

// The upstream's credentials go to a token realm only on the upstream's own host or on one the
// configuration names: a challenge is the upstream's word, and a compromised or hostile upstream
// must not be able to point them at a host of its choosing.
bool Client::Impl::realm_trusted(const Url& realm) const {
  if (realm.host == base.host)
    return true;
  if (base.host == "registry-1.docker.io" && realm.host == "auth.docker.io")
    return true;
  return std::find(endpoint.token_hosts.begin(), endpoint.token_hosts.end(), realm.host) !=
         endpoint.token_hosts.end();
}

asio::awaitable<Result<Token>> Client::Impl::fetch_token(const Challenge& ch,
                                                         const std::string& repository) {
  const std::string realm = ch.param("realm");
  if (realm.empty())
    co_return fail(Errc::unavailable, "bearer challenge from " + endpoint.url + " has no realm");
  auto url = parse_absolute_url(realm);
  if (!url)
    co_return fail(Errc::unavailable, "token realm '" + realm + "' is malformed");
  std::string query;
  auto add = [&](std::string_view k, const std::string& v) {
    if (v.empty())
      return;
    query += query.empty() ? "" : "&";
    query += std::string(k) + "=" + url_encode(v);
  };
  add("service", ch.param("service"));
  std::string scope = ch.param("scope");
  if (scope.empty() && !repository.empty())
    scope = "repository:" + repository + ":pull";
  add("scope", scope);
  if (!query.empty())
    url->target += (url->target.find('?') == std::string::npos ? "?" : "&") + query;
  std::optional<std::string> authz;
  if (!endpoint.username.empty() && realm_trusted(*url))
    authz = basic_authorization(endpoint.username, endpoint.password);
  const std::string method = "GET";
  const Headers headers = {{"accept", "application/json"}};
  auto got = co_await exchange(method, *url, headers, authz);
  if (!got)
    co_return fail(Errc::unavailable, "token from " + realm + ": " + got.error().detail);
  auto& reply = **got;
  if (reply.status != 200) {
    co_await drain(reply);
    co_return fail(Errc::unavailable, "token from " + realm + ": " + std::to_string(reply.status));
  }
  auto body = co_await reply.read_all(kMaxTokenBytes);
  if (!body)
    co_return fail(Errc::unavailable, "token from " + realm + ": " + body.error().detail);
  auto token = parse_token_response(*body);
  if (!token)
    co_return fail(Errc::unavailable, "token from " + realm + ": " + token.error().detail);
  co_return *token;
}

Client::Client(Endpoint endpoint, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(endpoint), options)) {}

Client::~Client() = default;

const Endpoint& Client::endpoint() const noexcept {
  return impl_->endpoint;
}

void Client::close_idle() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->closed = true;
    for (auto& [k, l] : impl_->idle) {
      impl_->open -= l.size();
      l.clear();
    }
  }
  impl_->freed.notify();
}

std::string Client::host_header() const {
  return impl_->base.host_header();
}

asio::awaitable<Result<std::unique_ptr<Reply>>> Client::send_direct(std::string method,
                                                                    std::string target,
                                                                    Headers headers,
                                                                    std::string body) {
  Url url = impl_->base;
  url.target = target.empty() ? "/" : std::move(target);
  auto got = co_await impl_->exchange(method, url, headers, std::nullopt, body);
  if (!got)
    co_return got.error();
  co_return std::unique_ptr<Reply>(std::move(*got));
}

asio::awaitable<Result<std::unique_ptr<Reply>>> Client::send(std::string method, std::string target,
                                                             Headers headers,
                                                             std::string repository,
                                                             std::string body) {
  Impl& impl = *impl_;
  Url url = impl.base;
  url.target = target.empty() ? "/" : target;
  bool same_origin = true;
  bool auth_retried = false;
  int redirects = 0;
  const bool follow = method == "GET" || method == "HEAD";
  for (;;) {
    std::optional<std::string> authz;
    if (same_origin)
      authz = impl.authorization_for(repository);
    auto got = co_await impl.exchange(method, url, headers, authz, body);
    if (!got)
      co_return got.error();
    std::unique_ptr<BeastReply> reply = std::move(*got);
    if (reply->status == 401 && same_origin && !auth_retried) {
      std::vector<Challenge> challenges;
      for (const auto& [k, v] : reply->headers) {
        if (k == "www-authenticate") {
          auto more = parse_challenges(v);
          challenges.insert(challenges.end(), more.begin(), more.end());
        }
      }
      const Challenge* bearer = nullptr;
      const Challenge* basic = nullptr;
      for (const auto& c : challenges) {
        if (c.scheme == "bearer" && !bearer)
          bearer = &c;
        if (c.scheme == "basic" && !basic)
          basic = &c;
      }
      if (bearer) {
        Challenge ch = *bearer;
        co_await drain(*reply);
        reply.reset();
        auto token = co_await impl.fetch_token(ch, repository);
        if (!token)
          co_return token.error();
        impl.tokens.put(repository, *token);
        auth_retried = true;
        continue;
      }
      if (basic && !impl.endpoint.username.empty()) {
        co_await drain(*reply);
        reply.reset();
        {
          std::lock_guard lock(impl.mu);
          impl.basic_wanted = true;
        }
        auth_retried = true;
        continue;
      }
    }
    if (follow && is_redirect(reply->status)) {
      std::string location(reply->header("location"));
      if (!location.empty()) {
        if (++redirects > impl.options.max_redirects)
          co_return fail(Errc::unavailable, "too many redirects (more than " +
                                                std::to_string(impl.options.max_redirects) +
                                                ") from " + impl.endpoint.url + target);
        auto next = resolve_location(url, location);
        if (!next)
          co_return fail(Errc::unavailable, "redirect from " + url.str() +
                                                " to a malformed location '" + location + "'");
        co_await drain(*reply);
        reply.reset();
        url = *next;
        same_origin = url.same_origin(impl.base);
        continue;
      }
    }
    co_return std::unique_ptr<Reply>(std::move(reply));
  }
}

}  // namespace cairn::upstream

// A small synchronous HTTP/1.1 client for tests (Beast), keeping one connection alive.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace cairn::testing {

struct HttpResult {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;

  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
      if (k == name)
        return v;
    }
    return {};
  }
};

// Writes one request on `stream` and reads the whole response (any Beast sync stream: a socket,
// a TLS stream). `chunked` sends the body with Transfer-Encoding: chunked. Sets `keep_alive` to
// whether the server keeps the connection.
template <class Stream>
HttpResult exchange(Stream& stream, boost::beast::flat_buffer& buffer, const std::string& host,
                    const std::string& method, const std::string& target, const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    bool& keep_alive, bool chunked = false) {
  namespace http = boost::beast::http;
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.method_string(method);
  req.set(http::field::host, host);
  for (const auto& [k, v] : headers)
    req.set(k, v);
  if (!body.empty() || method == "PUT" || method == "POST" || method == "PATCH") {
    req.body() = body;
    req.prepare_payload();
    if (chunked)
      req.chunked(true);
  }
  http::write(stream, req);
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  parser.skip(method == "HEAD");
  http::read(stream, buffer, parser);
  auto& res = parser.get();
  HttpResult out;
  out.status = res.result_int();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  out.body = std::move(res.body());
  keep_alive = res.keep_alive();
  return out;
}

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::string host = "127.0.0.1")
      : host_(std::move(host)), port_(port), socket_(ioc_) {}

  // Sends one request (reconnecting when needed) and reads the whole response.
  HttpResult request(const std::string& method, const std::string& target,
                     const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    if (!socket_.is_open())
      connect();
    bool keep_alive = true;
    HttpResult out = exchange(socket_, buffer_, host_, method, target, body, headers, keep_alive);
    if (!keep_alive)
      close();
    return out;
  }

  // Writes raw bytes and reads until the server closes or `max` bytes arrived.
  std::string raw(const std::string& bytes, size_t max = 1 << 20) {
    if (!socket_.is_open())
      connect();
    boost::asio::write(socket_, boost::asio::buffer(bytes));
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    while (out.size() < max) {
      size_t n = socket_.read_some(boost::asio::buffer(buf), ec);
      if (ec)
        break;
      out.append(buf, n);
    }
    close();
    return out;
  }

  // Writes raw bytes, then shuts the sending side (the server reads end-of-stream right after
  // them, as from a client that went away) and reads until the server closes the connection.
  // Returns what the server sent. When it returns, the server has finished with the request.
  std::string raw_then_hangup(const std::string& bytes) {
    if (!socket_.is_open())
      connect();
    boost::system::error_code ec;
    boost::asio::write(socket_, boost::asio::buffer(bytes), ec);
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    std::string out;
    char buf[4096];
    while (true) {
      size_t n = socket_.read_some(boost::asio::buffer(buf), ec);
      if (ec)
        break;
      out.append(buf, n);
    }
    close();
    return out;
  }

  void close() {
    boost::system::error_code ec;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    buffer_.clear();
  }

 private:
  void connect() { socket_.connect({boost::asio::ip::make_address(host_), port_}); }

  std::string host_;
  uint16_t port_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// Polls until a server on 127.0.0.1:`port` answers GET /v2/ with 200 (bounded: 20 s).
inline bool wait_ready(uint16_t port) {
  for (int i = 0; i < 400; ++i) {
    try {
      HttpClient c(port);
      if (c.request("GET", "/v2/").status == 200)
        return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace cairn::testing

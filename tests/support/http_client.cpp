#include "tests/support/http_client.h"

#include "tests/support/http_exchange.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <exception>
#include <thread>

namespace cairn::testing {

struct HttpClient::Impl {
  Impl(uint16_t port, std::string host) : host(std::move(host)), port(port), socket(ioc) {}

  void connect() { socket.connect({boost::asio::ip::make_address(host), port}); }
  // Reads until the server closes the connection (or an error), or `max` bytes arrived.
  std::string read_until_closed(size_t max) {
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    while (out.size() < max) {
      size_t n = socket.read_some(boost::asio::buffer(buf), ec);
      if (ec)
        break;
      out.append(buf, n);
    }
    return out;
  }
  void ensure_connected() {
    if (!socket.is_open())
      connect();
  }

  std::string host;
  uint16_t port;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket;
  boost::beast::flat_buffer buffer;
};

HttpClient::HttpClient(uint16_t port, std::string host)
    : impl_(std::make_unique<Impl>(port, std::move(host))) {}
HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

HttpResult HttpClient::request(const std::string& method, const std::string& target,
                               const std::string& body, const Headers& headers) {
  impl_->ensure_connected();
  bool keep_alive = true;
  HttpResult out = exchange(impl_->socket, impl_->buffer, impl_->host, method, target, body,
                            headers, keep_alive);
  if (!keep_alive)
    close();
  return out;
}

std::string HttpClient::raw(const std::string& bytes, size_t max) {
  impl_->ensure_connected();
  boost::asio::write(impl_->socket, boost::asio::buffer(bytes));
  std::string out = impl_->read_until_closed(max);
  close();
  return out;
}

std::string HttpClient::raw_then_hangup(const std::string& bytes) {
  impl_->ensure_connected();
  boost::system::error_code ec;
  boost::asio::write(impl_->socket, boost::asio::buffer(bytes), ec);
  impl_->socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  std::string out = impl_->read_until_closed(std::string::npos);
  close();
  return out;
}

void HttpClient::close() {
  boost::system::error_code ec;
  impl_->socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  impl_->socket.close(ec);
  impl_->buffer.clear();
}

bool wait_ready(uint16_t port) {
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

// EventSink: a loopback HTTP receiver for notification tests (127.0.0.1, free port, one I/O
// thread), stopped by its destructor. It records every POST (headers and body) and parses the
// body's `events` array. Modes:
//  - answering (default): 200 to every POST, after answering `fail_first` of them with 500;
//  - silent: accepts connections and reads requests but never answers (a hung endpoint).
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cairn::testing {

class EventSink {
 public:
  struct Post {
    std::map<std::string, std::string> headers;  // lowercase names
    std::string body;
  };

  explicit EventSink(bool silent = false, unsigned fail_first = 0)
      : silent_(silent), acceptor_(ioc_), fail_left_(fail_first) {
    namespace asio = boost::asio;
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~EventSink() {
    ioc_.stop();  // sockets and coroutines go with the io_context
    thread_.join();
  }
  EventSink(const EventSink&) = delete;
  EventSink& operator=(const EventSink&) = delete;

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/events"; }

  // Waits (at most 30 s) until `n` events were received in answered POSTs; returns every event
  // so far, in the order received.
  std::vector<nlohmann::json> wait_events(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return events_.size() >= n; });
    return events_;
  }
  // Waits (at most 30 s) until `n` connections were accepted; returns how many were.
  size_t wait_connections(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return connections_ >= n; });
    return connections_;
  }
  // Every POST received (answered or not), in order.
  std::vector<Post> posts() {
    std::lock_guard lock(mu_);
    return posts_;
  }

 private:
  boost::asio::awaitable<void> accept_loop() {
    for (;;) {
      auto socket = std::make_shared<boost::asio::ip::tcp::socket>(ioc_);
      boost::system::error_code ec;
      co_await acceptor_.async_accept(*socket,
                                      boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec)
        co_return;
      sockets_.push_back(socket);
      {
        std::lock_guard lock(mu_);
        ++connections_;
      }
      cv_.notify_all();
      boost::asio::co_spawn(ioc_, serve(socket), boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> serve(std::shared_ptr<boost::asio::ip::tcp::socket> socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      co_await http::async_read(*socket, buffer, req,
                                boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec)
        co_return;
      Post post;
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (char& c : name)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        post.headers[name] = std::string(f.value());
      }
      post.body = req.body();
      bool fail = false;
      {
        std::lock_guard lock(mu_);
        posts_.push_back(post);
        if (!silent_ && fail_left_ > 0) {
          --fail_left_;
          fail = true;
        }
      }
      cv_.notify_all();
      if (silent_)
        continue;  // never answers; reads (and records) whatever comes next
      http::response<http::string_body> res{
          fail ? http::status::internal_server_error : http::status::ok, 11};
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(*socket, res,
                                 boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec)
        co_return;
      if (!fail) {
        auto j = nlohmann::json::parse(post.body, nullptr, false);
        std::lock_guard lock(mu_);
        if (j.is_object() && j.contains("events") && j["events"].is_array()) {
          for (auto& e : j["events"])
            events_.push_back(e);
        }
      }
      cv_.notify_all();
    }
  }

  const bool silent_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;  // I/O thread only
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  unsigned fail_left_;
  size_t connections_ = 0;
  std::vector<Post> posts_;
  std::vector<nlohmann::json> events_;
};

}  // namespace cairn::testing

// run_load against real sockets: tiny blocking HTTP/1.1 servers on 127.0.0.1 that answer every
// request 200 and count what reached them.
#include "bench/load/load_runner.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace cairn::load {
namespace {

// Accepts connections on an ephemeral port of 127.0.0.1, a thread each; answers each request
// (a header block ending in a blank line: the tests send no bodies) with an empty 200.
class CountingServer {
 public:
  CountingServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error(std::string("listen: ") + std::strerror(errno));
    }
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~CountingServer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    for (auto& t : connections_)
      t.join();
    ::close(listener_);
  }
  uint16_t port() const { return port_; }
  uint64_t connections() const { return accepted_; }
  uint64_t requests() const { return requests_; }

 private:
  void accept_loop() {
    for (;;) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0 || stopping_) {
        if (fd >= 0)
          ::close(fd);
        return;
      }
      ++accepted_;
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  }
  void serve(int fd) {
    static constexpr std::string_view kAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    std::string in;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0)
        break;
      in.append(buf, static_cast<size_t>(n));
      for (size_t end; (end = in.find("\r\n\r\n")) != std::string::npos;) {
        in.erase(0, end + 4);
        ++requests_;
        if (::write(fd, kAnswer.data(), kAnswer.size()) != static_cast<ssize_t>(kAnswer.size()))
          break;
      }
    }
    ::close(fd);
  }

  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> requests_{0};
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // touched by the acceptor only, joined after it
};

// The kernel completes a connect before the acceptor thread takes it: waits (5 s at most) until
// `n` connections reached `s`, then answers how many did.
uint64_t settled_connections(const CountingServer& s, uint64_t n) {
  for (int i = 0; i < 500 && s.connections() < n; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return s.connections();
}

Options options_for(const CountingServer& first, int connections) {
  std::string error;
  auto url = parse_url("http://127.0.0.1:" + std::to_string(first.port()) + "/v2/", error);
  EXPECT_TRUE(url) << error;
  Options o;
  o.url = *url;
  o.connections = connections;
  o.threads = 2;
  o.duration_s = 0.3;
  return o;
}

TEST(RunLoad, AlsoPortsSpreadConnectionsRoundRobin) {
  CountingServer a, b, c;
  Options o = options_for(a, 6);
  o.also_ports = {b.port(), c.port()};
  LoadStats stats;
  std::string error;
  ASSERT_TRUE(run_load(o, build_request(o, ""), stats, error)) << error;
  EXPECT_EQ(stats.errors(), 0u) << stats.first_error;
  EXPECT_GT(stats.requests, 0u);
  // Six connections over three servers: two each, every server answering some of the load.
  // The URL's server also saw the probe that picked its address (a connect, no request).
  EXPECT_EQ(settled_connections(a, 3), 1u + 2u);
  for (const CountingServer* s : {&b, &c})
    EXPECT_EQ(settled_connections(*s, 2), 2u) << s->port();
  for (const CountingServer* s : {&a, &b, &c})
    EXPECT_GT(s->requests(), 0u) << s->port();
  EXPECT_GE(a.requests() + b.requests() + c.requests(), stats.requests);
}

TEST(RunLoad, WithoutAlsoPortsEveryConnectionGoesToTheUrl) {
  CountingServer a, b;
  Options o = options_for(a, 4);
  LoadStats stats;
  std::string error;
  ASSERT_TRUE(run_load(o, build_request(o, ""), stats, error)) << error;
  EXPECT_EQ(stats.errors(), 0u) << stats.first_error;
  EXPECT_EQ(settled_connections(a, 5), 1u + 4u);  // the address probe, then the four
  EXPECT_GT(a.requests(), 0u);
  EXPECT_EQ(b.connections(), 0u);
}

}  // namespace
}  // namespace cairn::load

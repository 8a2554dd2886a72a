// A small synchronous HTTP/1.1 client for tests, keeping one connection alive. Beast stays in
// tests/support/http_client.cpp: this header is included by most test files, and instantiating
// Beast's parser in each of them cost ~20 s of compile time apiece.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cairn::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
  unsigned status = 0;
  Headers headers;  // names lowercase
  std::string body;

  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
      if (k == name)
        return v;
    }
    return {};
  }
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::string host = "127.0.0.1");
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  // Sends one request (reconnecting when needed) and reads the whole response. Throws when the
  // connection fails.
  HttpResult request(const std::string& method, const std::string& target,
                     const std::string& body = {}, const Headers& headers = {});

  // Writes raw bytes and reads until the server closes or `max` bytes arrived.
  std::string raw(const std::string& bytes, size_t max = 1 << 20);

  // Writes raw bytes, then shuts the sending side (the server reads end-of-stream right after
  // them, as from a client that went away) and reads until the server closes the connection.
  // Returns what the server sent. When it returns, the server has finished with the request.
  std::string raw_then_hangup(const std::string& bytes);

  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Polls until a server on 127.0.0.1:`port` answers GET /v2/ with 200 (bounded: 20 s).
bool wait_ready(uint16_t port);

}  // namespace cairn::testing

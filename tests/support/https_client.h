// HttpsClient: the test HTTP/1.1 client over TLS (Beast + OpenSSL), keeping one connection
// alive; the TLS version range, ALPN offer, trusted CA and client certificate are settable, and
// what the handshake settled (version, ALPN, the server certificate's CN) can be read back.
// Beast stays in tests/support/https_client.cpp.
#pragma once

#include "tests/support/http_client.h"

#include <openssl/ssl.h>  // TLS1_2_VERSION etc. for TlsClientOptions
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace cairn::testing {

struct TlsClientOptions {
  std::string ca_file;                    // trusted CA (PEM); the server's certificate must verify
  std::string cert_file;                  // client certificate for mutual TLS; empty: none
  std::string key_file;                   // its key
  int min_version = 0;                    // e.g. TLS1_2_VERSION; 0: OpenSSL's default
  int max_version = 0;                    // e.g. TLS1_1_VERSION; 0: OpenSSL's default
  std::string alpn = "\x08http/1.1";      // ALPN offer in wire format; empty: none
  std::string server_name = "localhost";  // SNI and the name the certificate must match
};

class HttpsClient {
 public:
  HttpsClient(uint16_t port, TlsClientOptions opts);
  ~HttpsClient();

  // Connects and handshakes; returns the handshake's error (none: connected).
  boost::system::error_code connect();

  // Sends one request (connecting when needed; throws when that fails) and reads the whole
  // response. `chunked` sends the body with Transfer-Encoding: chunked.
  HttpResult request(const std::string& method, const std::string& target,
                     const std::string& body = {}, const Headers& headers = {},
                     bool chunked = false);

  // What the last handshake settled: "TLSv1.2", "TLSv1.3"; the ALPN protocol ("" when none);
  // the CN of the server's certificate.
  std::string version() const;
  std::string alpn() const;
  std::string server_cn() const;
  // Connections made so far (a request on a kept-alive connection makes none).
  int connections() const;
  bool connected() const;

  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::testing

// HttpsClient: the test HTTP/1.1 client over TLS (Beast + OpenSSL), keeping one connection
// alive; the TLS version range, ALPN offer, trusted CA and client certificate are settable, and
// what the handshake settled (version, ALPN, the server certificate's CN) can be read back.
#pragma once

#include "tests/support/http_client.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include <memory>
#include <optional>
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
  HttpsClient(uint16_t port, TlsClientOptions opts)
      : port_(port), opts_(std::move(opts)), ctx_(boost::asio::ssl::context::tls_client) {
    ctx_.set_verify_mode(boost::asio::ssl::verify_peer);
    if (!opts_.ca_file.empty())
      ctx_.load_verify_file(opts_.ca_file);
    if (!opts_.cert_file.empty()) {
      ctx_.use_certificate_chain_file(opts_.cert_file);
      ctx_.use_private_key_file(opts_.key_file, boost::asio::ssl::context::pem);
    }
    SSL_CTX* c = ctx_.native_handle();
    if (opts_.min_version != 0 || opts_.max_version != 0) {
      // Old versions need the lowest security level on the client to be offered at all: the
      // refusal a test looks for is the server's.
      SSL_CTX_set_security_level(c, 0);
      SSL_CTX_set_cipher_list(c, "DEFAULT:@SECLEVEL=0");
    }
    if (opts_.min_version != 0)
      SSL_CTX_set_min_proto_version(c, opts_.min_version);
    if (opts_.max_version != 0)
      SSL_CTX_set_max_proto_version(c, opts_.max_version);
    if (!opts_.alpn.empty()) {
      SSL_CTX_set_alpn_protos(c, reinterpret_cast<const unsigned char*>(opts_.alpn.data()),
                              static_cast<unsigned>(opts_.alpn.size()));
    }
  }

  // Connects and handshakes; returns the handshake's error (none: connected).
  boost::system::error_code connect() {
    close();
    stream_ = std::make_unique<Stream>(ioc_, ctx_);
    boost::system::error_code ec;
    boost::beast::get_lowest_layer(*stream_).connect(
        {boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    if (ec)
      return ec;
    SSL* ssl = stream_->native_handle();
    SSL_set_tlsext_host_name(ssl, opts_.server_name.c_str());
    SSL_set1_host(ssl, opts_.server_name.c_str());
    stream_->handshake(boost::asio::ssl::stream_base::client, ec);
    if (!ec)
      ++connections_;
    else
      stream_.reset();
    return ec;
  }

  // Sends one request (connecting when needed; throws when that fails) and reads the whole
  // response. `chunked` sends the body with Transfer-Encoding: chunked.
  HttpResult request(const std::string& method, const std::string& target,
                     const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {},
                     bool chunked = false) {
    if (!stream_) {
      if (auto ec = connect())
        throw boost::system::system_error(ec, "TLS connect");
    }
    bool keep_alive = true;
    HttpResult out = exchange(*stream_, buffer_, opts_.server_name, method, target, body, headers,
                              keep_alive, chunked);
    if (!keep_alive)
      close();
    return out;
  }

  // What the last handshake settled: "TLSv1.2", "TLSv1.3"; the ALPN protocol ("" when none);
  // the CN of the server's certificate.
  std::string version() const { return stream_ ? SSL_get_version(stream_->native_handle()) : ""; }
  std::string alpn() const {
    if (!stream_)
      return "";
    const unsigned char* p = nullptr;
    unsigned n = 0;
    SSL_get0_alpn_selected(stream_->native_handle(), &p, &n);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  std::string server_cn() const {
    if (!stream_)
      return "";
    X509* cert = SSL_get0_peer_certificate(stream_->native_handle());
    if (cert == nullptr)
      return "";
    char buf[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
    return buf;
  }
  // Connections made so far (a request on a kept-alive connection makes none).
  int connections() const { return connections_; }
  bool connected() const { return stream_ != nullptr; }

  void close() {
    if (!stream_)
      return;
    boost::system::error_code ec;
    boost::beast::get_lowest_layer(*stream_).shutdown(boost::asio::ip::tcp::socket::shutdown_both,
                                                      ec);
    boost::beast::get_lowest_layer(*stream_).close(ec);
    stream_.reset();
    buffer_.clear();
  }

 private:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

  uint16_t port_;
  TlsClientOptions opts_;
  boost::asio::io_context ioc_;
  boost::asio::ssl::context ctx_;
  std::unique_ptr<Stream> stream_;
  boost::beast::flat_buffer buffer_;
  int connections_ = 0;
};

}  // namespace cairn::testing

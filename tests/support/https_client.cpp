#include "tests/support/https_client.h"

#include "tests/support/http_exchange.h"

#include <openssl/x509.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

namespace cairn::testing {

struct HttpsClient::Impl {
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

  Impl(uint16_t port, TlsClientOptions opts)
      : port(port), opts(std::move(opts)), ctx(boost::asio::ssl::context::tls_client) {}

  uint16_t port;
  TlsClientOptions opts;
  boost::asio::io_context ioc;
  boost::asio::ssl::context ctx;
  std::unique_ptr<Stream> stream;
  boost::beast::flat_buffer buffer;
  int connections = 0;
};

HttpsClient::HttpsClient(uint16_t port, TlsClientOptions opts)
    : impl_(std::make_unique<Impl>(port, std::move(opts))) {
  auto& ctx = impl_->ctx;
  const auto& o = impl_->opts;
  ctx.set_verify_mode(boost::asio::ssl::verify_peer);
  if (!o.ca_file.empty())
    ctx.load_verify_file(o.ca_file);
  if (!o.cert_file.empty()) {
    ctx.use_certificate_chain_file(o.cert_file);
    ctx.use_private_key_file(o.key_file, boost::asio::ssl::context::pem);
  }
  SSL_CTX* c = ctx.native_handle();
  if (o.min_version != 0 || o.max_version != 0) {
    // Old versions need the lowest security level on the client to be offered at all: the
    // refusal a test looks for is the server's.
    SSL_CTX_set_security_level(c, 0);
    SSL_CTX_set_cipher_list(c, "DEFAULT:@SECLEVEL=0");
  }
  if (o.min_version != 0)
    SSL_CTX_set_min_proto_version(c, o.min_version);
  if (o.max_version != 0)
    SSL_CTX_set_max_proto_version(c, o.max_version);
  if (!o.alpn.empty()) {
    SSL_CTX_set_alpn_protos(c, reinterpret_cast<const unsigned char*>(o.alpn.data()),
                            static_cast<unsigned>(o.alpn.size()));
  }
}

HttpsClient::~HttpsClient() = default;

boost::system::error_code HttpsClient::connect() {
  close();
  auto& s = impl_->stream;
  s = std::make_unique<Impl::Stream>(impl_->ioc, impl_->ctx);
  boost::system::error_code ec;
  boost::beast::get_lowest_layer(*s).connect(
      {boost::asio::ip::make_address("127.0.0.1"), impl_->port}, ec);
  if (ec)
    return ec;
  SSL* ssl = s->native_handle();
  SSL_set_tlsext_host_name(ssl, impl_->opts.server_name.c_str());
  SSL_set1_host(ssl, impl_->opts.server_name.c_str());
  s->handshake(boost::asio::ssl::stream_base::client, ec);
  if (!ec)
    ++impl_->connections;
  else
    s.reset();
  return ec;
}

HttpResult HttpsClient::request(const std::string& method, const std::string& target,
                                const std::string& body, const Headers& headers, bool chunked) {
  if (!impl_->stream) {
    if (auto ec = connect())
      throw boost::system::system_error(ec, "TLS connect");
  }
  bool keep_alive = true;
  HttpResult out = exchange(*impl_->stream, impl_->buffer, impl_->opts.server_name, method, target,
                            body, headers, keep_alive, chunked);
  if (!keep_alive)
    close();
  return out;
}

std::string HttpsClient::version() const {
  return impl_->stream ? SSL_get_version(impl_->stream->native_handle()) : "";
}

std::string HttpsClient::alpn() const {
  if (!impl_->stream)
    return "";
  const unsigned char* p = nullptr;
  unsigned n = 0;
  SSL_get0_alpn_selected(impl_->stream->native_handle(), &p, &n);
  return std::string(reinterpret_cast<const char*>(p), n);
}

std::string HttpsClient::server_cn() const {
  if (!impl_->stream)
    return "";
  X509* cert = SSL_get0_peer_certificate(impl_->stream->native_handle());
  if (cert == nullptr)
    return "";
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return buf;
}

int HttpsClient::connections() const {
  return impl_->connections;
}
bool HttpsClient::connected() const {
  return impl_->stream != nullptr;
}

void HttpsClient::close() {
  auto& s = impl_->stream;
  if (!s)
    return;
  boost::system::error_code ec;
  boost::beast::get_lowest_layer(*s).shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  boost::beast::get_lowest_layer(*s).close(ec);
  s.reset();
  impl_->buffer.clear();
}

}  // namespace cairn::testing

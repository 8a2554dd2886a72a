#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>

namespace cairn::server {

void SslCtxFree::operator()(SSL_CTX* ctx) const {
  SSL_CTX_free(ctx);
}

namespace {

// OpenSSL's reason for the last failure, and the error queue emptied.
std::string openssl_reason() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty())
      out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// ALPN: HTTP/1.1 is all cairn speaks. A client offering only other protocols (h2) gets no ALPN
// answer rather than an alert, and may still speak HTTP/1.1.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  static constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

SslCtxPtr make_server_tls_context(const TlsFiles& files, std::string& error) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    error = "cannot create a TLS context: " + openssl_reason();
    return nullptr;
  }
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_options(
      c, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // TLS 1.2: forward-secret AEAD suites only (TLS 1.3's suites are all of that kind).
  if (SSL_CTX_set_cipher_list(c, "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:!aNULL:!eNULL") != 1) {
    error = "cannot set the TLS cipher list: " + openssl_reason();
    return nullptr;
  }
  if (SSL_CTX_use_certificate_chain_file(c, files.cert.c_str()) != 1) {
    error = "cannot load TLS certificate " + files.cert + ": " + openssl_reason();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(c, files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = "cannot load TLS key " + files.key + ": " + openssl_reason();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(c) != 1) {
    error = "TLS key " + files.key + " does not match certificate " + files.cert + ": " +
            openssl_reason();
    return nullptr;
  }
  SSL_CTX_set_alpn_select_cb(c, select_alpn, nullptr);
  static constexpr unsigned char kSessionContext[] = "cairn";
  SSL_CTX_set_session_id_context(c, kSessionContext, sizeof kSessionContext - 1);
  if (!files.client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(c, files.client_ca.c_str(), nullptr) != 1) {
      error = "cannot load TLS client CA " + files.client_ca + ": " + openssl_reason();
      return nullptr;
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca.c_str());
    if (names == nullptr) {
      error = "cannot load TLS client CA " + files.client_ca + ": " + openssl_reason();
      return nullptr;
    }
    SSL_CTX_set_client_CA_list(c, names);  // takes ownership
    // Ask for a certificate and fail the handshake on one that does not verify; a client
    // without one is let in as anonymous.
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_verify_depth(c, 8);
  }
  return ctx;
}

std::string verified_client_cn(const SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK)
    return "";
  X509_NAME* subject = X509_get_subject_name(cert);
  int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, at) >= 0)
    return "";  // none, or ambiguous
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)));
  if (len <= 0)
    return "";
  std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  for (unsigned char ch : cn) {
    if (ch < 0x20 || ch == 0x7f)
      return "";  // a NUL or control character: not a name
  }
  return cn;
}

}  // namespace cairn::server

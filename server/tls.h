// TLS for the listener: the OpenSSL server context built from a certificate chain, its private
// key and, for mutual TLS, a CA bundle that client certificates must chain to.
//
// The context allows TLS 1.2 and 1.3 only, prefers the server's cipher order (forward-secret
// AEAD suites), and answers ALPN with "http/1.1". With a client CA, the server asks every client
// for a certificate and verifies the one it gets; a client without one still connects (it is
// anonymous to authentication), a client whose certificate does not verify fails the handshake.
// Only OpenSSL here: http_server.cpp wraps the context for Asio.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>

namespace cairn::server {

// The files of the TLS settings; TLS is off while `cert` is empty.
struct TlsFiles {
  std::string cert;       // PEM: the server certificate, then any intermediates
  std::string key;        // PEM: its private key (not encrypted)
  std::string client_ca;  // PEM: CAs of client certificates; empty: no client certificates

  bool enabled() const { return !cert.empty(); }
};

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const;
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// Builds a server context from `files` (reads them; blocks on the file system). On failure
// returns null and sets `error` to a message naming the file and OpenSSL's reason (a missing
// file, a malformed PEM, a key that does not match the certificate, an unreadable CA bundle).
// Thread-safe.
SslCtxPtr make_server_tls_context(const TlsFiles& files, std::string& error);

// The common name of the certificate the peer of `ssl` presented, when it verified against the
// client CA; "" when there is none, it did not verify, or it has no single printable CN.
std::string verified_client_cn(const SSL* ssl);

}  // namespace cairn::server

// JWT (RFC 7519) with ES256 (ECDSA P-256 + SHA-256, RFC 7518 §3.4), as the Docker token
// protocol uses them: cairn's token endpoint signs them, and every Bearer request's token is
// verified here — signature, algorithm, issuer, audience, expiry, not-before — before its
// `access` claim ([{"type": "repository", "name": ..., "actions": [...]}]) is trusted.
//
// parse_jwt() and verify_jwt() take untrusted text and are pure functions of it (fuzz targets:
// the token parser and verifier). A token is at most 16 KiB, its JSON parts at most 8 levels
// deep; only "alg": "ES256" is accepted ("none", HS256, RS256... are refused).
#pragma once

#include "auth/keys.h"
#include "auth/scope.h"
#include "storage/common/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::auth {

inline constexpr size_t kMaxTokenBytes = 16 * 1024;

struct Claims {
  std::string issuer;                 // iss
  std::string subject;                // sub: the user; "" for an anonymous token
  std::vector<std::string> audience;  // aud: a string or an array of strings
  std::optional<int64_t> expires;     // exp (seconds since the epoch)
  std::optional<int64_t> not_before;  // nbf
  std::optional<int64_t> issued_at;   // iat
  std::string id;                     // jti
  std::vector<Scope> access;          // the Docker `access` claim
};

struct ParsedJwt {
  std::string alg;
  std::string kid;
  Claims claims;
  std::string signing_input;  // "<header>.<payload>" as received
  std::string signature;      // raw R || S (64 bytes for ES256)
};

// Splits and decodes a compact JWS and parses its header and claims, without checking the
// signature. Errors: invalid_argument (what is malformed). Pure.
Result<ParsedJwt> parse_jwt(std::string_view token);

// Signs `claims` with `key` (header {"alg":"ES256","typ":"JWT","kid":key.kid()}). Errors:
// internal (OpenSSL failed). Thread-safe.
Result<std::string> sign_jwt(const SigningKey& key, const Claims& claims);

struct VerifyOptions {
  std::string issuer;    // required `iss`
  std::string audience;  // required among `aud`
  int64_t now = 0;       // seconds since the epoch
  int64_t leeway = 60;   // clock skew tolerated on exp and nbf (seconds)
};

// Parses `token` and checks it: alg ES256, a signature by one of `keys` (chosen by `kid`),
// `iss`, `aud`, `exp` present and not past (with leeway), `nbf` not in the future (with
// leeway). Errors: invalid_argument (malformed), failed_precondition (well formed but not
// valid: bad signature, expired, wrong issuer or audience; the detail says which). Pure.
Result<Claims> verify_jwt(std::string_view token, const KeySet& keys, const VerifyOptions& opts);

}  // namespace cairn::auth

// Authentication and authorization for the HTTP API: who is calling, and may they.
//
// Auth is the router's guard (server/router.h): every matched route declares an Access
// (open, pull, push, remove, admin) and the guard decides before the handler runs.
//
// Who is calling, in this order:
//   - `Authorization: Basic` checked against --htpasswd (bcrypt on the offload pool, never on an
//     I/O thread; a verified pair is remembered for a minute: auth/credential_cache.h);
//   - `Authorization: Bearer` — an ES256 token from /_token (cairn's own key) or, in external
//     mode, from the --token-realm server (verified with --token-public-key);
//   - a verified client certificate (mutual TLS): its CN is the user;
//   - nobody: the anonymous caller.
// May they:
//   - Basic / mutual TLS / anonymous: the access policy (auth/policy.h) on the route's {name};
//   - a token: its `access` claim (for cairn's own tokens the policy also decides admin routes
//     and the catalog, since cairn issued the token from it);
//   - a route without {name} (GET /v2/, the catalog) needs an identity: a user or a token;
//   - open routes (/healthz, /readyz, /_token) need nothing.
// Answers: bad credentials, or none where some are needed → 401 UNAUTHORIZED with
// `WWW-Authenticate: Bearer realm=...,service=...,scope=...` (the Docker token protocol); a
// token that lacks the scope → 401 with error="insufficient_scope"; an authenticated caller
// the policy refuses → 403 DENIED. Nothing is read or written for a refused request.
//
// The token endpoint (GET /_token, and POST /_token with a form as containerd sends it)
// issues tokens whose `access` claim is what was asked ∩ what the policy grants.
#pragma once

#include "auth/action.h"
#include "auth/credential_cache.h"
#include "auth/htpasswd.h"
#include "auth/keys.h"
#include "auth/policy.h"
#include "auth/scope.h"
#include "auth/token_cache.h"
#include "handlers/errors.h"
#include "server/http.h"
#include "server/offload.h"
#include "server/router.h"
#include "storage/common/result.h"
#include "storage/content/digest.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cairn::handlers {

struct Api;

// Files and names, as flags give them. Auth is on when any of htpasswd, policy, token_realm or
// token_public_key is set.
struct AuthOptions {
  std::string htpasswd;          // --htpasswd FILE
  std::string policy;            // --access-policy FILE
  std::string token_key;         // --token-key FILE (created when absent); "": in memory
  std::string token_issuer;      // --token-issuer ("" → "cairn")
  std::string token_service;     // --token-service ("" → "cairn")
  std::string token_realm;       // --token-realm URL: external token server mode
  std::string token_public_key;  // --token-public-key FILE (PEM or JWKS): external mode
  std::chrono::seconds token_ttl{300};

  bool enabled() const {
    return !htpasswd.empty() || !policy.empty() || !token_realm.empty() ||
           !token_public_key.empty();
  }
};

// What the guard learned about a request's caller (Request::caller).
struct Grant : server::Caller {
  std::optional<std::string> user;  // nullopt: anonymous (also an anonymous token)
  bool token = false;               // authenticated by a Bearer token
  bool own_token = false;           // ... that cairn issued
  std::vector<auth::Scope> access;  // the token's access claim
  auth::Who who() const { return user ? auth::Who(*user) : std::nullopt; }
  bool identified() const { return user.has_value() || token; }
};

class Auth {
 public:
  // Reads the files `options` names. Errors: invalid_argument / io with a message for the
  // user (bad hash kind, bad policy, unreadable key, realm without a public key...). Blocking:
  // start-up only.
  static Result<std::unique_ptr<Auth>> open(const AuthOptions& options);

  // The router guard: nullopt lets the request through (with req.caller set).
  boost::asio::awaitable<std::optional<server::Response>> guard(server::Offloader& offload,
                                                                server::Request& req,
                                                                server::Access access);

  // GET and POST /_token.
  boost::asio::awaitable<Answer> token(server::Offloader& offload, server::Request& req);

  // May the request's caller do `action` in `repository`? (After the guard ran.)
  bool may(const server::Request& req, std::string_view repository, auth::Action action) const;
  // May the caller be shown any repository's blobs (e.g. an automatic mount under the shared
  // content policy)? True only when it may pull everywhere.
  bool sees_everything(const server::Request& req) const;
  // May the caller see `repository` in the catalog?
  bool lists(const server::Request& req, std::string_view repository) const;

  const auth::SigningKey* signing_key() const { return key_ ? &*key_ : nullptr; }
  const std::string& issuer() const { return issuer_; }
  const std::string& service() const { return service_; }

 private:
  Auth() = default;
  // True when the pair is in the htpasswd file: from the cache, else bcrypt on the pool.
  boost::asio::awaitable<bool> check_password(server::Offloader& offload, const std::string& user,
                                              const std::string& password);
  // 401 UNAUTHORIZED with the WWW-Authenticate challenge for `scope`.
  OciError challenge(const server::Request& req, std::string_view scope, std::string_view error,
                     std::string_view message) const;
  std::shared_ptr<const Grant> grant_of(const server::Request& req) const;

  std::optional<auth::Htpasswd> users_;
  auth::Policy policy_ = auth::Policy::everyone_authenticated();
  std::optional<auth::SigningKey> key_;  // null in external mode
  auth::KeySet verify_keys_{{}};
  std::string issuer_ = "cairn";
  std::string service_ = "cairn";
  std::string realm_;  // external mode: the token server; else derived from Host
  std::chrono::seconds ttl_{300};
  auth::CredentialCache cache_;
  auth::TokenCache tokens_;
};

// A caller's permission checks for handlers that shape their answer: true when auth is off.
bool may_pull(const Api& api, const server::Request& req, std::string_view repository);
// Whether the catalog shows `repository` to the caller (auth off: always).
bool may_list(const Api& api, const server::Request& req, std::string_view repository);
// Whether the shared content policy's shortcuts (a blob known anywhere is linked without its
// bytes) may be used for this caller: only when it may pull everywhere (or auth is off).
bool may_share_blobs(const Api& api, const server::Request& req);
// Whether a mount of `digest` from repository `from` ("" = automatic: from anywhere) may be
// tried for this caller: it needs pull on `from`; a caller who may not pull everywhere mounts
// only what `from` itself holds (checked on the offload pool). Otherwise the upload falls
// back to a session that demands the bytes.
boost::asio::awaitable<bool> may_mount(Api& api, const server::Request& req,
                                       const content::Digest& digest, const std::string& from);

// GET/POST /_token (404 when this server issues no tokens).
boost::asio::awaitable<Answer> issue_token(Api& api, server::Request& req);

}  // namespace cairn::handlers

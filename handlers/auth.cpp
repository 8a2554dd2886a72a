#include "handlers/auth.h"

#include "storage/common/text.h"

#include "auth/base64url.h"
#include "auth/jwt.h"
#include "handlers/api.h"
#include "handlers/body.h"
#include "handlers/errors.h"

#include <openssl/rand.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>

namespace cairn::handlers {
namespace {

using server::Access;
using server::Request;
using server::Response;

// "user:password" from the value after "Basic ".
std::optional<std::pair<std::string, std::string>> basic_credentials(std::string_view value) {
  auto decoded = auth::base64_decode(trim_blanks(value));
  if (!decoded)
    return std::nullopt;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0)
    return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string random_id() {
  unsigned char raw[16];
  RAND_bytes(raw, sizeof raw);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// A Host header fit to be quoted in a challenge: host name or address characters only.
std::string safe_host(std::string_view host) {
  if (host.empty() || host.size() > 255)
    return "localhost";
  for (char c : host) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']')) {
      return "localhost";
    }
  }
  return std::string(host);
}

std::optional<auth::Action> action_of(Access a) {
  switch (a) {
    case Access::pull:
      return auth::Action::pull;
    case Access::push:
      return auth::Action::push;
    case Access::remove:
      return auth::Action::remove;
    case Access::admin:
      return auth::Action::admin;
    case Access::open:
      return std::nullopt;
  }
  return std::nullopt;
}

// The scope a client should ask a token for to use this route.
std::string scope_for(const Request& req, Access access) {
  std::string_view name = req.param("name");
  if (name.empty())
    return req.path == "/v2/_catalog" ? "registry:catalog:*" : "";
  switch (access) {
    case Access::pull:
      return "repository:" + std::string(name) + ":pull";
    case Access::push:
      return "repository:" + std::string(name) + ":pull,push";
    case Access::remove:
      return "repository:" + std::string(name) + ":delete";
    default:
      return "";
  }
}

// Whether a token's access claim holds `action` on repository `name`.
bool claim_allows(const std::vector<auth::Scope>& access, std::string_view name,
                  auth::Action action) {
  for (const auth::Scope& s : access) {
    if (s.type != "repository" || s.name != name)
      continue;
    for (const auto& word : s.actions) {
      auto set = auth::parse_action(word);
      if (set && auth::has(*set, action))
        return true;
    }
  }
  return false;
}

// application/x-www-form-urlencoded: key → first value.
std::map<std::string, std::string> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    size_t eq = pair.find('=');
    auto key = server::percent_decode(pair.substr(0, eq), true);
    auto value = server::percent_decode(
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (key && value)
      out.emplace(std::move(*key), std::move(*value));
    if (amp == std::string_view::npos)
      break;
    body.remove_prefix(amp + 1);
  }
  return out;
}

Response json_response(unsigned status, const nlohmann::json& body) {
  Response res;
  res.status = status;
  res.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  res.set("content-type", "application/json");
  res.set("cache-control", "no-store");
  return res;
}

}  // namespace

Result<std::unique_ptr<Auth>> Auth::open(const AuthOptions& o) {
  std::unique_ptr<Auth> a(new Auth());
  if (!o.token_issuer.empty())
    a->issuer_ = o.token_issuer;
  if (!o.token_service.empty())
    a->service_ = o.token_service;
  a->ttl_ = o.token_ttl;
  if (!o.htpasswd.empty()) {
    auto users = auth::Htpasswd::load(o.htpasswd);
    if (!users)
      return fail(users.error().code, "--htpasswd " + users.error().detail);
    a->users_ = std::move(*users);
  }
  if (!o.policy.empty()) {
    auto text = auth::read_file(o.policy);
    if (!text)
      return fail(Errc::io, "--access-policy: " + text.error().detail);
    auto policy = auth::Policy::parse(*text);
    if (!policy)
      return fail(Errc::invalid_argument,
                  "--access-policy " + o.policy + ": " + policy.error().detail);
    a->policy_ = std::move(*policy);
  }
  const bool external = !o.token_realm.empty() || !o.token_public_key.empty();
  if (external) {
    if (o.token_realm.empty() || o.token_public_key.empty())
      return fail(Errc::invalid_argument,
                  "an external token server needs both --token-realm and --token-public-key");
    if (!o.token_realm.starts_with("https://") && !o.token_realm.starts_with("http://"))
      return fail(Errc::invalid_argument, "--token-realm must be an http:// or https:// URL");
    if (o.token_realm.find_first_of("\"\\ \r\n") != std::string::npos)
      return fail(Errc::invalid_argument, "--token-realm holds a character a challenge cannot");
    if (!o.token_key.empty())
      return fail(Errc::invalid_argument,
                  "--token-key and an external token server (--token-realm) exclude each other");
    auto keys = auth::KeySet::load(o.token_public_key);
    if (!keys)
      return fail(keys.error().code, "--token-public-key " + keys.error().detail);
    a->verify_keys_ = std::move(*keys);
    a->realm_ = o.token_realm;
  } else {
    auto key = o.token_key.empty() ? auth::SigningKey::generate()
                                   : auth::SigningKey::load_or_create(o.token_key);
    if (!key)
      return fail(key.error().code, "--token-key: " + key.error().detail);
    a->key_ = std::move(*key);
    a->verify_keys_ = auth::KeySet::of(*a->key_);
  }
  return a;
}

boost::asio::awaitable<bool> Auth::check_password(server::Offloader& offload,
                                                  const std::string& user,
                                                  const std::string& password) {
  if (!users_)
    co_return false;
  const auto key = auth::CredentialCache::key_of(user, password);
  if (cache_.contains(key, auth::CredentialCache::Clock::now()))
    co_return true;
  // bcrypt costs ~100 ms of CPU: on the pool, never on an I/O thread.
  const bool ok =
      co_await offload.run([this, &user, &password] { return users_->verify(user, password); });
  if (ok)
    cache_.remember(key, auth::CredentialCache::Clock::now());
  co_return ok;
}

OciError Auth::challenge(const Request& req, std::string_view scope, std::string_view error,
                         std::string_view message) const {
  std::string realm = realm_;
  if (realm.empty())
    realm =
        std::string(req.tls ? "https" : "http") + "://" + safe_host(req.header("host")) + "/_token";
  std::string value = "Bearer realm=\"" + realm + "\",service=\"" + service_ + "\"";
  if (!scope.empty())
    value += ",scope=\"" + std::string(scope) + "\"";
  if (!error.empty())
    value += ",error=\"" + std::string(error) + "\"";
  return OciError(ErrorCode::unauthorized, std::string(message))
      .with_header("www-authenticate", std::move(value));
}

boost::asio::awaitable<std::optional<Response>> Auth::guard(server::Offloader& offload,
                                                            Request& req, Access access) {
  if (access == Access::open)
    co_return std::nullopt;
  const std::string scope = scope_for(req, access);
  auto g = std::make_shared<Grant>();
  std::string_view authz = req.header("authorization");
  if (starts_with_ci(authz, "basic ")) {
    auto creds = basic_credentials(authz.substr(6));
    if (!creds || !co_await check_password(offload, creds->first, creds->second))
      co_return render(challenge(req, scope, "", "invalid username or password"));
    g->user = std::move(creds->first);
  } else if (starts_with_ci(authz, "bearer ")) {
    const std::string_view token = trim_blanks(authz.substr(7));
    const int64_t now = now_seconds();
    constexpr int64_t kLeeway = 60;
    Result<auth::Claims> claims = fail(Errc::not_found, "");
    if (auto known = tokens_.find(token, now)) {
      claims = std::move(*known);
    } else {
      claims = auth::verify_jwt(token, verify_keys_, {issuer_, service_, now, kLeeway});
      if (!claims)
        co_return render(challenge(req, scope, "invalid_token", claims.error().detail));
      tokens_.remember(token, *claims, claims->expires.value_or(now) + kLeeway, now);
    }
    g->token = true;
    g->own_token = key_.has_value();
    g->access = std::move(claims->access);
    if (!claims->subject.empty())
      g->user = std::move(claims->subject);
  } else if (!authz.empty()) {
    co_return render(challenge(req, scope, "", "unsupported authorization scheme"));
  } else if (!req.tls_client_user.empty()) {
    g->user = req.tls_client_user;
  }
  req.caller = g;

  const auth::Action action = *action_of(access);
  const std::string_view name = req.param("name");
  if (action == auth::Action::admin) {
    if (g->user && (!g->token || g->own_token) && policy_.is_admin(g->who()))
      co_return std::nullopt;
    if (!g->identified())
      co_return render(challenge(req, scope, "", "authentication required"));
    co_return render(OciError(ErrorCode::denied, "administrators only"));
  }
  if (name.empty()) {  // GET /v2/, the catalog: any identity
    if (g->identified())
      co_return std::nullopt;
    co_return render(challenge(req, scope, "", "authentication required"));
  }
  if (g->token) {
    if (claim_allows(g->access, name, action))
      co_return std::nullopt;
    // cairn's own token for a user the policy refuses anyway: a new token cannot help. (An
    // anonymous token is told to authenticate.)
    if (g->own_token && g->user && !auth::has(policy_.actions(g->who(), name), action))
      co_return render(OciError(ErrorCode::denied, "access to " + std::string(name) + " denied"));
    co_return render(
        challenge(req, scope, "insufficient_scope", "the token does not grant this access"));
  }
  if (auth::has(policy_.actions(g->who(), name), action))
    co_return std::nullopt;
  if (!g->identified())
    co_return render(challenge(req, scope, "", "authentication required"));
  co_return render(OciError(ErrorCode::denied, "access to " + std::string(name) + " denied"));
}

std::shared_ptr<const Grant> Auth::grant_of(const Request& req) const {
  return std::dynamic_pointer_cast<const Grant>(req.caller);
}

bool Auth::may(const Request& req, std::string_view repository, auth::Action action) const {
  auto g = grant_of(req);
  if (!g)
    return auth::has(policy_.actions(std::nullopt, repository), action);
  if (g->token)
    return claim_allows(g->access, repository, action);
  return auth::has(policy_.actions(g->who(), repository), action);
}

bool Auth::sees_everything(const Request& req) const {
  auto g = grant_of(req);
  if (!g || (g->token && !g->own_token))
    return false;
  return policy_.pulls_everything(g->who());
}

bool Auth::lists(const Request& req, std::string_view repository) const {
  auto g = grant_of(req);
  if (g && g->token && !g->own_token)
    return claim_allows(g->access, repository, auth::Action::pull);
  return auth::has(policy_.actions(g ? g->who() : std::nullopt, repository), auth::Action::pull);
}

boost::asio::awaitable<Answer> Auth::token(server::Offloader& offload, Request& req) {
  if (!key_) {
    co_return OciError(ErrorCode::not_found,
                       "this server issues no tokens; they come from " + realm_);
  }
  std::optional<std::string> user;
  std::vector<std::string> scope_values;
  if (req.method == "POST") {
    auto body = co_await read_small_body(req, 64 * 1024);
    if (!body)
      co_return json_response(400, {{"error", "invalid_request"}});
    auto form = parse_form(*body);
    if (form["grant_type"] != "password") {
      co_return json_response(400, {{"error", "unsupported_grant_type"},
                                    {"error_description", "only grant_type=password"}});
    }
    if (!form["username"].empty()) {
      if (!co_await check_password(offload, form["username"], form["password"]))
        co_return OciError(ErrorCode::unauthorized, "invalid username or password");
      user = form["username"];
    }
    if (form.contains("scope"))
      scope_values.push_back(form["scope"]);
  } else {
    std::string_view authz = req.header("authorization");
    if (starts_with_ci(authz, "basic ")) {
      auto creds = basic_credentials(authz.substr(6));
      if (!creds || !co_await check_password(offload, creds->first, creds->second))
        co_return OciError(ErrorCode::unauthorized, "invalid username or password");
      user = std::move(creds->first);
    } else if (!authz.empty()) {
      co_return OciError(ErrorCode::unauthorized, "the token endpoint takes Basic credentials");
    }
    scope_values = req.query_values("scope");
  }
  if (!user && !req.tls_client_user.empty())
    user = req.tls_client_user;
  const auth::Who who = user ? auth::Who(*user) : std::nullopt;

  auth::Claims claims;
  const int64_t now = now_seconds();
  claims.issuer = issuer_;
  claims.subject = user.value_or("");
  claims.audience = {service_};
  claims.issued_at = now;
  claims.not_before = now;
  claims.expires = now + ttl_.count();
  claims.id = random_id();
  for (auth::Scope& s : auth::parse_scopes(scope_values)) {
    std::vector<std::string> granted;
    if (s.type == "repository") {
      const auth::ActionSet have = policy_.actions(who, s.name);
      for (const auto& word : s.actions) {
        auto set = auth::parse_action(word);
        if (set && (have & *set) == *set)
          granted.push_back(word);
      }
    } else if (s.type == "registry" && s.name == "catalog") {
      if (user || policy_.has_anonymous())
        granted.push_back("*");
    }
    if (!granted.empty())
      claims.access.push_back({s.type, s.name, std::move(granted)});
  }
  auto token = auth::sign_jwt(*key_, claims);
  if (!token)
    co_return OciError(ErrorCode::unknown, "internal error; request id " + req.request_id);
  co_return json_response(200, {{"token", *token},
                                {"access_token", *token},
                                {"expires_in", ttl_.count()},
                                {"issued_at", rfc3339(now)}});
}

bool may_pull(const Api& api, const Request& req, std::string_view repository) {
  return api.auth == nullptr || api.auth->may(req, repository, auth::Action::pull);
}

bool may_list(const Api& api, const Request& req, std::string_view repository) {
  return api.auth == nullptr || api.auth->lists(req, repository);
}

bool may_share_blobs(const Api& api, const Request& req) {
  return api.auth == nullptr || api.auth->sees_everything(req);
}

boost::asio::awaitable<bool> may_mount(Api& api, const Request& req, const content::Digest& digest,
                                       const std::string& from) {
  if (api.auth == nullptr)
    co_return true;
  if (!from.empty() && !api.auth->may(req, from, auth::Action::pull))
    co_return false;
  if (api.auth->sees_everything(req))
    co_return true;
  if (from.empty())
    co_return false;
  // Under the shared policy a mount falls back to any namespace holding the blob: only let it
  // run when `from` itself holds it.
  metadata::Scope scope{from, {}};
  auto exists =
      co_await api.storage.lookup([&](Storage& s) { return s.content().exists(scope, digest); });
  co_return exists&&* exists;
}

boost::asio::awaitable<Answer> issue_token(Api& api, Request& req) {
  if (api.auth == nullptr)
    co_return OciError(ErrorCode::not_found, "authentication is off: no tokens are issued");
  co_return co_await api.auth->token(api.offload, req);
}

}  // namespace cairn::handlers

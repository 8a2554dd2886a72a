// Registry authentication pieces of the upstream client: WWW-Authenticate challenges, the basic
// credentials header, token responses and the per-repository bearer-token cache.
#pragma once

#include "storage/common/result.h"

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::upstream {

// One challenge of a WWW-Authenticate header: `Bearer realm="…",service="…",scope="…"`.
struct Challenge {
  std::string scheme;                         // lowercase: "bearer", "basic"
  std::map<std::string, std::string> params;  // lowercase names, unquoted values

  std::string param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

// Parses a WWW-Authenticate value (RFC 7235: several challenges separated by commas, params as
// token=token or token="quoted\"string"). Malformed parts are skipped; never throws.
std::vector<Challenge> parse_challenges(std::string_view header);

// "Basic base64(user:password)".
std::string basic_authorization(std::string_view user, std::string_view password);

// A token endpoint's answer: `token` (or `access_token`) and `expires_in` (seconds; absent or
// below 1: 60; above kMaxTokenLifetime: that). Errors: invalid_argument (not JSON, no token).
inline constexpr std::chrono::seconds kMaxTokenLifetime{24 * 3600};
struct Token {
  std::string value;
  std::chrono::seconds expires_in{60};
};
Result<Token> parse_token_response(std::string_view body);

// Bearer tokens per repository, each until its expiry minus a margin (so a token is not sent
// in its last seconds). Thread-safe.
class TokenCache {
 public:
  using Clock = std::chrono::steady_clock;
  // The unexpired token for `repository`, if any.
  std::optional<std::string> get(const std::string& repository,
                                 Clock::time_point now = Clock::now());
  void put(const std::string& repository, const Token& token, Clock::time_point now = Clock::now());
  void erase(const std::string& repository);

 private:
  struct Entry {
    std::string token;
    Clock::time_point expires;
  };
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace cairn::upstream

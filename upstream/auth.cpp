#include "upstream/auth.h"

#include "storage/common/json.h"

#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace cairn::upstream {

namespace {

bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void skip_space(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
    ++i;
}

}  // namespace

std::vector<Challenge> parse_challenges(std::string_view h) {
  std::vector<Challenge> out;
  size_t i = 0;
  while (i < h.size()) {
    skip_space(h, i);
    while (i < h.size() && (h[i] == ',' || h[i] == ' '))
      ++i;
    size_t start = i;
    while (i < h.size() && is_tchar(h[i]) && h[i] != '=')
      ++i;
    if (i == start) {
      ++i;  // junk: skip a character
      continue;
    }
    std::string_view word = h.substr(start, i - start);
    skip_space(h, i);
    if (i < h.size() && h[i] == '=') {
      // A parameter (or token68) of the current challenge.
      ++i;
      while (i < h.size() && h[i] == '=')
        ++i;
      skip_space(h, i);
      std::string value;
      if (i < h.size() && h[i] == '"') {
        ++i;
        while (i < h.size() && h[i] != '"') {
          if (h[i] == '\\' && i + 1 < h.size())
            ++i;
          value += h[i++];
        }
        ++i;  // closing quote
      } else {
        while (i < h.size() && h[i] != ',' && h[i] != ' ' && h[i] != '\t')
          value += h[i++];
      }
      if (!out.empty())
        out.back().params[lower(word)] = std::move(value);
      continue;
    }
    out.push_back(Challenge{lower(word), {}});
  }
  return out;
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  std::string plain = std::string(user) + ":" + std::string(password);
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                          reinterpret_cast<const unsigned char*>(plain.data()),
                          static_cast<int>(plain.size()));
  encoded.resize(static_cast<size_t>(n));
  return "Basic " + encoded;
}

Result<Token> parse_token_response(std::string_view body) {
  auto j = parse_json(body);
  if (j.is_discarded() || !j.is_object())
    return fail(Errc::invalid_argument, "token response is not a JSON object");
  Token t;
  for (const char* key : {"token", "access_token"}) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string() && !it->get<std::string>().empty()) {
      t.value = it->get<std::string>();
      break;
    }
  }
  if (t.value.empty())
    return fail(Errc::invalid_argument, "token response has no token");
  // Compared as a double before the conversion: a double beyond int64_t's range converted is
  // undefined behaviour (found by fuzz_upstream_challenge), and no token should be trusted for
  // more than a day however long its endpoint says it lives.
  auto exp = j.find("expires_in");
  if (exp != j.end() && exp->is_number()) {
    double seconds = exp->get<double>();
    if (seconds >= 1)
      t.expires_in = std::chrono::seconds(
          static_cast<int64_t>(std::min<double>(seconds, double(kMaxTokenLifetime.count()))));
  }
  return t;
}

std::optional<std::string> TokenCache::get(const std::string& repository, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(repository);
  if (it == entries_.end())
    return std::nullopt;
  if (now >= it->second.expires) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.token;
}

void TokenCache::put(const std::string& repository, const Token& token, Clock::time_point now) {
  // A margin of 10 s, or a fifth of a short lifetime: the token must still be valid when the
  // request reaches the upstream.
  auto life = std::chrono::duration_cast<Clock::duration>(token.expires_in);
  auto margin = std::min<Clock::duration>(std::chrono::seconds(10), life / 5);
  std::lock_guard lock(mu_);
  entries_[repository] = Entry{token.value, now + life - margin};
}

void TokenCache::erase(const std::string& repository) {
  std::lock_guard lock(mu_);
  entries_.erase(repository);
}

}  // namespace cairn::upstream

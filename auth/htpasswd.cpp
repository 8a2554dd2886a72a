#include "auth/htpasswd.h"

#include <crypt.h>
#include <openssl/crypto.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace cairn::auth {
namespace {

// A bcrypt hash of a random password at cost 10, checked against for unknown users.
constexpr const char* kDummyHash = "$2y$10$CthUEmRXdsACFWoAZZaYvet/m4aOsWroR3nCH36DiwRVBjMSfyoCK";

bool is_bcrypt(std::string_view hash) {
  // $2y$NN$ + 53 characters of salt and digest.
  return (hash.starts_with("$2y$") || hash.starts_with("$2b$")) && hash.size() == 60 &&
         hash[6] == '$';
}

std::string_view kind_of(std::string_view hash) {
  if (hash.starts_with("$apr1$"))
    return "MD5 ($apr1$)";
  if (hash.starts_with("{SHA}"))
    return "SHA-1 ({SHA})";
  if (hash.starts_with("$2a$") || hash.starts_with("$2x$"))
    return "an old bcrypt variant ($2a$/$2x$)";
  if (hash.starts_with("$5$") || hash.starts_with("$6$"))
    return "SHA-crypt";
  if (hash.starts_with("$1$"))
    return "MD5-crypt ($1$)";
  return "crypt(3) DES or plain text";
}

bool crypt_matches(std::string_view password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: never on a coroutine's stack
  std::string pw(password);
  const char* out = crypt_r(pw.c_str(), hash.c_str(), data.get());
  if (out == nullptr || out[0] == '*')
    return false;
  std::string_view got(out);
  return got.size() == hash.size() && CRYPTO_memcmp(got.data(), hash.data(), hash.size()) == 0;
}

}  // namespace

Result<Htpasswd> Htpasswd::parse(std::string_view text) {
  Htpasswd h;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.ends_with('\r'))
      line.remove_suffix(1);
    if (line.empty() || line.front() == '#')
      continue;
    const std::string where = "line " + std::to_string(line_no);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return fail(Errc::invalid_argument, where + ": expected user:hash");
    std::string user(line.substr(0, colon));
    std::string_view hash = line.substr(colon + 1);
    if (!is_bcrypt(hash)) {
      return fail(Errc::invalid_argument,
                  where + " (user " + user + "): the hash is " + std::string(kind_of(hash)) +
                      ", not bcrypt; only bcrypt ($2y$/$2b$) is accepted: recreate it with "
                      "`htpasswd -B`");
    }
    if (!h.users_.emplace(user, std::string(hash)).second)
      return fail(Errc::invalid_argument, where + ": user " + user + " appears twice");
  }
  return h;
}

Result<Htpasswd> Htpasswd::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(Errc::io, "cannot read htpasswd file " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = parse(text.str());
  if (!parsed)
    return fail(parsed.error().code, path + ": " + parsed.error().detail);
  return parsed;
}

bool Htpasswd::verify(std::string_view user, std::string_view password) const {
  auto it = users_.find(user);
  if (it == users_.end()) {
    crypt_matches(password, kDummyHash);
    return false;
  }
  return crypt_matches(password, it->second);
}

}  // namespace cairn::auth

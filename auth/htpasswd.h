// Htpasswd: the users of `--htpasswd FILE`, one `user:hash` per line, as `htpasswd -B` writes
// them. Only bcrypt hashes (`$2y$`, `$2b$`) are accepted: MD5-crypt, SHA1, crypt(3) DES and
// plain text are refused when the file is loaded, with a message naming the line, so a weak
// hash is never silently trusted. Verification runs bcrypt through libxcrypt's crypt_r and
// compares in constant time; it costs ~100 ms at the default cost, so callers run it off the
// I/O threads (and remember successes in a CredentialCache).
#pragma once

#include "storage/common/result.h"

#include <map>
#include <string>
#include <string_view>

namespace cairn::auth {

class Htpasswd {
 public:
  // Parses the text of an htpasswd file. Blank lines and lines starting with '#' are skipped.
  // Errors: invalid_argument ("line N: ...") for a line without ':', an empty user, a
  // duplicate user, or a hash that is not bcrypt. Pure.
  static Result<Htpasswd> parse(std::string_view text);
  // Reads and parses `path`. Errors: io (unreadable), and those of parse (prefixed by path).
  static Result<Htpasswd> load(const std::string& path);

  // True when `user` exists and `password` matches its hash. Blocking (bcrypt); thread-safe.
  // An unknown user costs a bcrypt all the same, so timing does not reveal which users exist.
  bool verify(std::string_view user, std::string_view password) const;

  size_t size() const { return users_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> users_;
};

}  // namespace cairn::auth

// Fuzzes the JWT parser and verifier (auth/jwt.h) as a Bearer header reaches them: any text is
// parsed, then verified against a fixed ES256 key. Invariants: nothing but a token signed by that
// key (none can be forged here) verifies; a parse error always says why; a token signed here
// round-trips.
#include "auth/jwt.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace cairn::auth;

namespace {

const SigningKey& key() {
  static SigningKey k = SigningKey::generate().value();
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const KeySet keys = KeySet::of(key());
  VerifyOptions opts{"cairn", "cairn", 1'700'000'000, 60};

  auto parsed = parse_jwt(text);
  if (!parsed && parsed.error().detail.empty())
    std::abort();
  auto verified = verify_jwt(text, keys, opts);
  if (verified)
    std::abort();  // a random input signed by a key generated in this process: impossible
  if (verified.error().detail.empty())
    std::abort();

  // The fuzzer's bytes as claims: what is signed here verifies, with the same claims.
  Claims claims;
  claims.issuer = "cairn";
  claims.audience = {"cairn"};
  for (char c : text.substr(0, 64)) {  // a user name: htpasswd's are printable ASCII
    if (c > ' ' && c < 0x7f)
      claims.subject += c;
  }
  claims.expires = opts.now + 300;
  auto token = sign_jwt(key(), claims);
  if (!token)
    std::abort();
  auto back = verify_jwt(*token, keys, opts);
  if (!back || back->subject != claims.subject)
    std::abort();
  return 0;
}

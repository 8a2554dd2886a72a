#include "auth/jwt.h"

#include "auth/base64url.h"
#include "storage/common/json.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include <memory>

namespace cairn::auth {
namespace {

using nlohmann::json;

constexpr size_t kMaxDepth = 8;

Result<json> parse_part(std::string_view b64, const char* what) {
  auto text = base64url_decode(b64);
  if (!text)
    return fail(Errc::invalid_argument, std::string("the token's ") + what + " is not base64url");
  if (!cairn::json_depth_within(*text, kMaxDepth))
    return fail(Errc::invalid_argument, std::string("the token's ") + what + " nests too deep");
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail(Errc::invalid_argument, std::string("the token's ") + what + " is not an object");
  return Result<json>(boost::system::in_place_value, std::move(j));
}

// A NumericDate: an integer (or a number with a fraction, truncated) within ±2^53.
Result<std::optional<int64_t>> numeric_date(const json& claims, const char* key) {
  auto it = claims.find(key);
  if (it == claims.end())
    return std::optional<int64_t>();
  if (it->is_number_integer() || it->is_number_unsigned()) {
    if (it->is_number_unsigned() && it->get<uint64_t>() > (uint64_t{1} << 53))
      return fail(Errc::invalid_argument, std::string(key) + " is out of range");
    int64_t v = it->get<int64_t>();
    if (v > (int64_t{1} << 53) || v < -(int64_t{1} << 53))
      return fail(Errc::invalid_argument, std::string(key) + " is out of range");
    return std::optional<int64_t>(v);
  }
  if (it->is_number_float()) {
    double d = it->get<double>();
    if (!(d > -9007199254740992.0 && d < 9007199254740992.0))
      return fail(Errc::invalid_argument, std::string(key) + " is out of range");
    return std::optional<int64_t>(static_cast<int64_t>(d));
  }
  return fail(Errc::invalid_argument, std::string(key) + " is not a number");
}

Result<Claims> claims_of(const json& j) {
  Claims c;
  auto str = [&](const char* key, std::string& out) -> bool {
    auto it = j.find(key);
    if (it == j.end())
      return true;
    if (!it->is_string())
      return false;
    out = it->get<std::string>();
    return true;
  };
  if (!str("iss", c.issuer) || !str("sub", c.subject) || !str("jti", c.id))
    return fail(Errc::invalid_argument, "iss, sub and jti must be strings");
  if (auto aud = j.find("aud"); aud != j.end()) {
    if (aud->is_string()) {
      c.audience.push_back(aud->get<std::string>());
    } else if (aud->is_array()) {
      for (const auto& a : *aud) {
        if (!a.is_string())
          return fail(Errc::invalid_argument, "aud must hold strings");
        c.audience.push_back(a.get<std::string>());
      }
    } else {
      return fail(Errc::invalid_argument, "aud must be a string or an array of strings");
    }
  }
  for (auto [key, out] : {std::pair{"exp", &c.expires}, std::pair{"nbf", &c.not_before},
                          std::pair{"iat", &c.issued_at}}) {
    auto d = numeric_date(j, key);
    if (!d)
      return d.error();
    *out = *d;
  }
  if (auto access = j.find("access"); access != j.end() && !access->is_null()) {
    if (!access->is_array())
      return fail(Errc::invalid_argument, "access must be an array");
    for (const auto& a : *access) {
      if (!a.is_object())
        return fail(Errc::invalid_argument, "each access entry must be an object");
      Scope s;
      auto type = a.find("type");
      auto name = a.find("name");
      auto actions = a.find("actions");
      if (type == a.end() || !type->is_string() || name == a.end() || !name->is_string())
        return fail(Errc::invalid_argument, "an access entry needs a type and a name");
      s.type = type->get<std::string>();
      s.name = name->get<std::string>();
      if (actions != a.end() && !actions->is_null()) {
        if (!actions->is_array())
          return fail(Errc::invalid_argument, "access actions must be an array");
        for (const auto& w : *actions) {
          if (!w.is_string())
            return fail(Errc::invalid_argument, "access actions must be strings");
          s.actions.push_back(w.get<std::string>());
        }
      }
      c.access.push_back(std::move(s));
    }
  }
  return c;
}

json claims_json(const Claims& c) {
  json j = json::object();
  j["iss"] = c.issuer;
  j["sub"] = c.subject;
  if (c.audience.size() == 1)
    j["aud"] = c.audience.front();
  else
    j["aud"] = c.audience;
  if (c.expires)
    j["exp"] = *c.expires;
  if (c.not_before)
    j["nbf"] = *c.not_before;
  if (c.issued_at)
    j["iat"] = *c.issued_at;
  if (!c.id.empty())
    j["jti"] = c.id;
  json access = json::array();
  for (const Scope& s : c.access)
    access.push_back({{"type", s.type}, {"name", s.name}, {"actions", s.actions}});
  j["access"] = std::move(access);
  return j;
}

struct SigDeleter {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

bool verify_with(EVP_PKEY* pkey, std::string_view input, std::string_view raw_sig) {
  if (raw_sig.size() != 64)
    return false;
  std::unique_ptr<ECDSA_SIG, SigDeleter> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw_sig.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw_sig.data()) + 32, 32, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0)
    return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
      EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  OPENSSL_free(der);
  return ok;
}

}  // namespace

Result<ParsedJwt> parse_jwt(std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenBytes)
    return fail(Errc::invalid_argument, "the token is empty or larger than 16 KiB");
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return fail(Errc::invalid_argument, "a token has three dot-separated parts");
  auto header = parse_part(token.substr(0, dot1), "header");
  if (!header)
    return header.error();
  auto payload = parse_part(token.substr(dot1 + 1, dot2 - dot1 - 1), "payload");
  if (!payload)
    return payload.error();
  auto sig = base64url_decode(token.substr(dot2 + 1));
  if (!sig)
    return fail(Errc::invalid_argument, "the token's signature is not base64url");
  ParsedJwt out;
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string())
    return fail(Errc::invalid_argument, "the token header has no alg");
  out.alg = alg->get<std::string>();
  if (auto kid = header->find("kid"); kid != header->end()) {
    if (!kid->is_string())
      return fail(Errc::invalid_argument, "the token header's kid is not a string");
    out.kid = kid->get<std::string>();
  }
  if (header->contains("crit"))
    return fail(Errc::invalid_argument, "the token header has critical extensions");
  auto claims = claims_of(*payload);
  if (!claims)
    return claims.error();
  out.claims = std::move(*claims);
  out.signing_input = std::string(token.substr(0, dot2));
  out.signature = std::move(*sig);
  return out;
}

Result<std::string> sign_jwt(const SigningKey& key, const Claims& claims) {
  json header = {{"alg", "ES256"}, {"typ", "JWT"}, {"kid", key.kid()}};
  std::string input =
      base64url_encode(header.dump()) + "." +
      base64url_encode(claims_json(claims).dump(-1, ' ', false, json::error_handler_t::replace));
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.pkey()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    return fail(Errc::internal, "cannot sign the token");
  }
  std::string der(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return fail(Errc::internal, "cannot sign the token");
  }
  // JWS wants R || S, each 32 bytes big-endian; OpenSSL writes a DER SEQUENCE.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, SigDeleter> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig)
    return fail(Errc::internal, "cannot decode the signature");
  unsigned char raw[64];
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw, 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw + 32, 32) != 32) {
    return fail(Errc::internal, "cannot encode the signature");
  }
  return input + "." + base64url_encode(std::string_view(reinterpret_cast<char*>(raw), 64));
}

Result<Claims> verify_jwt(std::string_view token, const KeySet& keys, const VerifyOptions& opts) {
  auto jwt = parse_jwt(token);
  if (!jwt)
    return jwt.error();
  if (jwt->alg != "ES256")
    return fail(Errc::failed_precondition, "the token's alg is " + jwt->alg + ", not ES256");
  bool signed_ok = false;
  for (EVP_PKEY* k : keys.candidates(jwt->kid)) {
    if (verify_with(k, jwt->signing_input, jwt->signature)) {
      signed_ok = true;
      break;
    }
  }
  if (!signed_ok)
    return fail(Errc::failed_precondition, "the token's signature is not valid");
  const Claims& c = jwt->claims;
  if (c.issuer != opts.issuer)
    return fail(Errc::failed_precondition, "the token's issuer is not " + opts.issuer);
  bool aud_ok = false;
  for (const auto& a : c.audience)
    aud_ok = aud_ok || a == opts.audience;
  if (!aud_ok)
    return fail(Errc::failed_precondition, "the token is not meant for " + opts.audience);
  if (!c.expires)
    return fail(Errc::failed_precondition, "the token has no expiry");
  if (*c.expires + opts.leeway <= opts.now)
    return fail(Errc::failed_precondition, "the token has expired");
  if (c.not_before && *c.not_before - opts.leeway > opts.now)
    return fail(Errc::failed_precondition, "the token is not valid yet");
  return std::move(jwt->claims);
}

}  // namespace cairn::auth

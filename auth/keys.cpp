#include "auth/keys.h"

#include "auth/base64url.h"
#include "storage/common/json.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cairn::auth {
namespace {

KeyPtr own(EVP_PKEY* p) {
  return KeyPtr(p, EVP_PKEY_free);
}

// True when `pkey` is an EC key on P-256.
bool is_p256(EVP_PKEY* pkey) {
  if (pkey == nullptr || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
    return false;
  char group[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) !=
      1) {
    return false;
  }
  return std::strcmp(group, "prime256v1") == 0;
}

// The uncompressed point 0x04 || X || Y of a P-256 public key, or "".
std::string public_point(EVP_PKEY* pkey) {
  unsigned char buf[65];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &len) != 1 ||
      len != 65 || buf[0] != 0x04) {
    // The key may hold a compressed point: ask for it uncompressed.
    if (EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                       "uncompressed") != 1 ||
        EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &len) !=
            1 ||
        len != 65) {
      return {};
    }
  }
  return std::string(reinterpret_cast<char*>(buf), len);
}

KeyPtr key_from_xy(const std::string& x, const std::string& y) {
  std::string point = "\x04" + x + y;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* pkey = nullptr;
  if (ctx != nullptr && params != nullptr && EVP_PKEY_fromdata_init(ctx) == 1)
    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  if (pkey == nullptr)
    return nullptr;
  // fromdata does not check the point is on the curve: check it.
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  bool ok = check != nullptr && EVP_PKEY_public_check(check) == 1;
  EVP_PKEY_CTX_free(check);
  if (!ok) {
    EVP_PKEY_free(pkey);
    return nullptr;
  }
  return own(pkey);
}

Result<KeySet> parse_jwks(std::string_view text) {
  if (text.size() > (1u << 20) || !cairn::json_depth_within(text, 16))
    return fail(Errc::invalid_argument, "the JWKS document is too large or too deep");
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array())
    return fail(Errc::invalid_argument, "not a JWKS document ({\"keys\": [...]})");
  std::vector<KeySet::Key> keys;
  size_t i = 0;
  for (const auto& k : doc["keys"]) {
    const std::string where = "keys[" + std::to_string(i++) + "]";
    auto str = [&](const char* name) -> std::string {
      auto it = k.find(name);
      return it != k.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (!k.is_object() || str("kty") != "EC" || str("crv") != "P-256")
      return fail(Errc::invalid_argument, where + " is not an EC P-256 key");
    auto x = base64url_decode(str("x"));
    auto y = base64url_decode(str("y"));
    if (!x || !y || x->size() != 32 || y->size() != 32)
      return fail(Errc::invalid_argument, where + ": x and y must be 32-byte base64url values");
    if (str("kid").empty())
      return fail(Errc::invalid_argument, where + " has no kid");
    KeyPtr pkey = key_from_xy(*x, *y);
    if (!pkey)
      return fail(Errc::invalid_argument, where + ": the point is not on P-256");
    keys.push_back({str("kid"), std::move(pkey)});
  }
  if (keys.empty())
    return fail(Errc::invalid_argument, "the JWKS document holds no key");
  return KeySet(std::move(keys));
}

}  // namespace

std::string jwk_thumbprint(EVP_PKEY* pkey) {
  if (!is_p256(pkey))
    return {};
  std::string point = public_point(pkey);
  if (point.size() != 65)
    return {};
  // RFC 7638: the required members in lexicographic order, no whitespace.
  std::string jwk = R"({"crv":"P-256","kty":"EC","x":")" + base64url_encode(point.substr(1, 32)) +
                    R"(","y":")" + base64url_encode(point.substr(33, 32)) + R"("})";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(jwk.data(), jwk.size(), digest, &len, EVP_sha256(), nullptr);
  return base64url_encode(std::string_view(reinterpret_cast<char*>(digest), len));
}

Result<SigningKey> SigningKey::generate() {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  if (pkey == nullptr)
    return fail(Errc::internal, "cannot generate an EC P-256 key");
  SigningKey k;
  k.key_ = own(pkey);
  k.kid_ = jwk_thumbprint(pkey);
  return k;
}

Result<SigningKey> SigningKey::from_pem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (pkey == nullptr)
    return fail(Errc::invalid_argument, "not a PEM private key");
  KeyPtr owned = own(pkey);
  if (!is_p256(pkey))
    return fail(Errc::invalid_argument, "the token key must be an EC P-256 key (ES256)");
  SigningKey k;
  k.key_ = std::move(owned);
  k.kid_ = jwk_thumbprint(pkey);
  return k;
}

Result<SigningKey> SigningKey::load_or_create(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto text = read_file(path);
    if (!text)
      return text.error();
    auto key = from_pem(*text);
    if (!key)
      return fail(key.error().code, path + ": " + key.error().detail);
    return key;
  }
  auto key = generate();
  if (!key)
    return key;
  const std::string pem = key->private_pem();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return io_error("create token key " + path);
  size_t done = 0;
  while (done < pem.size()) {
    ssize_t n = ::write(fd, pem.data() + done, pem.size() - done);
    if (n <= 0) {
      auto err = io_error("write token key " + path);
      ::close(fd);
      ::unlink(path.c_str());
      return err;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(path.c_str());
    return io_error("write token key " + path);
  }
  return key;
}

std::string SigningKey::private_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::string SigningKey::public_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key_.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::string SigningKey::public_jwk() const {
  std::string point = public_point(key_.get());
  nlohmann::json jwk = {{"kty", "EC"},
                        {"crv", "P-256"},
                        {"x", base64url_encode(point.substr(1, 32))},
                        {"y", base64url_encode(point.substr(33, 32))},
                        {"kid", kid_}};
  return jwk.dump();
}

Result<KeySet> KeySet::parse(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{')
    return parse_jwks(text);
  std::vector<Key> keys;
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  // Read every PEM block in turn: public keys and certificates.
  while (true) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio, &name, &header, &data, &len) != 1)
      break;
    std::string kind(name);
    const unsigned char* p = data;
    EVP_PKEY* pkey = nullptr;
    if (kind == "PUBLIC KEY") {
      pkey = d2i_PUBKEY(nullptr, &p, len);
    } else if (kind == "CERTIFICATE") {
      X509* cert = d2i_X509(nullptr, &p, len);
      if (cert != nullptr) {
        pkey = X509_get_pubkey(cert);
        X509_free(cert);
      }
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (kind != "PUBLIC KEY" && kind != "CERTIFICATE")
      continue;
    KeyPtr owned = own(pkey);
    if (!is_p256(pkey)) {
      BIO_free(bio);
      return fail(Errc::invalid_argument,
                  "a " + kind + " block does not hold an EC P-256 key (ES256 tokens only)");
    }
    keys.push_back({"", std::move(owned)});
  }
  BIO_free(bio);
  if (keys.empty())
    return fail(Errc::invalid_argument,
                "no PEM public key or certificate, and not a JWKS document");
  return KeySet(std::move(keys));
}

Result<KeySet> KeySet::load(const std::string& path) {
  auto text = read_file(path);
  if (!text)
    return text.error();
  auto set = parse(*text);
  if (!set)
    return fail(set.error().code, path + ": " + set.error().detail);
  return set;
}

KeySet KeySet::of(const SigningKey& key) {
  return KeySet({{key.kid(), key.shared()}});
}

std::vector<EVP_PKEY*> KeySet::candidates(std::string_view kid) const {
  std::vector<EVP_PKEY*> out;
  for (const Key& k : keys_) {
    if (k.kid.empty() || k.kid == kid)
      out.push_back(k.pkey.get());
  }
  return out;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(Errc::io, "cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace cairn::auth

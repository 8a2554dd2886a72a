#include "s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

namespace cairn::s3 {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A header value as signed: leading and trailing spaces dropped, inner runs made one space.
std::string trim_value(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// The request's headers as signed: lowercase names, sorted (stable: repeated names keep their
// order), each name once with its values joined by ','.
std::vector<std::pair<std::string, std::string>> canonical_headers(const Params& headers) {
  std::vector<std::pair<std::string, std::string>> sorted;
  sorted.reserve(headers.size());
  for (const auto& [k, v] : headers)
    sorted.emplace_back(lower(k), trim_value(v));
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> joined;
  for (auto& [k, v] : sorted) {
    if (!joined.empty() && joined.back().first == k) {
      joined.back().second += "," + v;
    } else {
      joined.emplace_back(std::move(k), std::move(v));
    }
  }
  return joined;
}

}  // namespace

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("EVP_Digest(sha256) failed");
  return hex(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len) == nullptr)
    throw std::runtime_error("HMAC(sha256) failed");
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (unreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string canonical_query(const Params& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [k, v] : query)
    encoded.emplace_back(uri_encode(k, false), uri_encode(v, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty())
      out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

std::string canonical_uri(std::string_view path) {
  if (path.empty())
    return "/";
  return uri_encode(path, true);
}

std::string signed_headers(const Request& request) {
  std::string out;
  for (const auto& [k, v] : canonical_headers(request.headers)) {
    if (!out.empty())
      out += ';';
    out += k;
  }
  return out;
}

std::string canonical_request(const Request& request) {
  std::string out = request.method;
  out += '\n';
  out += canonical_uri(request.path);
  out += '\n';
  out += canonical_query(request.query);
  out += '\n';
  for (const auto& [k, v] : canonical_headers(request.headers)) {
    out += k;
    out += ':';
    out += v;
    out += '\n';
  }
  out += '\n';
  out += signed_headers(request);
  out += '\n';
  out += request.payload_hash;
  return out;
}

std::string credential_scope(std::string_view amz_date, std::string_view region,
                             std::string_view service) {
  std::string out(amz_date.substr(0, 8));
  out += '/';
  out += region;
  out += '/';
  out += service;
  out += "/aws4_request";
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view region,
                           std::string_view canonical, std::string_view service) {
  std::string out(kAlgorithm);
  out += '\n';
  out += amz_date;
  out += '\n';
  out += credential_scope(amz_date, region, service);
  out += '\n';
  out += sha256_hex(canonical);
  return out;
}

std::string signing_key(std::string_view secret_key, std::string_view date, std::string_view region,
                        std::string_view service) {
  std::string k = hmac_sha256("AWS4" + std::string(secret_key), date);
  k = hmac_sha256(k, region);
  k = hmac_sha256(k, service);
  return hmac_sha256(k, "aws4_request");
}

std::string signature(const Request& request, const Credentials& credentials,
                      std::string_view region, std::string_view amz_date) {
  const std::string key = signing_key(credentials.secret_key, amz_date.substr(0, 8), region);
  return hex(hmac_sha256(key, string_to_sign(amz_date, region, canonical_request(request))));
}

std::string authorization(const Request& request, const Credentials& credentials,
                          std::string_view region, std::string_view amz_date) {
  std::string out(kAlgorithm);
  out += " Credential=";
  out += credentials.access_key;
  out += '/';
  out += credential_scope(amz_date, region);
  out += ",SignedHeaders=";
  out += signed_headers(request);
  out += ",Signature=";
  out += signature(request, credentials, region, amz_date);
  return out;
}

std::string presign_query(std::string_view method, std::string_view path, Params query,
                          std::string_view host, const Credentials& credentials,
                          std::string_view region, std::string_view amz_date,
                          uint32_t expires_seconds) {
  query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  query.emplace_back("X-Amz-Credential",
                     credentials.access_key + "/" + credential_scope(amz_date, region));
  query.emplace_back("X-Amz-Date", std::string(amz_date));
  query.emplace_back("X-Amz-Expires", std::to_string(expires_seconds));
  query.emplace_back("X-Amz-SignedHeaders", "host");
  Request request;
  request.method = std::string(method);
  request.path = std::string(path);
  request.query = query;
  request.headers = {{"host", std::string(host)}};
  request.payload_hash = std::string(kUnsignedPayload);
  const std::string sig = signature(request, credentials, region, amz_date);
  // X-Amz-Signature goes last, outside the signed query; its value needs no encoding.
  return canonical_query(query) + "&X-Amz-Signature=" + sig;
}

}  // namespace cairn::s3

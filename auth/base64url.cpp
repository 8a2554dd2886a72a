#include "auth/base64url.h"

#include <array>
#include <cstdint>

namespace cairn::auth {
namespace {

constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// One table per alphabet: -1 for bytes outside it.
std::array<int8_t, 256> reverse_of(char c62, char c63) {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 62; ++i)
    t[static_cast<unsigned char>(kUrlAlphabet[i])] = static_cast<int8_t>(i);
  t[static_cast<unsigned char>(c62)] = 62;
  t[static_cast<unsigned char>(c63)] = 63;
  return t;
}

std::optional<std::string> decode(std::string_view text, const std::array<int8_t, 256>& table,
                                  bool padding_required) {
  size_t end = text.size();
  size_t pads = 0;
  while (end > 0 && text[end - 1] == '=' && pads < 2) {
    --end;
    ++pads;
  }
  if (padding_required && text.size() % 4 != 0)
    return std::nullopt;
  if (end % 4 == 1)
    return std::nullopt;
  std::string out;
  out.reserve(end * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < end; ++i) {
    int v = table[static_cast<unsigned char>(text[i])];
    if (v < 0)
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
    return std::nullopt;  // non-canonical: leftover bits must be zero
  return out;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kUrlAlphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0)
    out.push_back(kUrlAlphabet[(acc << (6 - bits)) & 0x3F]);
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  static const auto table = reverse_of('-', '_');
  return decode(text, table, false);
}

std::optional<std::string> base64_decode(std::string_view text) {
  static const auto table = reverse_of('+', '/');
  return decode(text, table, true);
}

}  // namespace cairn::auth

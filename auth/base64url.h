// base64url (RFC 4648 §5) without padding: the encoding of every part of a JWT and of the
// coordinates in a JWKS key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cairn::auth {

// Encodes `bytes` as unpadded base64url.
std::string base64url_encode(std::string_view bytes);

// Decodes unpadded base64url (trailing '=' padding is tolerated). nullopt on any character
// outside the alphabet, an impossible length, or non-zero leftover bits.
std::optional<std::string> base64url_decode(std::string_view text);

// Decodes standard base64 (with padding), as HTTP Basic credentials carry. nullopt when
// malformed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace cairn::auth

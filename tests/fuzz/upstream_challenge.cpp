// Fuzzes what an upstream registry's authentication sends back: WWW-Authenticate challenges
// (upstream::parse_challenges) and token endpoint bodies (upstream::parse_token_response).
#include "upstream/auth.h"

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace cairn::upstream;

namespace {

bool lowercase(std::string_view s) {
  for (char c : s) {
    if (std::isupper(static_cast<unsigned char>(c)))
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const Challenge& c : parse_challenges(text)) {
    if (c.scheme.empty() || !lowercase(c.scheme))
      std::abort();
    for (const auto& [name, value] : c.params) {
      if (name.empty() || !lowercase(name))
        std::abort();
    }
  }
  if (auto token = parse_token_response(text)) {
    if (token->value.empty() || token->expires_in.count() <= 0)
      std::abort();
  }
  return 0;
}

// Fuzzes the identifier grammars: digests, repository names, tags, lease ids, manifest
// references (a digest when it holds ':', else a tag) and percent-decoding. Checks that a value
// accepted once is accepted again unchanged, and that nothing accepted can hold a NUL (the key
// separator) or exceed its bound.
#include "server/http.h"
#include "storage/content/digest.h"
#include "storage/metadata/names.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace cairn;

namespace {

void check(bool ok) {
  if (!ok)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto d = content::Digest::parse(text)) {
    check(d->str() == text);
    check(d->hex().size() == content::algorithm_hex_size(d->algorithm()));
    check(d->hex().find('/') == std::string_view::npos);
    auto again = content::Digest::parse(d->str());
    check(again && *again == *d);
  }

  const bool name_ok = metadata::is_valid_repository_name(text);
  check(name_ok == metadata::validate_repository_name(text).has_value());
  if (name_ok) {
    check(text.size() <= metadata::kMaxRepositoryNameSize);
    check(text.find('\0') == std::string_view::npos);
    check(text.find("..") == std::string_view::npos);
    check(text.front() != '/' && text.back() != '/');
  }
  const bool tag_ok = metadata::is_valid_tag(text);
  check(tag_ok == metadata::validate_tag(text).has_value());
  if (tag_ok) {
    check(text.size() <= metadata::kMaxTagSize);
    // A reference is a digest exactly when it holds ':', so no tag may hold one.
    check(text.find(':') == std::string_view::npos);
    check(text.find('/') == std::string_view::npos);
  }
  const bool lease_ok = metadata::is_valid_lease_id(text);
  check(lease_ok == metadata::validate_lease_id(text).has_value());
  if (lease_ok) {
    check(text.size() <= metadata::kMaxLeaseIdSize);
    check(text.find('/') == std::string_view::npos && text != "." && text != "..");
  }

  for (bool plus : {false, true}) {
    if (auto decoded = server::percent_decode(text, plus)) {
      // Only a raw NUL survives decoding; an encoded one (%00) is refused.
      if (text.find('\0') == std::string_view::npos)
        check(decoded->find('\0') == std::string::npos);
      check(decoded->size() <= text.size());
    }
  }
  return 0;
}

#include "storage/metadata/names.h"

#include <string>

namespace cairn::metadata {

namespace {

constexpr bool is_lower_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
constexpr bool is_alnum(char c) noexcept {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
constexpr bool is_tag_char(char c) noexcept {
  return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

// component ::= [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool is_valid_component(std::string_view c) noexcept {
  size_t i = 0;
  const size_t n = c.size();
  if (n == 0 || !is_lower_alnum(c[0]))
    return false;
  while (i < n) {
    while (i < n && is_lower_alnum(c[i]))
      ++i;
    if (i == n)
      return true;
    // A separator run, then at least one alphanumeric.
    size_t start = i;
    while (i < n && (c[i] == '.' || c[i] == '_' || c[i] == '-'))
      ++i;
    std::string_view sep = c.substr(start, i - start);
    bool ok = sep == "." || sep == "_" || sep == "__" ||
              (!sep.empty() && sep.find_first_not_of('-') == std::string_view::npos);
    if (!ok || i == n || !is_lower_alnum(c[i]))
      return false;
  }
  return true;
}

std::string quoted(std::string_view v) {
  std::string out = "\"";
  out.append(v.substr(0, 64));
  if (v.size() > 64)
    out += "...";
  out += "\"";
  return out;
}

}  // namespace

bool is_valid_repository_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxRepositoryNameSize)
    return false;
  size_t start = 0;
  while (true) {
    size_t pos = name.find('/', start);
    std::string_view comp =
        name.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start);
    if (!is_valid_component(comp))
      return false;
    if (pos == std::string_view::npos)
      return true;
    start = pos + 1;
  }
}

bool is_valid_tag(std::string_view tag) noexcept {
  if (tag.empty() || tag.size() > kMaxTagSize)
    return false;
  if (!(is_alnum(tag[0]) || tag[0] == '_'))
    return false;
  for (char c : tag.substr(1)) {
    if (!is_tag_char(c))
      return false;
  }
  return true;
}

bool is_valid_lease_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxLeaseIdSize)
    return false;
  if (!is_alnum(id[0]))
    return false;
  for (char c : id.substr(1)) {
    if (!is_tag_char(c))
      return false;
  }
  return true;
}

Result<void> validate_repository_name(std::string_view name) {
  if (is_valid_repository_name(name))
    return {};
  if (name.size() > kMaxRepositoryNameSize) {
    return fail(Errc::invalid_argument,
                "repository name longer than " + std::to_string(kMaxRepositoryNameSize) + " bytes");
  }
  return fail(Errc::invalid_argument, "invalid repository name " + quoted(name));
}

Result<void> validate_tag(std::string_view tag) {
  if (is_valid_tag(tag))
    return {};
  return fail(Errc::invalid_argument, "invalid tag " + quoted(tag));
}

Result<void> validate_lease_id(std::string_view id) {
  if (is_valid_lease_id(id))
    return {};
  return fail(Errc::invalid_argument, "invalid lease id " + quoted(id));
}

}  // namespace cairn::metadata

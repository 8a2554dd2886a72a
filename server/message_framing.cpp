#include "server/message_framing.h"

#include <cctype>

namespace cairn::server {

std::string canonical_header(std::string_view name) {
  std::string out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dash = name.find('-', start);
    std::string_view word =
        name.substr(start, dash == std::string_view::npos ? dash : dash - start);
    if (!out.empty())
      out += '-';
    if (word == "uuid" || word == "oci" || word == "www" || word == "md5") {
      for (char c : word)
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
      out.append(word.substr(1));
    }
    if (dash == std::string_view::npos)
      break;
    start = dash + 1;
  }
  return out;
}

std::string_view origin_form(std::string_view target) {
  if (target.empty() || target[0] == '/')
    return target;
  size_t colon = target.find("://");
  if (colon == std::string_view::npos || colon == 0 ||
      !std::isalpha(static_cast<unsigned char>(target[0])))
    return target;
  for (char c : target.substr(0, colon)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return target;
  }
  std::string_view rest = target.substr(colon + 3);
  size_t path = rest.find_first_of("/?#");
  if (path == std::string_view::npos)
    return "/";
  return rest.substr(path);
}

bool ambiguous_framing(const std::vector<std::string_view>& transfer_encodings,
                       bool has_content_length) {
  if (transfer_encodings.empty())
    return false;
  if (has_content_length)
    return true;
  int codings = 0;
  bool chunked_last = false;
  for (std::string_view list : transfer_encodings) {
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
        item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
        item.remove_suffix(1);
      if (item.empty())
        continue;  // list syntax allows empty elements
      ++codings;
      chunked_last = item.size() == 7;
      for (size_t i = 0; chunked_last && i < 7; ++i)
        chunked_last = std::tolower(static_cast<unsigned char>(item[i])) == "chunked"[i];
    }
  }
  return !(codings == 1 && chunked_last);
}

}  // namespace cairn::server

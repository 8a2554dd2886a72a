// The README's shell blocks, which the tests run as written.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace cairn::testing {

// The first ```<lang> block (sh: a shell block, json: a config file) after `heading` in the
// README; empty when there is none.
inline std::string readme_block(const std::string& heading, const std::string& lang = "sh") {
  std::ifstream in(CAIRN_SOURCE_DIR "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string readme = ss.str();
  size_t section = readme.find(heading);
  if (section == std::string::npos)
    return {};
  const std::string fence = "```" + lang + "\n";
  size_t start = readme.find(fence, section);
  if (start == std::string::npos)
    return {};
  start += fence.size();
  size_t end = readme.find("```", start);
  return end == std::string::npos ? std::string() : readme.substr(start, end - start);
}

}  // namespace cairn::testing

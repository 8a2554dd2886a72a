// The README's shell blocks, which the tests run as written.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace cairn::testing {

// The first ```sh block after `heading` in the README; empty when there is none.
inline std::string readme_block(const std::string& heading) {
  std::ifstream in(CAIRN_SOURCE_DIR "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string readme = ss.str();
  size_t section = readme.find(heading);
  if (section == std::string::npos)
    return {};
  size_t start = readme.find("```sh\n", section);
  if (start == std::string::npos)
    return {};
  start += 6;
  size_t end = readme.find("```", start);
  return end == std::string::npos ? std::string() : readme.substr(start, end - start);
}

}  // namespace cairn::testing

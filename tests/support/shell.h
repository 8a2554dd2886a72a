// Running shell commands from end-to-end tests: bash with pipefail, stderr merged into the
// output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace cairn::testing {

struct Run {
  int status = -1;
  std::string output;
};

// Runs `command` with bash, stderr merged into the output.
inline Run sh(const std::string& command) {
  std::string quoted;
  for (char c : command) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  Run r;
  FILE* p = ::popen(("bash -o pipefail -c '" + quoted + "' 2>&1").c_str(), "r");
  if (p == nullptr)
    return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    r.output.append(buf.data(), n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// `s` without trailing newlines and spaces.
inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}

}  // namespace cairn::testing

// Running shell commands from end-to-end tests: bash with pipefail, stderr merged into the
// output (sh) or kept apart (sh_split).
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace cairn::testing {

struct Run {
  int status = -1;
  std::string output;
};

namespace detail {

// Runs `bash -o pipefail -c <command> <redirects>` and reads its stdout into `out`; returns
// the exit status (-1 when it could not run or was killed).
inline int run_bash(const std::string& command, const std::string& redirects, std::string& out) {
  std::string quoted;
  for (char c : command) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  FILE* p = ::popen(("bash -o pipefail -c '" + quoted + "' " + redirects).c_str(), "r");
  if (p == nullptr)
    return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    out.append(buf.data(), n);
  int st = ::pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace detail

// Runs `command` with bash, stderr merged into the output.
inline Run sh(const std::string& command) {
  Run r;
  r.status = detail::run_bash(command, "2>&1", r.output);
  return r;
}

struct SplitRun {
  int status = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `command` with bash, stdin from /dev/null, stdout and stderr apart (stderr passes
// through `err_file`, which is overwritten).
inline SplitRun sh_split(const std::string& command, const std::filesystem::path& err_file) {
  SplitRun r;
  r.status = detail::run_bash(command, "2> '" + err_file.string() + "' < /dev/null", r.out);
  std::ifstream e(err_file);
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  return r;
}

// `s` without trailing newlines and spaces.
inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}

}  // namespace cairn::testing

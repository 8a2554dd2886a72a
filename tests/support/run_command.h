// run_command: runs a program to its end from a test, its output captured.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace cairn::testing {

// Runs argv (PATH lookup) with stdin and stderr on /dev/null, stdout captured into `out` (when
// given) through a file under `scratch`; returns the exit status (-1 when it did not exit
// normally). Blocks.
inline int run_command(
    const std::vector<std::string>& argv, std::string* out = nullptr,
    const std::filesystem::path& scratch = std::filesystem::temp_directory_path()) {
  std::filesystem::path out_file = scratch / ("cmd-out-" + std::to_string(::getpid()) + "-" +
                                              std::to_string(std::random_device{}()));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    throw std::runtime_error("cannot run " + argv[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (out) {
    std::ifstream in(out_file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
  }
  std::error_code ec;
  std::filesystem::remove(out_file, ec);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace cairn::testing

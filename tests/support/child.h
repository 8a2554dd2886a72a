// Child: a process the test started (a daemon such as containerd or the cairn executable), its
// output appended to a log file, stopped by its PID and reaped.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace cairn::testing {

// A child process with stdout and stderr appended to `log`, stopped (SIGTERM, then SIGKILL after
// 10 s) and reaped by its PID on destruction.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::filesystem::path& log) : log_(log) {
    std::vector<char*> argv;
    for (const auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    pid_ = ::fork();
    if (pid_ == 0) {
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0)
        ::dup2(devnull, 0);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    if (fd >= 0)
      ::close(fd);
  }
  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  const std::filesystem::path& log() const { return log_; }

  // False once the process has exited (reaping it).
  bool alive() {
    if (pid_ <= 0)
      return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      exit_status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      pid_ = -1;
      return false;
    }
    return true;
  }

  // Stops the process by its PID; its exit status (128 + signal when killed), -1 when none.
  int stop() {
    if (!alive())
      return exit_status_;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 200 && alive(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (alive()) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
      exit_status_ = 128 + SIGKILL;
      pid_ = -1;
    }
    return exit_status_;
  }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
};

}  // namespace cairn::testing

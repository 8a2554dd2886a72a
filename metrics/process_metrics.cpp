#include "metrics/process_metrics.h"

#include "metrics/families.h"
#include "server/unexpected.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

namespace cairn::metrics {
namespace {

using prometheus::MetricType;

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The boot time (Unix seconds) from /proc/stat's "btime" line; 0 when unknown.
double boot_time() {
  std::istringstream in(read_file("/proc/stat"));
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));

  // Not /proc's, but the process's too (server/unexpected.h).
  out.push_back(single("cairn_unexpected_exceptions_total",
                       "Exceptions that escaped a spawned coroutine or an I/O thread's loop (each "
                       "is also written to stderr).",
                       MetricType::Counter, static_cast<double>(server::unexpected_exceptions())));

  // /proc/self/stat: the command (in parentheses, may hold spaces) then fields 3..; utime is
  // field 14, stime 15, starttime 22, vsize 23, rss 24 (proc(5)).
  const std::string stat = read_file("/proc/self/stat");
  const size_t close = stat.rfind(')');
  if (close != std::string::npos && ticks > 0) {
    std::istringstream in(stat.substr(close + 2));
    std::vector<std::string> f;  // f[0] is field 3
    for (std::string w; in >> w;)
      f.push_back(w);
    if (f.size() >= 22) {
      const double utime = std::stod(f[11]);
      const double stime = std::stod(f[12]);
      const double start = std::stod(f[19]);
      const double vsize = std::stod(f[20]);
      const double rss = std::stod(f[21]);
      out.push_back(single("process_cpu_seconds_total",
                           "Total user and system CPU time spent in seconds.", MetricType::Counter,
                           (utime + stime) / ticks));
      out.push_back(single("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                           MetricType::Gauge, vsize));
      out.push_back(single("process_resident_memory_bytes", "Resident memory size in bytes.",
                           MetricType::Gauge, rss * page));
      if (double boot = boot_time(); boot > 0) {
        out.push_back(single("process_start_time_seconds",
                             "Start time of the process since unix epoch in seconds.",
                             MetricType::Gauge, boot + start / ticks));
      }
    }
  }

  std::error_code ec;
  size_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++fds;
  if (!ec) {
    out.push_back(single("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
                         static_cast<double>(fds)));
  }
  std::istringstream limits(read_file("/proc/self/limits"));
  for (std::string line; std::getline(limits, line);) {
    if (!line.starts_with("Max open files"))
      continue;
    std::istringstream in(line.substr(sizeof("Max open files") - 1));
    std::string soft;
    in >> soft;
    if (!soft.empty() && soft != "unlimited") {
      out.push_back(single("process_max_fds", "Maximum number of open file descriptors.",
                           MetricType::Gauge, std::stod(soft)));
    }
  }
  return out;
}

}  // namespace cairn::metrics

// RgwServer: a throwaway Ceph RADOS Gateway (S3) for the tests of the S3 client and backend,
// started by tools/rgw.sh (one monitor, one OSD with BlueStore in a sparse file, one radosgw;
// auth none, loopback only, ports the script picks free) into a temporary directory. The S3
// user `cairn` has the fixed keys of the script. Destroyed: `tools/rgw.sh stop` (radosgw, then
// the OSD, then the monitor, by the PIDs their pid files hold), then the directory is removed.
// shared() starts one per test binary, on first use (about 5 s); every test uses buckets of its
// own (fresh_bucket()).
#pragma once

#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace cairn::testing {

class RgwServer {
 public:
  RgwServer() {
    // The script picks free ports, which another process may take before a daemon binds
    // them: try a few times.
    std::string out;
    for (int attempt = 0; attempt < 3; ++attempt) {
      // stderr joins stdout so a failure shows the daemons' log tails the script prints.
      if (run_command(
              {"bash", "-c", "bash \"$0\" start \"$1\" 2>&1", script(), cluster_dir().string()},
              &out, dir_.path()) == 0) {
        started_ = true;
        break;
      }
      run_command({"bash", script(), "stop", cluster_dir().string()}, nullptr, dir_.path());
    }
    if (!started_)
      throw std::runtime_error("tools/rgw.sh start failed (logs under " + cluster_dir().string() +
                               "): " + out);
    // The endpoint is the last line (daemons may have said something before it).
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
      out.pop_back();
    endpoint_ = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
    const auto colon = endpoint_.rfind(':');
    if (!endpoint_.starts_with("http://127.0.0.1:") || colon == std::string::npos)
      throw std::runtime_error("tools/rgw.sh start printed '" + endpoint_ + "'");
    port_ = static_cast<uint16_t>(std::stoi(endpoint_.substr(colon + 1)));
  }
  ~RgwServer() {
    if (started_)
      run_command({"bash", script(), "stop", cluster_dir().string()}, nullptr, dir_.path());
  }
  RgwServer(const RgwServer&) = delete;
  RgwServer& operator=(const RgwServer&) = delete;

  // "http://127.0.0.1:PORT": path-style S3.
  const std::string& endpoint() const { return endpoint_; }
  uint16_t port() const { return port_; }
  // The keys of the S3 user the script creates (tools/rgw.sh).
  static std::string access_key() { return "CAIRNTESTACCESSKEY00"; }
  static std::string secret_key() { return "cairn-test-secret-key-0000000000000000000"; }
  static std::string region() { return "us-east-1"; }

  // A bucket name no test of this binary used before (not created: the caller does that).
  std::string fresh_bucket() { return "bucket-" + std::to_string(++buckets_); }

  // One server for the whole test binary, started on first use, stopped at exit.
  static RgwServer& shared() {
    static RgwServer server;
    return server;
  }

 private:
  static std::string script() { return std::string(CAIRN_SOURCE_DIR) + "/tools/rgw.sh"; }
  std::filesystem::path cluster_dir() const { return dir_.path() / "rgw"; }

  TempDir dir_;
  std::string endpoint_;
  uint16_t port_ = 0;
  bool started_ = false;
  int buckets_ = 0;
};

}  // namespace cairn::testing

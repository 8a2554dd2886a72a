// PostgresServer: a throwaway PostgreSQL 15 cluster (Debian's postgresql-15) for the tests of the
// PostgreSQL metadata engine: initdb into a temporary directory, pg_ctl start on a free port of
// 127.0.0.1 only (no unix socket), trust authentication for the role `cairn`, fsync on (as a
// deployment runs it). Destroyed: stopped with `pg_ctl stop -m fast` (the postmaster whose pid
// its own data directory records, and nothing else), then the directory is removed.
// initdb refuses to run as root: as root the cluster belongs to the `postgres` user
// (runuser). shared() starts one per test binary, on first use; every test uses its own tables.
#pragma once

#include "tests/support/ports.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace cairn::testing {

class PostgresServer {
 public:
  PostgresServer() {
    bin_ = find_bin();
    const bool root = ::geteuid() == 0;
    if (root && run_command({"chown", "postgres", dir_.path().string()}) != 0)
      throw std::runtime_error("cannot hand the PostgreSQL directory to the postgres user");
    const std::string data = (dir_.path() / "data").string();
    std::string out;
    if (run(root,
            {(bin_ / "initdb").string(), "-D", data, "-U", "cairn", "-A", "trust", "-E", "UTF8",
             "--no-locale", "--no-sync"},
            &out) != 0) {
      throw std::runtime_error("initdb failed: " + out);
    }
    // A port picked free may be taken before the server binds it: try a few.
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = pick_free_port();
      const std::string opts = "-c listen_addresses=127.0.0.1 -c unix_socket_directories='' -p " +
                               std::to_string(port_) + " -c max_connections=200";
      if (run(root,
              {(bin_ / "pg_ctl").string(), "-D", data, "-l", (dir_.path() / "server.log").string(),
               "-o", opts, "-w", "-t", "60", "start"},
              &out) == 0) {
        started_ = true;
        return;
      }
    }
    throw std::runtime_error("pg_ctl start failed: " + out);
  }
  ~PostgresServer() {
    if (started_) {
      std::string out;
      run(::geteuid() == 0,
          {(bin_ / "pg_ctl").string(), "-D", (dir_.path() / "data").string(), "-m", "fast", "-w",
           "-t", "60", "stop"},
          &out);
    }
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  uint16_t port() const { return port_; }
  // A libpq URI of database `db` on this server.
  std::string uri(const std::string& db = "postgres") const {
    return "postgresql://cairn@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }

  // A new empty database on this server (psql: CREATE DATABASE); returns its URI.
  std::string fresh_database() {
    const std::string name = "db" + std::to_string(++databases_);
    std::string out;
    if (run_command({"psql", uri(), "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE " + name}, &out,
                    dir_.path()) != 0) {
      throw std::runtime_error("cannot create database " + name + ": " + out);
    }
    return uri(name);
  }

  // One server for the whole test binary, started on first use, stopped at exit.
  static PostgresServer& shared() {
    static PostgresServer server;
    return server;
  }

 private:
  // The directory of initdb and pg_ctl: PostgreSQL 15's, else the newest installed.
  static std::filesystem::path find_bin() {
    const std::filesystem::path base = "/usr/lib/postgresql";
    if (std::filesystem::exists(base / "15/bin/initdb"))
      return base / "15/bin";
    std::error_code ec;
    std::filesystem::path best;
    for (const auto& e : std::filesystem::directory_iterator(base, ec)) {
      if (std::filesystem::exists(e.path() / "bin/initdb") && e.path() > best.parent_path())
        best = e.path() / "bin";
    }
    if (best.empty())
      throw std::runtime_error("PostgreSQL is not installed (tools/dev.sh installs postgresql-15)");
    return best;
  }
  // Runs argv, as the postgres user when `as_postgres`, output captured into `out`.
  int run(bool as_postgres, std::vector<std::string> argv, std::string* out) {
    if (as_postgres)
      argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
    return run_command(argv, out, dir_.path());
  }

  TempDir dir_;
  std::filesystem::path bin_;
  uint16_t port_ = 0;
  bool started_ = false;
  int databases_ = 0;
};

}  // namespace cairn::testing

// TestPki: a throw-away certificate authority for TLS tests, made with the openssl command line
// in a temporary directory: a CA, server certificates for 127.0.0.1 and localhost, and client
// certificates (for mutual TLS) whose CN is a user name. Also for end-to-end tests that hand
// the CA to real clients (skopeo --cert-dir, podman, curl --cacert, containerd hosts.toml).
#pragma once

#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

#include <filesystem>
#include <stdexcept>
#include <string>

namespace cairn::testing {

class TestPki {
 public:
  struct Pair {
    std::filesystem::path cert;  // PEM certificate
    std::filesystem::path key;   // PEM private key (EC P-256, not encrypted)
  };

  // Makes the CA "cairn test CA <ca_name>". Throws std::runtime_error when openssl fails.
  explicit TestPki(std::string ca_name = "1") : ca_name_(std::move(ca_name)) {
    ca_ = {dir_ / "ca.pem", dir_ / "ca.key"};
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3"
        " -subj '/CN=cairn test CA " +
        ca_name_ + "' -keyout " + q(ca_.key) + " -out " + q(ca_.cert) +
        " -addext basicConstraints=critical,CA:TRUE" +
        " -addext keyUsage=critical,keyCertSign,cRLSign");
  }

  const TempDir& dir() const { return dir_; }
  // The CA certificate (what clients trust, and the server's --tls-client-ca).
  const std::filesystem::path& ca() const { return ca_.cert; }

  // A server certificate with CN `cn` and SAN IP:127.0.0.1, DNS:localhost, signed by the CA,
  // written as <file>.pem and <file>.key.
  Pair server(const std::string& file = "server", const std::string& cn = "localhost") const {
    return issue(file, cn,
                 "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  }
  // A client certificate whose CN is `user`, signed by the CA.
  Pair client(const std::string& user, const std::string& file = "") const {
    return issue(file.empty() ? "client-" + user : file, user, "extendedKeyUsage=clientAuth\n");
  }

 private:
  Pair issue(const std::string& file, const std::string& cn, const std::string& ext) const {
    Pair p{dir_ / (file + ".pem"), dir_ / (file + ".key")};
    auto csr = dir_ / (file + ".csr");
    auto extfile = dir_ / (file + ".ext");
    run("printf '%s' '" + ext + "basicConstraints=CA:FALSE\n' > " + q(extfile));
    run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=" + cn +
        "' -keyout " + q(p.key) + " -out " + q(csr));
    run("openssl x509 -req -days 3 -in " + q(csr) + " -CA " + q(ca_.cert) + " -CAkey " +
        q(ca_.key) + " -set_serial 0x" + std::to_string(++serial_) + "1" + " -extfile " +
        q(extfile) + " -out " + q(p.cert));
    return p;
  }
  static std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }
  static void run(const std::string& cmd) {
    auto r = sh(cmd);
    if (r.status != 0)
      throw std::runtime_error("TestPki: " + cmd + ": " + r.output);
  }

  TempDir dir_;
  std::string ca_name_;
  Pair ca_;
  mutable unsigned serial_ = 0;
};

}  // namespace cairn::testing

// End-to-end: real clients against the cairn executable serving HTTPS with authentication and
// an access policy (issue 9, "Tests with real clients").
//
// Once for the suite, cairn is started as a child process (so the flags themselves are
// exercised): on 127.0.0.1 with a free port and a temp root, `--tls-cert/--tls-key` from a
// throw-away CA (TestPki), `--tls-client-ca` (the same CA: a client certificate's CN is the
// user; clients without one connect as before), `--htpasswd` made with `htpasswd -nbB`,
// `--access-policy`, and `--token-key`; it is stopped by its PID. The users:
//   alice (s3cret):  pull, push, delete on team/**
//   bob   (hunter2): pull on **
//   root  (t0ps3cret): admin
// Clients trust the CA through a cert dir holding it as ca.crt (skopeo, podman, buildah),
// `--cacert` (curl) and `ca = ...` in a hosts.toml (containerd). Every test uses its own
// repositories, so they do not depend on one another's order. A missing client fails its test
// (tools/dev.sh test installs them); containerd alone is skipped when its daemon cannot run here.
#include "auth/base64url.h"
#include "storage/content/digest.h"
#include "tests/support/child.h"
#include "tests/support/files.h"
#include "tests/support/http_client.h"
#include "tests/support/https_client.h"
#include "tests/support/readme.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tls.h"
#include "tests/support/tools.h"
#include "tests/support/upstream_registry.h"
#include "upstream/auth.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr const char* kAlice = "alice:s3cret";
constexpr const char* kBob = "bob:hunter2";
constexpr const char* kRoot = "root:t0ps3cret";

// The payload of a JWT (its middle part, base64url), parsed; null when it is not one.
json jwt_payload(const std::string& token) {
  size_t a = token.find('.');
  size_t b = token.find('.', a == std::string::npos ? a : a + 1);
  if (a == std::string::npos || b == std::string::npos)
    return nullptr;
  auto text = auth::base64url_decode(std::string_view(token).substr(a + 1, b - a - 1));
  if (!text)
    return nullptr;
  auto j = json::parse(*text, nullptr, false);
  return j.is_discarded() ? json(nullptr) : j;
}

// The image make-oci-layout.sh wrote: its manifest digest and blobs.
struct Layout {
  fs::path dir;
  std::string manifest;          // sha256:<hex>
  std::string config_hex;        // the image ID
  std::vector<std::string> hex;  // every blob, manifest included
};

// Everything the suite shares: the PKI, the files, and cairn itself.
struct Suite {
  TestPki pki;
  TempDir dir;
  fs::path certs;  // a cert dir: ca.crt
  uint16_t port = 0;
  std::optional<Child> cairn;
  Layout layout;
};

class SecureClients : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      s_ = new Suite();
    } catch (const std::exception& e) {
      error_ = new std::string(std::string("the test CA: ") + e.what());
      return;
    }
    std::string why = start();
    if (!why.empty())
      error_ = new std::string(why);
  }

  // Writes the files and starts cairn; "" or what went wrong.
  static std::string start() {
    Suite& s = *s_;
    if (sh("command -v htpasswd").status != 0)
      return "htpasswd is not installed (apache2-utils; tools/dev.sh test installs it)";
    s.certs = s.dir / "certs";
    fs::create_directories(s.certs);
    fs::copy_file(s.pki.ca(), s.certs / "ca.crt");
    auto server = s.pki.server();
    // Client certificates (mutual TLS: the CN is the user) for alice and bob, each in a cert dir
    // of its own with the CA (containers/image pairs <name>.cert with <name>.key).
    for (const char* user : {"alice", "bob"}) {
      auto pair = s.pki.client(user);
      fs::path d = s.dir / (std::string("certs-") + user);
      fs::create_directories(d);
      fs::copy_file(s.pki.ca(), d / "ca.crt");
      fs::copy_file(pair.cert, d / (std::string(user) + ".cert"));
      fs::copy_file(pair.key, d / (std::string(user) + ".key"));
    }
    std::string users;
    for (const char* cred : {kAlice, kBob, kRoot}) {
      std::string c = cred;
      size_t colon = c.find(':');
      auto r = sh("htpasswd -nbB '" + c.substr(0, colon) + "' '" + c.substr(colon + 1) + "'");
      if (r.status != 0)
        return "htpasswd -nbB: " + r.output;
      users += trim(r.output) + "\n";
    }
    write_file(s.dir / "users", users);
    write_file(s.dir / "policy.json", R"({
  "anonymous": [{"repositories": ["public/**"], "actions": ["pull"]}],
  "rules": [{"users": ["alice"], "repositories": ["team/**"], "actions": ["pull", "push", "delete"]},
            {"users": ["bob"], "repositories": ["**"], "actions": ["pull"]}],
  "admins": ["root"]
})");
    auto made = sh(std::string(CAIRN_SOURCE_DIR) + "/tests/e2e/make-oci-layout.sh '" +
                   (s.dir / "layout").string() + "' v1");
    if (made.status != 0)
      return "make-oci-layout.sh: " + made.output;
    s.layout.dir = s.dir / "layout";
    s.layout.manifest = trim(made.output);
    fs::path blobs = s.layout.dir / "blobs" / "sha256";
    auto m = json::parse(read_file(blobs / s.layout.manifest.substr(7)), nullptr, false);
    if (m.is_discarded())
      return "the layout's manifest is not JSON";
    s.layout.config_hex = m["config"]["digest"].get<std::string>().substr(7);
    for (const auto& e : fs::directory_iterator(blobs))
      s.layout.hex.push_back(e.path().filename().string());

    for (int attempt = 0; attempt < 3; ++attempt) {
      s.port = pick_free_port();
      s.cairn.emplace(
          std::vector<std::string>{CAIRN_EXE,         "serve",
                                   "--root",          (s.dir / "root").string(),
                                   "--listen",        "127.0.0.1:" + std::to_string(s.port),
                                   "--tls-cert",      server.cert.string(),
                                   "--tls-key",       server.key.string(),
                                   "--htpasswd",      (s.dir / "users").string(),
                                   "--access-policy", (s.dir / "policy.json").string(),
                                   "--tls-client-ca", s.pki.ca().string(),
                                   "--token-key",     (s.dir / "token.pem").string(),
                                   "--access-log",    (s.dir / "access.log").string()},
          s.dir / "cairn.log");
      for (int i = 0; i < 400 && s.cairn->alive(); ++i) {
        try {
          HttpsClient c(s.port, {.ca_file = s.pki.ca().string()});
          if (c.request("GET", "/healthz").status == 200)
            return "";
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(50ms);
      }
      s.cairn->stop();
    }
    return "cairn did not start:\n" + read_file(s.dir / "cairn.log");
  }

  static void TearDownTestSuite() {
    if (s_ != nullptr && s_->cairn) {
      int status = s_->cairn->stop();
      EXPECT_EQ(status, 0) << "cairn did not stop gracefully:\n"
                           << read_file(s_->dir / "cairn.log");
    }
    delete s_;
    delete error_;
    s_ = nullptr;
    error_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(error_, nullptr) << *error_;
    write_file(work_ / "no-auth.json", "{\"auths\": {}}\n");  // buildah wants it to exist
  }

  static std::string registry() { return "127.0.0.1:" + std::to_string(s_->port); }
  static std::string url() { return "https://" + registry(); }
  static std::string certs() { return s_->certs.string(); }
  static std::string ca() { return s_->pki.ca().string(); }
  static const Layout& layout() { return s_->layout; }
  static std::string access_log() { return read_file(s_->dir / "access.log"); }
  // Requests to /_token in the access log naming `repository` and `action` (the scope, as sent:
  // plain or percent-encoded), answered `status`.
  // How many /_token requests for `action` on `repository` the access log shows with
  // `status`. The server logs a request after answering it, so a client may be done before its
  // line is written: this waits (up to 5 s) for at least one.
  static size_t token_requests(const std::string& repository, const std::string& action,
                               unsigned status) {
    size_t n = 0;
    for (int i = 0; i < 100 && (n = logged_token_requests(repository, action, status)) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return n;
  }
  static size_t logged_token_requests(const std::string& repository, const std::string& action,
                                      unsigned status) {
    size_t n = 0;
    std::istringstream in(access_log());
    for (std::string line; std::getline(in, line);) {
      auto j = json::parse(line, nullptr, false);
      if (!j.is_object())
        continue;
      std::string target = j.value("target", "");
      for (auto [from, to] : {std::pair{"%3A", ":"},
                              {"%2F", "/"},
                              {"%2C", ","},
                              {"%3a", ":"},
                              {"%2f", "/"},
                              {"%2c", ","}}) {
        for (size_t at; (at = target.find(from)) != std::string::npos;)
          target.replace(at, 3, to);
      }
      n += target.starts_with("/_token") && target.find(repository) != std::string::npos &&
                   target.find(action) != std::string::npos && j.value("status", 0u) == status
               ? 1
               : 0;
    }
    return n;
  }
  static std::string server_log() {
    return "\ncairn:\n" + read_file(s_->dir / "access.log") + read_file(s_->dir / "cairn.log");
  }
  std::string tmp(const std::string& sub) const { return (work_ / sub).string(); }

  // Clients see no credentials but the ones a command gives (no ~/.docker, no
  // $XDG_RUNTIME_DIR/containers/auth.json).
  std::string env() const {
    return "REGISTRY_AUTH_FILE=" + tmp("no-auth.json") + " DOCKER_CONFIG=" + tmp("no-docker") + " ";
  }

  // An HTTPS client trusting the suite's CA.
  static HttpsClient client() { return HttpsClient(s_->port, {.ca_file = s_->pki.ca().string()}); }
  static std::string basic(const std::string& cred) {
    const size_t colon = cred.find(':');
    return upstream::basic_authorization(cred.substr(0, colon), cred.substr(colon + 1));
  }
  // Status of `method target` as root (who may do everything).
  static unsigned as_root(const std::string& method, const std::string& target) {
    auto c = client();
    return c.request(method, target, {}, {{"Authorization", basic(kRoot)}}).status;
  }

  // skopeo copy of the suite's layout to `ref` (a repository:tag under the registry).
  // Runs `command` with bash (pipefail, stderr merged) and kills it after 120 s: a client that
  // hangs fails its test instead of holding the suite.
  cairn::testing::Run bounded(const std::string& command) const {
    fs::path script = work_ / ("command-" + std::to_string(++commands_) + ".sh");
    write_file(script, command + "\n");
    auto r = sh("timeout -k 5 120 bash -o pipefail '" + script.string() + "'");
    if (r.status == 124 || r.status == 137)
      r.output += "\n(killed after 120 s: " + command + ")";
    return r;
  }

  cairn::testing::Run skopeo_push(const std::string& ref, const std::string& creds) const {
    return bounded(env() + "skopeo copy --dest-cert-dir " + certs() +
                   (creds.empty() ? std::string() : " --dest-creds " + creds) +
                   " oci:" + layout().dir.string() + ":v1 docker://" + registry() + "/" + ref);
  }

  static Suite* s_;
  static std::string* error_;
  TempDir work_;
  mutable int commands_ = 0;
};

Suite* SecureClients::s_ = nullptr;
std::string* SecureClients::error_ = nullptr;

// skopeo: alice copies an OCI layout to team/app:v1 over HTTPS; bob reads the same manifest and
// blobs back byte-exact; bob, nobody and a wrong password cannot push, and nothing is written.
TEST_F(SecureClients, SkopeoPushesWithCredentialsOverHttpsAndIsRefusedWithout) {
  REQUIRE_TOOL("skopeo");
  auto push = skopeo_push("team/app:v1", kAlice);
  ASSERT_EQ(push.status, 0) << push.output << server_log();
  // skopeo followed the Bearer challenge to /_token, asking for push.
  EXPECT_GE(token_requests("team/app", "push", 200), 1u) << access_log();

  auto inspect = bounded(env() + "skopeo inspect --raw --creds " + kBob + " --cert-dir " + certs() +
                         " docker://" + registry() + "/team/app:v1 | sha256sum | cut -d' ' -f1");
  ASSERT_EQ(inspect.status, 0) << inspect.output << server_log();
  EXPECT_EQ("sha256:" + trim(inspect.output), layout().manifest);

  auto pull = bounded(env() + "skopeo copy --src-creds " + kBob + " --src-cert-dir " + certs() +
                      " docker://" + registry() + "/team/app:v1 dir:" + tmp("out"));
  ASSERT_EQ(pull.status, 0) << pull.output << server_log();
  for (const auto& hex : layout().hex) {
    fs::path got =
        hex == layout().manifest.substr(7) ? work_ / "out" / "manifest.json" : work_ / "out" / hex;
    auto same = bounded("cmp '" + got.string() + "' '" +
                        (layout().dir / "blobs" / "sha256" / hex).string() + "'");
    EXPECT_EQ(same.status, 0) << hex << ": " << same.output;
  }

  // bob may only pull: denied.
  auto bob = skopeo_push("team/app:bob", kBob);
  EXPECT_NE(bob.status, 0) << bob.output;
  EXPECT_NE(bob.output.find("denied"), std::string::npos) << bob.output;
  EXPECT_EQ(as_root("HEAD", "/v2/team/app/manifests/bob"), 404u);

  // No credentials at all: the challenge cannot be answered.
  auto anonymous = skopeo_push("team/app:anonymous", "");
  EXPECT_NE(anonymous.status, 0) << anonymous.output;
  EXPECT_EQ(as_root("HEAD", "/v2/team/app/manifests/anonymous"), 404u);

  // A wrong password: refused by /_token.
  auto wrong = skopeo_push("team/app:wrong", "alice:not-her-password");
  EXPECT_NE(wrong.status, 0) << wrong.output;
  EXPECT_NE(wrong.output.find("unauthorized"), std::string::npos) << wrong.output;
  EXPECT_GE(token_requests("team/app", "push", 401), 1u) << access_log();
  EXPECT_EQ(as_root("HEAD", "/v2/team/app/manifests/wrong"), 404u);

  // And without the CA, skopeo does not trust the server at all.
  auto untrusted = bounded(env() + "skopeo inspect --raw --creds " + kBob + " docker://" +
                           registry() + "/team/app:v1");
  EXPECT_NE(untrusted.status, 0) << untrusted.output;
  EXPECT_NE(untrusted.output.find("certificate"), std::string::npos) << untrusted.output;
}

// podman: `podman login` (a token from /_token), push and pull back byte-exact in isolated
// storage (vfs); bob logs in but cannot push to team/.
TEST_F(SecureClients, PodmanLogsInPushesAndPullsByteExact) {
  REQUIRE_TOOL("podman");
  const std::string podman = env() + "podman --root " + tmp("pm-root") + " --runroot " +
                             tmp("pm-run") + " --tmpdir " + tmp("pm-tmp") +
                             " --storage-driver vfs --cgroup-manager cgroupfs --events-backend "
                             "file ";
  const std::string alice_auth = tmp("alice-auth.json");
  const std::string bob_auth = tmp("bob-auth.json");
  auto login = bounded(podman + "login --cert-dir " + certs() + " --authfile " + alice_auth +
                       " -u alice -p s3cret " + registry());
  ASSERT_EQ(login.status, 0) << login.output << server_log();
  EXPECT_NE(login.output.find("Login Succeeded"), std::string::npos) << login.output;
  auto bad_login = bounded(podman + "login --cert-dir " + certs() + " --authfile " +
                           tmp("bad.json") + " -u alice -p wrong " + registry());
  EXPECT_NE(bad_login.status, 0) << bad_login.output;

  // A one-layer image from a tarball.
  auto imported = bounded("set -e; mkdir -p " + tmp("rootfs") + "; head -c 100000 /dev/urandom > " +
                          tmp("rootfs/random.bin") + "; tar -C " + tmp("rootfs") + " -cf " +
                          tmp("rootfs.tar") + " .; " + podman + "import " + tmp("rootfs.tar") +
                          " localhost/secure/podman:v1 >/dev/null 2>&1; " + podman +
                          "image inspect --format '{{.Id}}' localhost/secure/podman:v1");
  ASSERT_EQ(imported.status, 0) << imported.output;
  const std::string id = trim(imported.output);

  const std::string ref = registry() + "/team/podman:v1";
  auto push =
      bounded(podman + "push --cert-dir " + certs() + " --authfile " + alice_auth +
              " --digestfile " + tmp("digest") + " localhost/secure/podman:v1 docker://" + ref);
  ASSERT_EQ(push.status, 0) << push.output << server_log();
  const std::string digest = trim(read_file(work_ / "digest"));
  ASSERT_EQ(digest.rfind("sha256:", 0), 0u) << digest;

  // The manifest cairn serves is the one podman pushed.
  auto raw = bounded(env() + "skopeo inspect --raw --creds " + kBob + " --cert-dir " + certs() +
                     " docker://" + ref + " | sha256sum | cut -d' ' -f1");
  ASSERT_EQ(raw.status, 0) << raw.output;
  EXPECT_EQ("sha256:" + trim(raw.output), digest);

  // Pulled back into empty storage: the same manifest and the same image (config) ID; podman
  // verified every blob against its digest and the layer against the config's diff_id.
  ASSERT_EQ(bounded(podman + "rmi --all --force >/dev/null").status, 0);
  auto pulled = bounded(podman + "pull --cert-dir " + certs() + " --authfile " + alice_auth + " " +
                        ref + " >/dev/null 2>&1 && " + podman +
                        "image inspect --format '{{.Id}} {{.Digest}}' " + ref);
  ASSERT_EQ(pulled.status, 0) << pulled.output << server_log();
  EXPECT_EQ(trim(pulled.output), id + " " + digest);
  // podman followed the Bearer challenge: it asked /_token for push on team/podman and got one.
  EXPECT_GE(token_requests("team/podman", "push", 200), 1u) << access_log();

  // bob: logs in, may pull, may not push.
  auto bob_login = bounded(podman + "login --cert-dir " + certs() + " --authfile " + bob_auth +
                           " -u bob -p hunter2 " + registry());
  ASSERT_EQ(bob_login.status, 0) << bob_login.output;
  auto bob_push = bounded(podman + "push --cert-dir " + certs() + " --authfile " + bob_auth + " " +
                          ref + " docker://" + registry() + "/team/podman:bob");
  EXPECT_NE(bob_push.status, 0) << bob_push.output;
  EXPECT_NE(bob_push.output.find("denied"), std::string::npos) << bob_push.output;
  EXPECT_EQ(as_root("HEAD", "/v2/team/podman/manifests/bob"), 404u);
  bounded(podman + "rmi --all --force >/dev/null");
}

// buildah: an image built from scratch, pushed with alice's credentials; bob's are refused.
TEST_F(SecureClients, BuildahPushesWithCredentialsAndBobIsDenied) {
  REQUIRE_TOOL("buildah");
  REQUIRE_TOOL("skopeo");
  const std::string b = env() + "buildah --root " + tmp("bh-root") + " --runroot " + tmp("bh-run") +
                        " --storage-driver vfs ";
  auto built = bounded("set -e; echo 'built by buildah, pushed over https' > " + tmp("file.txt") +
                       "; c=$(" + b + "from scratch); " + b + "copy $c " + tmp("file.txt") +
                       " /file.txt; " + b + "config --label org.example=secure $c; " + b +
                       "commit $c localhost/secure/buildah:v1");
  ASSERT_EQ(built.status, 0) << built.output;

  auto push = bounded(b + "push --creds " + kAlice + " --cert-dir " + certs() + " --digestfile " +
                      tmp("digest") + " localhost/secure/buildah:v1 docker://" + registry() +
                      "/team/buildah:v1");
  ASSERT_EQ(push.status, 0) << push.output << server_log();
  const std::string digest = trim(read_file(work_ / "digest"));
  auto raw = bounded(env() + "skopeo inspect --raw --creds " + kBob + " --cert-dir " + certs() +
                     " docker://" + registry() + "/team/buildah:v1 | sha256sum | cut -d' ' -f1");
  ASSERT_EQ(raw.status, 0) << raw.output;
  EXPECT_EQ("sha256:" + trim(raw.output), digest);
  auto inspect = bounded(env() + "skopeo inspect --creds " + kBob + " --cert-dir " + certs() +
                         " docker://" + registry() + "/team/buildah:v1");
  ASSERT_EQ(inspect.status, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("\"org.example\": \"secure\""), std::string::npos)
      << inspect.output;

  auto bob = bounded(b + "push --creds " + kBob + " --cert-dir " + certs() +
                     " localhost/secure/buildah:v1 docker://" + registry() + "/team/buildah:bob");
  EXPECT_NE(bob.status, 0) << bob.output;
  EXPECT_NE(bob.output.find("denied"), std::string::npos) << bob.output;
  EXPECT_EQ(as_root("HEAD", "/v2/team/buildah/manifests/bob"), 404u);
  bounded(b + "rm --all >/dev/null; " + b + "rmi --all --force >/dev/null");
}

// curl with Basic credentials straight to /v2/: alice pushes and pulls a blob; anonymous gets
// 401 with the Bearer challenge; bob's push is 403 DENIED and writes nothing.
TEST_F(SecureClients, CurlBasicPushPullAnonymousChallengeAndDenied) {
  REQUIRE_TOOL("curl");
  const std::string curl = "curl -sS --cacert " + ca() + " ";
  write_file(work_ / "blob", "a blob pushed by alice with curl -u\n");
  const std::string hex = trim(bounded("sha256sum " + tmp("blob") + " | cut -d' ' -f1").output);
  const std::string digest = "sha256:" + hex;

  // alice: a chunked upload (POST, PATCH, PUT), then a GET byte-exact.
  auto pushed = bounded(
      "set -e; L=$(" + curl + "-f -u " + kAlice + " -D - -o /dev/null -X POST " + url() +
      "/v2/team/curl/blobs/uploads/ | tr -d '\\r' | sed -n "
      "'s/^[Ll]ocation: //p'); case $L in http*) ;; *) L=" +
      url() + "$L;; esac; " + curl + "-f -u " + kAlice +
      " -X PATCH -H 'Content-Type: application/octet-stream' --data-binary @" + tmp("blob") +
      " \"$L\" -o /dev/null; case $L in *\\?*) S='&';; *) S='?';; "
      "esac; " +
      curl + "-f -u " + kAlice + " -X PUT \"$L${S}digest=" + digest +
      "\" -o /dev/null -w '%{http_code}'");
  ASSERT_EQ(pushed.status, 0) << pushed.output << server_log();
  EXPECT_EQ(trim(pushed.output), "201");
  auto pulled = bounded(curl + "-f -u " + kAlice + " " + url() + "/v2/team/curl/blobs/" + digest +
                        " -o " + tmp("pulled") + " && cmp " + tmp("pulled") + " " + tmp("blob"));
  EXPECT_EQ(pulled.status, 0) << pulled.output;
  auto bob_pull = bounded(curl + "-f -u " + kBob + " " + url() + "/v2/team/curl/blobs/" + digest +
                          " | sha256sum | cut -d' ' -f1");
  EXPECT_EQ(trim(bob_pull.output), hex);

  // Anonymous: 401, and the challenge sends the client to this server's /_token over https.
  auto anonymous = bounded(curl + "-D - -o /dev/null -w 'status=%{http_code}' " + url() +
                           "/v2/team/curl/blobs/" + digest);
  ASSERT_EQ(anonymous.status, 0) << anonymous.output;
  EXPECT_NE(anonymous.output.find("status=401"), std::string::npos) << anonymous.output;
  EXPECT_NE(anonymous.output.find("Bearer realm=\"" + url() +
                                  "/_token\",service=\"cairn\",scope=\"repository:team/"
                                  "curl:pull\""),
            std::string::npos)
      << anonymous.output;
  auto anonymous_push = bounded(curl + "-o /dev/null -w '%{http_code}' -X POST " + url() +
                                "/v2/team/curl/blobs/uploads/");
  EXPECT_EQ(trim(anonymous_push.output), "401");

  // bob: 403 DENIED, and the blob he sent is nowhere.
  write_file(work_ / "bobs", "bob tries to push this\n");
  const std::string bobs =
      "sha256:" + trim(bounded("sha256sum " + tmp("bobs") + " | cut -d' ' -f1").output);
  auto bob = bounded(curl + "-u " + kBob + " -w '\\nstatus=%{http_code}' -X POST --data-binary @" +
                     tmp("bobs") + " -H 'Content-Type: application/octet-stream' '" + url() +
                     "/v2/team/curl/blobs/uploads/?digest=" + bobs + "'");
  ASSERT_EQ(bob.status, 0) << bob.output;
  EXPECT_NE(bob.output.find("status=403"), std::string::npos) << bob.output;
  EXPECT_NE(bob.output.find("{\"errors\":[{\"code\":\"DENIED\""), std::string::npos) << bob.output;
  EXPECT_EQ(as_root("HEAD", "/v2/team/curl/blobs/" + bobs), 404u);

  // Wrong password, Basic: 401.
  auto wrong = bounded(curl + "-u alice:wrong -o /dev/null -w '%{http_code}' " + url() +
                       "/v2/team/curl/blobs/" + digest);
  EXPECT_EQ(trim(wrong.output), "401");
}

// containerd 1.6: its own daemon (temp root, state and socket), a hosts.toml that names cairn
// over https with the CA, and `ctr content fetch --user`: an image alice pushed, byte-exact.
TEST_F(SecureClients, ContainerdFetchesWithHostsTomlCaAndCredentials) {
  if (bounded("command -v containerd && command -v ctr").status != 0)
    GTEST_SKIP() << "containerd is not installed (tools/dev.sh test installs it)";
  REQUIRE_TOOL("skopeo");
  auto push = skopeo_push("team/ctd:v1", kAlice);
  ASSERT_EQ(push.status, 0) << push.output << server_log();

  TempDir short_dir;  // unix socket paths are short
  const fs::path ctd = short_dir.path();
  const std::string sock = (ctd / "c.sock").string();
  ASSERT_LT(sock.size(), 100u) << sock;
  write_file(ctd / "config.toml",
             "version = 2\nroot = \"" + (ctd / "root").string() + "\"\nstate = \"" +
                 (ctd / "state").string() +
                 "\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\", "
                 "\"io.containerd.snapshotter.v1.btrfs\", "
                 "\"io.containerd.snapshotter.v1.overlayfs\", "
                 "\"io.containerd.snapshotter.v1.aufs\", \"io.containerd.snapshotter.v1.zfs\", "
                 "\"io.containerd.snapshotter.v1.devmapper\"]\n\n[grpc]\n  address = \"" +
                 sock + "\"\n\n[ttrpc]\n  address = \"" + (ctd / "t.sock").string() +
                 "\"\n\n[debug]\n  address = \"\"\n\n[metrics]\n  address = \"\"\n\n"
                 "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" +
                 (ctd / "opt").string() + "\"\n");
  const fs::path hosts = work_ / "hosts.d";
  write_file(hosts / registry() / "hosts.toml",
             "server = \"" + url() + "\"\n\n[host.\"" + url() +
                 "\"]\n  capabilities = [\"pull\", \"resolve\"]\n  ca = \"" + ca() + "\"\n");

  Child containerd({"containerd", "--config", (ctd / "config.toml").string()},
                   work_ / "containerd.log");
  const std::string ctr = "ctr -a " + sock + " -n test ";
  bool up = false;
  for (int i = 0; i < 400 && containerd.alive() && !up; ++i) {
    up = bounded(ctr + "version >/dev/null 2>&1").status == 0;
    if (!up)
      std::this_thread::sleep_for(50ms);
  }
  if (!up && !containerd.alive())
    GTEST_SKIP() << "containerd cannot run here:\n" << read_file(containerd.log());
  ASSERT_TRUE(up) << "containerd did not answer:\n" << read_file(containerd.log());

  const std::string ref = registry() + "/team/ctd:v1";
  // Without credentials, and with a wrong password: refused.
  auto anonymous = bounded(ctr + "content fetch --hosts-dir " + hosts.string() + " " + ref);
  EXPECT_NE(anonymous.status, 0) << anonymous.output;
  auto wrong =
      bounded(ctr + "content fetch --hosts-dir " + hosts.string() + " --user alice:wrong " + ref);
  EXPECT_NE(wrong.status, 0) << wrong.output;

  auto fetched = bounded(ctr + "content fetch --hosts-dir " + hosts.string() + " --user " + kAlice +
                         " " + ref);
  ASSERT_EQ(fetched.status, 0) << fetched.output << server_log() << read_file(containerd.log());
  for (const auto& hex : layout().hex) {
    auto same = bounded(ctr + "content get sha256:" + hex + " | cmp - '" +
                        (layout().dir / "blobs" / "sha256" / hex).string() + "'");
    EXPECT_EQ(same.status, 0) << hex << ": " << same.output;
  }
  auto images = bounded(ctr + "images list -q");
  EXPECT_NE(images.output.find(ref), std::string::npos) << images.output;

  EXPECT_EQ(containerd.stop(), 0) << read_file(containerd.log());
}

// The OCI distribution-spec workflows (pull, push, content discovery, content management) with
// auth on, through a token from /_token, over HTTPS.
TEST_F(SecureClients, OciWorkflowsWithATokenFromTheTokenEndpoint) {
  auto c = client();
  const std::string repo = "team/oci";

  // A token for alice: its access claim is what she asked and the policy grants.
  auto t = c.request("GET", "/_token?service=cairn&scope=repository:" + repo + ":pull,push,delete",
                     {}, {{"Authorization", basic(kAlice)}});
  ASSERT_EQ(t.status, 200u) << t.body;
  auto tj = json::parse(t.body, nullptr, false);
  ASSERT_TRUE(tj.is_object()) << t.body;
  ASSERT_TRUE(tj.contains("token") && tj.contains("access_token") && tj.contains("expires_in") &&
              tj.contains("issued_at"))
      << t.body;
  const std::string token = tj["token"];
  EXPECT_EQ(tj["access_token"], token);
  auto claims = jwt_payload(token);
  ASSERT_TRUE(claims.is_object()) << token;
  EXPECT_EQ(claims["access"],
            json::parse(
                R"([{"type":"repository","name":"team/oci","actions":["pull","push","delete"]}])"))
      << claims.dump();
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + token}};
  auto with = [&](std::vector<std::pair<std::string, std::string>> h) {
    h.insert(h.end(), auth.begin(), auth.end());
    return h;
  };
  EXPECT_EQ(c.request("GET", "/v2/", {}, auth).status, 200u);

  // Push: a chunked upload of the config, a monolithic POST of the layer, the manifest by tag.
  const std::string config =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  const std::string layer = "layer bytes for the token workflow";
  const std::string config_d = content::digest_of(config).str();
  const std::string layer_d = content::digest_of(layer).str();
  auto post = c.request("POST", "/v2/" + repo + "/blobs/uploads/", {}, auth);
  ASSERT_EQ(post.status, 202u) << post.body;
  std::string location = post.header("location");
  ASSERT_FALSE(location.empty());
  if (location.rfind("https://", 0) == 0)
    location = location.substr(location.find('/', 8));
  auto patch = c.request("PATCH", location, config,
                         with({{"Content-Type", "application/octet-stream"},
                               {"Content-Range", "0-" + std::to_string(config.size() - 1)}}));
  ASSERT_EQ(patch.status, 202u) << patch.body;
  location = patch.header("location");
  if (location.rfind("https://", 0) == 0)
    location = location.substr(location.find('/', 8));
  auto put = c.request(
      "PUT",
      location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + config_d, {},
      auth);
  ASSERT_EQ(put.status, 201u) << put.body;
  auto mono = c.request("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + layer_d, layer,
                        with({{"Content-Type", "application/octet-stream"}}));
  ASSERT_EQ(mono.status, 201u) << mono.body;
  const std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      config_d + R"(","size":)" + std::to_string(config.size()) +
      R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")" + layer_d +
      R"(","size":)" + std::to_string(layer.size()) + "}]}";
  const std::string manifest_d = content::digest_of(manifest).str();
  const std::vector<std::pair<std::string, std::string>> oci_manifest = {
      {"Content-Type", "application/vnd.oci.image.manifest.v1+json"}};
  auto mput = c.request("PUT", "/v2/" + repo + "/manifests/v1", manifest, with(oci_manifest));
  ASSERT_EQ(mput.status, 201u) << mput.body;
  EXPECT_EQ(mput.header("docker-content-digest"), manifest_d);

  // Pull: the manifest by tag and by digest, the blobs, byte-exact.
  auto m = c.request("GET", "/v2/" + repo + "/manifests/v1", {},
                     with({{"Accept", "application/vnd.oci.image.manifest.v1+json"}}));
  ASSERT_EQ(m.status, 200u) << m.body;
  EXPECT_EQ(m.body, manifest);
  EXPECT_EQ(m.header("docker-content-digest"), manifest_d);
  EXPECT_EQ(c.request("HEAD", "/v2/" + repo + "/manifests/" + manifest_d, {}, auth).status, 200u);
  EXPECT_EQ(c.request("GET", "/v2/" + repo + "/blobs/" + config_d, {}, auth).body, config);
  EXPECT_EQ(c.request("GET", "/v2/" + repo + "/blobs/" + layer_d, {}, auth).body, layer);

  // Content discovery: tags, and a referrer (an artifact whose subject is the manifest).
  auto tags = c.request("GET", "/v2/" + repo + "/tags/list", {}, auth);
  ASSERT_EQ(tags.status, 200u) << tags.body;
  EXPECT_EQ(json::parse(tags.body, nullptr, false),
            json::parse(R"({"name":"team/oci","tags":["v1"]})"));
  const std::string empty = "{}";
  const std::string empty_d = content::digest_of(empty).str();
  ASSERT_EQ(c.request("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + empty_d, empty,
                      with({{"Content-Type", "application/octet-stream"}}))
                .status,
            201u);
  const std::string artifact =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example.sbom","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":")" +
      empty_d +
      R"(","size":2},"layers":[{"mediaType":"application/vnd.oci.empty.v1+json","digest":")" +
      empty_d +
      R"(","size":2}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      manifest_d + R"(","size":)" + std::to_string(manifest.size()) + "}}";
  const std::string artifact_d = content::digest_of(artifact).str();
  auto aput =
      c.request("PUT", "/v2/" + repo + "/manifests/" + artifact_d, artifact, with(oci_manifest));
  ASSERT_EQ(aput.status, 201u) << aput.body;
  EXPECT_EQ(aput.header("oci-subject"), manifest_d);
  auto refs = c.request("GET", "/v2/" + repo + "/referrers/" + manifest_d, {}, auth);
  ASSERT_EQ(refs.status, 200u) << refs.body;
  auto rj = json::parse(refs.body, nullptr, false);
  ASSERT_TRUE(rj.is_object()) << refs.body;
  ASSERT_EQ(rj["manifests"].size(), 1u) << refs.body;
  EXPECT_EQ(rj["manifests"][0]["digest"], artifact_d);
  EXPECT_EQ(rj["manifests"][0]["artifactType"], "application/vnd.example.sbom");

  // A token that asked only for pull cannot push (401 insufficient_scope: the client would fetch
  // a better one); bob's token never holds push (the policy does not grant it): 403 DENIED.
  auto pull_only = c.request("GET", "/_token?service=cairn&scope=repository:" + repo + ":pull", {},
                             {{"Authorization", basic(kAlice)}});
  ASSERT_EQ(pull_only.status, 200u);
  const std::string pull_token = json::parse(pull_only.body)["token"];
  auto narrow = c.request("POST", "/v2/" + repo + "/blobs/uploads/", {},
                          {{"Authorization", "Bearer " + pull_token}});
  EXPECT_EQ(narrow.status, 401u) << narrow.body;
  EXPECT_NE(narrow.header("www-authenticate").find("insufficient_scope"), std::string::npos)
      << narrow.header("www-authenticate");
  auto bt = c.request("GET", "/_token?service=cairn&scope=repository:" + repo + ":pull,push", {},
                      {{"Authorization", basic(kBob)}});
  ASSERT_EQ(bt.status, 200u);
  const std::string bob_token = json::parse(bt.body)["token"];
  EXPECT_EQ(jwt_payload(bob_token)["access"],
            json::parse(R"([{"type":"repository","name":"team/oci","actions":["pull"]}])"));
  EXPECT_EQ(c.request("GET", "/v2/" + repo + "/manifests/v1", {},
                      {{"Authorization", "Bearer " + bob_token}})
                .body,
            manifest);
  auto bob_delete = c.request("DELETE", "/v2/" + repo + "/manifests/" + manifest_d, {},
                              {{"Authorization", "Bearer " + bob_token}});
  EXPECT_EQ(bob_delete.status, 403u) << bob_delete.body;
  EXPECT_NE(bob_delete.body.find("\"code\":\"DENIED\""), std::string::npos) << bob_delete.body;
  auto bob_push = c.request("POST", "/v2/" + repo + "/blobs/uploads/", {},
                            {{"Authorization", "Bearer " + bob_token}});
  EXPECT_EQ(bob_push.status, 403u) << bob_push.body;
  EXPECT_NE(bob_push.body.find("\"code\":\"DENIED\""), std::string::npos) << bob_push.body;
  // A wrong password gets no token at all.
  EXPECT_EQ(c.request("GET", "/_token?service=cairn&scope=repository:" + repo + ":pull", {},
                      {{"Authorization", basic("alice:wrong")}})
                .status,
            401u);

  // Content management: untag, delete the manifests and a blob; each is gone afterwards.
  EXPECT_EQ(c.request("DELETE", "/v2/" + repo + "/manifests/" + artifact_d, {}, auth).status, 202u);
  EXPECT_EQ(c.request("DELETE", "/v2/" + repo + "/manifests/v1", {}, auth).status, 202u);
  EXPECT_EQ(c.request("GET", "/v2/" + repo + "/manifests/v1", {}, auth).status, 404u);
  EXPECT_EQ(c.request("DELETE", "/v2/" + repo + "/manifests/" + manifest_d, {}, auth).status, 202u);
  EXPECT_EQ(c.request("GET", "/v2/" + repo + "/manifests/" + manifest_d, {}, auth).status, 404u);
  EXPECT_EQ(c.request("DELETE", "/v2/" + repo + "/blobs/" + layer_d, {}, auth).status, 202u);
  EXPECT_EQ(c.request("GET", "/v2/" + repo + "/blobs/" + layer_d, {}, auth).status, 404u);
  auto after = c.request("GET", "/v2/" + repo + "/referrers/" + manifest_d, {}, auth);
  EXPECT_EQ(after.status, 200u);
  EXPECT_EQ(json::parse(after.body, nullptr, false)["manifests"].size(), 0u) << after.body;
}

// Mutual TLS: the server asks for a client certificate (--tls-client-ca); a verified one's CN is
// the user, with no password. alice's certificate pushes with skopeo and curl; bob's is denied.
TEST_F(SecureClients, ClientCertificateIsTheUser) {
  REQUIRE_TOOL("skopeo");
  REQUIRE_TOOL("curl");
  const fs::path alice = s_->dir / "certs-alice";
  const fs::path bob = s_->dir / "certs-bob";
  auto push = bounded(env() + "skopeo copy --dest-cert-dir " + alice.string() + " oci:" +
                      layout().dir.string() + ":v1 docker://" + registry() + "/team/mtls:v1");
  ASSERT_EQ(push.status, 0) << push.output << server_log();
  auto raw = bounded(env() + "skopeo inspect --raw --cert-dir " + bob.string() + " docker://" +
                     registry() + "/team/mtls:v1 | sha256sum | cut -d' ' -f1");
  ASSERT_EQ(raw.status, 0) << raw.output << server_log();
  EXPECT_EQ("sha256:" + trim(raw.output), layout().manifest);

  auto bob_push = bounded(env() + "skopeo copy --dest-cert-dir " + bob.string() + " oci:" +
                          layout().dir.string() + ":v1 docker://" + registry() + "/team/mtls:bob");
  EXPECT_NE(bob_push.status, 0) << bob_push.output;
  EXPECT_NE(bob_push.output.find("denied"), std::string::npos) << bob_push.output;
  EXPECT_EQ(as_root("HEAD", "/v2/team/mtls/manifests/bob"), 404u);

  const std::string curl = "curl -sS --cacert " + ca() + " -o /dev/null -w '%{http_code}' ";
  auto alice_post = bounded(curl + "--cert " + (alice / "alice.cert").string() + " --key " +
                            (alice / "alice.key").string() + " -X POST " + url() +
                            "/v2/team/mtls/blobs/uploads/");
  EXPECT_EQ(trim(alice_post.output), "202") << alice_post.output;
  auto bob_post =
      bounded(curl + "--cert " + (bob / "bob.cert").string() + " --key " +
              (bob / "bob.key").string() + " -X POST " + url() + "/v2/team/mtls/blobs/uploads/");
  EXPECT_EQ(trim(bob_post.output), "403") << bob_post.output;

  // A certificate from another CA fails the handshake.
  TestPki other("other");
  auto stranger = other.client("alice");
  auto refused = bounded(curl + "--cert " + stranger.cert.string() + " --key " +
                         stranger.key.string() + " " + url() + "/v2/team/mtls/tags/list");
  EXPECT_NE(refused.status, 0) << refused.output;
  EXPECT_EQ(refused.output.find("200"), std::string::npos) << refused.output;
}

// The README's curl + podman walk-through, run as written against the suite's server: $CAIRN
// is its https URL, certs/ca.crt in the working directory is the CA, and podman keeps its
// storage (vfs) in the working directory through CONTAINERS_STORAGE_CONF and CONTAINERS_CONF.
TEST_F(SecureClients, ReadmeCurlAndPodmanWalkthroughRunsAsWritten) {
  REQUIRE_TOOL("curl");
  REQUIRE_TOOL("podman");
  const std::string block = readme_block("### Auth walk-through: curl and podman over HTTPS");
  ASSERT_FALSE(block.empty()) << "the README lost its walk-through";
  write_file(work_ / "walk.sh", block);
  fs::create_directories(work_ / "certs");
  fs::copy_file(ca(), work_ / "certs" / "ca.crt");
  write_file(work_ / "storage.conf", "[storage]\ndriver = \"vfs\"\ngraphroot = \"" +
                                         tmp("pm-root") + "\"\nrunroot = \"" + tmp("pm-run") +
                                         "\"\n");
  write_file(work_ / "containers.conf",
             "[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n"
             "events_logfile_path = \"" +
                 tmp("events.log") + "\"\n");
  auto walked = bounded("cd " + work_.path().string() + " && " + env() +
                        "CONTAINERS_STORAGE_CONF=" + tmp("storage.conf") + " CONTAINERS_CONF=" +
                        tmp("containers.conf") + " TMPDIR=" + work_.path().string() +
                        " CAIRN=" + url() + " timeout -k 5 150 bash -euo pipefail walk.sh");
  ASSERT_EQ(walked.status, 0) << walked.output << server_log();
  const std::string& out = walked.output;
  EXPECT_NE(out.find("anonymous: 401"), std::string::npos) << out;
  EXPECT_NE(out.find("Bearer realm=\"" + url() + "/_token\""), std::string::npos) << out;
  EXPECT_NE(out.find("alice push: 201"), std::string::npos) << out;
  EXPECT_NE(out.find("\"code\":\"DENIED\""), std::string::npos) << out;
  EXPECT_NE(out.find("bob push: 403"), std::string::npos) << out;
  EXPECT_NE(out.find("hello, secure cairn"), std::string::npos) << out;
  EXPECT_NE(out.find("Login Succeeded"), std::string::npos) << out;
  EXPECT_NE(out.find("pulled back: the same manifest"), std::string::npos) << out;
  EXPECT_NE(out.find("bob cannot push"), std::string::npos) << out;
  EXPECT_EQ(as_root("HEAD", "/v2/team/demo/manifests/bob"), 404u);
  bounded(env() + "CONTAINERS_STORAGE_CONF=" + tmp("storage.conf") +
          " CONTAINERS_CONF=" + tmp("containers.conf") + " podman rmi --all --force >/dev/null");
}

}  // namespace
}  // namespace cairn::testing

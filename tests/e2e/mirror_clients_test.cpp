// End-to-end: real mirror clients pull through the cairn executable acting as a pull-through
// cache of a Distribution registry (Debian's docker-registry) on 127.0.0.1.
//
//  - containerd 1.6 (`ctr content fetch --hosts-dir`): a hosts.toml names cairn as the mirror of
//    `upstream.test`; containerd adds `?ns=upstream.test` to every request, and cairn is started
//    without a default upstream, so only ns= can route them.
//  - podman and skopeo: a registries.conf with cairn as the (insecure) mirror of `upstream.test`;
//    they send no ns=, so cairn runs with `--default-upstream upstream.test`.
//
// The upstream (UpstreamRegistry) and its image (tests/e2e/make-oci-layout.sh, pushed with
// skopeo) are made once for the suite; every test starts its own cairn (a child process on a
// free port with its own root: a cold cache) and stops it by its PID. `upstream.test` does not
// resolve: a client that bypassed the mirror fails. A missing client skips its test.
#include "tests/support/child.h"
#include "tests/support/files.h"
#include "tests/support/http_client.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tools.h"
#include "tests/support/upstream_registry.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kHost = "upstream.test";  // the name clients use for the upstream
constexpr const char* kRepo = "library/img";
constexpr const char* kTag = "v1";

#define SKIP_WITHOUT(tool)                                                          \
  if (!have_tool(tool))                                                             \
  GTEST_SKIP() << (tool)                                                            \
               << " is not installed (tools/dev.sh test installs it: its PACKAGES " \
                  "list it)"

// How many lines of `text` contain every one of `needles`.
size_t count_lines(const std::string& text, const std::vector<std::string>& needles) {
  size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const auto& s : needles)
      all = all && line.find(s) != std::string::npos;
    n += all ? 1 : 0;
  }
  return n;
}

// Polls GET `path` on 127.0.0.1:port until it answers 200, while `child` lives (at most 20 s).
bool wait_http(Child& child, uint16_t port, const std::string& path = "/v2/") {
  for (int i = 0; i < 400 && child.alive(); ++i) {
    try {
      HttpClient c(port);
      if (c.request("GET", path).status == 200)
        return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// cairn as the pull-through cache: `build/cairn serve` on a free port with its own root, its
// access log in a file, stopped by its PID. With CAIRN_MIRROR_STANDIN=distribution in the
// environment it is docker-registry in proxy mode instead (it ignores ns= and has no
// /_admin/cache): a check of this harness against the reference.
class Mirror {
 public:
  Mirror(const fs::path& dir, const std::string& upstream_url, bool default_upstream) {
    const char* standin = std::getenv("CAIRN_MIRROR_STANDIN");
    if (standin != nullptr && std::string(standin) == "distribution") {
      UpstreamRegistryOptions proxy;
      proxy.proxy_remote_url = upstream_url;
      standin_.emplace(proxy);
      port_ = standin_->port();
      ready_ = true;
      return;
    }
    access_log_ = dir / "cairn-access.log";
    for (int attempt = 0; attempt < 3 && !ready_; ++attempt) {
      port_ = pick_free_port();
      std::vector<std::string> args = {CAIRN_EXE,      "serve",
                                       "--root",       (dir / "cairn-root").string(),
                                       "--listen",     "127.0.0.1:" + std::to_string(port_),
                                       "--upstream",   std::string(kHost) + "=" + upstream_url,
                                       "--access-log", access_log_.string()};
      if (default_upstream) {
        args.push_back("--default-upstream");
        args.push_back(kHost);
      }
      child_.emplace(args, dir / "cairn.log");
      ready_ = wait_http(*child_, port_);
      if (!ready_)
        child_->stop();
    }
  }
  bool ready() const { return ready_; }
  bool standin() const { return standin_.has_value(); }
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // One line per request, with its target (cairn's JSON lines; Distribution's text log).
  std::string access_log() const { return standin_ ? standin_->log() : read_file(access_log_); }
  std::string server_log() const { return standin_ ? std::string() : read_file(child_->log()); }
  // Stops cairn by its PID; its exit status (0 for the stand-in).
  int stop() { return child_ ? child_->stop() : 0; }
  // GET /_admin/cache, parsed (null when it does not answer 200 with JSON).
  nlohmann::json cache_stats() const {
    HttpClient c(port_);
    auto r = c.request("GET", "/_admin/cache");
    if (r.status != 200)
      return nullptr;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_discarded() ? nlohmann::json(nullptr) : j;
  }

 private:
  uint16_t port_ = 0;
  bool ready_ = false;
  fs::path access_log_;
  std::optional<Child> child_;
  std::optional<UpstreamRegistry> standin_;
};

// One image in the upstream, as pushed: its manifest digest and blob files (the OCI layout).
struct Pushed {
  std::string manifest;          // "sha256:<hex>"
  std::string config_hex;        // the image ID
  std::string layer_hex;         // the one layer
  fs::path blobs;                // <layout>/blobs/sha256
  std::vector<std::string> hex;  // every blob of the layout, manifest included
};

class MirrorClients : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (const char* tool : {"docker-registry", "skopeo"}) {
      if (!have_tool(tool)) {
        setup_skip_ = new std::string(std::string(tool) +
                                      " is not installed (tools/dev.sh test installs it); the "
                                      "upstream needs it");
        return;
      }
    }
    try {
      upstream_ = new UpstreamRegistry();
    } catch (const std::exception& e) {
      setup_error_ = new std::string(std::string("the upstream did not start: ") + e.what());
      return;
    }
    fs::path layout = upstream_->dir() / "layout";
    auto made = sh(std::string(CAIRN_SOURCE_DIR) + "/tests/e2e/make-oci-layout.sh " +
                   layout.string() + " " + kTag);
    if (made.status != 0) {
      setup_error_ = new std::string("make-oci-layout.sh: " + made.output);
      return;
    }
    auto push =
        sh("skopeo copy --dest-tls-verify=false oci:" + layout.string() + ":" + kTag +
           " docker://127.0.0.1:" + std::to_string(upstream_->port()) + "/" + kRepo + ":" + kTag);
    if (push.status != 0) {
      setup_error_ = new std::string("pushing to the upstream: " + push.output);
      return;
    }
    pushed_ = new Pushed();
    pushed_->manifest = trim(made.output);
    pushed_->blobs = layout / "blobs" / "sha256";
    auto m = nlohmann::json::parse(read_file(pushed_->blobs / pushed_->manifest.substr(7)));
    pushed_->config_hex = m["config"]["digest"].get<std::string>().substr(7);
    pushed_->layer_hex = m["layers"][0]["digest"].get<std::string>().substr(7);
    for (const auto& e : fs::directory_iterator(pushed_->blobs))
      pushed_->hex.push_back(e.path().filename().string());
  }
  static void TearDownTestSuite() {
    delete pushed_;
    delete upstream_;  // stops it, removes its directory
    delete setup_error_;
    delete setup_skip_;
    pushed_ = nullptr;
    upstream_ = nullptr;
    setup_error_ = nullptr;
    setup_skip_ = nullptr;
  }

  void SetUp() override {
    if (setup_skip_ != nullptr)
      GTEST_SKIP() << *setup_skip_;
    ASSERT_EQ(setup_error_, nullptr) << *setup_error_;
  }
  // cairn stops gracefully (SIGTERM: exit 0) with its cache filled.
  void TearDown() override {
    if (mirror_ && !mirror_->standin()) {
      EXPECT_EQ(mirror_->stop(), 0) << mirror_->server_log();
    }
  }

  // Starts cairn; a failure to start is a test failure.
  void start_mirror(bool default_upstream) {
    mirror_.emplace(work_.path(), upstream_->url(), default_upstream);
    ASSERT_TRUE(mirror_->ready()) << "cairn did not start:\n" << mirror_->server_log();
  }

  std::string tmp(const std::string& sub) const { return (work_ / sub).string(); }

  // registries.conf: cairn as the insecure mirror of upstream.test.
  // registries.conf: cairn as the insecure mirror of upstream.test; with `mirror_path`, the
  // mirror's location has that namespace (`127.0.0.1:P/upstream.test`: prefix-style requests).
  std::string registries_conf(const std::string& mirror_path = {}) const {
    std::string path = tmp("registries.conf");
    write_file(
        path, std::string("unqualified-search-registries = []\n\n[[registry]]\nprefix = \"") +
                  kHost + "\"\nlocation = \"" + kHost + "\"\n\n[[registry.mirror]]\nlocation = \"" +
                  mirror_->address() + mirror_path + "\"\ninsecure = true\n");
    return path;
  }

  // Upstream GETs of blob `hex` so far.
  static size_t upstream_blob_gets(const std::string& hex) {
    return upstream_->count_requests("GET", "/v2/" + std::string(kRepo) + "/blobs/sha256:" + hex);
  }

  // Checks the cache's figures for upstream.test: it went to the upstream for the image.
  void expect_cache_stats() {
    if (mirror_->standin())
      return;
    auto stats = mirror_->cache_stats();
    ASSERT_TRUE(stats.is_object()) << "GET /_admin/cache";
    nlohmann::json ours;
    for (const auto& u : stats.value("upstreams", nlohmann::json::array())) {
      if (u.value("host", "") == kHost)
        ours = u;
    }
    ASSERT_TRUE(ours.is_object()) << stats.dump();
    EXPECT_GT(ours.value("misses", 0), 0) << stats.dump();
    EXPECT_GE(ours.value("upstream_bytes", 0), 2000000) << stats.dump();  // the 2 MB layer
  }

  static UpstreamRegistry* upstream_;
  static Pushed* pushed_;
  static std::string* setup_error_;
  static std::string* setup_skip_;

  TempDir work_;
  std::optional<Mirror> mirror_;
};

UpstreamRegistry* MirrorClients::upstream_ = nullptr;
Pushed* MirrorClients::pushed_ = nullptr;
std::string* MirrorClients::setup_error_ = nullptr;
std::string* MirrorClients::setup_skip_ = nullptr;

// containerd: a daemon of its own (root, state and sockets in a temp dir, CRI and the snapshotters
// but native disabled), `ctr content fetch` with a hosts.toml naming cairn as the mirror.
TEST_F(MirrorClients, ContainerdFetchesThroughCairnWithNs) {
  SKIP_WITHOUT("containerd");
  SKIP_WITHOUT("ctr");
  start_mirror(/*default_upstream=*/false);  // only ns= can route containerd's requests

  const fs::path ctd = work_ / "ctd";
  const std::string sock = (ctd / "containerd.sock").string();
  ASSERT_LT(sock.size(), 100u) << "unix socket path too long: " << sock << " (set TMPDIR shorter)";
  write_file(ctd / "config.toml",
             "version = 2\nroot = \"" + (ctd / "root").string() + "\"\nstate = \"" +
                 (ctd / "state").string() +
                 "\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\", "
                 "\"io.containerd.snapshotter.v1.btrfs\", "
                 "\"io.containerd.snapshotter.v1.overlayfs\", "
                 "\"io.containerd.snapshotter.v1.aufs\", \"io.containerd.snapshotter.v1.zfs\", "
                 "\"io.containerd.snapshotter.v1.devmapper\"]\n\n[grpc]\n  address = \"" +
                 sock + "\"\n\n[ttrpc]\n  address = \"" + (ctd / "ttrpc.sock").string() +
                 "\"\n\n[debug]\n  address = \"\"\n\n[metrics]\n  address = \"\"\n\n"
                 "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" +
                 (ctd / "opt").string() + "\"\n");
  const fs::path hosts = work_ / "hosts.d";
  write_file(hosts / kHost / "hosts.toml", std::string("server = \"http://") + kHost +
                                               "\"\n\n[host.\"http://" + mirror_->address() +
                                               "\"]\n  capabilities = [\"pull\", \"resolve\"]\n");

  Child containerd({"containerd", "--config", (ctd / "config.toml").string()},
                   work_ / "containerd.log");
  const std::string ctr = "ctr -a " + sock + " -n test ";
  bool up = false;
  for (int i = 0; i < 400 && containerd.alive() && !up; ++i) {
    up = sh(ctr + "version >/dev/null 2>&1").status == 0;
    if (!up)
      std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(up) << "containerd did not start:\n" << read_file(containerd.log());

  const std::string ref = std::string(kHost) + "/" + kRepo + ":" + kTag;
  auto fetched = sh(ctr + "content fetch --hosts-dir " + hosts.string() + " --plain-http " + ref);
  EXPECT_EQ(fetched.status, 0) << fetched.output << "\ncairn:\n"
                               << mirror_->access_log() << mirror_->server_log();

  // Every blob of the image is in containerd's content store, byte-exact.
  for (const auto& hex : pushed_->hex) {
    auto same =
        sh(ctr + "content get sha256:" + hex + " | cmp - " + (pushed_->blobs / hex).string());
    EXPECT_EQ(same.status, 0) << hex << ": " << same.output;
  }

  // containerd asked cairn with ns=upstream.test, for the manifest and for each blob.
  const std::string log = mirror_->access_log();
  const std::string ns = std::string("ns=") + kHost;
  EXPECT_GE(count_lines(log, {std::string("/v2/") + kRepo + "/manifests/", ns}), 1u) << log;
  EXPECT_GE(count_lines(log, {"/blobs/sha256:" + pushed_->layer_hex, ns}), 1u) << log;
  EXPECT_GE(count_lines(log, {"/blobs/sha256:" + pushed_->config_hex, ns}), 1u) << log;
  EXPECT_GE(upstream_blob_gets(pushed_->layer_hex), 1u);
  expect_cache_stats();

  EXPECT_EQ(containerd.stop(), 0) << read_file(containerd.log());
  // content fetch unpacks nothing: no mount may be left under the work dir.
  EXPECT_EQ(count_lines(read_file("/proc/self/mounts"), {work_.path().string()}), 0u);
}

// podman: registries.conf names cairn as the mirror; isolated storage (vfs) in temp dirs.
TEST_F(MirrorClients, PodmanPullsThroughCairn) {
  SKIP_WITHOUT("podman");
  start_mirror(/*default_upstream=*/true);  // podman sends no ns=
  const std::string conf = registries_conf();
  const std::string podman = "CONTAINERS_REGISTRIES_CONF=" + conf + " podman --root " +
                             tmp("pm-root") + " --runroot " + tmp("pm-run") + " --tmpdir " +
                             tmp("pm-tmp") +
                             " --storage-driver vfs --cgroup-manager cgroupfs --events-backend "
                             "file ";
  const std::string ref = std::string(kHost) + "/" + kRepo + ":" + kTag;
  auto pulled = sh(podman + "pull " + ref);
  ASSERT_EQ(pulled.status, 0) << pulled.output << "\ncairn:\n"
                              << mirror_->access_log() << mirror_->server_log();
  auto inspect = sh(podman + "image inspect --format '{{.Id}} {{.Digest}}' " + ref);
  ASSERT_EQ(inspect.status, 0) << inspect.output;
  EXPECT_EQ(trim(inspect.output), pushed_->config_hex + " " + pushed_->manifest);

  const std::string log = mirror_->access_log();
  EXPECT_GE(count_lines(log, {std::string("/v2/") + kRepo + "/manifests/" + kTag}), 1u) << log;
  EXPECT_GE(count_lines(log, {std::string("/v2/") + kRepo + "/blobs/sha256:" + pushed_->layer_hex}),
            1u)
      << log;
  expect_cache_stats();
  sh(podman + "rmi --all --force >/dev/null");
}

// skopeo: the same registries.conf; the copied manifest and blobs are the upstream's bytes. A
// second copy is served from the cache: the upstream sees no more GETs of the layer.
TEST_F(MirrorClients, SkopeoCopiesThroughCairnAndHitsTheCacheTheSecondTime) {
  SKIP_WITHOUT("skopeo");
  start_mirror(/*default_upstream=*/true);
  const std::string conf = registries_conf();
  const std::string src = std::string("docker://") + kHost + "/" + kRepo + ":" + kTag;
  std::vector<size_t> gets = {upstream_blob_gets(pushed_->layer_hex)};

  for (const char* out : {"oci-1", "oci-2"}) {
    auto copied =
        sh("skopeo copy --registries-conf " + conf + " " + src + " oci:" + tmp(out) + ":" + kTag);
    ASSERT_EQ(copied.status, 0) << copied.output << "\ncairn:\n"
                                << mirror_->access_log() << mirror_->server_log();
    auto index = nlohmann::json::parse(read_file(work_ / out / "index.json"), nullptr, false);
    ASSERT_FALSE(index.is_discarded());
    EXPECT_EQ(index["manifests"][0]["digest"], pushed_->manifest) << index.dump();
    for (const auto& hex : pushed_->hex) {
      auto same = sh("cmp " + (work_ / out / "blobs" / "sha256" / hex).string() + " " +
                     (pushed_->blobs / hex).string());
      EXPECT_EQ(same.status, 0) << out << " " << hex << ": " << same.output;
    }
    gets.push_back(upstream_blob_gets(pushed_->layer_hex));
  }
  // The first copy made the upstream serve the layer (cairn: once; Distribution's proxy streams
  // it to the client and fetches it again to store it); the second was served from the cache.
  if (!mirror_->standin()) {
    EXPECT_EQ(gets[1], gets[0] + 1) << upstream_->log();
  }
  EXPECT_GT(gets[1], gets[0]) << upstream_->log();
  EXPECT_EQ(gets[2], gets[1]) << upstream_->log();
  const std::string log = mirror_->access_log();
  EXPECT_GE(count_lines(log, {std::string("/v2/") + kRepo + "/blobs/sha256:" + pushed_->layer_hex}),
            2u)
      << log;
  expect_cache_stats();
}

// Four skopeo copies at once through a mirror location with a namespace
// (`127.0.0.1:P/upstream.test`): requests are prefix-style (/v2/upstream.test/library/img/...)
// and cairn has no default upstream. All four get the upstream's bytes, and the upstream served
// the layer once (coalesced, or a hit for whoever came after).
TEST_F(MirrorClients, ConcurrentSkopeoCopiesThroughAPrefixMirrorFetchTheLayerOnce) {
  SKIP_WITHOUT("skopeo");
  start_mirror(/*default_upstream=*/false);
  if (mirror_->standin())
    GTEST_SKIP() << "Distribution's proxy mode has no prefix-style names";
  const std::string conf = registries_conf(std::string("/") + kHost);
  const std::string src = std::string("docker://") + kHost + "/" + kRepo + ":" + kTag;
  const size_t before = upstream_blob_gets(pushed_->layer_hex);

  std::string script = "pids=(); for i in 1 2 3 4; do skopeo copy --registries-conf " + conf + " " +
                       src + " oci:" + tmp("oci-") + "$i:" + kTag + " > " + tmp("copy-") +
                       "$i.log 2>&1 & pids+=($!); done; rc=0; for p in \"${pids[@]}\"; do wait $p "
                       "|| rc=1; done; cat " +
                       tmp("copy-") + "*.log; exit $rc";
  auto copied = sh(script);
  ASSERT_EQ(copied.status, 0) << copied.output << "\ncairn:\n"
                              << mirror_->access_log() << mirror_->server_log();
  for (int i = 1; i <= 4; ++i) {
    const fs::path out = work_ / ("oci-" + std::to_string(i));
    auto index = nlohmann::json::parse(read_file(out / "index.json"), nullptr, false);
    ASSERT_FALSE(index.is_discarded()) << out;
    EXPECT_EQ(index["manifests"][0]["digest"], pushed_->manifest) << index.dump();
    for (const auto& hex : pushed_->hex) {
      auto same = sh("cmp " + (out / "blobs" / "sha256" / hex).string() + " " +
                     (pushed_->blobs / hex).string());
      EXPECT_EQ(same.status, 0) << out << " " << hex << ": " << same.output;
    }
  }
  EXPECT_EQ(upstream_blob_gets(pushed_->layer_hex), before + 1) << upstream_->log();
  const std::string log = mirror_->access_log();
  EXPECT_GE(count_lines(log, {std::string("/v2/") + kHost + "/" + kRepo +
                              "/blobs/sha256:" + pushed_->layer_hex}),
            4u)
      << log;
  expect_cache_stats();
}

}  // namespace
}  // namespace cairn::testing

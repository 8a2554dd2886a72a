// End-to-end: containerd 1.6 uses the cairn executable as its content store. cairn serves HTTP on
// a free port and containerd's content and leases API on a unix socket (--grpc-listen);
// containerd is started with the README's config (its own content plugin off, cairn as a
// `proxy_plugins` content store) plus its own root, state and sockets in a temporary directory.
//
//  - an image pushed to cairn over the OCI API (skopeo) is pulled by `ctr images pull` (through
//    containerd, unpacked with the native snapshotter): its blobs land in cairn's "default"
//    namespace (one copy of the bytes with those of library/img), `ctr content ls` lists them,
//    `ctr images export` writes them out, and /v2/default/blobs/<digest> serves them byte-exact;
//  - `ctr content ingest` through containerd writes new bytes into cairn, pullable over HTTP;
//  - `ctr images rm --sync` makes containerd's GC delete the content from cairn's "default"
//    namespace, while the repository the image was pushed to keeps it;
//  - `ctr --address <cairn socket>` works against cairn directly: content ls/get/ingest/rm and
//    leases create/ls/rm.
// Both daemons are stopped by their PIDs. A missing tool skips the test.
#include "tests/support/child.h"
#include "tests/support/files.h"
#include "tests/support/http_client.h"
#include "tests/support/ports.h"
#include "tests/support/readme.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tools.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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

// The digests (sha256:<hex>) in the first column of `ctr content ls` output.
std::vector<std::string> listed_digests(const std::string& out) {
  std::vector<std::string> digests;
  std::istringstream in(out);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string first;
    if (words >> first && first.starts_with("sha256:"))
      digests.push_back(first);
  }
  return digests;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class ContainerdContent : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tool : {"containerd", "ctr", "skopeo"}) {
      if (!have_tool(tool))
        GTEST_SKIP() << tool << " is not installed (tools/dev.sh test installs it)";
    }
    ASSERT_LT((work_.path() / "containerd.sock").string().size(), 100u)
        << "unix socket path too long (set TMPDIR shorter)";
    // The image: a real gzipped layer, pushed to cairn's library/img over the OCI API.
    layout_ = work_.path() / "layout";
    auto made = sh(std::string(CAIRN_SOURCE_DIR) + "/tests/e2e/make-oci-layout.sh " +
                   layout_.string() + " v1");
    ASSERT_EQ(made.status, 0) << made.output;
    manifest_ = made.output.substr(0, made.output.find('\n'));
    auto m = nlohmann::json::parse(read_file(blob_file(manifest_)));
    config_ = m["config"]["digest"];
    layer_ = m["layers"][0]["digest"];

    start_cairn();
    auto push = sh("skopeo copy --dest-tls-verify=false oci:" + layout_.string() + ":v1 docker://" +
                   registry() + "/library/img:v1");
    ASSERT_EQ(push.status, 0) << push.output;
    start_containerd();
  }
  void TearDown() override {
    if (containerd_) {
      EXPECT_EQ(containerd_->stop(), 0) << read_file(containerd_->log());
    }
    if (cairn_) {
      EXPECT_EQ(cairn_->stop(), 0) << read_file(cairn_->log());
    }
  }

  fs::path blob_file(const std::string& digest) const {
    return layout_ / "blobs" / "sha256" / digest.substr(7);
  }
  std::string registry() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string cairn_socket() const { return (work_.path() / "cairn.sock").string(); }
  // ctr through containerd, or straight at cairn.
  std::string ctr() const {
    return "ctr --address " + (work_.path() / "containerd.sock").string() + " -n default ";
  }
  std::string ctr_cairn() const { return "ctr --address " + cairn_socket() + " -n default "; }

  void start_cairn() {
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = pick_free_port();
      cairn_.emplace(std::vector<std::string>{CAIRN_EXE, "serve", "--root",
                                              (work_.path() / "cairn-root").string(), "--listen",
                                              registry(), "--grpc-listen",
                                              "unix://" + cairn_socket(), "--access-log", "off"},
                     work_.path() / "cairn.log");
      for (int i = 0; i < 400 && cairn_->alive(); ++i) {
        try {
          HttpClient c(port_);
          if (c.request("GET", "/v2/").status == 200 && fs::exists(cairn_socket()))
            return;
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(50ms);
      }
      cairn_->stop();
    }
    FAIL() << "cairn did not start:\n" << read_file(work_.path() / "cairn.log");
  }

  void start_containerd() {
    const fs::path ctd = work_.path() / "ctd";
    // The README's config as written, with this test's paths: cairn's socket, and the
    // containerd's own root, state, sockets and the plugins a test has no use for.
    std::string config = readme_block("## containerd's content store (gRPC)", "toml");
    ASSERT_NE(config.find("proxy_plugins"), std::string::npos) << "no config in the README";
    config = replace_all(config, "/run/cairn/grpc.sock", cairn_socket());
    config = replace_all(config, "disabled_plugins = [",
                         "disabled_plugins = [\"io.containerd.grpc.v1.cri\", "
                         "\"io.containerd.snapshotter.v1.btrfs\", "
                         "\"io.containerd.snapshotter.v1.overlayfs\", "
                         "\"io.containerd.snapshotter.v1.aufs\", "
                         "\"io.containerd.snapshotter.v1.zfs\", "
                         "\"io.containerd.snapshotter.v1.devmapper\", ");
    config = replace_all(config, "version = 2\n",
                         "version = 2\nroot = \"" + (ctd / "root").string() + "\"\nstate = \"" +
                             (ctd / "state").string() + "\"\n");
    config += "\n[grpc]\n  address = \"" + (work_.path() / "containerd.sock").string() +
              "\"\n\n[ttrpc]\n  address = \"" + (ctd / "ttrpc.sock").string() +
              "\"\n\n[debug]\n  address = \"\"\n\n[metrics]\n  address = \"\"\n\n"
              "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" +
              (ctd / "opt").string() + "\"\n";
    write_file(ctd / "config.toml", config);
    containerd_.emplace(
        std::vector<std::string>{"containerd", "--config", (ctd / "config.toml").string()},
        work_.path() / "containerd.log");
    bool up = false;
    for (int i = 0; i < 400 && containerd_->alive() && !up; ++i) {
      up = sh(ctr() + "version >/dev/null 2>&1").status == 0;
      if (!up)
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(up) << "containerd did not start:\n" << read_file(containerd_->log());
  }

  std::string logs() const {
    return "\ncairn:\n" + read_file(work_.path() / "cairn.log") + "\ncontainerd:\n" +
           read_file(work_.path() / "containerd.log");
  }

  TempDir work_;
  fs::path layout_;
  std::string manifest_, config_, layer_;
  uint16_t port_ = 0;
  std::optional<Child> cairn_;
  std::optional<Child> containerd_;
};

TEST_F(ContainerdContent, ContainerdPullsIntoCairnAndItsGcDeletesThere) {
  const std::string ref = registry() + "/library/img:v1";
  auto pulled = sh(ctr() + "images pull --plain-http --snapshotter native " + ref);
  ASSERT_EQ(pulled.status, 0) << pulled.output << logs();

  // containerd's content is cairn's "default" namespace.
  auto ls = sh(ctr() + "content ls");
  ASSERT_EQ(ls.status, 0) << ls.output << logs();
  auto in_containerd = listed_digests(ls.output);
  for (const auto& d : {manifest_, config_, layer_})
    EXPECT_TRUE(contains(in_containerd, d)) << d << " not in:\n" << ls.output;
  auto direct = sh(ctr_cairn() + "content ls");
  ASSERT_EQ(direct.status, 0) << direct.output << logs();
  auto in_cairn = listed_digests(direct.output);
  for (const auto& d : {manifest_, config_, layer_}) {
    EXPECT_TRUE(contains(in_cairn, d)) << d << " not in:\n" << direct.output;
    HttpClient c(port_);
    auto r = c.request("GET", "/v2/default/blobs/" + d);
    ASSERT_EQ(r.status, 200u) << d;
    EXPECT_EQ(r.body, read_file(blob_file(d))) << d;
  }

  // Export reads every blob back from cairn through containerd.
  const std::string tar = (work_.path() / "img.tar").string();
  auto exported = sh(ctr() + "images export " + tar + " " + ref);
  ASSERT_EQ(exported.status, 0) << exported.output << logs();
  auto listing = sh("tar -tf " + tar);
  EXPECT_NE(listing.output.find("blobs/sha256/" + layer_.substr(7)), std::string::npos)
      << listing.output;
  auto same = sh("tar -xOf " + tar + " blobs/sha256/" + layer_.substr(7) + " | cmp - " +
                 blob_file(layer_).string());
  EXPECT_EQ(same.status, 0) << same.output;

  // New bytes written through containerd land in cairn.
  const fs::path note = work_.path() / "note.txt";
  write_file(note, "written by containerd into cairn\n");
  auto ingested = sh(ctr() + "content ingest note-1 < " + note.string());
  ASSERT_EQ(ingested.status, 0) << ingested.output << logs();
  auto digest = sh("sha256sum " + note.string() + " | cut -d' ' -f1");
  const std::string note_digest = "sha256:" + digest.output.substr(0, 64);
  {
    HttpClient c(port_);
    auto r = c.request("GET", "/v2/default/blobs/" + note_digest);
    ASSERT_EQ(r.status, 200u) << logs();
    EXPECT_EQ(r.body, read_file(note));
  }

  // Removing the image: containerd's GC deletes its content from cairn's namespace (the
  // repository it was pushed to keeps it).
  auto removed = sh(ctr() + "images rm --sync " + ref);
  ASSERT_EQ(removed.status, 0) << removed.output << logs();
  HttpClient c(port_);
  for (const auto& d : {manifest_, config_, layer_}) {
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {  // containerd collects in the background too
      gone = c.request("HEAD", "/v2/default/blobs/" + d).status == 404;
      if (!gone)
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(gone) << d << " is still in cairn's default namespace" << logs();
    EXPECT_EQ(c.request("HEAD", "/v2/library/img/blobs/" + d).status, 200u) << d;
  }
}

TEST_F(ContainerdContent, CtrWorksAgainstCairnDirectly) {
  // content: ingest, ls, get, label, rm
  const fs::path file = work_.path() / "direct.bin";
  write_file(file, std::string(300000, 'x') + "end");
  auto digest = sh("sha256sum " + file.string() + " | cut -d' ' -f1");
  const std::string d = "sha256:" + digest.output.substr(0, 64);
  auto ingested = sh(ctr_cairn() + "content ingest direct-1 < " + file.string());
  ASSERT_EQ(ingested.status, 0) << ingested.output << logs();
  auto got = sh(ctr_cairn() + "content get " + d + " | cmp - " + file.string());
  EXPECT_EQ(got.status, 0) << got.output;
  auto labelled = sh(ctr_cairn() + "content label " + d + " team=a");
  EXPECT_EQ(labelled.status, 0) << labelled.output;
  auto ls = sh(ctr_cairn() + "content ls");
  ASSERT_EQ(ls.status, 0) << ls.output;
  EXPECT_TRUE(contains(listed_digests(ls.output), d)) << ls.output;
  EXPECT_NE(ls.output.find("team=a"), std::string::npos) << ls.output;
  // The image skopeo pushed is in library/img, a namespace of its own (one ctr cannot name:
  // a containerd namespace has no '/').
  EXPECT_FALSE(contains(listed_digests(ls.output), layer_)) << ls.output;
  auto rm = sh(ctr_cairn() + "content rm " + d);
  EXPECT_EQ(rm.status, 0) << rm.output;
  HttpClient c(port_);
  EXPECT_EQ(c.request("HEAD", "/v2/default/blobs/" + d).status, 404u);

  // leases: create, ls, rm
  auto created = sh(ctr_cairn() + "leases create --id held-by-ctr --expires 1h");
  ASSERT_EQ(created.status, 0) << created.output << logs();
  auto leases = sh(ctr_cairn() + "leases ls");
  ASSERT_EQ(leases.status, 0) << leases.output;
  EXPECT_NE(leases.output.find("held-by-ctr"), std::string::npos) << leases.output;
  EXPECT_NE(leases.output.find("containerd.io/gc.expire"), std::string::npos) << leases.output;
  auto deleted = sh(ctr_cairn() + "leases rm --sync held-by-ctr");
  EXPECT_EQ(deleted.status, 0) << deleted.output;
  leases = sh(ctr_cairn() + "leases ls");
  EXPECT_EQ(leases.output.find("held-by-ctr"), std::string::npos) << leases.output;
}

}  // namespace
}  // namespace cairn::testing

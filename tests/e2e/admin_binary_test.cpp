// The admin commands on the real executable: `cairn gc` (dry run, then real; refused while a
// server holds the root, which answers POST /_admin/gc?dry_run=1 and GET /_admin/du instead),
// `cairn du`, `cairn export` read back by skopeo, `cairn import` of a layout skopeo wrote from
// cairn, served byte-exact from a fresh root; a tampered layout is refused; the README's block.
#include "tests/support/child.h"
#include "tests/support/files.h"
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/ports.h"
#include "tests/support/readme.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tools.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using CmdRun = SplitRun;

// Runs `cairn <args>` and captures its exit status, stdout and stderr.
CmdRun cairn(const TempDir& scratch, const std::string& args) {
  return sh_split(std::string(CAIRN_EXE) + " " + args, scratch.path() / "cmd.err");
}

json parse_json(const std::string& text) {
  return json::parse(text, nullptr, false);
}

std::unique_ptr<Child> serve(const fs::path& root, const TempDir& scratch, uint16_t port) {
  return std::make_unique<Child>(
      std::vector<std::string>{CAIRN_EXE, "serve", "--root", root.string(), "--listen",
                               "127.0.0.1:" + std::to_string(port), "--access-log", "off"},
      scratch.path() / "server.log");
}

const json* find_namespace(const json& du, const std::string& name) {
  for (const auto& n : du["namespaces"]) {
    if (n["name"] == name)
      return &n;
  }
  return nullptr;
}

TEST(AdminBinary, GcDryRunThenRealAndDuOnlineAndOffline) {
  TempDir root;
  TempDir scratch;
  const uint16_t port = pick_free_port();
  const std::string flags = "--root " + root.path().string();
  const std::string dead_data = blob_bytes(5000, 99);
  std::string dead;
  Image img;
  {
    // The default --gc-grace (1h): the server's own collections keep everything this test
    // pushes, so the offline runs below (--gc-grace 0s) find the garbage whenever they run.
    auto server = serve(root.path(), scratch, port);
    ASSERT_TRUE(wait_ready(port));
    HttpClient c(port);
    img = push_image_blobs(c, "e2e/admin", 1);
    ASSERT_EQ(put_manifest(c, "e2e/admin", "v1", img.manifest, kOciManifestType).status, 201u);
    push_blob(c, "e2e/other", blob_bytes(1001, 1));  // the layer again: shared, unreferenced
    dead = push_blob(c, "e2e/admin", dead_data);     // referenced by nothing

    auto du = c.request("GET", "/_admin/du");
    ASSERT_EQ(du.status, 200u) << du.body;
    json online = parse_json(du.body);
    const json* admin = find_namespace(online, "e2e/admin");
    ASSERT_NE(admin, nullptr) << du.body;
    EXPECT_EQ((*admin)["kind"], "pushed");
    EXPECT_EQ((*admin)["blobs"]["count"], 4);  // config, layer, manifest, dead
    EXPECT_EQ((*admin)["shared"]["count"], 1);
    EXPECT_EQ((*admin)["shared"]["bytes"], 1001);
    EXPECT_EQ((*admin)["manifests"], 1);
    EXPECT_EQ((*admin)["tags"], 1);
    EXPECT_EQ(online["totals"]["all"]["count"], 4);
    EXPECT_EQ(online["totals"]["shared"]["count"], 1);

    auto preview = c.request("POST", "/_admin/gc?dry_run=1");
    ASSERT_EQ(preview.status, 200u) << preview.body;
    json p = parse_json(preview.body);
    EXPECT_EQ(p["dryRun"], true);
    EXPECT_EQ(p["removedBlobs"], 0);  // everything is younger than the grace period
    EXPECT_EQ(p["marked"], 5);
    EXPECT_EQ(c.request("HEAD", "/v2/e2e/admin/blobs/" + dead).status, 200u);
    EXPECT_EQ(c.request("POST", "/_admin/gc?dry_run=maybe").status, 400u);
    auto last = c.request("GET", "/_admin/gc");  // a preview is never the last run
    if (last.status == 200u)
      EXPECT_EQ(parse_json(last.body)["dryRun"], false) << last.body;

    CmdRun busy = cairn(scratch, "gc " + flags);
    EXPECT_EQ(busy.status, 2) << busy.err;
    EXPECT_NE(busy.err.find("POST /_admin/gc"), std::string::npos) << busy.err;
    CmdRun busy_du = cairn(scratch, "du " + flags);
    EXPECT_EQ(busy_du.status, 2) << busy_du.err;
    EXPECT_NE(busy_du.err.find("GET /_admin/du"), std::string::npos) << busy_du.err;
    EXPECT_EQ(server->stop(), 0);
  }

  CmdRun du = cairn(scratch, "du --json " + flags);
  ASSERT_EQ(du.status, 0) << du.err;
  json offline = parse_json(du.out);
  ASSERT_TRUE(offline.is_object()) << du.out;
  EXPECT_EQ(offline["totals"]["files"]["count"], 4);
  // Progress goes to stderr, off a terminal one plain line per phase.
  EXPECT_NE(du.err.find("du listing  4 files"), std::string::npos) << du.err;
  EXPECT_EQ(
      offline["totals"]["referencedBytes"],
      static_cast<int64_t>(img.config.size + img.layer.size + img.manifest.size() + 5000 + 1001));

  CmdRun dry = cairn(scratch, "gc --dry-run --json --gc-grace 0s " + flags);
  ASSERT_EQ(dry.status, 0) << dry.err;
  json d = parse_json(dry.out);
  EXPECT_EQ(d["dryRun"], true);
  EXPECT_EQ(d["removedBlobs"], 2);
  EXPECT_EQ(d["removedBytes"], 5000);
  const fs::path dead_file = root.path() / "content" / "blobs" / "sha256" / dead.substr(7);
  EXPECT_TRUE(fs::exists(dead_file));

  CmdRun real = cairn(scratch, "gc --gc-grace 0s " + flags);
  ASSERT_EQ(real.status, 0) << real.err;
  EXPECT_NE(real.out.find("removed 2 blob records, 1 blob files (4.9 KiB)"), std::string::npos)
      << real.out;
  EXPECT_FALSE(fs::exists(dead_file));
  EXPECT_NE(real.err.find("gc listing  4 files"), std::string::npos) << real.err;
  EXPECT_NE(real.err.find("gc removing [========================] 100%  4.9 KiB / 4.9 KiB"),
            std::string::npos)
      << real.err;

  CmdRun table = cairn(scratch, "du " + flags);
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find("e2e/admin"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("files:    3 blobs"), std::string::npos) << table.out;

  EXPECT_EQ(cairn(scratch, "gc --frobnicate").status, 2);
  CmdRun help = cairn(scratch, "--help");
  for (const char* word : {"cairn gc", "cairn du", "cairn export", "cairn import"})
    EXPECT_NE(help.out.find(word), std::string::npos) << word;
}

class AdminLayout : public ::testing::Test {
 protected:
  std::string registry() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string tmp(const std::string& sub) const { return (work_.path() / sub).string(); }
  CmdRun run(const std::string& args) { return cairn(work_, args); }

  TempDir root_;
  TempDir work_;
  uint16_t port_ = pick_free_port();
};

TEST_F(AdminLayout, ExportReadBySkopeoAndImportOfASkopeoLayoutServedByteExact) {
  REQUIRE_TOOL("skopeo");
  auto made =
      sh(std::string(CAIRN_SOURCE_DIR) + "/tests/e2e/make-oci-layout.sh " + tmp("src") + " v1");
  ASSERT_EQ(made.status, 0) << made.output;
  const std::string manifest = trim(made.output);
  const std::string manifest_body = read_file(tmp("src") + "/blobs/sha256/" + manifest.substr(7));
  std::string index_digest;
  {
    auto server = serve(root_.path(), work_, port_);
    ASSERT_TRUE(wait_ready(port_));
    auto push = sh("skopeo copy --dest-tls-verify=false oci:" + tmp("src") + ":v1 docker://" +
                   registry() + "/e2e/img:v1");
    ASSERT_EQ(push.status, 0) << push.output;
    // An index over the image, to export with its child manifest.
    HttpClient c(port_);
    const std::string index = index_manifest(
        kOciIndexType, {{std::string(kOciManifestType), manifest, manifest_body.size(), {}}});
    index_digest = digest_of(index);
    ASSERT_EQ(put_manifest(c, "e2e/img", "multi", index, kOciIndexType).status, 201u);
    // A layout as skopeo writes it, pulled from cairn.
    auto pull = sh("skopeo copy --src-tls-verify=false docker://" + registry() +
                   "/e2e/img:v1 oci:" + tmp("pulled") + ":v1");
    ASSERT_EQ(pull.status, 0) << pull.output;
    EXPECT_EQ(server->stop(), 0);
  }

  // Export: skopeo reads the layout, the manifest byte-exact, the blobs too.
  const std::string flags = "--root " + root_.path().string();
  CmdRun exported = run("export " + flags + " e2e/img:v1 " + tmp("out"));
  ASSERT_EQ(exported.status, 0) << exported.err;
  EXPECT_NE(exported.out.find(manifest + " (v1) written to"), std::string::npos) << exported.out;
  EXPECT_NE(exported.err.find("exporting ["), std::string::npos) << exported.err;  // plain lines
  auto raw = sh("skopeo inspect --raw oci:" + tmp("out") + ":v1 | sha256sum | cut -d' ' -f1");
  ASSERT_EQ(raw.status, 0) << raw.output;
  EXPECT_EQ("sha256:" + trim(raw.output), manifest);
  auto inspect = sh("skopeo inspect oci:" + tmp("out") + ":v1");
  ASSERT_EQ(inspect.status, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("\"Architecture\": \"amd64\""), std::string::npos)
      << inspect.output;
  auto copied =
      sh("skopeo copy oci:" + tmp("out") + ":v1 dir:" + tmp("dir") + " && cd " + tmp("src") +
         "/blobs/sha256 && for f in *; do [ \"$f\" = \"" + manifest.substr(7) +
         "\" ] && continue; cmp \"$f\" " + tmp("dir") + "/\"$f\" || exit 1; done");
  EXPECT_EQ(copied.status, 0) << copied.output;
  // The index joins the same layout, with its child; the first entry stays.
  CmdRun multi = run("export " + flags + " e2e/img:multi " + tmp("out"));
  ASSERT_EQ(multi.status, 0) << multi.err;
  EXPECT_NE(multi.out.find("1 manifest, 0 blobs ("), std::string::npos) << multi.out;
  auto raw_index =
      sh("skopeo inspect --raw oci:" + tmp("out") + ":multi | sha256sum | cut -d' ' -f1");
  ASSERT_EQ(raw_index.status, 0) << raw_index.output;
  EXPECT_EQ("sha256:" + trim(raw_index.output), index_digest);
  json index_json = parse_json(read_file(tmp("out") + "/index.json"));
  EXPECT_EQ(index_json["manifests"].size(), 2u) << index_json.dump();

  // Import into a fresh root: skopeo's layout and our own index.
  TempDir fresh;
  const std::string fresh_flags = "--root " + (fresh.path() / "var").string();
  CmdRun imported = run("import " + fresh_flags + " " + tmp("pulled") + " e2e/copy:v1");
  ASSERT_EQ(imported.status, 0) << imported.err;
  EXPECT_NE(imported.out.find("stored in e2e/copy"), std::string::npos) << imported.out;
  CmdRun imported_index = run("import " + fresh_flags + " " + tmp("out") + " e2e/multi:multi");
  ASSERT_EQ(imported_index.status, 0) << imported_index.err;
  CmdRun again = run("import " + fresh_flags + " " + tmp("pulled") + " e2e/copy:v1");
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("0 blobs (0 B) copied"), std::string::npos) << again.out;
  CmdRun which = run("import " + fresh_flags + " " + tmp("out") + " e2e/which");
  EXPECT_EQ(which.status, 1);
  EXPECT_NE(which.err.find("say which image"), std::string::npos) << which.err;

  auto server = serve(fresh.path() / "var", work_, port_);
  ASSERT_TRUE(wait_ready(port_));
  HttpClient c(port_);
  auto got = c.request("GET", "/v2/e2e/copy/manifests/v1", "",
                       {{"Accept", std::string(kOciManifestType)}});
  ASSERT_EQ(got.status, 200u) << got.body;
  EXPECT_TRUE(got.body == manifest_body);
  auto got_index = c.request("GET", "/v2/e2e/multi/manifests/multi", "",
                             {{"Accept", std::string(kOciIndexType)}});
  ASSERT_EQ(got_index.status, 200u);
  EXPECT_EQ(digest_of(got_index.body), index_digest);
  for (const auto& e : fs::directory_iterator(tmp("src") + "/blobs/sha256")) {
    const std::string digest = "sha256:" + e.path().filename().string();
    for (const char* repo : {"e2e/copy", "e2e/multi"}) {
      auto blob = c.request("GET", "/v2/" + std::string(repo) + "/blobs/" + digest);
      ASSERT_EQ(blob.status, 200u) << repo << " " << digest;
      EXPECT_TRUE(blob.body == read_file(e.path())) << repo << " " << digest;
    }
  }
  EXPECT_EQ(server->stop(), 0);
}

TEST_F(AdminLayout, ImportRefusesABlobThatDoesNotHashToItsName) {
  auto made =
      sh(std::string(CAIRN_SOURCE_DIR) + "/tests/e2e/make-oci-layout.sh " + tmp("src") + " v1");
  ASSERT_EQ(made.status, 0) << made.output;
  // Flip one byte of the largest blob (the layer).
  fs::path layer;
  for (const auto& e : fs::directory_iterator(tmp("src") + "/blobs/sha256")) {
    if (layer.empty() || fs::file_size(e.path()) > fs::file_size(layer))
      layer = e.path();
  }
  {
    std::fstream f(layer, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(4321);
    const char byte = static_cast<char>(f.get());
    f.seekp(4321);
    f.put(static_cast<char>(byte ^ 0x20));
  }
  const fs::path var = root_.path() / "var";
  CmdRun bad = run("import --root " + var.string() + " " + tmp("src") + " e2e/bad:v1");
  EXPECT_EQ(bad.status, 1) << bad.out;
  EXPECT_NE(bad.err.find("does not match its digest"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(var / "content" / "blobs" / "sha256" / layer.filename()));
  CmdRun du = run("du --json --root " + var.string());
  ASSERT_EQ(du.status, 0) << du.err;
  json figures = parse_json(du.out);
  const json* ns = find_namespace(figures, "e2e/bad");
  if (ns != nullptr) {
    EXPECT_EQ((*ns)["tags"], 0);
    EXPECT_EQ((*ns)["manifests"], 0);
    EXPECT_EQ((*ns)["ingests"]["count"], 0);  // the failed upload was aborted
  }
  CmdRun not_layout = run("import --root " + var.string() + " " + tmp("nothing") + " e2e/x");
  EXPECT_EQ(not_layout.status, 1);
  EXPECT_NE(not_layout.err.find("not an OCI image layout"), std::string::npos) << not_layout.err;
}

TEST_F(AdminLayout, ReadmeAdminBlockRunsAsWritten) {
  REQUIRE_TOOL("skopeo");
  // The block runs from the repository's root: give it build/cairn and the layout script there.
  fs::create_directories(work_.path() / "build");
  fs::create_directories(work_.path() / "tests" / "e2e");
  fs::create_symlink(CAIRN_EXE, work_.path() / "build" / "cairn");
  fs::create_symlink(std::string(CAIRN_SOURCE_DIR) + "/tests/e2e/make-oci-layout.sh",
                     work_.path() / "tests" / "e2e" / "make-oci-layout.sh");
  std::string block = readme_block("## Admin commands");
  ASSERT_FALSE(block.empty());
  std::ofstream(tmp("block.sh")) << block;
  auto ran = sh("cd " + work_.path().string() + " && bash -euo pipefail block.sh");
  ASSERT_EQ(ran.status, 0) << ran.output;
  EXPECT_NE(ran.output.find("library/hello"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("\"Architecture\": \"amd64\""), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("would remove"), std::string::npos) << ran.output;
}

}  // namespace
}  // namespace cairn::testing

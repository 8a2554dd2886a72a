// The consistency check (storage/fsck/checker.h) over a real Storage on a temp dir with a
// manual clock: each finding kind, what --repair does to it, and what it refuses to drop.
#include "storage/fsck/checker.h"

#include "storage/gc/collector.h"
#include "storage/metadata/keys.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <fstream>
#include <set>

namespace cairn::fsck {
namespace {

using content::Digest;
using metadata::ChildKind;
using metadata::Scope;
using namespace std::chrono_literals;

class CheckerTest : public ::testing::Test {
 protected:
  CheckerTest() {
    StorageOptions o;
    o.clock = &clock_;
    storage_ = Storage::open(dir_.path(), o).value();
  }

  Digest push(const std::string& ns, const std::string& data, const std::string& lease = {}) {
    const Digest d = content::digest_of(data);
    auto w = storage_->content().writer(
        Scope{ns, lease}, content::WriterOptions{"up-" + std::to_string(++refs_),
                                                 static_cast<int64_t>(data.size()), d});
    if (!w) {
      EXPECT_EQ(w.error().code, Errc::already_exists) << w.error().detail;
      return d;
    }
    EXPECT_TRUE((*w)->write(data));
    auto r = (*w)->commit(static_cast<int64_t>(data.size()), d);
    EXPECT_TRUE(r) << r.error().detail;
    return d;
  }

  Digest push_manifest(const std::string& ns, const std::string& body,
                       const std::vector<metadata::ManifestChild>& children) {
    const Digest d = push(ns, body);
    metadata::ManifestRecord rec;
    rec.media_type = "application/vnd.oci.image.manifest.v1+json";
    rec.size = static_cast<int64_t>(body.size());
    rec.children = children;
    EXPECT_TRUE(storage_->manifests().put(ns, d, rec));
    return d;
  }

  void tag(const std::string& ns, const std::string& name, const Digest& target) {
    metadata::Descriptor desc{target, "application/vnd.oci.image.manifest.v1+json", 1, {}, {}};
    ASSERT_TRUE(storage_->tags().put(ns, name, desc));
  }

  std::filesystem::path blob_file(const Digest& d) {
    return dir_.path() / "content" / "blobs" / "sha256" / std::string(d.hex());
  }

  void flip_byte(const Digest& d) {
    const auto p = blob_file(d);
    ASSERT_EQ(::chmod(p.c_str(), 0644), 0);
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    char c = 0;
    f.seekg(0);
    f.get(c);
    f.seekp(0);
    f.put(static_cast<char>(c ^ 0x01));
    f.close();
    ASSERT_EQ(::chmod(p.c_str(), 0444), 0);
  }

  Report run(CheckOptions o = {}) {
    auto r = check(*storage_, o);
    EXPECT_TRUE(r) << r.error().detail;
    return r ? *r : Report{};
  }

  static std::vector<const Finding*> of(const Report& r, FindingKind kind) {
    std::vector<const Finding*> out;
    for (const Finding& f : r.findings) {
      if (f.kind == kind)
        out.push_back(&f);
    }
    return out;
  }

  bool recorded(const std::string& ns, const Digest& d) {
    return storage_->content().exists(Scope{ns, {}}, d).value();
  }

  cairn::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<Storage> storage_;
  int refs_ = 0;
};

TEST_F(CheckerTest, CleanRootHasNoFindingsAndCountsEverything) {
  const Digest layer = push("a", "layer bytes");
  const Digest m = push_manifest("a", "{manifest}", {{ChildKind::layer, layer}});
  tag("a", "latest", m);
  std::vector<Progress> seen;
  CheckOptions o;
  o.on_progress = [&](const Progress& p) { seen.push_back(p); };
  Report r = run(o);
  EXPECT_TRUE(r.clean()) << to_json(r).dump();
  EXPECT_EQ(r.state, Report::State::done);
  EXPECT_EQ(r.counts.namespaces, 1u);
  EXPECT_EQ(r.counts.blob_records, 2u);
  EXPECT_EQ(r.counts.manifests, 1u);
  EXPECT_EQ(r.counts.tags, 1u);
  EXPECT_EQ(r.counts.files, 2u);
  EXPECT_EQ(r.progress.bytes_total, 21);
  EXPECT_EQ(r.progress.bytes_hashed, 21);
  EXPECT_EQ(r.progress.blobs_hashed, 2u);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().bytes_hashed, 21);
  EXPECT_EQ(seen.back().bytes_total, 21);
}

TEST_F(CheckerTest, FlippedByteIsCorruptAndNamesTheDigestAndItsNamespaces) {
  const Digest d = push("a", "some blob bytes");
  push("b", "some blob bytes");
  flip_byte(d);
  Report r = run();
  auto corrupt = of(r, FindingKind::corrupt);
  ASSERT_EQ(corrupt.size(), 1u) << to_json(r).dump();
  EXPECT_EQ(corrupt[0]->digest, d.str());
  EXPECT_EQ(corrupt[0]->namespaces, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(corrupt[0]->action.empty());
  // Without repair nothing changes.
  EXPECT_TRUE(std::filesystem::exists(blob_file(d)));
  EXPECT_TRUE(recorded("a", d));
}

TEST_F(CheckerTest, RepairQuarantinesCorruptBlobKeepsManifestAndSaysWhoNeedsIt) {
  const Digest layer = push("a", "layer bytes");
  const Digest m = push_manifest("a", "{manifest}", {{ChildKind::layer, layer}});
  tag("a", "latest", m);
  flip_byte(layer);
  CheckOptions o;
  o.repair = true;
  Report r = run(o);
  auto corrupt = of(r, FindingKind::corrupt);
  ASSERT_EQ(corrupt.size(), 1u) << to_json(r).dump();
  EXPECT_TRUE(corrupt[0]->repaired);
  EXPECT_NE(corrupt[0]->action.find("quarantine/sha256/" + std::string(layer.hex()) + "."),
            std::string::npos)
      << corrupt[0]->action;
  EXPECT_EQ(corrupt[0]->needed_by, (std::vector<std::string>{"a manifest " + m.str()}));
  // Moved, not deleted; its record gone so a client can push it again.
  EXPECT_FALSE(std::filesystem::exists(blob_file(layer)));
  size_t quarantined = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path() / "quarantine" / "sha256")) {
    EXPECT_TRUE(e.path().filename().string().starts_with(std::string(layer.hex()) + "."));
    ++quarantined;
  }
  EXPECT_EQ(quarantined, 1u);
  EXPECT_FALSE(recorded("a", layer));
  // The manifest and its tag stay, and the manifest now shows what it misses.
  EXPECT_TRUE(storage_->manifests().get("a", m));
  EXPECT_TRUE(storage_->tags().get("a", "latest"));
  auto broken = of(r, FindingKind::manifest_blob_missing);
  ASSERT_EQ(broken.size(), 1u);
  EXPECT_EQ(broken[0]->name, m.str());
  EXPECT_EQ(broken[0]->digest, layer.str());
  EXPECT_EQ(r.counts.repaired, 1u);

  // A re-push heals it: the next check finds nothing.
  push("a", "layer bytes");
  Report again = run();
  EXPECT_TRUE(again.clean()) << to_json(again).dump();
}

TEST_F(CheckerTest, LeaseAndRootHeldCorruptBlobIsReportedWithItsHolders) {
  ASSERT_TRUE(storage_->leases().create("a", metadata::LeaseOptions{"keep", {}, {}}));
  const Digest d = push("a", "held bytes", "keep");
  content::Info info{d, 0, {}, {}, {{std::string(gc::kRootLabel), "1"}}};
  std::vector<std::string> paths{"labels." + std::string(gc::kRootLabel)};
  ASSERT_TRUE(storage_->content().update(Scope{"a", {}}, info, paths));
  flip_byte(d);
  CheckOptions o;
  o.repair = true;
  Report r = run(o);
  auto corrupt = of(r, FindingKind::corrupt);
  ASSERT_EQ(corrupt.size(), 1u);
  EXPECT_EQ(corrupt[0]->needed_by, (std::vector<std::string>{"a gc.root", "a lease keep"}));
  EXPECT_TRUE(corrupt[0]->repaired);
}

TEST_F(CheckerTest, RecordWithoutFileIsMissingAndRepairDropsTheRecord) {
  const Digest d = push("a", "vanishing");
  const Digest m = push_manifest("a", "{m}", {{ChildKind::config, d}});
  ASSERT_TRUE(storage_->blobs().remove(d));
  Report r = run();
  auto missing = of(r, FindingKind::missing);
  ASSERT_EQ(missing.size(), 1u) << to_json(r).dump();
  EXPECT_EQ(missing[0]->digest, d.str());
  EXPECT_EQ(missing[0]->ns, "a");
  EXPECT_EQ(missing[0]->needed_by, (std::vector<std::string>{"a manifest " + m.str()}));

  CheckOptions o;
  o.repair = true;
  Report fixed = run(o);
  EXPECT_FALSE(recorded("a", d));
  EXPECT_TRUE(storage_->manifests().get("a", m));
  EXPECT_EQ(of(fixed, FindingKind::manifest_blob_missing).size(), 1u);
  Report after = run();
  EXPECT_TRUE(of(after, FindingKind::missing).empty());
  EXPECT_EQ(of(after, FindingKind::manifest_blob_missing).size(), 1u);
}

TEST_F(CheckerTest, UnrecordedFileIsYoungWithinGraceThenAnOrphanThatRepairRemoves) {
  const Digest d = push("a", "soon unrecorded");
  ASSERT_TRUE(storage_->content().remove(Scope{"a", {}}, d));
  Report young = run();
  EXPECT_TRUE(young.findings.empty()) << to_json(young).dump();
  EXPECT_EQ(young.counts.young_files, 1u);

  clock_.advance(2h);
  Report r = run();
  auto orphans = of(r, FindingKind::orphan);
  ASSERT_EQ(orphans.size(), 1u) << to_json(r).dump();
  EXPECT_EQ(orphans[0]->digest, d.str());
  EXPECT_TRUE(std::filesystem::exists(blob_file(d)));

  CheckOptions o;
  o.repair = true;
  Report fixed = run(o);
  EXPECT_TRUE(of(fixed, FindingKind::orphan)[0]->repaired);
  EXPECT_FALSE(std::filesystem::exists(blob_file(d)));
  EXPECT_TRUE(run().clean());
}

TEST_F(CheckerTest, OrphanALeaseStillNamesIsKeptAndSaysSo) {
  ASSERT_TRUE(storage_->leases().create("a", metadata::LeaseOptions{"hold", {}, {}}));
  const Digest d = push("a", "leased bytes", "hold");
  ASSERT_TRUE(storage_->content().remove(Scope{"a", {}}, d));
  clock_.advance(2h);
  CheckOptions o;
  o.repair = true;
  Report r = run(o);
  auto orphans = of(r, FindingKind::orphan);
  ASSERT_EQ(orphans.size(), 1u) << to_json(r).dump();
  EXPECT_FALSE(orphans[0]->repaired);
  EXPECT_EQ(orphans[0]->needed_by, (std::vector<std::string>{"a lease hold"}));
  EXPECT_NE(orphans[0]->action.find("kept"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(blob_file(d)));
}

TEST_F(CheckerTest, StaleIngestsAreReportedAndRepairAbortsThemButNotLeasedOnes) {
  auto open_and_leave = [&](const Scope& scope, const std::string& ref) {
    auto w = storage_->content().writer(scope, content::WriterOptions{ref, 0, {}});
    ASSERT_TRUE(w) << w.error().detail;
    ASSERT_TRUE((*w)->write(std::string_view("partial")));
  };
  ASSERT_TRUE(storage_->leases().create("a", metadata::LeaseOptions{"l", {}, {}}));
  open_and_leave(Scope{"a", {}}, "expiring");
  open_and_leave(Scope{"a", "l"}, "leased");
  {
    auto w = storage_->blobs().writer(content::WriterOptions{"a@unrecorded", 0, {}});
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->write(std::string_view("x")));
  }
  // An ingest directory whose record files are gone (a crash while it was made).
  const auto broken =
      dir_.path() / "content" / "ingest" / std::string(content::digest_of("lost").hex());
  std::filesystem::create_directories(broken);
  std::ofstream(broken / "data") << "junk";

  clock_.advance(25h);
  Report r = run();
  std::set<std::string> names;
  for (const Finding* f : of(r, FindingKind::stale_ingest))
    names.insert(f->ns + "/" + f->name);
  EXPECT_EQ(names, (std::set<std::string>{"a/expiring", "a/unrecorded",
                                          "/" + std::string(content::digest_of("lost").hex())}))
      << to_json(r).dump();

  CheckOptions o;
  o.repair = true;
  Report fixed = run(o);
  for (const Finding* f : of(fixed, FindingKind::stale_ingest))
    EXPECT_TRUE(f->repaired) << f->name << ": " << f->action;
  EXPECT_EQ(storage_->content().status(Scope{"a", {}}, "expiring").error().code, Errc::not_found);
  EXPECT_EQ(storage_->blobs().status("a@unrecorded").error().code, Errc::not_found);
  EXPECT_FALSE(std::filesystem::exists(broken));
  EXPECT_TRUE(storage_->content().status(Scope{"a", {}}, "leased"));
  EXPECT_TRUE(of(run(), FindingKind::stale_ingest).empty());
}

TEST_F(CheckerTest, DanglingTagAndUnlistedManifestChildAreReported) {
  const Digest absent = content::digest_of("never pushed");
  // TagStore refuses a tag without its manifest: write one as a bug or a lost write would.
  metadata::TagRecord ghost{{absent, "application/vnd.oci.image.manifest.v1+json", 1, {}, {}},
                            clock_.now(),
                            clock_.now(),
                            {}};
  metadata::Batch raw;
  raw.put(metadata::keys::tag("a", "ghost"), metadata::encode(ghost));
  ASSERT_TRUE(storage_->db().engine().write(raw, /*sync=*/true));
  const Digest m = push_manifest(
      "a", "{m2}", {{ChildKind::layer, absent}, {ChildKind::subject, content::digest_of("s")}});
  Report r = run();
  auto tags = of(r, FindingKind::dangling_tag);
  ASSERT_EQ(tags.size(), 1u) << to_json(r).dump();
  EXPECT_EQ(tags[0]->name, "ghost");
  auto broken = of(r, FindingKind::manifest_blob_missing);
  ASSERT_EQ(broken.size(), 1u);  // the subject may be absent
  EXPECT_EQ(broken[0]->name, m.str());
  EXPECT_EQ(broken[0]->digest, absent.str());
  // Repair reports these, never deletes.
  CheckOptions o;
  o.repair = true;
  Report again = run(o);
  EXPECT_EQ(of(again, FindingKind::dangling_tag)[0]->action, "none: reported only");
  EXPECT_TRUE(storage_->tags().get("a", "ghost"));
}

TEST_F(CheckerTest, UndecodableRecordIsABadRecord) {
  push("a", "fine");
  const std::string key = metadata::keys::blob("a", content::digest_of("x").str());
  metadata::Batch raw;
  raw.put(key, "not json");
  ASSERT_TRUE(storage_->db().engine().write(raw, /*sync=*/true));
  Report r = run();
  auto bad = of(r, FindingKind::bad_record);
  ASSERT_EQ(bad.size(), 1u) << to_json(r).dump();
  EXPECT_EQ(bad[0]->ns, "a");
  EXPECT_EQ(bad[0]->name.find('\0'), std::string::npos);
}

TEST_F(CheckerTest, StoppedCheckSaysCancelledAndRepairsNothing) {
  const Digest d = push("a", "bytes");
  flip_byte(d);
  std::stop_source stop;
  stop.request_stop();
  CheckOptions o;
  o.repair = true;
  o.stop = stop.get_token();
  Report r = run(o);
  EXPECT_EQ(r.state, Report::State::cancelled);
  EXPECT_FALSE(r.clean());
  EXPECT_TRUE(std::filesystem::exists(blob_file(d)));
}

TEST_F(CheckerTest, ReportJsonHasTheDocumentedShape) {
  const Digest d = push("a", "json bytes");
  flip_byte(d);
  Report r = run();
  r.trigger = "cli";
  auto j = to_json(r);
  EXPECT_EQ(j["state"], "done");
  EXPECT_EQ(j["trigger"], "cli");
  EXPECT_EQ(j["repair"], false);
  EXPECT_TRUE(j["startedAt"].is_string());
  EXPECT_TRUE(j["finishedAt"].is_string());
  EXPECT_EQ(j["progress"]["bytesTotal"], 10);
  EXPECT_EQ(j["counts"]["files"], 1);
  ASSERT_EQ(j["findings"].size(), 1u);
  EXPECT_EQ(j["findings"][0]["kind"], "corrupt");
  EXPECT_EQ(j["findings"][0]["digest"], d.str());
  EXPECT_EQ(j["findings"][0]["namespaces"][0], "a");
}

}  // namespace
}  // namespace cairn::fsck

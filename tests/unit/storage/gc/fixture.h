// Shared set-up for the GC tests: a real LocalStore and LevelDB on a temp dir (or the engine a
// derived fixture makes: PostgreSQL), a manual clock, the metadata stores over them, and helpers
// that push blobs and manifests as clients do.
#pragma once

#include "storage/common/clock.h"
#include "storage/content/digest.h"
#include "storage/content/local_store.h"
#include "storage/gc/collector.h"
#include "storage/metadata/content_store.h"
#include "storage/metadata/db.h"
#include "storage/metadata/keys.h"
#include "storage/metadata/leases.h"
#include "storage/metadata/manifests.h"
#include "storage/metadata/tags.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cairn::gc::testing {

using content::Digest;
using content::Labels;
using metadata::ChildKind;
using metadata::Scope;
using namespace std::chrono_literals;

class GcTest : public ::testing::Test {
 protected:
  // Makes the metadata engine for each (re)open; empty: LevelDB under the temp dir.
  using EngineFactory = std::function<std::unique_ptr<metadata::Engine>()>;

  explicit GcTest(EngineFactory engine = {}) : engine_(std::move(engine)) {
    content::LocalStoreOptions lo;
    lo.clock = &clock_;
    backend_ = content::LocalStore::open(dir_ / "content", lo).value();
    reopen({});
  }

  // (Re)opens the database with `mo` (its clock is the fixture's) and the stores over it.
  void reopen(metadata::DatabaseOptions mo) {
    cs_.reset();
    tags_.reset();
    manifests_.reset();
    leases_.reset();
    db_.reset();
    mo.clock = &clock_;
    db_ = engine_ ? metadata::Database::open(engine_(), mo).value()
                  : metadata::Database::open(dir_ / "meta", mo).value();
    cs_ = std::make_unique<metadata::ContentStore>(*db_, *backend_);
    tags_ = std::make_unique<metadata::TagStore>(*db_);
    manifests_ = std::make_unique<metadata::ManifestStore>(*db_);
    leases_ = std::make_unique<metadata::LeaseStore>(*db_);
  }

  // A collector over the fixture's stores (grace 1h unless told).
  std::unique_ptr<Collector> collector(GcOptions options = {}) {
    return std::make_unique<Collector>(*db_, *cs_, *backend_, std::move(options));
  }

  GcStats gc(GcOptions options = {}) {
    auto stats = collector(std::move(options))->collect();
    EXPECT_TRUE(stats) << stats.error().detail;
    return stats ? *stats : GcStats{};
  }

  // Uploads `data` into `ns` (under `lease` when given) with `labels`.
  Digest put(const std::string& ns, const std::string& data, const Labels& labels = {},
             const std::string& lease = {}) {
    const Digest d = content::digest_of(data);
    auto w =
        cs_->writer(Scope{ns, lease}, content::WriterOptions{"up-" + std::to_string(++refs_),
                                                             static_cast<int64_t>(data.size()), d});
    if (!w) {
      EXPECT_EQ(w.error().code, Errc::already_exists) << w.error().detail;
      return d;
    }
    EXPECT_TRUE((*w)->write(data));
    auto r = (*w)->commit(static_cast<int64_t>(data.size()), d, labels);
    EXPECT_TRUE(r || r.error().code == Errc::already_exists) << r.error().detail;
    return d;
  }

  // Pushes a manifest: its bytes as a blob, then its record listing `children`.
  Digest put_manifest(const std::string& ns, const std::string& body,
                      const std::vector<metadata::ManifestChild>& children,
                      const std::string& lease = {}) {
    const Digest d = put(ns, body, {}, lease);
    metadata::ManifestRecord rec;
    rec.media_type = "application/vnd.oci.image.manifest.v1+json";
    rec.size = static_cast<int64_t>(body.size());
    rec.children = children;
    EXPECT_TRUE(manifests_->put(ns, d, rec));
    return d;
  }

  void tag(const std::string& ns, const std::string& name, const Digest& target) {
    metadata::Descriptor desc{target, "application/vnd.oci.image.index.v1+json", 1, {}, {}};
    auto r = tags_->put(ns, name, desc);
    EXPECT_TRUE(r) << r.error().detail;
  }

  // Labels `d` in `ns` with gc.root.
  void root(const std::string& ns, const Digest& d) {
    content::Info info{d, 0, {}, {}, {{std::string(kRootLabel), "1"}}};
    std::vector<std::string> paths{"labels." + std::string(kRootLabel)};
    auto r = cs_->update(Scope{ns, {}}, info, paths);
    EXPECT_TRUE(r) << r.error().detail;
  }

  // Whether `ns` has a record of `d` (and, when it does, whether the bytes read back).
  bool visible(const std::string& ns, const Digest& d) {
    if (!cs_->exists(Scope{ns, {}}, d).value())
      return false;
    auto r = cs_->reader(Scope{ns, {}}, d);
    EXPECT_TRUE(r) << "record without its file: " << d.str();
    return static_cast<bool>(r);
  }

  bool file(const Digest& d) { return backend_->exists(d); }

  // Every blob record of every namespace has its file (the crash invariant).
  void expect_no_record_without_file() {
    auto r =
        db_->scan(metadata::keys::schema_prefix(), {}, [&](std::string_view key, std::string_view) {
          auto p = metadata::keys::parse(key);
          if (p && p->kind == metadata::keys::KeyKind::blob) {
            auto d = Digest::parse(p->name).value();
            EXPECT_TRUE(backend_->exists(d)) << p->ns << " " << p->name;
          }
          return true;
        });
    EXPECT_TRUE(r);
  }

  static metadata::ManifestChild child(ChildKind kind, const Digest& d) {
    return metadata::ManifestChild{kind, d};
  }

  EngineFactory engine_;
  cairn::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<content::LocalStore> backend_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<metadata::ContentStore> cs_;
  std::unique_ptr<metadata::TagStore> tags_;
  std::unique_ptr<metadata::ManifestStore> manifests_;
  std::unique_ptr<metadata::LeaseStore> leases_;
  int refs_ = 0;
};

}  // namespace cairn::gc::testing

// The shared content store suite, run against one namespace of the metadata ContentStore.
//
// The suite is the plain content::Store contract, which the isolated policy meets exactly. Under
// the shared policy writer() deliberately answers already_exists for an expected digest the
// backend holds (recording it in the namespace), which the suite's Remove test (re-put after
// remove) does not expect; content_store_test.cpp covers the shared policy instead.
#include "storage/content/local_store.h"
#include "storage/metadata/content_store.h"
#include "storage/metadata/db.h"
#include "storage/metadata/leases.h"
#include "storage/metadata/namespace_view.h"
#include "tests/unit/storage/content/store_suite.h"

namespace cairn::testing {
namespace {

class MetadataHarness {
 public:
  MetadataHarness(std::filesystem::path dir, metadata::Scope scope)
      : dir_(std::move(dir)), scope_(std::move(scope)) {
    reopen();
    if (!scope_.lease.empty()) {
      metadata::LeaseStore(*db_).create(scope_.ns, {scope_.lease, {}, std::nullopt}).value();
    }
    // Another namespace holding its own content: the view under test must never see it.
    metadata::NamespaceView other(*cs_, metadata::Scope{"other/ns", ""});
    store_suite::put(other, "other-ref", "content of another namespace").value();
  }

  content::Store& store() { return *view_; }
  ManualClock& clock() { return clock_; }
  void reopen() {
    view_.reset();
    cs_.reset();
    db_.reset();
    backend_.reset();
    content::LocalStoreOptions lo;
    lo.clock = &clock_;
    backend_ = content::LocalStore::open(dir_ / "content", lo).value();
    metadata::DatabaseOptions mo;
    mo.clock = &clock_;
    db_ = metadata::Database::open(dir_ / "meta", mo).value();
    cs_ = std::make_unique<metadata::ContentStore>(
        *db_, *backend_, metadata::ContentStoreOptions{metadata::SharingPolicy::isolated});
    view_ = std::make_unique<metadata::NamespaceView>(*cs_, scope_);
  }

 private:
  std::filesystem::path dir_;
  metadata::Scope scope_;
  ManualClock clock_;
  std::unique_ptr<content::LocalStore> backend_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<metadata::ContentStore> cs_;
  std::unique_ptr<metadata::NamespaceView> view_;
};

struct NamespacedFactory {
  static std::unique_ptr<MetadataHarness> make(const std::filesystem::path& dir) {
    return std::make_unique<MetadataHarness>(dir, metadata::Scope{"library/suite", ""});
  }
};

struct LeasedFactory {
  static std::unique_ptr<MetadataHarness> make(const std::filesystem::path& dir) {
    return std::make_unique<MetadataHarness>(dir, metadata::Scope{"suite", "suite-lease"});
  }
};

}  // namespace

using MetadataFactories = ::testing::Types<NamespacedFactory, LeasedFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Metadata, StoreSuite, MetadataFactories);

}  // namespace cairn::testing

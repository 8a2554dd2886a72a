// The shared content store suite, run against LocalStore.
#include "storage/content/local_store.h"
#include "tests/unit/storage/content/store_suite.h"

namespace cairn::testing {
namespace {

class LocalHarness {
 public:
  explicit LocalHarness(std::filesystem::path root) : root_(std::move(root)) { reopen(); }

  content::Store& store() { return *store_; }
  ManualClock& clock() { return clock_; }
  void reopen() {
    store_.reset();
    content::LocalStoreOptions opts;
    opts.clock = &clock_;
    store_ = content::LocalStore::open(root_, opts).value();
  }

 private:
  std::filesystem::path root_;
  ManualClock clock_;
  std::unique_ptr<content::LocalStore> store_;
};

struct LocalFactory {
  static std::unique_ptr<LocalHarness> make(const std::filesystem::path& dir) {
    return std::make_unique<LocalHarness>(dir / "content");
  }
};

}  // namespace

using LocalFactories = ::testing::Types<LocalFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Local, StoreSuite, LocalFactories);

}  // namespace cairn::testing

// The metadata engine contract, run against the embedded LevelDB engine.
#include "storage/metadata/leveldb_engine.h"
#include "tests/unit/storage/metadata/engine_suite.h"

namespace cairn::testing {
namespace {

struct LevelDbFactory {
  static constexpr bool kReopenWaitsForCursors = true;
  static std::unique_ptr<metadata::Engine> make(const std::filesystem::path& dir) {
    return metadata::LevelDbEngine::open(dir / "meta").value();
  }
};

}  // namespace

using LevelDbFactories = ::testing::Types<LevelDbFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(LevelDb, EngineSuite, LevelDbFactories);

}  // namespace cairn::testing

// Writers commit (and delete, and mount) while GC runs again and again with no grace period
// (race.h), in one process.
#include "tests/unit/storage/gc/race.h"

namespace cairn::gc::testing {
namespace {

TEST_F(RaceTest, WritersNeverLoseRootedBlobsWhileGcRuns) {
  Collector collector(*db_, *cs_, *backend_, race_options());
  writers_never_lose_rooted_blobs(collector);
}

}  // namespace
}  // namespace cairn::gc::testing

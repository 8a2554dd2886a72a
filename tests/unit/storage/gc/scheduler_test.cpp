#include "storage/gc/scheduler.h"

#include "tests/unit/storage/gc/fixture.h"

#include <gtest/gtest.h>

#include <thread>

namespace cairn::gc::testing {
namespace {

const std::string kSchedNs = "library/sched";

class SchedulerTest : public GcTest {
 protected:
  SchedulerTest() : collector_(*db_, *cs_, *backend_) {}

  std::unique_ptr<Scheduler> scheduler(SchedulerOptions o = {}) {
    return std::make_unique<Scheduler>(collector_, *db_, o);
  }

  // The gap the pause ratio leaves after runs averaging `avg`.
  static std::chrono::nanoseconds gap(double a, double ratio) {
    return std::chrono::nanoseconds(static_cast<int64_t>(a / ratio - a));
  }

  Collector collector_;
};

TEST_F(SchedulerTest, StartupDelayThenTheFirstTickCollects) {
  SchedulerOptions o;
  o.startup_delay = 5s;
  auto s = scheduler(o);
  EXPECT_FALSE(s->last());
  EXPECT_EQ(s->next_due(), clock_.now() + 5s);
  clock_.advance(4s);
  EXPECT_FALSE(s->tick());
  clock_.advance(1s);
  EXPECT_TRUE(s->tick());
  ASSERT_TRUE(s->last());
  EXPECT_EQ(s->last()->started_at, clock_.now());
}

TEST_F(SchedulerTest, IdleTicksSkipAndADeletionMakesTheNextTickRun) {
  SchedulerOptions o;
  o.startup_delay = 0s;
  o.interval = 10s;
  auto s = scheduler(o);
  const Digest d = put(kSchedNs, "blob");
  ASSERT_TRUE(s->tick());
  ASSERT_FALSE(db_->dirty());

  // Nothing happened: the tick is skipped and comes back an interval later.
  clock_.advance(1h);
  EXPECT_FALSE(s->tick());
  EXPECT_EQ(s->next_due(), clock_.now() + 10s);
  clock_.advance(5s);
  EXPECT_FALSE(s->tick());  // not due yet

  // One deletion is enough for the next tick, but it does not pull the tick in.
  ASSERT_TRUE(cs_->remove(Scope{kSchedNs, {}}, d));
  EXPECT_TRUE(db_->dirty());
  EXPECT_FALSE(s->tick());
  clock_.advance(5s);
  EXPECT_TRUE(s->tick());
  EXPECT_FALSE(db_->dirty());
  EXPECT_EQ(s->last()->removed_files, 1u);
  EXPECT_EQ(s->pending_mutations(), 0u);
}

TEST_F(SchedulerTest, MutationThresholdSchedulesACollectionAtOnce) {
  SchedulerOptions o;
  o.startup_delay = 0s;
  o.interval = 1h;
  o.mutation_threshold = 5;
  auto s = scheduler(o);
  ASSERT_TRUE(s->tick());
  const auto run_time = s->last()->duration;
  clock_.advance(2h);
  EXPECT_FALSE(s->tick());  // idle: next in an hour
  const Timestamp idle_due = s->next_due();
  EXPECT_EQ(idle_due, clock_.now() + 1h);

  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(leases_->create(kSchedNs, metadata::LeaseOptions{"l" + std::to_string(i), {}, {}}));
  EXPECT_EQ(s->pending_mutations(), 4u);
  EXPECT_EQ(s->next_due(), idle_due);
  ASSERT_TRUE(leases_->create(kSchedNs, metadata::LeaseOptions{"l4", {}, {}}));
  // Pulled in to now: the pause-ratio gap since the last run (2h ago) has long passed.
  EXPECT_EQ(s->next_due(), clock_.now());
  EXPECT_TRUE(s->tick());
  EXPECT_EQ(s->pending_mutations(), 0u);
  // ...but never sooner than the pause ratio allows after a run.
  for (int i = 5; i < 10; ++i)
    ASSERT_TRUE(leases_->create(kSchedNs, metadata::LeaseOptions{"l" + std::to_string(i), {}, {}}));
  const double avg = static_cast<double>((run_time + s->last()->duration).count()) / 2.0;
  EXPECT_EQ(s->next_due(), clock_.now() + gap(avg, 0.02));
}

TEST_F(SchedulerTest, PauseRatioSpacesRuns) {
  SchedulerOptions o;
  o.startup_delay = 0s;
  o.pause_ratio = 0.1;
  auto s = scheduler(o);
  ASSERT_TRUE(s->tick());
  const auto g = gap(static_cast<double>(s->last()->duration.count()), 0.1);
  EXPECT_EQ(s->next_due(), clock_.now() + g);
  ASSERT_TRUE(cs_->remove(Scope{kSchedNs, {}}, put(kSchedNs, "x")));  // dirty: wants a run
  if (g > std::chrono::nanoseconds(0)) {
    EXPECT_FALSE(s->tick());
  }
  clock_.advance(g);
  EXPECT_TRUE(s->tick());
}

TEST_F(SchedulerTest, RunNowReturnsTheFiguresAndLastKeepsThem) {
  auto s = scheduler();
  const Digest junk = put(kSchedNs, "junk");
  clock_.advance(2h);
  auto r = s->run_now();
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->removed_blobs, 1u);
  EXPECT_EQ(r->removed_files, 1u);
  EXPECT_EQ(r->removed_bytes, 4);
  EXPECT_EQ(r->started_at, clock_.now());
  EXPECT_GT(r->duration.count(), 0);
  ASSERT_TRUE(s->last());
  EXPECT_EQ(*s->last(), *r);
  EXPECT_FALSE(visible(kSchedNs, junk));
}

TEST_F(SchedulerTest, ScheduledRunsOnItsThreadAndStops) {
  SchedulerOptions o;
  o.clock = &SystemClock::instance();
  o.startup_delay = 1ms;
  auto s = scheduler(o);
  s->start();
  s->start();  // idempotent
  for (int i = 0; i < 500 && !s->last(); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(s->last());
  s->stop();
  s->stop();
}

TEST_F(SchedulerTest, DatabaseOutlivesTheScheduler) {
  scheduler().reset();
  // The mutation callback is still registered; it must not reach the destroyed scheduler.
  put(kSchedNs, "after the scheduler");
}

}  // namespace
}  // namespace cairn::gc::testing

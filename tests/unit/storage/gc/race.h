// The writers' race: writers commit (and delete, and mount) through the fixture's stores while
// a collector runs again and again with no grace period; afterwards every blob that was rooted
// when its writer finished is readable, and no record is left without its file. The collector
// is the caller's: over the same stores (one process), or over a second Database sharing the
// engine (a replica: tests/unit/storage/pg).
#pragma once

#include "storage/gc/collector.h"
#include "tests/unit/storage/gc/fixture.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace cairn::gc::testing {

class RaceTest : public GcTest {
 protected:
  using GcTest::GcTest;

  // A collector's options for the race: no grace (only real roots protect anything), small
  // deletion chunks (commits interleave with the sweep).
  static GcOptions race_options() {
    GcOptions o;
    o.grace = 0s;
    o.delete_chunk = 4;
    return o;
  }

  void writers_never_lose_rooted_blobs(Collector& collector) {
    struct Rooted {
      std::string ns;
      Digest digest;
    };

    constexpr int kPerWriter = 60;

    std::mutex mu;
    std::vector<Rooted> rooted;
    std::atomic<int> writers_left{4};
    std::atomic<int> failures{0};
    auto keep = [&](std::string ns, Digest d) {
      std::lock_guard lock(mu);
      rooted.push_back({std::move(ns), std::move(d)});
    };
    auto check = [&](bool ok, const std::string& what) {
      if (!ok) {
        ++failures;
        ADD_FAILURE() << what;
      }
    };

    std::vector<std::thread> threads;
    // 1: blobs labelled gc.root, plus unrooted ones deleted again (dirty changes).
    threads.emplace_back([&] {
      for (int i = 0; i < kPerWriter; ++i) {
        keep("w/root", put("w/root", "root " + std::to_string(i), {{"containerd.io/gc.root", ""}}));
        const Digest junk = put("w/root", "junk " + std::to_string(i));
        (void)cs_->remove(Scope{"w/root", {}}, junk);  // may be gone already: GC got there first
      }
      --writers_left;
    });
    // 2: a push as clients with leases do: layers and manifest under a lease, then a tag, then
    //    the lease goes and the tag alone holds the image.
    threads.emplace_back([&] {
      for (int i = 0; i < kPerWriter / 3; ++i) {
        const std::string id = "push-" + std::to_string(i);
        check(static_cast<bool>(leases_->create("w/tag", metadata::LeaseOptions{id, {}, {}})),
              "lease");
        const Digest l1 = put("w/tag", "layer a " + std::to_string(i), {}, id);
        const Digest l2 = put("w/tag", "layer b " + std::to_string(i), {}, id);
        const Digest m =
            put_manifest("w/tag", "manifest " + std::to_string(i),
                         {child(ChildKind::layer, l1), child(ChildKind::layer, l2)}, id);
        tag("w/tag", "t" + std::to_string(i), m);
        check(static_cast<bool>(leases_->remove("w/tag", id)), "lease remove");
        keep("w/tag", l1);
        keep("w/tag", l2);
        keep("w/tag", m);
      }
      --writers_left;
    });
    // 3: blobs under one long lease, referring by label to blobs committed just before.
    threads.emplace_back([&] {
      check(static_cast<bool>(leases_->create("w/lease", metadata::LeaseOptions{"long", {}, {}})),
            "lease");
      for (int i = 0; i < kPerWriter; ++i) {
        // The child is committed unrooted and only referred to afterwards: it may be collected in
        // between (grace 0), in which case the parent's ref dangles; so commit the child under the
        // lease too, then the parent referring to it.
        const Digest c = put("w/lease", "child " + std::to_string(i), {}, "long");
        const Digest p = put("w/lease", "parent " + std::to_string(i),
                             {{"containerd.io/gc.ref.content", c.str()}}, "long");
        keep("w/lease", c);
        keep("w/lease", p);
      }
      --writers_left;
    });
    // 4: the same bytes in two namespaces: rooted in one, committed and removed in the other, and
    //    mounted (shared policy, from the backend) into a third under gc.root.
    threads.emplace_back([&] {
      for (int i = 0; i < kPerWriter; ++i) {
        const std::string bytes = "shared " + std::to_string(i);
        // Fresh bytes: a real commit, so the label is recorded with the blob. (A later writer of
        // the same digest takes the shared-policy shortcut, which records no labels.)
        const Digest d = put("w/share-a", bytes, {{"containerd.io/gc.root", ""}});
        keep("w/share-a", d);
        put("w/share-b", bytes);
        (void)cs_->remove(Scope{"w/share-b", {}}, d);
        auto m = cs_->mount(Scope{"w/share-c", {}}, d);
        if (m) {
          content::Info info{d, 0, {}, {}, {{"containerd.io/gc.root", ""}}};
          std::vector<std::string> paths{"labels.containerd.io/gc.root"};
          // It may be collected between the mount and the label (grace 0): only keep it if
          // labelled.
          if (cs_->update(Scope{"w/share-c", {}}, info, paths))
            keep("w/share-c", d);
        }
      }
      --writers_left;
    });

    int runs = 0;
    size_t removed = 0;
    while (writers_left.load() > 0 || runs < 3) {
      auto s = collector.collect();
      ASSERT_TRUE(s) << s.error().detail;
      removed += s->removed_blobs;
      ++runs;
    }
    for (auto& t : threads)
      t.join();
    auto s = collector.collect();
    ASSERT_TRUE(s) << s.error().detail;
    EXPECT_EQ(failures.load(), 0);
    EXPECT_GT(runs, 3);

    for (const Rooted& r : rooted) {
      EXPECT_TRUE(visible(r.ns, r.digest)) << r.ns << " " << r.digest.str();
    }
    expect_no_record_without_file();
    RecordProperty("gc_runs", runs);
    RecordProperty("removed_blob_records", static_cast<int>(removed));
  }
};

}  // namespace cairn::gc::testing

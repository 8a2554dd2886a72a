// The metadata engine contract (storage/metadata/engine.h), as a typed suite every engine runs:
// instantiate it with a factory whose make(dir) opens an engine kept under `dir` (the same
// dir opens the same data again), and whose kReopenWaitsForCursors says whether reopen() must
// wait for open cursors (LevelDB: its directory lock allows one handle) or need not.
#pragma once

#include "storage/metadata/db.h"
#include "storage/metadata/engine.h"
#include "storage/metadata/keys.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cairn::testing {

template <class Factory>
class EngineSuite : public ::testing::Test {
 protected:
  EngineSuite() { engine_ = Factory::make(dir_.path()); }

  metadata::Engine& engine() { return *engine_; }
  // Closes the engine and opens the same data again.
  void reopen() {
    engine_.reset();
    engine_ = Factory::make(dir_.path());
  }
  void put(const std::string& key, const std::string& value) {
    metadata::Batch b;
    b.put(key, value);
    ASSERT_TRUE(engine_->write(b, /*sync=*/true));
  }
  // The value under `key`, or "<absent>".
  std::string get(const std::string& key) {
    auto v = engine_->get(key);
    EXPECT_TRUE(v) << v.error().detail;
    return v && v->has_value() ? **v : std::string("<absent>");
  }
  // Every key from `from` on, in cursor order.
  std::vector<std::string> keys_from(metadata::Cursor& c, const std::string& from) {
    std::vector<std::string> out;
    for (c.seek(from); c.valid(); c.next())
      out.emplace_back(c.key());
    EXPECT_TRUE(c.status());
    return out;
  }

  TempDir dir_;
  std::unique_ptr<metadata::Engine> engine_;
};

TYPED_TEST_SUITE_P(EngineSuite);

TYPED_TEST_P(EngineSuite, PointReadsSeeWhatABatchWrote) {
  EXPECT_EQ(this->get("k"), "<absent>");
  metadata::Batch b;
  b.put("k", "v1");
  b.put("j", "w");
  ASSERT_TRUE(this->engine().write(b, /*sync=*/false));
  EXPECT_EQ(this->get("k"), "v1");
  EXPECT_EQ(this->get("j"), "w");
  metadata::Batch r;
  r.remove("k");
  r.remove("never-there");
  ASSERT_TRUE(this->engine().write(r, /*sync=*/true));
  EXPECT_EQ(this->get("k"), "<absent>");
  EXPECT_EQ(this->get("j"), "w");
}

TYPED_TEST_P(EngineSuite, WithinABatchTheLaterChangeToAKeyWins) {
  this->put("gone", "x");
  metadata::Batch b;
  b.put("k", "1");
  b.put("k", "2");
  b.remove("gone");
  b.put("gone", "back");
  b.put("removed", "y");
  b.remove("removed");
  ASSERT_TRUE(this->engine().write(b, /*sync=*/true));
  EXPECT_EQ(this->get("k"), "2");
  EXPECT_EQ(this->get("gone"), "back");
  EXPECT_EQ(this->get("removed"), "<absent>");
}

TYPED_TEST_P(EngineSuite, KeysAndValuesAreBytesInBytewiseOrder) {
  const std::vector<std::string> sorted = {
      std::string("a"),     std::string("a\0", 2), std::string("a\0\0", 3),
      std::string("a\x01"), std::string("ab"),     std::string("b"),
      std::string("\x7f"),  std::string("\x80"),   std::string("\xff\xff")};
  metadata::Batch b;
  for (auto it = sorted.rbegin(); it != sorted.rend(); ++it)
    b.put(*it, "value of " + *it);
  const std::string binary("\0\xff\n\r\\x'\"", 9);
  b.put(std::string("bin\0", 4), binary);
  const std::string big(1 << 20, '\xa5');
  b.put("big", big);
  ASSERT_TRUE(this->engine().write(b, /*sync=*/true));
  auto c = this->engine().cursor();
  auto all = this->keys_from(*c, "");
  std::vector<std::string> expected = sorted;
  expected.push_back(std::string("bin\0", 4));
  expected.push_back("big");
  std::sort(expected.begin(), expected.end());  // std::string compares bytes as unsigned
  EXPECT_EQ(all, expected);
  EXPECT_EQ(this->get(std::string("bin\0", 4)), binary);
  EXPECT_EQ(this->get("big"), big);
  EXPECT_EQ(this->get(std::string("a\0", 2)), std::string("value of a\0", 11));
}

TYPED_TEST_P(EngineSuite, ACursorSeeksAndNexts) {
  for (const char* k : {"p/1", "p/2", "p/3", "q/1"})
    this->put(k, std::string("v") + k);
  auto c = this->engine().cursor();
  c->seek("p/15");
  ASSERT_TRUE(c->valid());
  EXPECT_EQ(c->key(), "p/2");
  EXPECT_EQ(c->value(), "vp/2");
  c->next();
  ASSERT_TRUE(c->valid());
  EXPECT_EQ(c->key(), "p/3");
  c->seek("p/");  // back again
  ASSERT_TRUE(c->valid());
  EXPECT_EQ(c->key(), "p/1");
  c->seek("q/1");
  c->next();
  EXPECT_FALSE(c->valid());  // past the last key
  c->seek("r");
  EXPECT_FALSE(c->valid());
  EXPECT_TRUE(c->status());
}

TYPED_TEST_P(EngineSuite, ACursorReadsTheKeysAsTheyWereWhenItWasMade) {
  this->put("k1", "old");
  this->put("k3", "old");
  auto c = this->engine().cursor();
  metadata::Batch b;
  b.put("k2", "new");
  b.put("k1", "changed");
  b.remove("k3");
  ASSERT_TRUE(this->engine().write(b, /*sync=*/true));
  c->seek("k");
  std::vector<std::string> seen;
  for (; c->valid(); c->next())
    seen.push_back(std::string(c->key()) + "=" + std::string(c->value()));
  EXPECT_TRUE(c->status());
  EXPECT_EQ(seen, (std::vector<std::string>{"k1=old", "k3=old"}));
  auto fresh = this->engine().cursor();
  EXPECT_EQ(this->keys_from(*fresh, "k"), (std::vector<std::string>{"k1", "k2"}));
}

TYPED_TEST_P(EngineSuite, SyncedAndUnsyncedWritesSurviveClosing) {
  this->put("synced", "1");
  metadata::Batch b;
  b.put("unsynced", "2");
  ASSERT_TRUE(this->engine().write(b, /*sync=*/false));
  this->reopen();
  EXPECT_EQ(this->get("synced"), "1");
  EXPECT_EQ(this->get("unsynced"), "2");  // a closed engine (not a power cut) loses nothing
}

TYPED_TEST_P(EngineSuite, AReopenWaitsForOpenCursorsAndKeepsEverything) {
  this->put("k", "v");
  auto c = this->engine().cursor();
  auto busy = this->engine().reopen(std::chrono::milliseconds(20));
  if (TypeParam::kReopenWaitsForCursors) {
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code, Errc::unavailable);
  } else {
    EXPECT_TRUE(busy) << busy.error().detail;
  }
  c->seek("k");  // the cursor still reads
  ASSERT_TRUE(c->valid());
  EXPECT_EQ(c->value(), "v");
  c.reset();
  ASSERT_TRUE(this->engine().reopen(std::chrono::milliseconds(20)));
  EXPECT_EQ(this->get("k"), "v");
  this->put("after", "reopen");
  EXPECT_EQ(this->get("after"), "reopen");
  EXPECT_TRUE(this->engine().probe());
}

TYPED_TEST_P(EngineSuite, ADatabaseOpensOverIt) {
  auto db = metadata::Database::open(std::move(this->engine_)).value();
  EXPECT_EQ(db->schema_version(), metadata::kSchemaVersion);
  {
    auto u = db->begin({"x"});
    u.put("x", "1");
    ASSERT_TRUE(u.commit());
  }
  EXPECT_EQ(db->get("x").value(), std::optional<std::string>("1"));
  EXPECT_EQ(db->engine().get(metadata::keys::version()).value(),
            std::optional<std::string>(std::to_string(metadata::kSchemaVersion)));
  ASSERT_TRUE(db->check_writable());
  db.reset();
  auto again = metadata::Database::open(TypeParam::make(this->dir_.path())).value();
  EXPECT_EQ(again->get("x").value(), std::optional<std::string>("1"));
}

REGISTER_TYPED_TEST_SUITE_P(EngineSuite, PointReadsSeeWhatABatchWrote,
                            WithinABatchTheLaterChangeToAKeyWins,
                            KeysAndValuesAreBytesInBytewiseOrder, ACursorSeeksAndNexts,
                            ACursorReadsTheKeysAsTheyWereWhenItWasMade,
                            SyncedAndUnsyncedWritesSurviveClosing,
                            AReopenWaitsForOpenCursorsAndKeepsEverything, ADatabaseOpensOverIt);

}  // namespace cairn::testing

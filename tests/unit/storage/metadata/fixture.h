// Shared set-up for the metadata tests: a real LevelDB on a temp dir and a manual clock.
#pragma once

#include "storage/common/clock.h"
#include "storage/content/digest.h"
#include "storage/metadata/db.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace cairn::metadata::testing {

class DatabaseTest : public ::testing::Test {
 protected:
  // Opened here, not in SetUp, so derived fixtures can build stores over db() as members.
  DatabaseTest() { reopen(); }

  void reopen() {
    db_.reset();
    DatabaseOptions options;
    options.clock = &clock_;
    db_ = Database::open(dir_ / "meta", options).value();
  }

  Database& db() { return *db_; }

  static content::Digest digest(const std::string& data) { return content::digest_of(data); }

  cairn::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<Database> db_;
};

}  // namespace cairn::metadata::testing

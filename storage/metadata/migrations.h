// Migrations: how an older metadata database is brought up to the current schema version.
//
// A Migration upgrades schema version `from` to `from + 1`. Database::open runs, in order, every
// migration from the stored version up to the version it was asked for; each step's writes and
// the new version number go into one Batch, so a crash mid-way leaves the database at a
// whole version, and reopening resumes from there. The schema itself is drawn in keys.h.
#pragma once

#include "storage/common/result.h"
#include "storage/metadata/engine.h"

#include <functional>
#include <string>
#include <vector>

namespace cairn::metadata {

struct Migration {
  int from = 0;      // the version this step upgrades from (to from + 1)
  std::string name;  // for errors and logs
  // Reads the database as it is and adds its changes to `batch` (not yet written). Runs alone:
  // no other thread uses the database during open.
  std::function<Result<void>(const Engine& db, Batch& batch)> run;
};

// The migrations cairn ships, in order. Version 1 is the first schema, so this is empty until
// the schema changes.
const std::vector<Migration>& builtin_migrations();

}  // namespace cairn::metadata

// `cairn gc`: garbage collection of a stopped server's data root (storage/gc/collector.h).
//
//   cairn gc --root DIR [--dry-run] [--json] [--gc-grace D]
//
// The same collection the server runs (POST /_admin/gc), offline: a running server holds the
// root's LevelDB lock, and the command then says to use POST /_admin/gc and exits 2. --dry-run
// removes nothing and reports what a collection would remove (Collector::preview); --json
// prints the figures as GET /_admin/gc shows them.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace cairn::app {

// Runs the command with `args` (the words after "gc"); returns the exit status: 0 done,
// 2 usage or open error, 1 the collection failed.
int gc_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

std::string gc_usage();

}  // namespace cairn::app

// `cairn fsck`: the offline consistency check of a data root (storage/fsck/checker.h).
//
//   cairn fsck --root DIR [--repair] [--json] [--gc-grace D]
//
// The server must be stopped: the check opens the root's LevelDB, whose lock a running server
// holds (then it says to use POST /_admin/fsck instead, and exits 2). A progress bar on a
// terminal (stderr), plain lines otherwise; each finding on a line, then a summary; --json
// prints the one JSON report (storage/fsck/report.h) on stdout instead of findings and summary.
// Ctrl-C stops the check early (nothing more is repaired) and reports what was found.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace cairn::app {

// Runs the command with `args` (the words after "fsck"); returns the exit status: 0 clean,
// 1 problems found (after --repair too, saying what was repaired), 2 usage or open error.
int fsck_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The usage text of the command.
std::string fsck_usage();

}  // namespace cairn::app

// `cairn du`: what a stopped server's data root holds, per repository (storage/usage.h).
//
//   cairn du --root DIR [--json] [--config FILE] [--upstream HOST=URL]...
//
// One line per namespace (blobs it references, the unique and shared parts, manifests, tags,
// uploads), then the totals with each blob counted once. Cache namespaces are those of the
// upstreams that --config or --upstream name, as the server would route them. --json prints
// what GET /_admin/du answers. A running server holds the root: use GET /_admin/du then.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace cairn::app {

// Runs the command with `args` (the words after "du"); returns 0, or 2 on a usage or open
// error, 1 when the walk failed.
int du_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

std::string du_usage();

}  // namespace cairn::app

// `cairn export` and `cairn import`: images between a stopped server's data root and an OCI
// image layout directory (app/image_layout.h), for backups, air-gapped copies and skopeo.
//
//   cairn export --root DIR NAME[:TAG|@DIGEST] OCI_LAYOUT_DIR
//   cairn import --root DIR OCI_LAYOUT_DIR NAME[:TAG|@DIGEST]
//
// A progress bar on a terminal (stderr: bytes, rate, ETA), a plain line per tenth otherwise;
// then one summary line on stdout. Import creates the data root when it does not exist.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace cairn::app {

// Run the commands with `args` (the words after "export" / "import"); return 0 when the image
// was copied, 1 when the copy failed, 2 on a usage or open error.
int export_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int import_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

std::string export_usage();
std::string import_usage();

}  // namespace cairn::app

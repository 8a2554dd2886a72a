#include "app/gc_command.h"

#include "app/command_line.h"
#include "app/config.h"
#include "app/progress_bar.h"
#include "handlers/json_views.h"

#include <ostream>

namespace cairn::app {

std::string gc_usage() {
  return R"(Usage: cairn gc --root DIR [--metadata URI] [--dry-run] [--json]
                [--gc-grace DURATION]

Collects the garbage of a stopped server's data root: blob records nothing refers to (no tag,
manifest, lease or gc.root label), their files once no repository records them, expired uploads
and leases. For a running server use POST /_admin/gc (?dry_run=1 to preview).

  --root DIR            the data root                                   [./var]
  --metadata URI        its metadata in PostgreSQL (the server's --metadata)
  --dry-run             remove nothing; report what a collection would remove
  --json                print the figures as one JSON object on stdout (as GET /_admin/gc)
  --gc-grace DURATION   blobs younger than this are kept (the server's --gc-grace)  [1h]

Exit status: 0 done, 1 the collection failed, 2 usage or open error.
)";
}

int gc_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::filesystem::path root = "./var";
  bool dry_run = false;
  bool json = false;
  std::chrono::nanoseconds grace = std::chrono::hours(1);
  StorageOptions storage_options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string v;
    if (a == "--help" || a == "-h") {
      out << gc_usage();
      return 0;
    } else if (auto m = metadata_flag(args, i, "cairn gc", storage_options.metadata_uri, err);
               m != Taken::no) {
      if (m == Taken::bad)
        return 2;
    } else if (a == "--dry-run") {
      dry_run = true;
    } else if (a == "--json") {
      json = true;
    } else if (flag_value(args, i, "--root", v)) {
      if (v.empty()) {
        err << "cairn gc: --root needs a directory\n";
        return 2;
      }
      root = v;
    } else if (flag_value(args, i, "--gc-grace", v)) {
      auto d = parse_duration(v);
      if (!d) {
        err << "cairn gc: --gc-grace wants a duration such as 1h or 0s\n";
        return 2;
      }
      grace = *d;
    } else {
      err << "cairn gc: unknown option " << a << "\n" << gc_usage();
      return 2;
    }
  }
  storage_options.gc.grace = grace;
  // Progress on stderr: a bar on a terminal, a line per phase otherwise.
  PhasedProgress progress(err, stderr_is_tty(), "gc");
  storage_options.gc.on_progress = [&](const Progress& p) { progress(p); };
  auto storage = open_offline_root(
      root, storage_options, "cairn gc",
      std::string("collect online with POST /_admin/gc") + (dry_run ? "?dry_run=1" : ""), err);
  if (!storage)
    return 2;

  auto stats = dry_run ? storage->collector().preview() : storage->collector().collect();
  progress.finish();
  if (!stats) {
    err << "cairn gc: " << stats.error().detail << "\n";
    return 1;
  }
  if (json) {
    out << handlers::gc_json(*stats).dump(2) << "\n";
    return 0;
  }
  const std::string verb = dry_run ? "would remove" : "removed";
  out << "cairn gc: " << verb << " " << stats->removed_blobs << " blob records, "
      << stats->removed_files << " blob files (" << format_bytes(stats->removed_bytes) << "), "
      << stats->removed_ingests << " uploads, " << stats->removed_leases << " expired leases";
  if (!dry_run)
    out << ", " << stats->removed_backend_ingests << " unrecorded upload directories";
  out << "; " << stats->marked << " blob records kept\n";
  return 0;
}

}  // namespace cairn::app

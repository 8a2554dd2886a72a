#include "app/fsck_command.h"

#include "app/command_line.h"
#include "app/config.h"
#include "app/progress_bar.h"
#include "storage/fsck/checker.h"
#include "storage/storage.h"

#include <csignal>
#include <filesystem>
#include <map>
#include <ostream>

namespace cairn::app {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int) {
  g_interrupted = 1;
}

std::string describe(const fsck::Finding& f) {
  std::string line = std::string(fsck::kind_name(f.kind));
  if (!f.digest.empty())
    line += " " + f.digest;
  if (!f.ns.empty())
    line += " in " + f.ns;
  if (!f.name.empty()) {
    switch (f.kind) {
      case fsck::FindingKind::manifest_blob_missing:
        line += " (manifest " + f.name + ")";
        break;
      case fsck::FindingKind::dangling_tag:
        line += " tag " + f.name;
        break;
      default:
        line += " " + f.name;
        break;
    }
  }
  if (!f.namespaces.empty()) {
    line += " (recorded in";
    for (const auto& ns : f.namespaces)
      line += " " + ns;
    line += ")";
  }
  line += ": " + f.detail;
  for (const auto& n : f.needed_by)
    line += "\n    needed by " + n;
  if (!f.action.empty())
    line += "\n    repair: " + f.action;
  return line;
}

}  // namespace

std::string fsck_usage() {
  return R"(Usage: cairn fsck --root DIR [--metadata URI] [--repair] [--json]
                  [--gc-grace DURATION]

Checks a stopped server's data root: re-hashes every blob, and reports blobs whose bytes do not
match their digest (corrupt), records without files (missing), files without records (orphan),
manifests whose blobs are not recorded, tags without their manifest, and stale uploads. For a
running server use POST /_admin/fsck.

  --root DIR            the data root                                   [./var]
  --metadata URI        its metadata in PostgreSQL (the server's --metadata)
  --repair              quarantine corrupt blobs (to DIR/quarantine/) and drop their records,
                        drop records of missing files, remove orphans and stale uploads;
                        never deletes what a manifest, tag, lease or gc.root still needs
                        without saying so
  --json                print the report as one JSON document on stdout
  --gc-grace DURATION   files and uploads younger than this are never orphans (the server's
                        --gc-grace)                                     [1h]

Exit status: 0 clean, 1 problems found (also after --repair), 2 usage or open error.
)";
}

int fsck_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::filesystem::path root = "./var";
  bool repair = false;
  bool json = false;
  std::chrono::nanoseconds grace = std::chrono::hours(1);
  StorageOptions storage_options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto flag = [&](std::string_view name, std::string& v) { return flag_value(args, i, name, v); };
    std::string v;
    if (a == "--help" || a == "-h") {
      out << fsck_usage();
      return 0;
    } else if (auto m = metadata_flag(args, i, "cairn fsck", storage_options.metadata_uri, err);
               m != Taken::no) {
      if (m == Taken::bad)
        return 2;
    } else if (a == "--repair") {
      repair = true;
    } else if (a == "--json") {
      json = true;
    } else if (flag("--root", v)) {
      if (v.empty()) {
        err << "cairn fsck: --root needs a directory\n";
        return 2;
      }
      root = v;
    } else if (flag("--gc-grace", v)) {
      auto d = parse_duration(v);
      if (!d) {
        err << "cairn fsck: --gc-grace wants a duration such as 1h or 0s\n";
        return 2;
      }
      grace = *d;
    } else {
      err << "cairn fsck: unknown option " << a << "\n" << fsck_usage();
      return 2;
    }
  }

  storage_options.gc.grace = grace;
  auto storage = open_offline_root(root, storage_options, "cairn fsck",
                                   "check it online with POST /_admin/fsck (GET /_admin/fsck "
                                   "shows the report)",
                                   err);
  if (!storage)
    return 2;

  const bool tty = stderr_is_tty();
  ProgressBar bar(err, tty, "hashing");
  std::stop_source stop;
  g_interrupted = 0;
  auto previous = std::signal(SIGINT, on_interrupt);
  fsck::CheckOptions opts;
  opts.repair = repair;
  opts.grace = grace;
  opts.stop = stop.get_token();
  opts.on_progress = [&](const fsck::Progress& p) {
    if (g_interrupted != 0)
      stop.request_stop();
    bar.update(p.bytes_hashed, p.bytes_total);
  };
  auto report = fsck::check(*storage, opts);
  std::signal(SIGINT, previous);
  bar.finish();
  if (!report) {
    err << "cairn fsck: " << report.error().detail << "\n";
    return 2;
  }
  report->trigger = "cli";

  if (json) {
    out << fsck::to_json(*report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n";
  } else {
    for (const fsck::Finding& f : report->findings)
      out << describe(f) << "\n";
    std::map<std::string_view, size_t> by_kind;
    for (const fsck::Finding& f : report->findings)
      ++by_kind[fsck::kind_name(f.kind)];
    out << "cairn fsck: " << report->counts.files << " blob files ("
        << format_bytes(report->progress.bytes_hashed) << " hashed), "
        << report->counts.blob_records << " blob records in " << report->counts.namespaces
        << " repositories, " << report->counts.manifests << " manifests, " << report->counts.tags
        << " tags, " << report->counts.ingests << " upload records and directories";
    if (report->counts.young_files > 0)
      out << "; " << report->counts.young_files
          << " unrecorded blobs younger than --gc-grace left alone (maybe commits in progress)";
    out << "\n";
    if (report->findings.empty()) {
      out << "cairn fsck: clean\n";
    } else {
      out << "cairn fsck: " << report->findings.size() << " problem"
          << (report->findings.size() == 1 ? "" : "s") << " (";
      bool first = true;
      for (const auto& [kind, n] : by_kind) {
        out << (first ? "" : ", ") << n << " " << kind;
        first = false;
      }
      out << ")";
      if (repair)
        out << "; repaired " << report->counts.repaired;
      else
        out << "; run with --repair to fix what can be fixed";
      out << "\n";
    }
    if (report->state == fsck::Report::State::cancelled)
      out << "cairn fsck: interrupted: the check did not finish\n";
  }
  return report->clean() ? 0 : 1;
}

}  // namespace cairn::app
